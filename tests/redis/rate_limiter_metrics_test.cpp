#include <musicbot/metrics/exposition.hpp>
#include <musicbot/redis/rate_limiter_metrics.hpp>

#include <gtest/gtest.h>

namespace redis = musicbot::redis;
namespace metrics = musicbot::metrics;

TEST(RedisLimiterMetrics, ExportsFallbackGaugeAndDecisionsBySource) {
  metrics::registry registry;
  auto observer = redis::rate_limiter_metrics::create(registry, "commands");
  ASSERT_TRUE(observer.has_value());
  auto& o = **observer;
  o.on_decision(redis::decision_source::redis, true);
  o.on_decision(redis::decision_source::redis, true);
  o.on_decision(redis::decision_source::fallback, false);
  o.on_fallback_changed(true);
  const auto text = registry.render(metrics::exposition_format::prometheus_text);
  EXPECT_NE(text.find("musicbot_rate_limit_fallback_active{limiter=\"commands\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("musicbot_rate_limit_decisions_total{limiter=\"commands\",source=\"redis\",outcome=\"allowed\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("musicbot_rate_limit_decisions_total{limiter=\"commands\",source=\"fallback\",outcome=\"denied\"} 1"),
      std::string::npos)
      << text;
  o.on_fallback_changed(false);
  EXPECT_NE(registry.render(metrics::exposition_format::prometheus_text)
                .find("musicbot_rate_limit_fallback_active{limiter=\"commands\"} 0"),
            std::string::npos);
}
