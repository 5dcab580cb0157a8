#pragma once
/// @file
/// Parsing of http/https/ws/wss URLs into the endpoint a client connects to.

#include <boost/system/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace musicbot::net {

/// The URL schemes the net clients speak.
enum class scheme {
  http,   ///< plain HTTP (default port 80)
  https,  ///< HTTP over TLS (default port 443)
  ws,     ///< plain WebSocket (default port 80)
  wss,    ///< WebSocket over TLS (default port 443)
};

/// Where a client connects and what it asks for: the parsed form of a URL.
struct endpoint {
  net::scheme scheme = net::scheme::http;  ///< the URL's scheme
  std::string host;       ///< host name or IP literal, without IPv6 brackets
  std::uint16_t port = 0; ///< explicit port, else the scheme's default
  std::string target;     ///< path and query as sent on the request line, never empty ("/" at least)
  bool tls = false;       ///< true for https and wss

  /// The value of the `Host` header: host (bracketed if IPv6) plus `:port`
  /// when the port is not the scheme's default.
  [[nodiscard]] std::string host_header() const;
  /// `scheme://host[:port]`, without target (for logs; a URL's userinfo is never kept).
  [[nodiscard]] std::string origin() const;
};

/// The default port of a scheme (80 or 443).
[[nodiscard]] std::uint16_t default_port(net::scheme s) noexcept;

/// Parses an absolute http, https, ws or wss URL.
///
/// Userinfo (`user:pass@`) is rejected so credentials never travel inside
/// URLs (pass them as headers). Fragments are dropped. Never throws.
/// @return the endpoint, error::bad_url for malformed input, missing host or
///         an out-of-range port, error::unsupported_scheme for other schemes.
[[nodiscard]] boost::system::result<endpoint> parse_endpoint(std::string_view url);

}  // namespace musicbot::net
