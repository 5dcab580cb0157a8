#pragma once
// A real, throwaway redis-server for integration tests (and benchmarks).
//
//   musicbot_test::redis_server redis;            // starts on a free port
//   client.connect(redis.url());                  // "redis://127.0.0.1:<port>"
//   redis.stop();  /* outage */  redis.start();   // same port again
//
// The server runs with --save '' --appendonly no in its own temp dir, bound to
// 127.0.0.1 only; it is SIGKILLed and the dir removed on destruction.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace musicbot_test {

class child_process;
class temp_dir;

/// Options for redis_server.
struct redis_server_options {
  std::string password;                  ///< if set, --requirepass <password>
  std::vector<std::string> extra_args;   ///< appended to the command line
  std::chrono::milliseconds start_timeout{10000};  ///< bound on "PING answers"
};

/// A redis-server child process on 127.0.0.1:<port>.
/// Throws std::runtime_error when redis-server is missing or does not answer.
class redis_server {
 public:
  explicit redis_server(redis_server_options options = {});
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;
  ~redis_server();

  /// Full path of redis-server, or "" if it is not installed.
  static std::string executable();
  /// True if redis-server is installed.
  static bool available() { return !executable().empty(); }

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] static std::string host() { return "127.0.0.1"; }
  /// "redis://127.0.0.1:<port>" (no password; see url_with_password()).
  [[nodiscard]] std::string url(int db = 0) const;
  /// "redis://:<password>@127.0.0.1:<port>/<db>".
  [[nodiscard]] std::string url_with_password(const std::string& password, int db = 0) const;
  /// The server's temp dir (logs live there: redis.log).
  [[nodiscard]] const std::string& dir() const;

  /// True while the process runs.
  [[nodiscard]] bool running() const;
  /// Starts again on the same port (after stop() or kill()); waits for PING.
  void start();
  /// Graceful stop (SIGTERM, bounded), connections get closed.
  void stop();
  /// Hard stop (SIGKILL).
  void kill();
  /// Freezes the process (SIGSTOP): connections stay open but nothing
  /// answers, to test timeouts. resume() sends SIGCONT.
  void pause();
  void resume();

  /// Sends one command over a fresh connection and returns the raw RESP
  /// reply ("+OK\r\n", ":3\r\n", "-ERR ...\r\n", ...), or "" on failure.
  /// Authenticates first when the server has a password.
  std::string command(const std::vector<std::string>& args,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

 private:
  void launch();
  bool wait_until_ready(std::chrono::milliseconds timeout) const;

  redis_server_options options_;
  std::unique_ptr<temp_dir> dir_;
  std::unique_ptr<child_process> process_;
  std::uint16_t port_ = 0;
  bool paused_ = false;
};

}  // namespace musicbot_test
