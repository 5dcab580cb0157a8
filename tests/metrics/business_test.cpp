#include <musicbot/metrics/business.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace m = musicbot::metrics;

TEST(MetricsBusiness, RegistersTheWholeSetWithOneCall) {
  m::registry reg;
  auto b = m::register_business_metrics(reg);
  ASSERT_TRUE(b);
  ASSERT_TRUE(b->songs_played.with({"youtube"}));
  b->songs_played.with({"youtube"})->inc();
  b->queue_length.observe(7);
  b->command_latency.with({"play"})->observe(0.2);
  b->commands.with({"play", "ok"})->inc();
  b->active_guilds.set(3);
  b->music_sessions.set(2);
  b->session_duration.observe(120);
  b->rate_limit_hits.with({"play", "user"})->inc();
  b->rate_limit_fallback.with({"commands"})->set(1);
  b->errors.with({"lavalink", "timeout"})->inc();
  b->autoplay_tracks.with({"added"})->inc();
  b->breaker_state.with({"lavalink-rest"})->set(static_cast<double>(m::breaker_state_value::open));
  b->breaker_transitions.with({"lavalink-rest", "open"})->inc();
  b->cache_events.with({"tracks", "l1", "hit"})->inc();
  b->cache_events.with({"tracks", "l2", "miss"})->inc();
  b->rate_limit_decisions.with({"commands", "redis", "allowed"})->inc();
  b->lavalink_nodes_connected.set(1);
  b->lavalink_node_up.with({"main"})->set(1);
  b->redis_connection_failures.inc();
  b->queue_processing.observe(0.3);
  b->memory_limit.set(512.0 * 1024 * 1024);

  const std::string text = reg.render(m::exposition_format::prometheus_text);
  for (const char* line : {
           "musicbot_songs_played_total{source=\"youtube\"} 1\n",
           "musicbot_queue_length_bucket{le=\"0.0\"} 0\n",
           "musicbot_queue_length_bucket{le=\"5.0\"} 0\n",
           "musicbot_queue_length_bucket{le=\"10.0\"} 1\n",
           "musicbot_queue_length_bucket{le=\"200.0\"} 1\n",
           "musicbot_command_latency_seconds_bucket{command=\"play\",le=\"0.25\"} 1\n",
           "musicbot_commands_total{command=\"play\",outcome=\"ok\"} 1\n",
           "musicbot_active_guilds 3\n",
           "musicbot_music_sessions 2\n",
           "musicbot_session_duration_seconds_count 1\n",
           "musicbot_rate_limit_hits_total{command=\"play\",scope=\"user\"} 1\n",
           "musicbot_rate_limit_fallback_active{limiter=\"commands\"} 1\n",
           "musicbot_errors_total{component=\"lavalink\",kind=\"timeout\"} 1\n",
           "musicbot_autoplay_tracks_total{outcome=\"added\"} 1\n",
           "musicbot_circuit_breaker_state{breaker=\"lavalink-rest\"} 2\n",
           "musicbot_circuit_breaker_transitions_total{breaker=\"lavalink-rest\",state=\"open\"} 1\n",
           "musicbot_cache_events_total{cache=\"tracks\",layer=\"l1\",event=\"hit\"} 1\n",
           "musicbot_cache_events_total{cache=\"tracks\",layer=\"l2\",event=\"miss\"} 1\n",
           "musicbot_rate_limit_decisions_total{limiter=\"commands\",source=\"redis\",outcome=\"allowed\"} 1\n",
           "musicbot_lavalink_nodes_connected 1\n",
           "musicbot_lavalink_node_up{node=\"main\"} 1\n",
           "musicbot_redis_connection_failures_total 1\n",
           "musicbot_queue_processing_seconds_count 1\n",
           "musicbot_memory_limit_bytes 536870912\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line;
  }
}

TEST(MetricsBusiness, BucketsAreExactlyAsSpecified) {
  EXPECT_EQ(std::vector<double>(m::queue_length_buckets.begin(), m::queue_length_buckets.end()),
            (std::vector<double>{0, 1, 5, 10, 25, 50, 100, 200}));
  m::registry reg;
  auto b = m::register_business_metrics(reg);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->queue_length.snapshot().upper_bounds, (std::vector<double>{0, 1, 5, 10, 25, 50, 100, 200}));
}

TEST(MetricsBusiness, SecondRegistrationIsIdempotent) {
  m::registry reg;
  auto first = m::register_business_metrics(reg);
  auto second = m::register_business_metrics(reg);
  ASSERT_TRUE(first && second);
  first->commands.with({"skip", "ok"})->inc();
  EXPECT_EQ(second->commands.with({"skip", "ok"})->value(), 1.0);
}

TEST(MetricsBusiness, SharesFamiliesWithTheCacheAndRedisAdapters) {
  // musicbot::cache and musicbot::redis register these families themselves
  // with the same shape; either order gives one family.
  m::registry reg;
  auto cache_first = reg.add_counter("musicbot_cache_events_total", "x", {"cache", "layer", "event"});
  auto limiter_first = reg.add_counter("musicbot_rate_limit_decisions_total", "x", {"limiter", "source", "outcome"});
  auto fallback_first = reg.add_gauge("musicbot_rate_limit_fallback_active", "x", {"limiter"});
  ASSERT_TRUE(cache_first && limiter_first && fallback_first);
  auto b = m::register_business_metrics(reg);
  ASSERT_TRUE(b);
  cache_first->with({"tracks", "l1", "hit"})->inc();
  EXPECT_EQ(b->cache_events.with({"tracks", "l1", "hit"})->value(), 1.0);
  limiter_first->with({"commands", "redis", "denied"})->inc(2);
  EXPECT_EQ(b->rate_limit_decisions.with({"commands", "redis", "denied"})->value(), 2.0);
}

TEST(MetricsBusiness, ConflictIsReported) {
  m::registry reg;
  ASSERT_TRUE(reg.add_gauge("musicbot_active_guilds", "taken", {"shard"}));
  EXPECT_EQ(m::register_business_metrics(reg).error(), m::error::conflicting_registration);
}

TEST(MetricsBusiness, NoFamilyIsLabelledByDiscordIds) {
  m::registry reg;
  ASSERT_TRUE(m::register_business_metrics(reg));
  auto b = m::register_business_metrics(reg);
  // Fill every labelled family once and look at the label names in the output.
  b->songs_played.with({"x"})->inc();
  b->command_latency.with({"x"})->observe(1);
  b->commands.with({"x", "ok"})->inc();
  b->rate_limit_hits.with({"x", "user"})->inc();
  b->rate_limit_fallback.with({"x"})->set(0);
  b->errors.with({"x", "y"})->inc();
  b->autoplay_tracks.with({"x"})->inc();
  b->breaker_state.with({"x"})->set(0);
  b->breaker_transitions.with({"x", "open"})->inc();
  b->cache_events.with({"x", "l1", "hit"})->inc();
  b->rate_limit_decisions.with({"x", "redis", "allowed"})->inc();
  b->lavalink_node_up.with({"x"})->set(1);
  const std::string text = reg.render(m::exposition_format::prometheus_text);
  for (const char* forbidden : {"guild", "user=", "user_id", "channel"}) {
    EXPECT_EQ(text.find(std::string("{") + forbidden), std::string::npos) << forbidden;
    EXPECT_EQ(text.find(std::string(",") + forbidden), std::string::npos) << forbidden;
  }
}
