// The reference bot in-process against the fakes: queue pagination buttons,
// now-playing announcements, settings and queue-view caching, local rate limits.
#include "bot_fixture.hpp"

#include <boost/json/serialize.hpp>

namespace {

using namespace musicbot_bot_test;

constexpr std::uint64_t user_a = 500'000'000'000'000'001ULL;
constexpr std::uint64_t user_b = 500'000'000'000'000'002ULL;
constexpr std::uint64_t admin = 500'000'000'000'000'099ULL;

std::string play_query(std::size_t n) { return option_json("query", 3, quoted(catalog_titles[n % 8])); }

// Plays `count` tracks in `guild` (the first starts, the rest queue).
void play_tracks(bot_fixture& f, std::uint64_t guild, std::size_t count) {
  for (std::size_t n = 0; n < count; ++n) {
    const auto id = f.command(guild, user_a, "play", {play_query(n)});
    const auto text = f.reply_text(id);
    ASSERT_TRUE(text.rfind("Now playing", 0) == 0 || text.rfind("Queued", 0) == 0) << text;
  }
}

const boost::json::object& data_of(const boost::json::value& response) {
  return response.as_object().at("data").as_object();
}

std::int64_t flags_of(const boost::json::value& response) {
  const auto* f = data_of(response).if_contains("flags");
  return f != nullptr && f->is_int64() ? f->as_int64() : 0;
}

bool disabled(const boost::json::value& button) {
  const auto* d = button.as_object().if_contains("disabled");
  return d != nullptr && d->as_bool();
}

const boost::json::array& buttons_of(const boost::json::value& response) {
  return data_of(response).at("components").as_array().at(0).as_object().at("components").as_array();
}

TEST(BotQueue, ButtonsPageThroughTheRequestingGuildsQueue) {
  bot_fixture f;
  f.start_bot();
  const auto g = f.guild_ids.at(0);
  const auto other = f.guild_ids.at(1);
  f.join_voice(g, user_a, g + 1);
  play_tracks(f, g, 13);  // one playing, 12 queued: two pages of 10

  const auto first = f.response_to(f.command(g, user_a, "queue"));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->as_object().at("type").as_int64(), 4);
  EXPECT_NE(std::string(data_of(*first).at("content").as_string()).find("page 1/2, 12 tracks"), std::string::npos);
  const auto& row = buttons_of(*first);
  ASSERT_EQ(row.size(), 2U);
  EXPECT_EQ(row[0].as_object().at("custom_id").as_string(), "queue:" + std::to_string(g) + ":0");
  EXPECT_TRUE(disabled(row[0]));
  EXPECT_EQ(row[1].as_object().at("custom_id").as_string(), "queue:" + std::to_string(g) + ":1");

  // Next: the same message is updated in place (type 7) with page 2.
  const auto second = f.response_to(f.button(g, user_b, "queue:" + std::to_string(g) + ":1"));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->as_object().at("type").as_int64(), 7);
  const std::string content(data_of(*second).at("content").as_string());
  EXPECT_NE(content.find("page 2/2"), std::string::npos) << content;
  EXPECT_NE(content.find("11. "), std::string::npos) << content;
  const auto& row2 = buttons_of(*second);
  EXPECT_FALSE(disabled(row2[0]));
  EXPECT_TRUE(disabled(row2[1]));

  // A button naming another guild never shows that guild's data.
  const auto foreign = f.response_to(f.button(g, user_a, "queue:" + std::to_string(other) + ":0"));
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->as_object().at("type").as_int64(), 4);
  EXPECT_EQ(flags_of(*foreign), 64);
  EXPECT_EQ(std::string(data_of(*foreign).at("content").as_string()).find("Queue"), std::string::npos);

  // Malformed ids are refused, privately.
  for (const auto* bad : {"queue:12:x", "queue::1", "queue:1:-1", "volume:1:1", "queue:1:99999999999999999999999"}) {
    const auto r = f.response_to(f.button(g, user_a, bad));
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(flags_of(*r), 64) << bad;
  }

  // A page past the end (the queue shrank) shows the last page.
  const auto past = f.response_to(f.button(g, user_a, "queue:" + std::to_string(g) + ":7"));
  ASSERT_TRUE(past);
  EXPECT_EQ(past->as_object().at("type").as_int64(), 7);
  EXPECT_NE(std::string(data_of(*past).at("content").as_string()).find("page 2/2"), std::string::npos);
}

TEST(BotQueue, QueueViewsAreCachedAndDroppedOnChange) {
  bot_fixture f;
  f.start_bot();
  const auto g = f.guild_ids.at(0);
  f.join_voice(g, user_a, g + 1);
  play_tracks(f, g, 3);
  const auto before = f.bot->stats().queue_view_renders;
  EXPECT_NE(f.reply_text(f.command(g, user_a, "queue")).find("2 tracks"), std::string::npos);
  EXPECT_NE(f.reply_text(f.command(g, user_b, "queue")).find("2 tracks"), std::string::npos);
  EXPECT_EQ(f.bot->stats().queue_view_renders, before + 1);  // the second came from the cache
  play_tracks(f, g, 1);  // a change drops the guild's pages
  EXPECT_NE(f.reply_text(f.command(g, user_a, "queue")).find("3 tracks"), std::string::npos);
  EXPECT_EQ(f.bot->stats().queue_view_renders, before + 2);
  // A change that is not a command (the control API, autoplay) drops them too.
  std::optional<boost::system::error_code> added;
  f.bot->prefill(g, user_a, g + 1, {"Open Road"}, false, [&](boost::system::error_code ec) { added = ec; });
  ASSERT_TRUE(musicbot_test::run_until(f.ioc, [&] { return added.has_value(); }));
  ASSERT_FALSE(*added);
  EXPECT_NE(f.reply_text(f.command(g, user_b, "queue")).find("4 tracks"), std::string::npos);
}

TEST(BotSettings, CachedAndInvalidatedBySettingsSet) {
  bot_fixture f;
  f.start_bot();
  const auto g = f.guild_ids.at(0);
  EXPECT_NE(f.reply_text(f.command(g, user_a, "settings", {R"({"name":"show","type":1,"options":[]})"})).find("default volume 100%"),
            std::string::npos);
  f.reply_text(f.command(g, user_b, "nowplaying"));
  EXPECT_EQ(f.bot->stats().settings_loads, 1U);  // one store read for both commands

  const auto set = R"({"name":"set","type":1,"options":[)" + option_json("default_volume", 4, "80") + "]}";
  EXPECT_NE(f.reply_text(f.command(g, user_a, "settings", {set})).find("Only server managers"), std::string::npos);
  EXPECT_EQ(f.reply_text(f.command(g, admin, "settings", {set}, manage_guild)), "Settings saved.");
  EXPECT_NE(f.reply_text(f.command(g, user_a, "settings", {R"({"name":"show","type":1,"options":[]})"})).find("default volume 80%"),
            std::string::npos);
  EXPECT_EQ(f.bot->stats().settings_loads, 2U);  // the save dropped the cached copy
}

TEST(BotAnnouncements, PostedToTheAnnounceChannelOnlyAndCoalesced) {
  bot_fixture f;
  f.runtime.announce_interval = std::chrono::milliseconds(400);
  f.start_bot();
  const auto g = f.guild_ids.at(0);
  const auto quiet = f.guild_ids.at(1);
  const auto set = R"({"name":"set","type":1,"options":[)" + option_json("announce_channel", 7, quoted("777000000000000001")) + "]}";
  ASSERT_EQ(f.reply_text(f.command(g, admin, "settings", {set}, manage_guild)), "Settings saved.");
  f.join_voice(g, user_a, g + 1);
  f.join_voice(quiet, user_a, quiet + 1);
  play_tracks(f, quiet, 1);  // no announce channel there: nothing posted
  play_tracks(f, g, 4);      // the first starts: announced at once
  ASSERT_TRUE(musicbot_test::run_until(f.ioc, [&] { return !f.requests_to("/channels/").empty(); }));
  auto posted = f.requests_to("/channels/");
  ASSERT_EQ(posted.size(), 1U);
  EXPECT_EQ(posted[0].method, "POST");
  EXPECT_EQ(posted[0].path, "/channels/777000000000000001/messages");
  EXPECT_NE(posted[0].body.find("Now playing **Northern Lights**"), std::string::npos) << posted[0].body;

  // Three skips in a burst: one more message, for the track playing last.
  const auto s1 = f.command(g, user_a, "skip");
  const auto s2 = f.command(g, user_a, "skip");
  const auto s3 = f.command(g, user_a, "skip");
  EXPECT_NE(f.reply_text(s3).find("Neon Rain"), std::string::npos);  // tracks 2 and 3 were skipped too
  (void)s1, (void)s2;
  ASSERT_TRUE(musicbot_test::run_until(f.ioc, [&] { return f.requests_to("/channels/").size() >= 2; }));
  f.run_for(std::chrono::milliseconds(100));
  posted = f.requests_to("/channels/");
  ASSERT_EQ(posted.size(), 2U);
  EXPECT_NE(posted[1].body.find("Neon Rain"), std::string::npos) << posted[1].body;
  EXPECT_GE(f.bot->stats().announcements_coalesced, 1U);
}

TEST(BotLimits, LocalLimitsPerUserCommandAndGuild) {
  bot_fixture f;
  f.config.limits.user_commands = 2;
  f.config.limits.guild_commands = 5;
  f.start_bot();
  const auto g = f.guild_ids.at(0);
  EXPECT_EQ(f.reply_text(f.command(g, user_a, "nowplaying")).find("Slow down"), std::string::npos);
  EXPECT_EQ(f.reply_text(f.command(g, user_a, "nowplaying")).find("Slow down"), std::string::npos);
  EXPECT_EQ(f.reply_text(f.command(g, user_a, "nowplaying")).rfind("Slow down a little: try again in", 0), 0U);
  // Another command of the same user has its own quota...
  EXPECT_EQ(f.reply_text(f.command(g, user_a, "queue")).find("Slow down"), std::string::npos);
  // ...but the guild's quota (5, the refused call not counted) is shared by everybody.
  EXPECT_EQ(f.reply_text(f.command(g, user_b, "queue")).find("Slow down"), std::string::npos);
  EXPECT_EQ(f.reply_text(f.command(g, user_b, "nowplaying")).find("Slow down"), std::string::npos);
  EXPECT_EQ(f.reply_text(f.command(g, admin, "nowplaying")).rfind("Slow down", 0), 0U);
  EXPECT_EQ(f.bot->stats().rate_limited, 2U);
}

TEST(BotVoice, ChannelPersistedAndRejoinedAfterRestart) {
  bot_fixture f;
  f.start_bot();
  const auto g = f.guild_ids.at(0);
  const auto left = f.guild_ids.at(1);
  f.join_voice(g, user_a, g + 1);
  play_tracks(f, g, 2);
  f.join_voice(left, user_a, left + 1);
  play_tracks(f, left, 1);
  EXPECT_EQ(f.reply_text(f.command(left, user_a, "leave")), "Left the voice channel.");
  f.run_for(std::chrono::milliseconds(100));  // the voice updates come back and are saved
  f.stop_bot();

  const auto before = f.discord->received().size();
  f.start_bot();  // a new process on the same SQLite file
  ASSERT_TRUE(musicbot_test::run_until(f.ioc, [&] { return !f.voice_updates_for(g, before).empty(); }));
  const auto rejoined = f.voice_updates_for(g, before).front();
  EXPECT_NE(rejoined.find("\"channel_id\":\"" + std::to_string(g + 1) + "\""), std::string::npos) << rejoined;
  EXPECT_TRUE(f.voice_updates_for(left, before).empty());  // it had left: not rejoined
  // Playback resumed where the queue was: the restored session plays again.
  f.join_voice(g, user_a, g + 1);
  EXPECT_EQ(f.reply_text(f.command(g, user_a, "nowplaying")).rfind("Now playing **Northern Lights**", 0), 0U);
}

// Two Lavalink nodes, a /play in several guilds at once, each making the
// bot join voice: every guild ends up with one player, on one node, holding
// both the track and the voice connection (the voice is handed to Lavalink
// after the track's player exists, so the two first updates of a player
// cannot be placed on different nodes).
TEST(BotVoice, PlayThatJoinsPutsTrackAndVoiceOnOneNode) {
  bot_fixture f(8);
  f.add_node();
  f.start_bot();
  ASSERT_TRUE(musicbot_test::run_until(
      f.ioc, [&] { return f.node(0).connected_clients() == 1 && f.node(1).connected_clients() == 1; }));
  for (const auto g : f.guild_ids) f.join_voice(g, user_a, g + 1);
  std::vector<std::uint64_t> plays;
  for (const auto g : f.guild_ids) plays.push_back(f.command(g, user_a, "play", {option_json("query", 3, quoted("Afterglow"))}));
  for (const auto id : plays) EXPECT_EQ(f.reply_text(id).rfind("Now playing", 0), 0U);
  auto placed = [&](std::uint64_t g) {
    const auto on_first = f.node(0).player(std::to_string(g));
    const auto on_second = f.node(1).player(std::to_string(g));
    if (on_first.has_value() == on_second.has_value()) return false;  // none, or one on each node
    const auto& p = on_first ? *on_first : *on_second;
    return p.track.has_value() && p.state.connected;
  };
  for (const auto g : f.guild_ids) {
    EXPECT_TRUE(musicbot_test::run_until(f.ioc, [&] { return placed(g); }, std::chrono::seconds(3))) << "guild " << g;
  }
}

}  // namespace
