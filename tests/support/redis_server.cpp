#include "redis_server.hpp"

#include "musicbot_test/process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace musicbot_test {

namespace {

// A connected, blocking loopback socket closed on scope exit.
class socket_guard {
 public:
  explicit socket_guard(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    if (fd_ < 0) return;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  socket_guard(const socket_guard&) = delete;
  socket_guard& operator=(const socket_guard&) = delete;
  ~socket_guard() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int fd() const noexcept { return fd_; }

 private:
  int fd_;
};

std::string encode(const std::vector<std::string>& args) {
  // Appends only: GCC 12 warns falsely (-Wrestrict) on `"literal" + std::string`.
  std::string out;
  out.append("*").append(std::to_string(args.size())).append("\r\n");
  for (const auto& a : args) out.append("$").append(std::to_string(a.size())).append("\r\n").append(a).append("\r\n");
  return out;
}

// End offset of the complete RESP2 value starting at `pos`, or npos.
std::size_t resp_end(const std::string& s, std::size_t pos) {
  if (pos >= s.size()) return std::string::npos;
  const auto eol = s.find("\r\n", pos);
  if (eol == std::string::npos) return std::string::npos;
  const char type = s[pos];
  const std::string line = s.substr(pos + 1, eol - pos - 1);
  switch (type) {
    case '+':
    case '-':
    case ':': return eol + 2;
    case '$': {
      const long n = std::stol(line);
      if (n < 0) return eol + 2;
      const std::size_t end = eol + 2 + static_cast<std::size_t>(n) + 2;
      return end <= s.size() ? end : std::string::npos;
    }
    case '*': {
      const long n = std::stol(line);
      std::size_t next = eol + 2;
      for (long i = 0; i < n; ++i) {
        next = resp_end(s, next);
        if (next == std::string::npos) return next;
      }
      return next;
    }
    default: return std::string::npos;
  }
}

bool send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const auto n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// Reads until `replies` complete RESP values arrived or the deadline passes.
std::string read_replies(int fd, std::size_t replies, std::chrono::steady_clock::time_point deadline) {
  std::string buffer;
  char chunk[4096];
  for (;;) {
    std::size_t pos = 0;
    std::size_t complete = 0;
    while (complete < replies) {
      const auto end = resp_end(buffer, pos);
      if (end == std::string::npos) break;
      pos = end;
      ++complete;
    }
    if (complete == replies) return buffer;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return {};
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return {};
    const auto n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return {};
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
}

}  // namespace

std::string redis_server::executable() { return find_executable("redis-server", {"/usr/bin", "/usr/local/bin"}); }

redis_server::redis_server(redis_server_options options) : options_(std::move(options)) {
  if (!available()) throw std::runtime_error("redis_server: redis-server is not installed (apt-get install redis-server)");
  dir_ = std::make_unique<temp_dir>("musicbot-redis");
  // free_port() is racy (another process may take the port before Redis
  // binds it): retry a few times with a new port.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_port();
    launch();
    if (wait_until_ready(options_.start_timeout)) return;
    process_.reset();
  }
  throw std::runtime_error("redis_server: redis-server did not answer PING (see " + dir_->path() + "/redis.log)");
}

redis_server::~redis_server() {
  if (paused_ && process_) ::kill(process_->pid(), SIGCONT);
}

std::string redis_server::url(int db) const {
  return "redis://127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db);
}

std::string redis_server::url_with_password(const std::string& password, int db) const {
  return "redis://:" + password + "@127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db);
}

const std::string& redis_server::dir() const { return dir_->path(); }

bool redis_server::running() const { return process_ && process_->running(); }

void redis_server::launch() {
  std::vector<std::string> argv = {executable(), "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                   "--save", "", "--appendonly", "no", "--dir", dir_->path(),
                                   "--daemonize", "no", "--protected-mode", "no"};
  if (!options_.password.empty()) {
    argv.emplace_back("--requirepass");
    argv.push_back(options_.password);
  }
  argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
  process_ = std::make_unique<child_process>(argv, dir_->path() + "/redis.log");
  paused_ = false;
}

void redis_server::start() {
  if (running()) return;
  // The port was ours a moment ago; Redis sets SO_REUSEADDR, so rebinding
  // works even with connections in TIME_WAIT. Retry briefly anyway.
  for (int attempt = 0; attempt < 3; ++attempt) {
    launch();
    if (wait_until_ready(options_.start_timeout)) return;
    process_.reset();
  }
  throw std::runtime_error("redis_server: restart on port " + std::to_string(port_) + " failed");
}

void redis_server::stop() {
  if (!process_) return;
  if (paused_) resume();
  process_->stop(SIGTERM, std::chrono::seconds(5));
  process_.reset();
}

void redis_server::kill() {
  if (!process_) return;
  process_->stop(SIGKILL, std::chrono::seconds(5));
  process_.reset();
  paused_ = false;
}

void redis_server::pause() {
  if (!process_ || paused_) return;
  ::kill(process_->pid(), SIGSTOP);
  paused_ = true;
}

void redis_server::resume() {
  if (!process_ || !paused_) return;
  ::kill(process_->pid(), SIGCONT);
  paused_ = false;
}

bool redis_server::wait_until_ready(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_ || !process_->running()) return false;
    // Any reply counts: +PONG, or -NOAUTH when a password is required.
    const auto reply = command({"PING"}, std::chrono::milliseconds(500));
    if (!reply.empty() && (reply[0] == '+' || reply[0] == '-') && reply.find("LOADING") == std::string::npos)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string redis_server::command(const std::vector<std::string>& args, std::chrono::milliseconds timeout) const {
  const socket_guard sock(port_);
  if (sock.fd() < 0) return {};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string request;
  std::size_t replies = 1;
  if (!options_.password.empty()) {
    request = encode({"AUTH", options_.password});
    replies = 2;
  }
  request += encode(args);
  if (!send_all(sock.fd(), request)) return {};
  auto all = read_replies(sock.fd(), replies, deadline);
  if (all.empty() || replies == 1) return all;
  return all.substr(resp_end(all, 0));  // drop the AUTH reply
}

}  // namespace musicbot_test
