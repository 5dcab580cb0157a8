#include "postgres_server.hpp"

#include "musicbot_test/process.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace musicbot_test {

namespace {

bool running_as_root() { return ::geteuid() == 0; }

void chown_to_postgres(const std::string& path) {
  const passwd* pw = ::getpwnam("postgres");
  if (pw == nullptr) throw std::runtime_error("postgres_server: running as root but no 'postgres' user exists");
  if (::chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("postgres_server: chown failed");
}

}  // namespace

std::string postgres_server::bin_dir() {
  for (const char* dir : {"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"}) {
    if (::access((std::string(dir) + "/pg_ctl").c_str(), X_OK) == 0) return dir;
  }
  const std::string pg_ctl = find_executable("pg_ctl");
  return pg_ctl.empty() ? std::string() : std::filesystem::path(pg_ctl).parent_path().string();
}

std::vector<std::string> postgres_server::as_postgres(std::vector<std::string> argv) const {
  if (!running_as_root()) return argv;
  const std::string runuser = find_executable("runuser", {"/usr/sbin", "/sbin"});
  if (runuser.empty()) throw std::runtime_error("postgres_server: running as root and runuser is missing");
  std::vector<std::string> wrapped{runuser, "-u", "postgres", "--"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

postgres_server::postgres_server(postgres_server_options options) : options_(std::move(options)) {
  const std::string bin = bin_dir();
  if (bin.empty()) throw std::runtime_error("postgres_server: PostgreSQL server binaries not found");
  dir_ = std::make_unique<temp_dir>("musicbot-pg");
  ::chmod(dir_->path().c_str(), 0755);
  if (running_as_root()) chown_to_postgres(dir_->path());
  const int rc = run_command(as_postgres({bin + "/initdb", "-D", dir_->path() + "/data", "-A", "trust", "-U",
                                          "postgres", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"}));
  if (rc != 0) throw std::runtime_error("postgres_server: initdb failed (" + std::to_string(rc) + ")");
  port_ = free_port();
  start();
}

postgres_server::~postgres_server() {
  if (dir_) {
    run_command(as_postgres({bin_dir() + "/pg_ctl", "-D", dir_->path() + "/data", "-m", "immediate", "-w", "-t", "30",
                             "stop"}));
  }
}

std::string postgres_server::dsn(const std::string& dbname) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=" + dbname + " connect_timeout=5";
}

const std::string& postgres_server::dir() const { return dir_->path(); }

bool postgres_server::running() const { return port_open(port_); }

void postgres_server::start() {
  std::string opts = "-p " + std::to_string(port_) + " -k " + dir_->path() + " -c listen_addresses=127.0.0.1";
  for (const auto& s : options_.settings) opts += " -c " + s;
  const int rc = run_command(as_postgres({bin_dir() + "/pg_ctl", "-D", dir_->path() + "/data", "-o", opts, "-l",
                                          dir_->path() + "/log", "-w", "-t",
                                          std::to_string(options_.start_timeout.count()), "start"}));
  if (rc != 0 || !wait_for_port(port_, options_.start_timeout)) {
    throw std::runtime_error("postgres_server: start failed; see " + dir_->path() + "/log");
  }
}

void postgres_server::stop(bool immediate) {
  run_command(as_postgres({bin_dir() + "/pg_ctl", "-D", dir_->path() + "/data", "-m", immediate ? "immediate" : "fast",
                           "-w", "-t", std::to_string(options_.start_timeout.count()), "stop"}));
}

int postgres_server::psql(const std::string& sql) const {
  return run_command({bin_dir() + "/psql", dsn(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql});
}

int postgres_server::run_tool(const std::vector<std::string>& argv, const std::string& output_file) const {
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::setenv("PGHOST", "127.0.0.1", 1);
    ::setenv("PGPORT", std::to_string(port_).c_str(), 1);
    ::setenv("PGUSER", "postgres", 1);
    ::setenv("PGDATABASE", "postgres", 1);
    if (!output_file.empty()) {
      FILE* out = std::freopen(output_file.c_str(), "w", stdout);
      if (out == nullptr) ::_exit(126);
      ::dup2(STDOUT_FILENO, STDERR_FILENO);
    }
    std::vector<std::string> args = argv;
    args[0] = bin_dir() + "/" + args[0];
    std::vector<char*> raw;
    for (auto& a : args) raw.push_back(a.data());
    raw.push_back(nullptr);
    ::execv(raw[0], raw.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void postgres_server::reset_schema() const {
  if (psql("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;") != 0) {
    throw std::runtime_error("postgres_server: schema reset failed");
  }
}

}  // namespace musicbot_test
