#include <musicbot/lavalink/json.hpp>
#include <musicbot/lavalink/node_selection.hpp>
#include <musicbot/lavalink/voice_bridge.hpp>

#include <gtest/gtest.h>

#include <cmath>

#include "testdata.hpp"

namespace ll = musicbot::lavalink;

namespace {

ll::node_stats stats(std::int64_t players, double load, std::optional<ll::frame_stats> frames = {}) {
  ll::node_stats s;
  s.players = players;
  s.cpu.system_load = load;
  s.frames = frames;
  return s;
}

TEST(node_penalty, matches_the_formula) {
  EXPECT_DOUBLE_EQ(ll::node_penalty(stats(0, 0.0)), 0.0);
  EXPECT_DOUBLE_EQ(ll::node_penalty(stats(7, 0.0)), 7.0);
  EXPECT_NEAR(ll::node_penalty(stats(0, 0.5)), std::pow(1.05, 50.0) * 10 - 10, 1e-9);
  const ll::frame_stats f{3000, 60, 300};
  const double expected = 2 + (std::pow(1.05, 10.0) * 10 - 10) +
                          2 * (std::pow(1.03, 500.0 * 60 / 3000) * 300 - 300) +
                          (std::pow(1.03, 500.0 * 300 / 3000) * 600 - 600);
  EXPECT_NEAR(ll::node_penalty(stats(2, 0.1, f)), expected, 1e-9);
}

TEST(node_penalty, negative_deficit_is_clamped_and_docs_sample_works) {
  auto m = ll::parse_message(lavalink_test::read_testdata("ws_stats.json"));
  ASSERT_TRUE(m.has_value());
  const auto& s = std::get<ll::stats_op>(*m).stats;  // deficit -3010, nulled 10
  const double expected = 1 + (std::pow(1.05, 50.0) * 10 - 10) +
                          2 * (std::pow(1.03, 500.0 * 10 / 3000) * 300 - 300);
  EXPECT_NEAR(ll::node_penalty(s), expected, 1e-9);
  EXPECT_DOUBLE_EQ(ll::node_penalty(stats(3, 0.0)), ll::node_penalty(stats(3, 0.0), 2));
  EXPECT_DOUBLE_EQ(ll::node_penalty(stats(3, 0.0), 10), 10.0);
}

TEST(select_node, lowest_penalty_available_node_wins) {
  std::vector<ll::node_candidate> nodes(3);
  nodes[0] = {"a", true, stats(10, 0.1), 0, {"eu"}};
  nodes[1] = {"b", true, stats(2, 0.9), 0, {"us"}};   // few players but busy CPU
  nodes[2] = {"c", true, stats(5, 0.1), 0, {"eu"}};
  EXPECT_EQ(ll::select_node(nodes), 2u);
  nodes[2].available = false;
  EXPECT_EQ(ll::select_node(nodes), 0u);
  nodes[0].stats->frames = ll::frame_stats{3000, 300, 0};  // nulled frames
  EXPECT_EQ(ll::select_node(nodes), 1u);
}

TEST(select_node, region_preference_and_fallback) {
  std::vector<ll::node_candidate> nodes(2);
  nodes[0] = {"a", true, stats(50, 0.0), 0, {"eu"}};
  nodes[1] = {"b", true, stats(1, 0.0), 0, {"us"}};
  EXPECT_EQ(ll::select_node(nodes, "eu"), 0u);
  EXPECT_EQ(ll::select_node(nodes, "asia"), 1u);
  nodes[0].available = false;
  EXPECT_EQ(ll::select_node(nodes, "eu"), 1u);
  nodes[1].available = false;
  EXPECT_FALSE(ll::select_node(nodes).has_value());
  EXPECT_FALSE(ll::select_node({}).has_value());
}

TEST(select_node, local_players_count_before_stats_arrive) {
  std::vector<ll::node_candidate> nodes(2);
  nodes[0] = {"a", true, std::nullopt, 3, {}};
  nodes[1] = {"b", true, std::nullopt, 1, {}};
  EXPECT_EQ(ll::select_node(nodes), 1u);
}

TEST(voice_bridge, sends_once_complete_in_any_order) {
  ll::voice_bridge bridge("bot");
  EXPECT_EQ(bridge.on_voice_server("g", "tok", "ep.discord.media").action, ll::voice_action::none);
  auto d = bridge.on_voice_state("g", "bot", "sess", "chan");
  ASSERT_EQ(d.action, ll::voice_action::send);
  EXPECT_EQ(*d.voice, (ll::voice_state{"tok", "ep.discord.media", "sess", "chan"}));
  // The same data again is not re-sent.
  EXPECT_EQ(bridge.on_voice_state("g", "bot", "sess", "chan").action, ll::voice_action::none);
  ll::voice_bridge other("bot");
  EXPECT_EQ(other.on_voice_state("g", "bot", "sess", "chan").action, ll::voice_action::none);
  EXPECT_EQ(other.on_voice_server("g", "tok", "ep").action, ll::voice_action::send);
}

TEST(voice_bridge, ignores_other_users) {
  ll::voice_bridge bridge("bot");
  EXPECT_EQ(bridge.on_voice_state("g", "someone", "s", "c").action, ll::voice_action::none);
  EXPECT_EQ(bridge.on_voice_server("g", "t", "e").action, ll::voice_action::none);
  EXPECT_FALSE(bridge.current("g").has_value());
}

TEST(voice_bridge, channel_id_only_state_is_incomplete_without_server) {
  ll::voice_bridge bridge("bot");
  EXPECT_EQ(bridge.on_voice_state("g", "bot", "s", "c").action, ll::voice_action::none);
  EXPECT_FALSE(bridge.current("g").has_value());
}

TEST(voice_bridge, endpoint_null_waits_then_resends) {
  ll::voice_bridge bridge("bot");
  (void)bridge.on_voice_state("g", "bot", "s", "c");
  ASSERT_EQ(bridge.on_voice_server("g", "t1", "e1").action, ll::voice_action::send);
  EXPECT_EQ(bridge.on_voice_server("g", "t2", std::nullopt).action, ll::voice_action::none);
  EXPECT_FALSE(bridge.current("g").has_value());
  auto d = bridge.on_voice_server("g", "t2", "e2");
  ASSERT_EQ(d.action, ll::voice_action::send);
  EXPECT_EQ(d.voice->endpoint, "e2");
  EXPECT_EQ(d.voice->token, "t2");
}

TEST(voice_bridge, channel_move_resends_with_new_channel) {
  ll::voice_bridge bridge("bot");
  (void)bridge.on_voice_state("g", "bot", "s", "c1");
  (void)bridge.on_voice_server("g", "t", "e");
  auto d = bridge.on_voice_state("g", "bot", "s", "c2");
  ASSERT_EQ(d.action, ll::voice_action::send);
  EXPECT_EQ(d.voice->channel_id, "c2");
}

TEST(voice_bridge, leaving_disconnects_and_forgets) {
  ll::voice_bridge bridge("bot");
  (void)bridge.on_voice_state("g", "bot", "s", "c");
  (void)bridge.on_voice_server("g", "t", "e");
  EXPECT_EQ(bridge.on_voice_state("g", "bot", "s", std::nullopt).action, ll::voice_action::disconnect);
  EXPECT_EQ(bridge.size(), 0u);
  EXPECT_EQ(bridge.on_voice_state("g", "bot", "s", std::nullopt).action, ll::voice_action::none);
}

TEST(voice_bridge, invalidate_sent_after_discord_reconnect) {
  ll::voice_bridge bridge("bot");
  (void)bridge.on_voice_state("g", "bot", "s", "c");
  (void)bridge.on_voice_server("g", "t", "e");
  bridge.invalidate_sent();
  EXPECT_EQ(bridge.on_voice_server("g", "t", "e").action, ll::voice_action::send);
}

TEST(voice_bridge, guild_cap_is_enforced) {
  ll::voice_bridge bridge("bot", 2);
  (void)bridge.on_voice_state("g1", "bot", "s", "c");
  (void)bridge.on_voice_state("g2", "bot", "s", "c");
  (void)bridge.on_voice_state("g3", "bot", "s", "c");
  EXPECT_EQ(bridge.size(), 2u);
}

}  // namespace
