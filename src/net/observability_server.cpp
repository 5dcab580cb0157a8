// observability_server: /metrics, /health, /ready over http_server.
// No Beast here: only http_server's Beast-free interface and Asio's post.

#include "musicbot/net/observability_server.hpp"

#include <musicbot/metrics/exposition.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <string>
#include <string_view>
#include <utility>

namespace musicbot::net {
namespace detail {

struct observability_state {
  const metrics::registry* registry = nullptr;
  const metrics::health_registry* health = nullptr;
  core::secret token;
  bool open_probes = false;
  std::size_t step_series = 2000;
  std::atomic<std::size_t> last_body_size{0};
  std::atomic<std::uint64_t> scrapes{0};
  std::atomic<std::uint64_t> openmetrics_scrapes{0};
  std::atomic<std::uint64_t> unauthorized{0};

  // True if the request may proceed. `Authorization: Bearer <token>`, the
  // scheme case-insensitive (RFC 9110), the token compared in constant time.
  [[nodiscard]] bool authorized(const server_request& req) const {
    if (token.empty()) return true;
    const auto value = req.header("Authorization");
    if (!value) return false;
    std::string_view v = *value;
    constexpr std::string_view scheme = "bearer";
    if (v.size() <= scheme.size() || !iequals(v.substr(0, scheme.size()), scheme) || v[scheme.size()] != ' ') {
      return false;
    }
    v.remove_prefix(scheme.size());
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    return token.equals(v);
  }

  [[nodiscard]] http_response unauthorized_response() {
    unauthorized.fetch_add(1, std::memory_order_relaxed);
    http_response r = http_response::text(401, "unauthorized\n");
    r.headers.push_back(http_header{"WWW-Authenticate", "Bearer realm=\"musicbot\""});
    return r;
  }
};

namespace {

void no_store(http_response& r) { r.headers.push_back(http_header{"Cache-Control", "no-store"}); }

boost::asio::awaitable<http_response> serve_metrics(std::shared_ptr<observability_state> st, server_request req) {
  if (!st->authorized(req)) co_return st->unauthorized_response();
  const auto accept = req.header("Accept");
  const metrics::exposition_format format = metrics::negotiate_format(accept ? *accept : std::string_view{});
  std::string body;
  body.reserve(st->last_body_size.load(std::memory_order_relaxed) + 4096);
  metrics::render_progress progress;
  // Render a bounded number of series, then let other handlers run.
  while (!st->registry->render_step(format, body, progress, st->step_series)) {
    co_await boost::asio::post(co_await boost::asio::this_coro::executor, boost::asio::use_awaitable);
  }
  st->last_body_size.store(body.size(), std::memory_order_relaxed);
  st->scrapes.fetch_add(1, std::memory_order_relaxed);
  if (format == metrics::exposition_format::openmetrics) {
    st->openmetrics_scrapes.fetch_add(1, std::memory_order_relaxed);
  }
  http_response r = http_response::text(200, std::move(body), metrics::content_type(format));
  no_store(r);
  co_return r;
}

boost::asio::awaitable<http_response> serve_health(std::shared_ptr<observability_state> st, server_request req) {
  if (!st->open_probes && !st->authorized(req)) co_return st->unauthorized_response();
  http_response r = http_response::json(200, "{\"status\":\"alive\"}");
  no_store(r);
  co_return r;
}

boost::asio::awaitable<http_response> serve_ready(std::shared_ptr<observability_state> st, server_request req) {
  if (!st->open_probes && !st->authorized(req)) co_return st->unauthorized_response();
  const metrics::health_snapshot snapshot = st->health->check();
  http_response r = http_response::json(snapshot.ready() ? 200 : 503, snapshot.to_json());
  no_store(r);
  co_return r;
}

}  // namespace
}  // namespace detail

server_options default_observability_server_options() {
  server_options o;
  o.address = "127.0.0.1";
  o.max_header_bytes = 8U * 1024U;
  o.max_body_bytes = 4U * 1024U;
  o.max_connections = 64;
  o.idle_timeout = std::chrono::seconds(30);
  o.request_timeout = std::chrono::seconds(10);
  o.server_name = "musicbot-observability";
  return o;
}

observability_server::observability_server(executor_type executor, const metrics::registry& metrics,
                                           const metrics::health_registry& health, observability_options options)
    : state_(std::make_shared<detail::observability_state>()), server_(std::move(executor), options.server) {
  state_->registry = &metrics;
  state_->health = &health;
  state_->token = std::move(options.bearer_token);
  state_->open_probes = options.open_probes;
  state_->step_series = options.render_step_series == 0 ? 1 : options.render_step_series;
  auto st = state_;
  server_.route("GET", "/metrics", [st](server_request req) { return detail::serve_metrics(st, std::move(req)); });
  server_.route("GET", "/health", [st](server_request req) { return detail::serve_health(st, std::move(req)); });
  server_.route("GET", "/ready", [st](server_request req) { return detail::serve_ready(st, std::move(req)); });
}

observability_server::~observability_server() { server_.stop(); }

boost::system::result<std::uint16_t> observability_server::start() { return server_.start(); }

void observability_server::stop() { server_.stop(); }

std::uint16_t observability_server::port() const noexcept { return server_.port(); }

std::uint64_t observability_server::scrapes() const noexcept {
  return state_->scrapes.load(std::memory_order_relaxed);
}

std::uint64_t observability_server::openmetrics_scrapes() const noexcept {
  return state_->openmetrics_scrapes.load(std::memory_order_relaxed);
}

std::uint64_t observability_server::unauthorized() const noexcept {
  return state_->unauthorized.load(std::memory_order_relaxed);
}

}  // namespace musicbot::net
