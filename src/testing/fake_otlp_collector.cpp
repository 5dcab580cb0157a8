#include <musicbot/testing/fake_otlp_collector.hpp>

#include <musicbot/net/http_server.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

namespace musicbot::testing {

namespace detail {

struct fake_otlp_state {
  fake_otlp_state(boost::asio::any_io_executor ex, std::size_t max)
      : executor(ex), server(ex, options()), max_recorded(max) {}

  static net::server_options options() {
    net::server_options o;
    o.address = "127.0.0.1";
    o.port = 0;
    o.max_body_bytes = 16u * 1024u * 1024u;
    return o;
  }

  static std::size_t count_spans(const std::string& body) {
    boost::system::error_code ec;
    const auto doc = boost::json::parse(body, ec);
    if (ec || !doc.is_object()) return 0;
    std::size_t n = 0;
    const auto* rs = doc.as_object().if_contains("resourceSpans");
    if (rs == nullptr || !rs->is_array()) return 0;
    for (const auto& r : rs->as_array()) {
      const auto* ss = r.is_object() ? r.as_object().if_contains("scopeSpans") : nullptr;
      if (ss == nullptr || !ss->is_array()) continue;
      for (const auto& s : ss->as_array()) {
        const auto* spans = s.is_object() ? s.as_object().if_contains("spans") : nullptr;
        if (spans != nullptr && spans->is_array()) n += spans->as_array().size();
      }
    }
    return n;
  }

  boost::asio::any_io_executor executor;
  net::http_server server;
  std::size_t max_recorded;
  std::vector<otlp_export> exports;
  std::size_t spans = 0;
  unsigned status = 200;
  std::chrono::milliseconds delay{0};
};

}  // namespace detail

fake_otlp_collector::fake_otlp_collector(boost::asio::any_io_executor executor, std::size_t max_recorded)
    : state_(std::make_shared<detail::fake_otlp_state>(executor, max_recorded)) {
  std::weak_ptr<detail::fake_otlp_state> weak = state_;
  state_->server.route("POST", "/v1/traces", [weak](net::server_request req) -> boost::asio::awaitable<net::http_response> {
    auto s = weak.lock();
    if (!s) co_return net::http_response::text(503, "gone");
    if (s->delay.count() > 0) {
      boost::asio::steady_timer t(s->executor, s->delay);
      co_await t.async_wait(boost::asio::use_awaitable);
    }
    if (s->status < 200 || s->status >= 300) co_return net::http_response::text(s->status, "refused");
    if (s->exports.size() < s->max_recorded) {
      s->exports.push_back({req.body, std::string(req.header("Authorization").value_or("")), std::chrono::steady_clock::now()});
    }
    s->spans += detail::fake_otlp_state::count_spans(req.body);
    co_return net::http_response::json(200, "{}");
  });
}

fake_otlp_collector::~fake_otlp_collector() { stop(); }

boost::system::result<std::uint16_t> fake_otlp_collector::start() { return state_->server.start(); }
void fake_otlp_collector::stop() { state_->server.stop(); }
std::string fake_otlp_collector::endpoint() const { return "http://127.0.0.1:" + std::to_string(state_->server.port()); }
void fake_otlp_collector::set_status(unsigned status) { state_->status = status; }
void fake_otlp_collector::set_delay(std::chrono::milliseconds delay) { state_->delay = delay; }
const std::vector<otlp_export>& fake_otlp_collector::exports() const noexcept { return state_->exports; }
std::size_t fake_otlp_collector::span_count() const noexcept { return state_->spans; }

}  // namespace musicbot::testing
