#pragma once
// A tiny blocking HTTP/1.1 client over a loopback TCP socket, for tests of
// the observability server (independent of the code under test). Every
// read has a 5 s receive timeout, so a broken server fails the test instead
// of hanging it.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

namespace musicbot_metrics_test {

struct http_reply {
  int status = 0;
  std::string head;  // status line + headers, lower-cased names kept as sent
  std::string body;

  [[nodiscard]] std::optional<std::string> header(const std::string& name) const {
    // case-insensitive search for "\r\nname:"
    std::string lower_head;
    for (const char c : head) lower_head += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string lower_name;
    for (const char c : name) lower_name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto pos = lower_head.find("\r\n" + lower_name + ":");
    if (pos == std::string::npos) return std::nullopt;
    auto start = pos + 3 + lower_name.size();
    while (start < head.size() && head[start] == ' ') ++start;
    const auto end = head.find("\r\n", start);
    return head.substr(start, end - start);
  }
};

class loopback_connection {
 public:
  explicit loopback_connection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{};
    tv.tv_sec = 5;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  loopback_connection(const loopback_connection&) = delete;
  loopback_connection& operator=(const loopback_connection&) = delete;
  ~loopback_connection() {
    if (fd_ >= 0) ::close(fd_);
  }

  [[nodiscard]] bool connected() const noexcept { return connected_; }

  bool send(const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      const auto n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }

  // Reads one response framed by Content-Length (or until close).
  std::optional<http_reply> read_reply() {
    http_reply r;
    std::size_t header_end = std::string::npos;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    r.head = buffer_.substr(0, header_end + 2);
    buffer_.erase(0, header_end + 4);
    if (r.head.size() < 12 || !r.head.starts_with("HTTP/1.1 ")) return std::nullopt;
    r.status = std::atoi(r.head.substr(9, 3).c_str());
    if (const auto length = r.header("Content-Length")) {
      const auto n = static_cast<std::size_t>(std::strtoull(length->c_str(), nullptr, 10));
      while (buffer_.size() < n) {
        if (!fill()) return std::nullopt;
      }
      r.body = buffer_.substr(0, n);
      buffer_.erase(0, n);
    } else {
      while (fill()) {
      }
      r.body = std::move(buffer_);
      buffer_.clear();
    }
    return r;
  }

  // True if the server closed the connection (read returns 0 within the timeout).
  bool closed_by_peer() {
    char c = 0;
    return ::recv(fd_, &c, 1, 0) == 0;
  }

 private:
  bool fill() {
    char buf[65536];
    const auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

// One request on a fresh connection.
inline std::optional<http_reply> http_get(std::uint16_t port, const std::string& target,
                                          const std::string& extra_headers = {}, const std::string& method = "GET") {
  loopback_connection c(port);
  if (!c.connected()) return std::nullopt;
  if (!c.send(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers + "Connection: close\r\n\r\n")) {
    return std::nullopt;
  }
  return c.read_reply();
}

}  // namespace musicbot_metrics_test
