// Integration test with a real Prometheus server: it scrapes our
// observability server every second (with a bearer token), reports the
// target up, and returns one of our business metrics through its query API.

#include <musicbot/metrics/business.hpp>
#include <musicbot/metrics/health.hpp>
#include <musicbot/metrics/process_collector.hpp>
#include <musicbot/metrics/registry.hpp>
#include <musicbot/net/observability_server.hpp>

#include <musicbot_test/process.hpp>

#include "loopback_http.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <future>
#include <optional>
#include <string>
#include <thread>

namespace m = musicbot::metrics;
namespace n = musicbot::net;

namespace {

// The first sample value of an instant-vector query result:
// ..."value":[1700000000.123,"7"]...
std::optional<std::string> first_value(const std::string& json) {
  const auto v = json.find("\"value\":[");
  if (v == std::string::npos) return std::nullopt;
  const auto comma = json.find(",\"", v);
  if (comma == std::string::npos) return std::nullopt;
  const auto end = json.find('"', comma + 2);
  if (end == std::string::npos) return std::nullopt;
  return json.substr(comma + 2, end - comma - 2);
}

// Polls a PromQL query (URL-encoded) until it returns `expected`, or the deadline.
bool wait_for_value(std::uint16_t prometheus_port, const std::string& encoded_query, const std::string& expected,
                    std::chrono::seconds deadline, std::string& last_body) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  for (int attempt = 0; attempt < 400 && std::chrono::steady_clock::now() < until; ++attempt) {
    const auto r = musicbot_metrics_test::http_get(prometheus_port, "/api/v1/query?query=" + encoded_query);
    if (r && r->status == 200) {
      last_body = r->body;
      if (first_value(r->body) == expected) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return false;
}

}  // namespace

TEST(MetricsPrometheus, RealPrometheusScrapesAndQueriesBusinessMetric) {
  const std::string prometheus = musicbot_test::find_executable("prometheus", {"/usr/bin"});
  ASSERT_FALSE(prometheus.empty()) << "install the 'prometheus' package";

  m::registry registry;
  m::health_registry health;
  auto business = m::register_business_metrics(registry);
  ASSERT_TRUE(business);
  ASSERT_TRUE(m::register_process_collector(registry));
  business->songs_played.with({"youtube"})->inc(7);
  business->command_latency.with({"play"})->observe(0.3);
  business->commands.with({"play", "ok"})->inc();

  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  n::observability_options options;
  options.bearer_token = musicbot::core::secret("scrape-token-for-test");
  n::observability_server server(io.get_executor(), registry, health, options);
  const auto port = server.start();
  ASSERT_TRUE(port) << port.error().message();
  std::thread loop([&] { io.run(); });

  const musicbot_test::temp_dir dir("musicbot-prometheus");
  const std::uint16_t prometheus_port = musicbot_test::free_port();
  {
    std::ofstream config(dir.path() + "/prometheus.yml");
    config << "global:\n"
              "  scrape_interval: 1s\n"
              "  scrape_timeout: 1s\n"
              "  evaluation_interval: 1s\n"
              "scrape_configs:\n"
              "  - job_name: musicbot\n"
              "    authorization:\n"
              "      type: Bearer\n"
              "      credentials: scrape-token-for-test\n"
              "    static_configs:\n"
              "      - targets: ['127.0.0.1:"
           << *port << "']\n";
  }
  musicbot_test::child_process prom({prometheus, "--config.file=" + dir.path() + "/prometheus.yml",
                                     "--storage.tsdb.path=" + dir.path() + "/data",
                                     "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port),
                                     "--log.level=warn"},
                                    dir.path() + "/prometheus.log");
  ASSERT_TRUE(musicbot_test::wait_for_port(prometheus_port, std::chrono::seconds(30)));

  std::string body;
  EXPECT_TRUE(wait_for_value(prometheus_port, "up%7Bjob%3D%22musicbot%22%7D", "1", std::chrono::seconds(40), body))
      << "last answer: " << body;
  EXPECT_TRUE(wait_for_value(prometheus_port, "musicbot_songs_played_total%7Bsource%3D%22youtube%22%7D", "7",
                             std::chrono::seconds(20), body))
      << "last answer: " << body;
  // A histogram made it through too (OpenMetrics _bucket/_count parsing).
  EXPECT_TRUE(wait_for_value(prometheus_port, "musicbot_command_latency_seconds_count%7Bcommand%3D%22play%22%7D",
                             "1", std::chrono::seconds(20), body))
      << "last answer: " << body;
  // Prometheus asks for OpenMetrics first: the real parser accepted it.
  EXPECT_GT(server.openmetrics_scrapes(), 0U);
  EXPECT_EQ(server.unauthorized(), 0U);

  EXPECT_NE(prom.stop(SIGTERM, std::chrono::seconds(10)), -1);
  std::promise<void> stopped;
  boost::asio::post(io, [&] {
    server.stop();
    stopped.set_value();
  });
  stopped.get_future().wait();
  guard.reset();
  loop.join();
}
