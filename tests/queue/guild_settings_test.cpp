#include <musicbot/queue/guild_settings.hpp>

#include <gtest/gtest.h>

namespace {

using musicbot::queue::can_control;
using musicbot::queue::control_reason;
using musicbot::queue::error;
using musicbot::queue::guild_settings;
using musicbot::queue::loop_mode;
using musicbot::queue::member_info;
using musicbot::queue::voice_state;

member_info member(std::uint64_t id, std::vector<std::uint64_t> roles = {}, bool admin = false) {
  member_info m;
  m.user_id = id;
  m.role_ids = std::move(roles);
  m.is_admin = admin;
  return m;
}

voice_state voice(std::optional<std::uint64_t> bot = {}, std::optional<std::uint64_t> mine = {},
                  std::size_t humans = 0) {
  voice_state v;
  v.bot_channel_id = bot;
  v.member_channel_id = mine;
  v.humans_in_bot_channel = humans;
  return v;
}

TEST(GuildSettings, DefaultsAreValid) {
  guild_settings s;
  EXPECT_TRUE(validate(s));
  EXPECT_EQ(s.volume, 100);
  EXPECT_EQ(s.max_queue_length, 1000u);
}

TEST(GuildSettings, VolumeRange) {
  guild_settings s;
  EXPECT_TRUE(set_volume(s, 0));
  EXPECT_TRUE(set_volume(s, 200));
  EXPECT_EQ(set_volume(s, 201).error(), error::invalid_volume);
  EXPECT_EQ(set_volume(s, -1).error(), error::invalid_volume);
  EXPECT_EQ(s.volume, 200) << "a refused change leaves the value";
  s.volume = 500;
  EXPECT_EQ(validate(s).error(), error::invalid_volume);
}

TEST(GuildSettings, AutoplayRefusedWhileLooping) {
  guild_settings s;
  ASSERT_TRUE(set_loop(s, loop_mode::queue));
  EXPECT_EQ(set_autoplay(s, true).error(), error::loop_autoplay_conflict);
  EXPECT_FALSE(s.autoplay);
  EXPECT_TRUE(set_autoplay(s, false)) << "disabling is always fine";
  ASSERT_TRUE(set_loop(s, loop_mode::off));
  EXPECT_TRUE(set_autoplay(s, true));
}

TEST(GuildSettings, LoopRefusedWhileAutoplay) {
  guild_settings s;
  ASSERT_TRUE(set_autoplay(s, true));
  EXPECT_EQ(set_loop(s, loop_mode::track).error(), error::loop_autoplay_conflict);
  EXPECT_EQ(set_loop(s, loop_mode::queue).error(), error::loop_autoplay_conflict);
  EXPECT_EQ(s.loop, loop_mode::off);
  EXPECT_TRUE(set_loop(s, loop_mode::off));
  s.loop = loop_mode::track;
  EXPECT_EQ(validate(s).error(), error::loop_autoplay_conflict);
}

TEST(GuildSettings, QueueLimits) {
  guild_settings s;
  EXPECT_EQ(set_queue_limits(s, 0, 0).error(), error::invalid_limit);
  EXPECT_EQ(set_queue_limits(s, 200'000, 0).error(), error::invalid_limit);
  EXPECT_EQ(set_queue_limits(s, 10, 200'000).error(), error::invalid_limit);
  ASSERT_TRUE(set_queue_limits(s, 50, 5));
  musicbot::queue::queue_limits base;
  base.max_history = 7;
  base.deduplicate = true;
  auto limits = limits_of(s, base);
  EXPECT_EQ(limits.max_length, 50u);
  EXPECT_EQ(limits.max_per_user, 5u);
  EXPECT_EQ(limits.max_history, 7u);
  EXPECT_TRUE(limits.deduplicate);
}

TEST(CanControl, NoDjRoleAllowsListeners) {
  guild_settings s;
  auto d = can_control(member(1), s, voice(9, 9, 3));
  EXPECT_TRUE(d);
  EXPECT_EQ(d.reason, control_reason::no_dj_role);
}

TEST(CanControl, NotInBotChannelDenied) {
  guild_settings s;
  auto d = can_control(member(1), s, voice(9, 8, 1));
  EXPECT_FALSE(d);
  EXPECT_EQ(d.reason, control_reason::not_in_voice_channel);
  EXPECT_FALSE(can_control(member(1), s, voice(9)));
}

TEST(CanControl, BotNotConnectedNoDjRole) {
  guild_settings s;
  EXPECT_TRUE(can_control(member(1), s, {}));
}

TEST(CanControl, DjRoleRequired) {
  guild_settings s;
  s.dj_role_id = 55;
  const voice_state crowded = voice(9, 9, 3);
  auto denied = can_control(member(1, {1, 2}), s, crowded);
  EXPECT_FALSE(denied);
  EXPECT_EQ(denied.reason, control_reason::not_dj);
  auto dj = can_control(member(1, {1, 55}), s, crowded);
  EXPECT_TRUE(dj);
  EXPECT_EQ(dj.reason, control_reason::has_dj_role);
}

TEST(CanControl, AloneWithBotAllowed) {
  guild_settings s;
  s.dj_role_id = 55;
  auto d = can_control(member(1), s, voice(9, 9, 1));
  EXPECT_TRUE(d);
  EXPECT_EQ(d.reason, control_reason::alone_with_bot);
  EXPECT_FALSE(can_control(member(1), s, {})) << "bot not connected: nobody to be alone with";
}

TEST(CanControl, AdminAlwaysAllowed) {
  guild_settings s;
  s.dj_role_id = 55;
  auto d = can_control(member(1, {}, true), s, voice(9, 3));
  EXPECT_TRUE(d);
  EXPECT_EQ(d.reason, control_reason::admin);
}

}  // namespace
