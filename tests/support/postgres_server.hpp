#pragma once
// A real, throwaway PostgreSQL 15 cluster for integration tests and
// benchmarks: initdb in a temp dir, postmaster on 127.0.0.1:<free port>,
// Unix socket in the same dir, trust authentication, user "postgres".
//
//   musicbot_test::postgres_server pg;        // initdb + start (bounded waits)
//   connect(pg.dsn());                        // "host=127.0.0.1 port=N user=postgres dbname=postgres"
//   pg.reset_schema();                        // fast: DROP/CREATE SCHEMA public
//   pg.stop(); pg.start();                    // outage / restart on the same port
//
// PostgreSQL refuses to run as root, so as root the cluster is owned by the
// "postgres" system user and its tools run through `runuser -u postgres`.
// Std + POSIX only (SQL goes through the psql binary).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace musicbot_test {

class temp_dir;

/// Options for postgres_server.
struct postgres_server_options {
  /// Extra `-c name=value` server settings, e.g. "fsync=off".
  std::vector<std::string> settings{"fsync=off", "synchronous_commit=off", "full_page_writes=off"};
  std::chrono::seconds start_timeout{60};  ///< bound on initdb / start / stop
};

/// A private PostgreSQL cluster. Throws std::runtime_error when the server
/// binaries are missing or the cluster does not come up.
class postgres_server {
 public:
  explicit postgres_server(postgres_server_options options = {});
  postgres_server(const postgres_server&) = delete;
  postgres_server& operator=(const postgres_server&) = delete;
  /// Stops the server (immediate mode) and removes the cluster.
  ~postgres_server();

  /// Directory with initdb/pg_ctl/postgres/psql/pgbench ("" if not found).
  static std::string bin_dir();
  /// True if the server binaries are installed.
  static bool available() { return !bin_dir().empty(); }

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  /// libpq conninfo for TCP on loopback.
  [[nodiscard]] std::string dsn(const std::string& dbname = "postgres") const;
  /// The cluster's temp dir (log: DIR/log).
  [[nodiscard]] const std::string& dir() const;

  /// True if the server accepts TCP connections.
  [[nodiscard]] bool running() const;
  /// Starts the server (again) on the same port; waits until it accepts connections.
  void start();
  /// Stops the server: "fast" terminates sessions (clients see an
  /// admin-shutdown error), "immediate" aborts without a checkpoint.
  void stop(bool immediate = false);

  /// Runs SQL through psql; returns psql's exit status (0 = success).
  int psql(const std::string& sql) const;
  /// Runs `argv` (a tool from bin_dir(), e.g. {"pgbench", "-i"}) with the
  /// connection options appended as environment (PGHOST/PGPORT/PGUSER);
  /// output goes to `output_file`. Returns the exit status.
  int run_tool(const std::vector<std::string>& argv, const std::string& output_file) const;
  /// Drops every table, function and sequence of the test database: schema
  /// `public` is dropped and recreated.
  void reset_schema() const;

 private:
  std::vector<std::string> as_postgres(std::vector<std::string> argv) const;

  postgres_server_options options_;
  std::unique_ptr<temp_dir> dir_;
  std::uint16_t port_ = 0;
};

}  // namespace musicbot_test
