// Integration test: every exposition this library produces is accepted by
// Prometheus' own tooling. Text 0.0.4 goes through `promtool check metrics`
// (parser + lint); OpenMetrics goes through promtool's OpenMetrics parser
// (`promtool tsdb create-blocks-from openmetrics`, which needs a timestamp on
// every sample, so the test appends one).

#include <musicbot/metrics/business.hpp>
#include <musicbot/metrics/process_collector.hpp>
#include <musicbot/metrics/registry.hpp>

#include <musicbot_test/process.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace m = musicbot::metrics;

namespace {

std::string promtool() {
  static const std::string path = musicbot_test::find_executable("promtool", {"/usr/bin"});
  return path;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// Runs promtool; on failure runs it again with output to stderr so the
// reason is in the test log.
bool run_promtool(const std::string& shell_command) {
  if (musicbot_test::run_command({"/bin/sh", "-c", shell_command}, true) == 0) return true;
  (void)musicbot_test::run_command({"/bin/sh", "-c", shell_command}, false);
  return false;
}

bool text_accepted(const std::string& exposition) {
  const musicbot_test::temp_dir dir("musicbot-promtool");
  const std::string file = dir.path() + "/metrics.prom";
  write_file(file, exposition);
  return run_promtool(promtool() + " check metrics < " + file);
}

bool openmetrics_accepted(const std::string& exposition) {
  const musicbot_test::temp_dir dir("musicbot-promtool");
  std::istringstream in(exposition);
  std::string line;
  std::string stamped;
  while (std::getline(in, line)) {
    stamped += line;
    if (!line.starts_with("#")) stamped += " 1700000000";
    stamped += '\n';
  }
  const std::string file = dir.path() + "/metrics.om";
  write_file(file, stamped);
  return run_promtool(promtool() + " tsdb create-blocks-from openmetrics " + file + " " + dir.path() + "/blocks");
}

// A registry exercising everything: the business set, the process
// collector, escaping, special values, rejected series, callbacks.
void fill(m::registry& reg) {
  auto b = m::register_business_metrics(reg);
  ASSERT_TRUE(b);
  ASSERT_TRUE(m::register_process_collector(reg));
  for (const char* source : {"youtube", "soundcloud", "http"}) b->songs_played.with({source})->inc(7);
  for (const double v : {0.0, 1.0, 3.0, 250.0}) b->queue_length.observe(v);
  for (const char* cmd : {"play", "skip", "queue", "na\"me\\with\nescapes"}) {
    b->command_latency.with({cmd})->observe(0.12);
    b->commands.with({cmd, "ok"})->inc();
    b->commands.with({cmd, "error"})->inc();
  }
  b->active_guilds.set(12);
  b->music_sessions.set(4);
  b->session_duration.observe(1800);
  b->rate_limit_hits.with({"play", "user"})->inc();
  b->rate_limit_fallback.with({"commands"})->set(0);
  b->errors.with({"lavalink", "timeout"})->inc();
  b->autoplay_tracks.with({"added"})->inc();
  b->breaker_state.with({"lavalink-rest"})->set(2);
  b->breaker_transitions.with({"lavalink-rest", "open"})->inc();
  b->cache_hits.with({"tracks", "l1"})->inc(10);
  b->cache_misses.with({"tracks", "l2"})->inc(2);
  b->lavalink_nodes_connected.set(1);
  b->lavalink_node_up.with({"main"})->set(1);
  b->redis_connection_failures.inc();
  b->queue_processing.observe(0.4);
  b->memory_limit.set(1 << 30);

  auto special = reg.add_gauge("test_special_values", "NaN, infinities, tiny and huge values.", {"kind"});
  special->with({"nan"})->set(std::numeric_limits<double>::quiet_NaN());
  special->with({"pinf"})->set(std::numeric_limits<double>::infinity());
  special->with({"minf"})->set(-std::numeric_limits<double>::infinity());
  special->with({"tiny"})->set(5e-324);
  special->with({"huge"})->set(1.7976931348623157e308);
  special->with({"negative"})->set(-42.5);
  special->with({"unicode \xC3\xA9\xE2\x82\xAC"})->set(1);
  auto help = reg.add_counter("test_help_escapes_total", "Help with \\ backslash, \"quotes\" and\nnewline.");
  help->with({})->add(0.25);
  auto limited = reg.add_counter("test_limited_total", "A family at its limit.", {"k"}, m::family_options{.max_series = 2});
  for (int i = 0; i < 5; ++i) (void)limited->with({std::to_string(i)});
  auto nan_hist = reg.add_histogram("test_nan_observed", "A histogram that saw NaN.", {"x"}, {0.1, 1});
  nan_hist->with({"y"})->observe(std::numeric_limits<double>::quiet_NaN());
  ASSERT_TRUE(reg.add_callback_gauge("test_callback", "A callback gauge.", [] { return 3.5; }));
}

}  // namespace

TEST(MetricsPromtool, PromtoolIsInstalled) { ASSERT_FALSE(promtool().empty()) << "install the 'prometheus' package"; }

TEST(MetricsPromtool, PrometheusTextPassesCheckMetrics) {
  m::registry reg;
  fill(reg);
  EXPECT_TRUE(text_accepted(reg.render(m::exposition_format::prometheus_text)));
}

TEST(MetricsPromtool, OpenMetricsParsesWithPromtool) {
  m::registry reg;
  fill(reg);
  EXPECT_TRUE(openmetrics_accepted(reg.render(m::exposition_format::openmetrics)));
}

TEST(MetricsPromtool, EmptyRegistryPasses) {
  m::registry reg;
  EXPECT_TRUE(text_accepted(reg.render(m::exposition_format::prometheus_text)));
  EXPECT_TRUE(openmetrics_accepted(reg.render(m::exposition_format::openmetrics)));
}

TEST(MetricsPromtool, CorruptOutputIsRejected) {
  // The checks above can fail: broken escaping and a missing # EOF are caught.
  m::registry reg;
  fill(reg);
  std::string text = reg.render(m::exposition_format::prometheus_text);
  const auto pos = text.find("\\\"");
  ASSERT_NE(pos, std::string::npos);
  text.erase(pos, 1);  // an unescaped quote inside a label value
  EXPECT_FALSE(text_accepted(text));
  std::string om = reg.render(m::exposition_format::openmetrics);
  om.resize(om.size() - 6);  // drop "# EOF\n"
  EXPECT_FALSE(openmetrics_accepted(om));
}

TEST(MetricsPromtool, RendersUnderConcurrentUpdatesPass) {
  m::registry reg;
  fill(reg);
  auto b = m::register_business_metrics(reg);
  ASSERT_TRUE(b);
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 2; ++t) {
    writers.emplace_back([&, t] {
      auto h = b->command_latency.with({"play"});
      auto c = b->commands.with({"play", "ok"});
      for (int i = 0; i < 2'000'000 && !stop.load(std::memory_order_relaxed); ++i) {
        h->observe(static_cast<double>((i + t) % 50) * 0.2);
        c->inc();
      }
    });
  }
  std::vector<std::string> renders;
  for (int i = 0; i < 3; ++i) {
    renders.push_back(reg.render(i % 2 == 0 ? m::exposition_format::prometheus_text : m::exposition_format::openmetrics));
  }
  stop = true;
  for (auto& w : writers) w.join();
  EXPECT_TRUE(text_accepted(renders[0]));
  EXPECT_TRUE(openmetrics_accepted(renders[1]));
  EXPECT_TRUE(text_accepted(renders[2]));
}
