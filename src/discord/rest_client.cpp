#include "musicbot/discord/rest_client.hpp"

#include "detail_logger.hpp"
#include "json_fields.hpp"
#include "musicbot/net/backoff.hpp"
#include "musicbot/net/http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <simdjson.h>

#include <unordered_map>

namespace musicbot::discord {

namespace asio = boost::asio;
using boost::system::error_code;

boost::system::result<gateway_bot_info> parse_gateway_bot(std::string_view json) {
  namespace od = simdjson::ondemand;
  simdjson::padded_string padded(json);
  od::parser parser;
  od::document doc;
  if (parser.iterate(padded).get(doc)) return make_error_code(error::invalid_json);
  od::object obj;
  if (doc.get_object().get(obj)) return make_error_code(error::invalid_payload);
  gateway_bot_info info;
  bool has_url = false;
  auto limit_field = [&](od::raw_json_string key, od::value& v) -> error_code {
    std::uint64_t n = 0;
    if (v.get_uint64().get(n)) return make_error_code(error::invalid_payload);
    if (key == "total") info.limit.total = static_cast<std::uint32_t>(n);
    else if (key == "remaining") info.limit.remaining = static_cast<std::uint32_t>(n);
    else if (key == "reset_after") info.limit.reset_after = std::chrono::milliseconds(static_cast<std::int64_t>(n));
    else if (key == "max_concurrency") info.limit.max_concurrency = static_cast<std::uint32_t>(std::max<std::uint64_t>(1, n));
    return {};
  };
  auto field = [&](od::raw_json_string key, od::value& v) -> error_code {
    if (key == "url") {
      std::string_view url;
      if (v.get_string().get(url)) return make_error_code(error::invalid_payload);
      info.url.assign(url);
      has_url = true;
    } else if (key == "shards") {
      std::uint64_t n = 0;
      if (v.get_uint64().get(n) || n == 0 || n > 1'000'000) return make_error_code(error::invalid_payload);
      info.shards = static_cast<std::uint32_t>(n);
    } else if (key == "session_start_limit") {
      return detail::for_each_field_of(v, limit_field);
    }
    return {};
  };
  if (const error_code ec = detail::for_each_field(obj, field)) return ec;
  if (!has_url) return make_error_code(error::invalid_payload);
  return info;
}

namespace {

// One request at a time per route key, in arrival order.
struct lane {
  explicit lane(const asio::any_io_executor& ex) : signal(ex, asio::steady_timer::time_point::max()) {}
  bool busy = false;
  std::size_t waiters = 0;
  asio::steady_timer signal;
};

bool idempotent(std::string_view method) { return method == "GET" || method == "PUT" || method == "DELETE"; }

}  // namespace

struct rest_client::impl : std::enable_shared_from_this<impl> {
  impl(asio::any_io_executor ex, rest_options o)
      : executor(ex),
        options(std::move(o)),
        http(ex, make_http_options(options)),
        limiter(options.rate_limits),
        logger(options.logger ? options.logger : detail::default_logger()) {}

  static net::http_client_options make_http_options(const rest_options& o) {
    net::http_client_options h;
    h.base_url = o.base_url;
    h.max_connections = o.max_connections;
    h.default_timeout = o.timeout;
    h.max_response_body_bytes = o.max_response_bytes;
    h.user_agent = o.user_agent;
    h.tls = o.tls;
    return h;
  }

  asio::awaitable<void> acquire_lane(const std::string& key) {
    auto& slot = lanes[key];
    if (!slot) slot = std::make_shared<lane>(executor);
    auto l = slot;
    while (l->busy) {
      ++l->waiters;
      auto [ec] = co_await l->signal.async_wait(asio::as_tuple(asio::use_awaitable));
      --l->waiters;
      (void)ec;
    }
    l->busy = true;
  }

  void release_lane(const std::string& key) {
    auto it = lanes.find(key);
    if (it == lanes.end()) return;
    auto l = it->second;
    l->busy = false;
    if (l->waiters > 0) l->signal.cancel_one();
    else lanes.erase(it);
  }

  asio::awaitable<std::pair<error_code, rest_response>> run(std::string method, std::string path, std::string body) {
    const auto route = rest_route::make(method, path);
    co_await acquire_lane(route.key);
    struct release_guard {
      impl* self;
      const std::string& key;
      ~release_guard() { self->release_lane(key); }
    } guard{this, route.key};
    co_return co_await send_with_limits(route, std::move(body));
  }

  asio::awaitable<std::pair<error_code, rest_response>> send_with_limits(const rest_route& route, std::string body) {
    net::backoff retry_delay({std::chrono::milliseconds(250), std::chrono::milliseconds(4000), net::jitter::full, 0});
    asio::steady_timer timer(executor);
    unsigned attempt = 0;
    for (;;) {
      // Wait for the bucket and the global limit.
      for (int waits = 0;; ++waits) {
        const auto permit = limiter.acquire(route);
        if (permit.granted) break;
        if (permit.reason == error::invalid_request_guard) {
          logger->error("discord REST: holding {} back: too many invalid requests recently", route.display);
          co_return std::pair{permit.reason, rest_response{}};
        }
        const auto now = std::chrono::steady_clock::now();
        if (permit.retry_at - now > options.max_rate_limit_wait || waits > 1000) {
          co_return std::pair{make_error_code(error::rate_limited), rest_response{}};
        }
        ++stats.waits;
        timer.expires_at(permit.retry_at);
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return std::pair{ec, rest_response{}};
      }

      net::http_request req;
      req.method = route.method;
      req.target = route.path;
      req.headers.push_back({"Authorization", "Bot " + options.token.reveal()});
      if (!body.empty() || route.method == "POST" || route.method == "PUT" || route.method == "PATCH") {
        req.headers.push_back({"Content-Type", "application/json"});
        req.body = body;
      }
      ++stats.requests;
      auto [ec, resp] = co_await http.async_request(std::move(req), asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (ec == asio::error::operation_aborted || attempt >= options.max_retries || !idempotent(route.method)) {
          logger->warn("discord REST: {} failed: {}", route.display, ec.message());
          co_return std::pair{ec, rest_response{}};
        }
        ++attempt;
        ++stats.retries;
        timer.expires_after(retry_delay.next());
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      const auto headers = rate_limit_headers::parse(
          [&](std::string_view name) { return resp.header(name); }, resp.status == 429 ? std::string_view(resp.body) : std::string_view());
      const auto outcome = limiter.on_response(route, resp.status, headers);
      rest_response out{resp.status, std::move(resp.body), std::move(resp.headers)};
      if (outcome == rest_rate_limiter<core::steady_clock>::outcome::retry) {
        ++stats.rate_limited;
        logger->warn("discord REST: 429 on {} (scope {}, retry after {:.3f} s)", route.display,
                     headers.scope.value_or("?"), headers.retry_after.value_or(0.0));
        if (attempt >= options.max_retries) co_return std::pair{make_error_code(error::rate_limited), std::move(out)};
        ++attempt;
        ++stats.retries;
        continue;
      }
      if (out.status >= 500 && idempotent(route.method) && attempt < options.max_retries) {
        ++attempt;
        ++stats.retries;
        timer.expires_after(retry_delay.next());
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      if (out.status >= 300) {
        logger->warn("discord REST: {} -> HTTP {}", route.display, out.status);
        co_return std::pair{make_error_code(error::http_error), std::move(out)};
      }
      co_return std::pair{error_code{}, std::move(out)};
    }
  }

  asio::any_io_executor executor;
  rest_options options;
  net::http_client http;
  rest_rate_limiter<core::steady_clock> limiter;
  std::shared_ptr<spdlog::logger> logger;
  std::unordered_map<std::string, std::shared_ptr<lane>> lanes;
  rest_stats stats;
};

rest_client::rest_client(executor_type executor, rest_options options)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(options))) {}
rest_client::~rest_client() = default;

rest_stats rest_client::stats() const noexcept { return impl_->stats; }
rest_client::executor_type rest_client::get_executor() const noexcept { return impl_->executor; }

std::string rest_client::commands_body(const std::vector<application_command>& commands) {
  boost::json::array arr;
  for (const auto& c : commands) arr.push_back(to_json(c));
  return boost::json::serialize(arr);
}
std::string rest_client::body_of(const interaction_response& response) {
  return boost::json::serialize(to_json(response));
}
std::string rest_client::body_of(const message_content& message) { return boost::json::serialize(to_json(message)); }
std::string rest_client::webhook_path(snowflake application_id, const std::string& token) {
  return "/webhooks/" + std::to_string(application_id) + "/" + token;
}

void rest_client::initiate(std::string method, std::string path, std::string body,
                           asio::any_completion_handler<request_signature> handler) {
  auto slot = asio::get_associated_cancellation_slot(handler);
  auto self = impl_;
  auto op = [self, m = std::move(method), p = std::move(path), b = std::move(body)]() mutable {
    return self->run(std::move(m), std::move(p), std::move(b));
  };
  auto done = [h = std::move(handler)](std::exception_ptr e, std::pair<error_code, rest_response> r) mutable {
    if (e) r.first = make_error_code(error::http_error);
    std::move(h)(r.first, std::move(r.second));
  };
  if (slot.is_connected()) {
    asio::co_spawn(impl_->executor, op(), asio::bind_cancellation_slot(slot, std::move(done)));
  } else {
    asio::co_spawn(impl_->executor, op(), std::move(done));
  }
}

void rest_client::initiate_gateway_bot(
    asio::any_completion_handler<void(error_code, gateway_bot_info)> handler) {
  initiate("GET", "/gateway/bot", {},
           [h = std::move(handler)](error_code ec, rest_response r) mutable {
             if (ec) return std::move(h)(ec, gateway_bot_info{});
             auto info = parse_gateway_bot(r.body);
             if (!info) return std::move(h)(info.error(), gateway_bot_info{});
             std::move(h)(error_code{}, std::move(*info));
           });
}

}  // namespace musicbot::discord
