#pragma once
/// @file
/// Error codes of musicbot::redis, as a `boost::system::error_code` category.

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace musicbot::redis {

/// Errors reported by the Redis client and the distributed rate limiter.
/// Values are stable; never reorder.
enum class error {
  ok = 0,
  invalid_url = 1,          ///< the URL is not `redis://` / `rediss://` syntax
  unsupported_scheme = 2,   ///< the URL scheme is neither `redis` nor `rediss`
  invalid_host = 3,         ///< the URL has no host, or a malformed one
  invalid_port = 4,         ///< the port is not a number in 1..65535
  invalid_database = 5,     ///< the path is not `/<db>` with db in 0..65535
  invalid_option = 6,       ///< an unknown or malformed `?query` option
  not_connected = 10,       ///< no connection to Redis right now (fail fast)
  connection_closed = 11,   ///< the connection dropped before the reply came
  timeout = 12,             ///< no reply within the command or connect timeout
  circuit_open = 13,        ///< the circuit breaker refuses calls (outage)
  too_many_in_flight = 14,  ///< max_in_flight commands are already pending
  closed = 15,              ///< the client was closed
  protocol_error = 20,      ///< the server sent bytes that are not RESP
  reply_too_large = 21,     ///< a reply exceeded config::max_reply_bytes
  unexpected_reply = 22,    ///< the reply has a type the caller did not expect
  server_error = 30,        ///< Redis answered with an error (`-ERR ...`)
  auth_failed = 31,         ///< wrong password / user, or AUTH required
  noscript = 32,            ///< the script is not in the server's cache
  wrong_type = 33,          ///< WRONGTYPE: the key holds another type
  select_failed = 34,       ///< SELECT of the configured database failed
  tls_failed = 35,          ///< the TLS handshake failed
};

/// The category of musicbot::redis::error ("musicbot.redis").
const boost::system::error_category& redis_category() noexcept;

/// Makes an error_code from a redis error (found by ADL).
inline boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), redis_category()};
}

}  // namespace musicbot::redis

/// @cond INTERNAL
template <>
struct boost::system::is_error_code_enum<musicbot::redis::error> : std::true_type {};
/// @endcond
