// The Lavalink metrics (lavalink/metrics.hpp) through a real registry's
// exposition, with a pool against fake nodes on loopback.
#include <musicbot/lavalink/metrics.hpp>
#include <musicbot/metrics/exposition.hpp>
#include <musicbot/metrics/registry.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "client_harness.hpp"

using namespace lavalink_test;
namespace metrics = musicbot::metrics;

namespace {

// The value of the sample `series` (name with its labels, as exposed), or
// -1 when the exposition has no such line.
double sample(const metrics::registry& registry, const std::string& series) {
  const std::string text = registry.render(metrics::exposition_format::prometheus_text);
  const std::string prefix = series + " ";
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    if (text.compare(pos, prefix.size(), prefix) == 0) {
      return std::strtod(text.substr(pos + prefix.size(), end - pos - prefix.size()).c_str(), nullptr);
    }
    pos = end + 1;
  }
  return -1.0;
}

std::string rest_count(std::string_view operation, std::string_view outcome) {
  return "musicbot_lavalink_rest_request_duration_seconds_count{operation=\"" + std::string(operation) +
         "\",outcome=\"" + std::string(outcome) + "\"}";
}

// A registry with the Lavalink families, and the observer feeding them.
struct metered {
  metrics::registry registry;
  std::shared_ptr<ll::metrics_observer> observer = ll::metrics_observer::create(registry).value();
};

TEST(lavalink_metrics, failover_counts_nodes_players_moves_and_reconnects) {
  metered m;
  auto& registry = m.registry;
  harness h;
  auto a = h.fake();
  auto b = h.busy_fake();  // new players go to a until it dies
  auto pool = h.pool(m.observer);
  std::size_t moved = 0;
  pool->on_player_moved([&](const ll::player_moved&) { ++moved; });
  auto& na = pool->add_node(h.node_opts("a", *a));
  auto& nb = pool->add_node(h.node_opts("b", *b));
  pool->start();
  ASSERT_TRUE(h.run_until([&] { return na.available() && nb.available() && nb.stats().has_value(); }));
  EXPECT_EQ(sample(registry, R"(musicbot_lavalink_node_state{node="a",state="connected"})"), 1.0);
  EXPECT_EQ(sample(registry, R"(musicbot_lavalink_node_state{node="a",state="down"})"), 0.0);
  EXPECT_EQ(sample(registry, R"(musicbot_lavalink_events_total{node="a",type="ready"})"), 1.0);

  ASSERT_FALSE(*update(h, *pool, "1", play(rick)).ec);
  EXPECT_EQ(sample(registry, rest_count("update_player", "success")), 1.0);
  ASSERT_FALSE(*update(h, *pool, "2", play(rick)).ec);
  EXPECT_EQ(sample(registry, rest_count("update_player", "success")), 2.0);
  EXPECT_EQ(sample(registry, R"(musicbot_lavalink_players{node="a"})"), 2.0);
  ASSERT_TRUE(h.run_until([&] {
    return sample(registry, R"(musicbot_lavalink_events_total{node="a",type="playerUpdate"})") > 0.0;
  }));

  a->stop();
  ASSERT_TRUE(h.run_until([&] { return moved == 2; }, 2000ms));
  EXPECT_EQ(sample(registry, R"(musicbot_lavalink_node_state{node="a",state="down"})"), 1.0);
  EXPECT_EQ(sample(registry, R"(musicbot_lavalink_node_state{node="a",state="connected"})"), 0.0);
  EXPECT_EQ(sample(registry, R"(musicbot_lavalink_node_state{node="b",state="connected"})"), 1.0);
  EXPECT_GE(sample(registry, R"(musicbot_lavalink_reconnects_total{node="a"})"), 1.0);
  EXPECT_EQ(sample(registry,
                   R"(musicbot_lavalink_player_moves_total{from="a",reason="node_down",outcome="moved"})"),
            2.0);
  EXPECT_EQ(sample(registry, R"(musicbot_lavalink_players{node="a"})"), 0.0);
  EXPECT_EQ(sample(registry, R"(musicbot_lavalink_players{node="b"})"), 2.0);
  // The two moves were REST calls to b.
  EXPECT_EQ(sample(registry, rest_count("update_player", "success")), 4.0);
}

TEST(lavalink_metrics, resumed_and_new_sessions_and_rest_errors) {
  metered m;
  auto& registry = m.registry;
  harness h;
  auto fake = h.fake();
  auto pool = h.pool(m.observer);
  auto& n = pool->add_node(h.node_opts("a", *fake));
  pool->start();
  ASSERT_TRUE(h.run_until([&] { return n.available(); }));
  ASSERT_FALSE(*update(h, *pool, "1", play(rick)).ec);

  fake->drop_connections();
  ASSERT_TRUE(h.run_until([&] {
    return sample(registry, R"(musicbot_lavalink_session_resumes_total{node="a",outcome="resumed"})") == 1.0;
  }));
  fake->expire_sessions();
  ASSERT_TRUE(h.run_until([&] {
    return sample(registry, R"(musicbot_lavalink_session_resumes_total{node="a",outcome="new_session"})") ==
           1.0;
  }));
  EXPECT_GE(sample(registry, R"(musicbot_lavalink_reconnects_total{node="a"})"), 2.0);

  // A 4xx answer is a client error: a player the node does not have.
  std::optional<boost::system::error_code> ec;
  n.rest().async_get_player(n.session_id(), "404404", [&](boost::system::error_code e, ll::player) { ec = e; });
  ASSERT_TRUE(h.run_until([&] { return ec.has_value(); }));
  EXPECT_EQ(*ec, ll::error::player_not_found);
  EXPECT_EQ(sample(registry, rest_count("get_player", "client_error")), 1.0);
  const double before = sample(registry, rest_count("info", "success"));
  std::optional<boost::system::error_code> info_ec;
  n.rest().async_info([&](boost::system::error_code e, ll::node_info) { info_ec = e; });
  ASSERT_TRUE(h.run_until([&] { return info_ec.has_value(); }));
  EXPECT_EQ(sample(registry, rest_count("info", "success")), (before < 0 ? 0.0 : before) + 1.0);
}

TEST(lavalink_metrics, message_labels_are_a_fixed_set) {
  EXPECT_EQ(ll::message_label(ll::message{ll::ready_op{}}), "ready");
  EXPECT_EQ(ll::message_label(ll::message{ll::player_update_op{}}), "playerUpdate");
  EXPECT_EQ(ll::message_label(ll::message{ll::track_end_event{}}), "TrackEndEvent");
  EXPECT_EQ(ll::message_label(ll::message{ll::unknown_event{"SegmentsLoaded", "1", "{}"}}), "other");
  EXPECT_EQ(ll::message_label(ll::message{ll::unknown_op{"x", "{}"}}), "other");
  EXPECT_EQ(ll::to_string(ll::rest_operation::update_player), "update_player");
  EXPECT_EQ(ll::to_string(ll::rest_outcome::breaker_open), "breaker_open");
}

}  // namespace
