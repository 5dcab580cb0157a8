#pragma once
// Child processes and loopback ports for tests that run real servers.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <sys/types.h>

namespace musicbot_test {

/// A free TCP port on 127.0.0.1 (bound, read back, released).
std::uint16_t free_port();

/// True once something accepts TCP connections on 127.0.0.1:port.
bool port_open(std::uint16_t port);

/// Waits (bounded) until 127.0.0.1:port accepts connections.
bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout);

/// Runs a command to completion; returns its exit status (or -1).
/// Output goes to the test's stderr unless `quiet`.
int run_command(const std::vector<std::string>& argv, bool quiet = true);

/// The full path of an executable on PATH or in `extra_dirs`, or "".
std::string find_executable(const std::string& name, const std::vector<std::string>& extra_dirs = {});

/// A child process, killed (SIGKILL) and reaped when destroyed.
class child_process {
 public:
  child_process() = default;
  /// Starts argv[0] (full path) with stdout/stderr to `log_file` ("" = inherit).
  child_process(const std::vector<std::string>& argv, const std::string& log_file = "");
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  child_process(child_process&& other) noexcept;
  child_process& operator=(child_process&& other) noexcept;
  ~child_process();

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  [[nodiscard]] bool running() const;
  /// Sends `signal` and waits (bounded) for the process to exit.
  /// Returns the exit status, or -1 if it had to be SIGKILLed.
  int stop(int signal, std::chrono::milliseconds grace = std::chrono::seconds(5));
  /// Waits (bounded) for exit; returns the exit status or -1 on timeout.
  int wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
};

/// A temporary directory removed with its contents when destroyed.
class temp_dir {
 public:
  explicit temp_dir(const std::string& prefix = "musicbot-test");
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir();
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

}  // namespace musicbot_test
