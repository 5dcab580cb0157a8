#pragma once
// Internal: Beast helpers shared by client.cpp and server.cpp.

#include "musicbot/net/error.hpp"
#include "musicbot/net/http_types.hpp"

#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/websocket/error.hpp>

#include <string_view>

namespace musicbot::net::detail {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;

/// Translates Beast/Asio errors into net errors where one fits better.
inline boost::system::error_code map_error(boost::system::error_code ec) {
  if (!ec) return ec;
  if (ec == beast::error::timeout) return make_error_code(error::timeout);
  if (ec == http::error::body_limit) return make_error_code(error::body_too_large);
  if (ec == http::error::header_limit) return make_error_code(error::header_too_large);
  if (ec == websocket::error::message_too_big || ec == websocket::error::buffer_overflow) {
    return make_error_code(error::message_too_large);
  }
  if (ec == websocket::error::closed) return make_error_code(error::connection_closed);
  if (ec == boost::asio::ssl::error::stream_truncated) return make_error_code(error::connection_closed);
  if (ec == http::error::end_of_stream) return make_error_code(error::connection_closed);
  if (ec.category() == boost::asio::error::get_ssl_category()) return make_error_code(error::tls_error);
  if (ec.category() == http::make_error_code(http::error::bad_version).category()) {
    return make_error_code(error::bad_response);
  }
  return ec;
}

/// True for an RFC 7230 token (method names, header names).
inline bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (const char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

/// True when `v` can be sent as a header value (no CR, LF or NUL).
inline bool is_header_value(std::string_view v) noexcept {
  for (const char c : v) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

/// True if every header is safe to send.
inline bool valid_headers(const http_headers& headers) noexcept {
  for (const auto& h : headers) {
    if (!is_token(h.name) || !is_header_value(h.value)) return false;
  }
  return true;
}

/// Copies Beast fields into plain headers.
template <class Fields>
http_headers to_headers(const Fields& fields) {
  http_headers out;
  for (const auto& f : fields) {
    out.push_back({std::string(f.name_string()), std::string(f.value())});
  }
  return out;
}

}  // namespace musicbot::net::detail
