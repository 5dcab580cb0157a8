#include <musicbot/metrics/exposition.hpp>
#include <musicbot/metrics/registry.hpp>

#include <gtest/gtest.h>

#include "sample_registries.hpp"

#include <limits>
#include <string>

namespace m = musicbot::metrics;

using musicbot_metrics_test::fill_demo;
using musicbot_metrics_test::fill_steps;

TEST(MetricsExposition, PrometheusTextGolden) {
  m::registry reg;
  fill_demo(reg);
  const std::string expected =
      "# HELP demo_events_total Events seen.\\nSecond \"line\" with \\\\ backslash.\n"
      "# TYPE demo_events_total counter\n"
      "demo_events_total{kind=\"a\\\"b\\\\c\\nd\"} 3\n"
      "demo_events_total{kind=\"plain\"} 1\n"
      "# HELP demo_latency_seconds Latency.\n"
      "# TYPE demo_latency_seconds histogram\n"
      "demo_latency_seconds_bucket{le=\"0.5\"} 1\n"
      "demo_latency_seconds_bucket{le=\"1.0\"} 2\n"
      "demo_latency_seconds_bucket{le=\"2.5\"} 2\n"
      "demo_latency_seconds_bucket{le=\"+Inf\"} 3\n"
      "demo_latency_seconds_count 3\n"
      "demo_latency_seconds_sum 4.25\n"
      "# HELP demo_temperature Temperature.\n"
      "# TYPE demo_temperature gauge\n"
      "demo_temperature{room=\"minf\"} -Inf\n"
      "demo_temperature{room=\"nan\"} NaN\n"
      "demo_temperature{room=\"pinf\"} +Inf\n"
      "demo_temperature{room=\"small\"} 1.5e-07\n";
  const std::string text = reg.render(m::exposition_format::prometheus_text);
  // The registry's own family comes last alphabetically ("musicbot_...").
  EXPECT_EQ(text.substr(0, expected.size()), expected);
  EXPECT_NE(text.find("# TYPE musicbot_metrics_series_rejected_total counter\n"), std::string::npos);
  EXPECT_EQ(text.find("# EOF"), std::string::npos);
}

TEST(MetricsExposition, OpenMetricsGolden) {
  m::registry reg;
  fill_demo(reg);
  const std::string expected =
      "# TYPE demo_events counter\n"
      "# HELP demo_events Events seen.\\nSecond \\\"line\\\" with \\\\ backslash.\n"
      "demo_events_total{kind=\"a\\\"b\\\\c\\nd\"} 3\n"
      "demo_events_total{kind=\"plain\"} 1\n"
      "# TYPE demo_latency_seconds histogram\n"
      "# HELP demo_latency_seconds Latency.\n"
      "demo_latency_seconds_bucket{le=\"0.5\"} 1\n"
      "demo_latency_seconds_bucket{le=\"1.0\"} 2\n"
      "demo_latency_seconds_bucket{le=\"2.5\"} 2\n"
      "demo_latency_seconds_bucket{le=\"+Inf\"} 3\n"
      "demo_latency_seconds_count 3\n"
      "demo_latency_seconds_sum 4.25\n";
  const std::string text = reg.render(m::exposition_format::openmetrics);
  EXPECT_EQ(text.substr(0, expected.size()), expected);
  EXPECT_NE(text.find("# TYPE musicbot_metrics_series_rejected counter\n"), std::string::npos);
  ASSERT_GE(text.size(), 6U);
  EXPECT_EQ(text.substr(text.size() - 6), "# EOF\n");
  EXPECT_EQ(text.find("# EOF"), text.size() - 6);  // exactly once, at the end
}

TEST(MetricsExposition, RenderToAppends) {
  m::registry reg;
  reg.add_gauge("x", "X.")->with({})->set(1);
  std::string out = "prefix\n";
  reg.render_to(m::exposition_format::prometheus_text, out);
  EXPECT_EQ(out.rfind("prefix\n", 0), 0U);
  EXPECT_NE(out.find("\n# HELP x X.\n# TYPE x gauge\nx 1\n"), std::string::npos);
}

TEST(MetricsExposition, ContentTypes) {
  EXPECT_EQ(m::content_type(m::exposition_format::prometheus_text), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(m::content_type(m::exposition_format::openmetrics),
            "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

TEST(MetricsExposition, NegotiatesPrometheusScrapeHeader) {
  // The header Prometheus 2.x sends.
  EXPECT_EQ(m::negotiate_format("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                                "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
            m::exposition_format::openmetrics);
}

TEST(MetricsExposition, NegotiationCases) {
  using f = m::exposition_format;
  EXPECT_EQ(m::negotiate_format(""), f::prometheus_text);
  EXPECT_EQ(m::negotiate_format("*/*"), f::prometheus_text);
  EXPECT_EQ(m::negotiate_format("text/plain"), f::prometheus_text);
  EXPECT_EQ(m::negotiate_format("application/json"), f::prometheus_text);
  EXPECT_EQ(m::negotiate_format("application/openmetrics-text"), f::openmetrics);
  EXPECT_EQ(m::negotiate_format("APPLICATION/OpenMetrics-Text; Version=\"1.0.0\""), f::openmetrics);
  EXPECT_EQ(m::negotiate_format("application/openmetrics-text; version=0.0.1"), f::prometheus_text);
  EXPECT_EQ(m::negotiate_format("application/openmetrics-text;q=0.4, text/plain;q=0.5"), f::prometheus_text);
  EXPECT_EQ(m::negotiate_format("text/plain;q=0.5, application/openmetrics-text;q=0.5"), f::openmetrics);
  EXPECT_EQ(m::negotiate_format("application/openmetrics-text;q=0"), f::prometheus_text);
  EXPECT_EQ(m::negotiate_format("application/openmetrics-text;q=2"), f::prometheus_text);   // invalid q
  EXPECT_EQ(m::negotiate_format("application/openmetrics-text;q=0.1234"), f::prometheus_text);
  EXPECT_EQ(m::negotiate_format("text/plain;version=9.9, application/openmetrics-text;q=0.1"), f::openmetrics);
  EXPECT_EQ(m::negotiate_format("application/openmetrics-text; foo=\"a,b;c\"; q=0.9, text/plain;q=0.8"),
            f::openmetrics);
  EXPECT_EQ(m::negotiate_format(",,,;;;===\"\"\"\\"), f::prometheus_text);
}

TEST(MetricsExposition, StepwiseRenderEqualsWholeRender) {
  m::registry reg;
  fill_steps(reg);
  for (const auto format : {m::exposition_format::prometheus_text, m::exposition_format::openmetrics}) {
    const std::string whole = reg.render(format);
    std::string stepped;
    m::render_progress progress;
    int steps = 0;
    while (!reg.render_step(format, stepped, progress, 50) && steps < 1000) ++steps;
    EXPECT_TRUE(progress.done);
    EXPECT_GT(steps, 5);
    EXPECT_EQ(stepped, whole);
    EXPECT_TRUE(reg.render_step(format, stepped, progress, 50));  // a finished progress adds nothing
    EXPECT_EQ(stepped, whole);
  }
}

TEST(MetricsExposition, StepwiseRenderIncludesFamiliesAddedMeanwhile) {
  m::registry reg;
  reg.add_gauge("a_first", "A.")->with({})->set(1);
  reg.add_gauge("c_third", "C.")->with({})->set(3);
  std::string out;
  m::render_progress progress;
  EXPECT_FALSE(reg.render_step(m::exposition_format::prometheus_text, out, progress, 1));
  reg.add_gauge("b_second", "B.")->with({})->set(2);
  while (!reg.render_step(m::exposition_format::prometheus_text, out, progress, 1)) {
  }
  EXPECT_NE(out.find("b_second 2\n"), std::string::npos);
  EXPECT_NE(out.find("c_third 3\n"), std::string::npos);
}
