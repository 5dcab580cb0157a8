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

#include "sample_registries.hpp"

#include <atomic>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace m = musicbot::metrics;
using musicbot_metrics_test::fill_demo;
using musicbot_metrics_test::fill_everything;
using musicbot_metrics_test::fill_steps;

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

}  // namespace

TEST(MetricsPromtool, PromtoolIsInstalled) { ASSERT_FALSE(promtool().empty()) << "install the 'prometheus' package"; }

TEST(MetricsPromtool, PrometheusTextPassesCheckMetrics) {
  m::registry reg;
  fill_everything(reg);
  EXPECT_TRUE(text_accepted(reg.render(m::exposition_format::prometheus_text)));
}

TEST(MetricsPromtool, OpenMetricsParsesWithPromtool) {
  m::registry reg;
  fill_everything(reg);
  EXPECT_TRUE(openmetrics_accepted(reg.render(m::exposition_format::openmetrics)));
}

TEST(MetricsPromtool, UnitTestExpositionsPass) {
  // The registries whose renders exposition_test.cpp inspects.
  for (const auto fill : {&fill_demo, &fill_steps}) {
    m::registry reg;
    fill(reg);
    EXPECT_TRUE(text_accepted(reg.render(m::exposition_format::prometheus_text)));
    EXPECT_TRUE(openmetrics_accepted(reg.render(m::exposition_format::openmetrics)));
    std::string stepped;
    m::render_progress progress;
    for (int i = 0; i < 1000 && !reg.render_step(m::exposition_format::openmetrics, stepped, progress, 7); ++i) {
    }
    EXPECT_TRUE(openmetrics_accepted(stepped));
  }
}

TEST(MetricsPromtool, EmptyRegistryPasses) {
  m::registry reg;
  EXPECT_TRUE(text_accepted(reg.render(m::exposition_format::prometheus_text)));
  EXPECT_TRUE(openmetrics_accepted(reg.render(m::exposition_format::openmetrics)));
}

TEST(MetricsPromtool, CorruptOutputIsRejected) {
  // The checks above can fail: broken escaping and a missing # EOF are caught.
  m::registry reg;
  fill_everything(reg);
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
  fill_everything(reg);
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
