#include <musicbot/cache/layered_cache.hpp>
#include <musicbot/cache/metrics.hpp>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <string>

namespace {

TEST(CacheMetrics, EventsAreCountedByCacheLayerAndEvent) {
  musicbot::metrics::registry registry;
  auto on_event = musicbot::cache::make_metrics_observer(registry, "guild_settings");
  ASSERT_TRUE(on_event);
  boost::asio::io_context ioc;
  musicbot::cache::cache_options<int, std::string> o;
  o.name = "guild_settings";
  o.on_event = *on_event;
  musicbot::cache::layered_cache<int, std::string> cache(ioc.get_executor(), o);
  cache.put(1, "x");
  EXPECT_NE(cache.find(1), nullptr);
  EXPECT_NE(cache.find(1), nullptr);
  EXPECT_EQ(cache.find(2), nullptr);
  std::string text;
  registry.render_to(musicbot::metrics::exposition_format::prometheus_text, text);
  EXPECT_NE(text.find(R"(musicbot_cache_events_total{cache="guild_settings",layer="l1",event="hit"} 2)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(musicbot_cache_events_total{cache="guild_settings",layer="l1",event="miss"} 1)"),
            std::string::npos);
}

}  // namespace
