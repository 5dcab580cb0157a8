#pragma once
/// @file
/// `musicbot::net::observability_server`: `/metrics` (Prometheus text or
/// OpenMetrics, by `Accept`), `/health` (liveness) and `/ready` (readiness
/// JSON) on top of http_server.

#include <musicbot/core/secret.hpp>
#include <musicbot/metrics/health.hpp>
#include <musicbot/metrics/registry.hpp>
#include <musicbot/net/http_server.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace musicbot::net {

namespace detail {
struct observability_state;
}  // namespace detail

/// The http_server limits the observability server uses by default: bound
/// to 127.0.0.1, 8 KiB of headers, 4 KiB of body (only GETs are served),
/// 64 connections, 30 s keep-alive idle, 10 s per request.
[[nodiscard]] server_options default_observability_server_options();

/// Settings of an observability_server.
struct observability_options {
  /// Address, port and limits (header size, body size, connections, idle time).
  server_options server = default_observability_server_options();
  /// When not empty, every request must carry `Authorization: Bearer <token>`
  /// (compared in constant time); others get 401. Never logged.
  core::secret bearer_token;
  /// When true, `/health` and `/ready` are served without the token (for
  /// orchestrator probes that cannot send one); `/metrics` still needs it.
  bool open_probes = false;
  /// Series rendered between two yields to the event loop while building a
  /// `/metrics` body, so a large exposition never holds the loop for long.
  std::size_t render_step_series = 2000;
};

/// Serves `/metrics`, `/health` and `/ready`.
///
/// - `GET /metrics`: the registry in Prometheus text 0.0.4, or OpenMetrics
///   1.0.0 when `Accept` asks for it (metrics::negotiate_format).
/// - `GET /health`: liveness, `200 {"status":"alive"}` whenever the event
///   loop runs (answering proves it).
/// - `GET /ready`: readiness, the health registry's aggregate as JSON;
///   200 when healthy or degraded, 503 when unhealthy.
/// - anything else: 404, or 405 for another method on these paths.
///
/// The registry and the health registry must outlive the server.
///
/// @par Thread safety
/// Like http_server: call start() and stop() from the thread running the
/// executor or while it is not running. Handlers run on the server's strand.
class observability_server {
 public:
  /// The executor type.
  using executor_type = boost::asio::any_io_executor;

  /// A stopped server over `metrics` and `health`.
  observability_server(executor_type executor, const metrics::registry& metrics,
                       const metrics::health_registry& health, observability_options options = {});
  observability_server(const observability_server&) = delete;             ///< not copyable
  observability_server& operator=(const observability_server&) = delete;  ///< not copyable
  /// Stops the server.
  ~observability_server();

  /// Binds and starts accepting; returns the bound port.
  [[nodiscard]] boost::system::result<std::uint16_t> start();
  /// Closes the listener and every connection. Idempotent.
  void stop();
  /// The bound port (0 before start()).
  [[nodiscard]] std::uint16_t port() const noexcept;

  /// `/metrics` requests answered with 200 so far.
  [[nodiscard]] std::uint64_t scrapes() const noexcept;
  /// Of those, the ones answered in OpenMetrics.
  [[nodiscard]] std::uint64_t openmetrics_scrapes() const noexcept;
  /// Requests refused with 401 so far.
  [[nodiscard]] std::uint64_t unauthorized() const noexcept;

 private:
  std::shared_ptr<detail::observability_state> state_;
  http_server server_;
};

}  // namespace musicbot::net
