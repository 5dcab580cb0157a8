#pragma once
/// @file
/// `musicbot::redis::config`: where Redis is and how the client behaves, and
/// `parse_url()` for `redis://[[user]:password@]host[:port][/db]` and
/// `rediss://...` (TLS).

#include <musicbot/core/circuit_breaker.hpp>
#include <musicbot/core/secret.hpp>
#include <musicbot/redis/reply_parser.hpp>

#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace musicbot::trace {
class tracer;
}  // namespace musicbot::trace

namespace musicbot::redis {

/// Settings of a redis::client (and of its subscriber connection).
struct config {
  std::string host = "127.0.0.1";   ///< host name or IP address
  std::uint16_t port = 6379;        ///< TCP port
  std::uint32_t database = 0;       ///< database selected with SELECT after connecting
  std::string username;             ///< ACL user for `AUTH user password` (empty: `AUTH password`)
  core::secret password;            ///< sent with AUTH; never logged (empty: no AUTH)
  bool tls = false;                 ///< TLS (`rediss://`)
  bool tls_verify_peer = true;      ///< verify the server certificate (and its host name / IP)
  std::string tls_ca_file;          ///< PEM file of trusted CAs (empty: the system store)
  std::chrono::milliseconds connect_timeout{2000};  ///< TCP + TLS + AUTH + SELECT
  std::chrono::milliseconds command_timeout{500};   ///< default per-command timeout
  std::chrono::milliseconds reconnect_initial_delay{50};  ///< first reconnect backoff
  std::chrono::milliseconds reconnect_max_delay{5000};    ///< backoff cap
  std::chrono::milliseconds health_check_interval{1000};  ///< PING when idle this long (0: off)
  std::size_t max_in_flight = 100000;  ///< commands pending on the connection before error::too_many_in_flight
  /// Circuit breaker around commands (core `redis` preset: opens at 50 %
  /// failures over the last 50 calls, stays open 30 s, 5 trial calls).
  core::circuit_breaker_config breaker = core::circuit_breaker_config::redis();
  reply_limits limits;                 ///< parser limits per reply
  /// Spans for commands (null: tracing off, no cost but a null check).
  /// A command issued while a trace::context_scope is active on the calling
  /// thread gets a client span "redis <COMMAND>", child of that context, with
  /// the attributes `component` = `redis`, `db.system` = `redis`,
  /// `db.operation` = the command name and `outcome` = `ok`, `error`,
  /// `timeout`, `breaker_open` or `cancelled`. Keys, values, arguments and
  /// the password are never recorded. Commands outside a traced operation
  /// (health checks, reconnects, background work) get no span. Include
  /// `<musicbot/trace/tracer.hpp>` to create one.
  std::shared_ptr<const trace::tracer> tracer;
};

/// Parses a Redis URL into a config with default timeouts.
///
/// Accepted forms: `redis://host`, `redis://host:port`, `redis://host:port/db`,
/// `redis://:password@host:port/db`, `redis://user:password@host/db`,
/// `rediss://...` (TLS), IPv6 as `redis://[::1]:6379`. Percent-encoding in
/// the user and password is decoded. Query options:
/// `connect_timeout_ms`, `command_timeout_ms`, `tls_verify` (`true`/`false`),
/// `tls_ca_file` (path of a PEM CA bundle).
///
/// Errors (never throws): error::invalid_url, error::unsupported_scheme,
/// error::invalid_host, error::invalid_port, error::invalid_database,
/// error::invalid_option. The password never appears in any error.
[[nodiscard]] boost::system::result<config> parse_url(std::string_view url);

/// The config as a URL for logs, with the password masked
/// (`redis://:***@host:6379/0`).
[[nodiscard]] std::string redacted_url(const config& cfg);

}  // namespace musicbot::redis
