#pragma once
/// @file
/// Plain HTTP request/response values shared by the client and the server
/// (no Beast types, so any component can include them cheaply).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace musicbot::net {

/// One HTTP header field. Names compare case-insensitively (see find_header()).
struct http_header {
  std::string name;   ///< field name as sent, e.g. "Content-Type"
  std::string value;  ///< field value, without surrounding whitespace
};

/// An ordered list of header fields; a name may appear more than once.
using http_headers = std::vector<http_header>;

/// ASCII case-insensitive comparison, as HTTP header names need.
[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;

/// The value of the first field named `name` (case-insensitive), if any.
[[nodiscard]] std::optional<std::string_view> find_header(const http_headers& headers,
                                                          std::string_view name) noexcept;

/// Replaces every field named `name` with a single one (appends if absent).
void set_header(http_headers& headers, std::string_view name, std::string_view value);

/// An HTTP request as the client sends it.
struct http_request {
  std::string method = "GET"; ///< request method token, e.g. "GET", "POST", "PATCH"
  std::string target = "/";   ///< origin-form target ("/v4/info?x=1"), appended to the client's base path
  http_headers headers;       ///< extra fields; Host, Content-Length and User-Agent are set by the client unless present
  std::string body;           ///< request body (Content-Length is set when non-empty or the method expects a body)
  std::chrono::milliseconds timeout{0}; ///< whole-exchange deadline; 0 = the client's default

  /// The value of the first header named `name` (case-insensitive), if any.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const noexcept {
    return find_header(headers, name);
  }
};

/// An HTTP response as the client receives it or a server handler returns it.
struct http_response {
  unsigned status = 200;  ///< status code, e.g. 200, 404
  std::string reason;     ///< reason phrase (the server fills the standard one when empty)
  http_headers headers;   ///< header fields (Content-Length is managed by the server)
  std::string body;       ///< the complete body

  /// The value of the first header named `name` (case-insensitive), if any.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const noexcept {
    return find_header(headers, name);
  }

  /// A response with `status`, a body and a `Content-Type` (text/plain by default).
  [[nodiscard]] static http_response text(unsigned status, std::string body,
                                          std::string_view content_type = "text/plain; charset=utf-8");
  /// A response with `status` and a JSON body (`Content-Type: application/json`).
  [[nodiscard]] static http_response json(unsigned status, std::string body);
};

}  // namespace musicbot::net
