#pragma once
/// @file
/// Error codes of musicbot::net as a `boost::system::error_code` category.

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace musicbot::net {

/// Errors reported by the net component. Values are stable; never reorder.
///
/// Errors of the underlying layers (Asio, OpenSSL) are passed through
/// unchanged unless one of these describes them better (a Beast timeout is
/// reported as error::timeout, a Beast body limit as error::body_too_large).
enum class error {
  timeout = 1,               ///< the operation did not finish within its deadline
  body_too_large = 2,        ///< an HTTP body exceeded the configured maximum
  message_too_large = 3,     ///< a WebSocket message exceeded the configured maximum
  bad_url = 4,               ///< the URL could not be parsed or lacks a host
  unsupported_scheme = 5,    ///< the URL scheme is not http, https, ws or wss (or not valid here)
  connection_closed = 6,     ///< the peer closed the connection (WebSocket: see close_reason())
  too_many_connections = 7,  ///< a connection limit was reached
  handshake_failed = 8,      ///< the WebSocket upgrade was answered with a status other than 101
  tls_error = 9,             ///< the TLS handshake or certificate verification failed
  header_too_large = 10,     ///< HTTP headers exceeded the configured maximum
  bad_response = 11,         ///< the peer sent a malformed HTTP response
  bad_request = 12,          ///< the request could not be sent as given (bad method, target or header)
  write_queue_full = 13,     ///< too many WebSocket writes are queued
  operation_in_progress = 14,///< a read is already pending on this connection
  not_connected = 15,        ///< the connection is not open (never opened or already closed)
  stopped = 16,              ///< the server or client was stopped
  upgrade_not_accepted = 17, ///< a server WebSocket was used before async_accept succeeded
};

/// The category of musicbot::net::error ("musicbot.net").
[[nodiscard]] const boost::system::error_category& net_category() noexcept;

/// Makes an error_code from a net error (found by ADL).
[[nodiscard]] boost::system::error_code make_error_code(error e) noexcept;

}  // namespace musicbot::net

/// Marks musicbot::net::error as an error code enum for boost::system.
template <>
struct boost::system::is_error_code_enum<musicbot::net::error> : std::true_type {};
