// musicbot::net::observability_server over loopback: routes, formats,
// readiness codes, bearer token, keep-alive, limits.

#include <musicbot/metrics/business.hpp>
#include <musicbot/metrics/health.hpp>
#include <musicbot/metrics/registry.hpp>
#include <musicbot/net/observability_server.hpp>

#include "loopback_http.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include <future>
#include <optional>
#include <string>
#include <thread>

namespace m = musicbot::metrics;
namespace n = musicbot::net;
using musicbot_metrics_test::http_get;
using musicbot_metrics_test::loopback_connection;

namespace {

// The server on an io_context run by one background thread.
class running_server {
 public:
  explicit running_server(n::observability_options options = {}) {
    business_ = *m::register_business_metrics(registry_);
    server_.emplace(io_.get_executor(), registry_, health_, std::move(options));
    auto port = server_->start();
    if (port) port_ = *port;
    thread_ = std::thread([this] { io_.run(); });
  }
  running_server(const running_server&) = delete;
  running_server& operator=(const running_server&) = delete;
  ~running_server() {
    std::promise<void> stopped;
    boost::asio::post(io_, [&] {
      server_->stop();
      stopped.set_value();
    });
    stopped.get_future().wait();
    guard_.reset();
    thread_.join();
  }

  std::uint16_t port() const { return port_; }
  m::registry& registry() { return registry_; }
  m::health_registry& health() { return health_; }
  m::business_metrics& business() { return business_; }
  n::observability_server& server() { return *server_; }

 private:
  m::registry registry_;
  m::health_registry health_;
  m::business_metrics business_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{io_.get_executor()};
  std::optional<n::observability_server> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace

TEST(ObservabilityServer, BindsLoopbackByDefault) {
  const auto options = n::default_observability_server_options();
  EXPECT_EQ(options.address, "127.0.0.1");
  EXPECT_LE(options.max_body_bytes, 4096U);
  running_server s;
  ASSERT_NE(s.port(), 0);
}

TEST(ObservabilityServer, MetricsDefaultsToPrometheusText) {
  running_server s;
  s.business().songs_played.with({"youtube"})->inc(3);
  const auto r = http_get(s.port(), "/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r->body.find("musicbot_songs_played_total{source=\"youtube\"} 3\n"), std::string::npos);
  EXPECT_EQ(r->body.find("# EOF"), std::string::npos);
  EXPECT_EQ(s.server().scrapes(), 1U);
}

TEST(ObservabilityServer, MetricsInOpenMetricsWhenAsked) {
  running_server s;
  const auto r = http_get(s.port(), "/metrics",
                          "Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Content-Type"), "application/openmetrics-text; version=1.0.0; charset=utf-8");
  ASSERT_GE(r->body.size(), 6U);
  EXPECT_EQ(r->body.substr(r->body.size() - 6), "# EOF\n");
  EXPECT_EQ(s.server().openmetrics_scrapes(), 1U);
}

TEST(ObservabilityServer, LargeExpositionIsRenderedInStepsAndComplete) {
  n::observability_options options;
  options.render_step_series = 100;
  running_server s(options);
  for (int f = 0; f < 10; ++f) {
    auto fam = s.registry().add_gauge("big_" + std::to_string(f), "Big.", {"i"});
    for (int i = 0; i < 500; ++i) fam->with({std::to_string(i)})->set(i);
  }
  const auto r = http_get(s.port(), "/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, s.registry().render(m::exposition_format::prometheus_text));
}

TEST(ObservabilityServer, HealthIsLiveness) {
  running_server s;
  ASSERT_TRUE(s.health().set("lavalink", m::health_status::unhealthy, "no node"));
  const auto r = http_get(s.port(), "/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);  // liveness does not depend on readiness
  EXPECT_EQ(r->body, "{\"status\":\"alive\"}");
  EXPECT_EQ(r->header("Content-Type"), "application/json");
}

TEST(ObservabilityServer, ReadyReflectsAggregatedHealth) {
  running_server s;
  auto r = http_get(s.port(), "/ready");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "{\"status\":\"healthy\",\"components\":{}}");

  ASSERT_TRUE(s.health().set("redis", m::health_status::degraded, "down; local limits"));
  r = http_get(s.port(), "/ready");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("\"status\":\"degraded\""), std::string::npos);
  EXPECT_NE(r->body.find("\"reason\":\"down; local limits\""), std::string::npos);

  ASSERT_TRUE(s.health().add_check("lavalink", [] {
    return m::health_report{m::health_status::unhealthy, "no node connected"};
  }));
  r = http_get(s.port(), "/ready");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body,
            "{\"status\":\"unhealthy\",\"components\":{\"lavalink\":{\"status\":\"unhealthy\",\"reason\":\"no node "
            "connected\"},\"redis\":{\"status\":\"degraded\",\"reason\":\"down; local limits\"}}}");
}

TEST(ObservabilityServer, UnknownPathsAndMethods) {
  running_server s;
  auto r = http_get(s.port(), "/nope");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  r = http_get(s.port(), "/metrics", "Content-Length: 0\r\n", "POST");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  r = http_get(s.port(), "/ready", "Content-Length: 0\r\n", "DELETE");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
}

TEST(ObservabilityServer, BearerTokenIsRequiredWhenConfigured) {
  n::observability_options options;
  options.bearer_token = musicbot::core::secret("s3cr3t-token");
  running_server s(options);
  auto r = http_get(s.port(), "/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->header("WWW-Authenticate"), "Bearer realm=\"musicbot\"");
  EXPECT_EQ(r->body.find("s3cr3t"), std::string::npos);
  r = http_get(s.port(), "/metrics", "Authorization: Bearer wrong\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = http_get(s.port(), "/metrics", "Authorization: Basic s3cr3t-token\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = http_get(s.port(), "/metrics", "Authorization: Bearer s3cr3t-token-and-more\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = http_get(s.port(), "/ready");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = http_get(s.port(), "/metrics", "Authorization: bearer s3cr3t-token\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = http_get(s.port(), "/health", "Authorization: Bearer s3cr3t-token\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(s.server().unauthorized(), 5U);
}

TEST(ObservabilityServer, OpenProbesSkipTheTokenButMetricsDoNot) {
  n::observability_options options;
  options.bearer_token = musicbot::core::secret("tok");
  options.open_probes = true;
  running_server s(options);
  EXPECT_EQ(http_get(s.port(), "/health")->status, 200);
  EXPECT_EQ(http_get(s.port(), "/ready")->status, 200);
  EXPECT_EQ(http_get(s.port(), "/metrics")->status, 401);
}

TEST(ObservabilityServer, KeepAliveServesSeveralRequestsOnOneConnection) {
  running_server s;
  loopback_connection c(s.port());
  ASSERT_TRUE(c.connected());
  for (const char* target : {"/health", "/metrics", "/ready"}) {
    ASSERT_TRUE(c.send(std::string("GET ") + target + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    const auto r = c.read_reply();
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, 200) << target;
  }
}

TEST(ObservabilityServer, OversizedHeadersAreRefused) {
  running_server s;
  const auto r = http_get(s.port(), "/metrics", "X-Big: " + std::string(16 * 1024, 'a') + "\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(s.server().scrapes(), 0U);
  EXPECT_EQ(http_get(s.port(), "/health")->status, 200);  // still serving
}
