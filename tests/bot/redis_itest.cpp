// The reference bot with Redis configured (a real redis-server on loopback):
// command limits shared by every process and failing closed, guild settings
// in the shared cache layer and dropped from it by /settings set, and
// processes with shard ranges identifying through one Redis coordinator.
#include "bot_fixture.hpp"
#include "limits.hpp"

#include <musicbot/redis/client.hpp>
#include <musicbot/redis/config.hpp>
#include <redis_server.hpp>

namespace {

using namespace musicbot_bot_test;
using namespace std::chrono_literals;

musicbot::redis::config client_config(const musicbot_test::redis_server& server) {
  auto cfg = musicbot::redis::parse_url(server.url()).value();
  cfg.connect_timeout = 500ms;
  cfg.reconnect_initial_delay = 20ms;
  cfg.reconnect_max_delay = 100ms;
  return cfg;
}

struct decider {
  musicbot::bot::command_limiter& limiter;
  asio::io_context& ioc;
  musicbot::bot::limit_verdict operator()(std::uint64_t guild, std::uint64_t user, std::string_view command) {
    std::optional<musicbot::bot::limit_verdict> out;
    limiter.decide(guild, user, command, [&](musicbot::bot::limit_verdict v) { out = v; });
    EXPECT_TRUE(musicbot_test::run_until(ioc, [&] { return out.has_value(); }));
    return out.value_or(musicbot::bot::limit_verdict{});
  }
};

TEST(BotRedisLimits, TwoProcessesShareOneQuotaAndFailClosed) {
  musicbot_test::redis_server server;
  asio::io_context ioc;
  musicbot::bot::bot_config config;
  config.limits.user_commands = 3;
  config.limits.user_window = 60s;
  config.limits.guild_commands = 100;
  config.redis.fallback_fraction = 0.5;
  config.redis.expected_replicas = 2;
  musicbot::metrics::registry registry;
  const auto business = musicbot::metrics::register_business_metrics(registry).value();
  // Two "processes": two clients, two limiters, one Redis.
  musicbot::redis::client client_a(ioc.get_executor(), client_config(server));
  musicbot::redis::client client_b(ioc.get_executor(), client_config(server));
  int connected = 0;
  client_a.async_connect([&](boost::system::error_code ec) { connected += ec ? 0 : 1; });
  client_b.async_connect([&](boost::system::error_code ec) { connected += ec ? 0 : 1; });
  ASSERT_TRUE(musicbot_test::run_until(ioc, [&] { return connected == 2; }));
  musicbot::bot::command_limiter a(config, client_a, business);
  musicbot::bot::command_limiter b(config, client_b, business);
  ASSERT_TRUE(a.distributed());
  decider in_a{a, ioc};
  decider in_b{b, ioc};

  EXPECT_TRUE(in_a(1, 7, "play").allowed);
  EXPECT_TRUE(in_b(1, 7, "play").allowed);
  const auto third = in_a(1, 7, "play");
  EXPECT_TRUE(third.allowed);
  EXPECT_TRUE(third.shared);
  const auto fourth = in_b(1, 7, "play");  // the quota of 3 is spent across both processes
  EXPECT_FALSE(fourth.allowed);
  EXPECT_TRUE(fourth.shared);
  EXPECT_EQ(fourth.scope, "user");
  EXPECT_GT(fourth.retry_after, 0ns);
  EXPECT_TRUE(in_b(1, 7, "queue").allowed);  // per command
  EXPECT_NE(server.command({"KEYS", "musicbot:rl:*"}), "*0\r\n");  // the limiter state lives in Redis

  // Redis gone: decisions come from the local fallback (3 × 0.5 / 2 → 1 per
  // process), never an unconditional allow.
  server.stop();
  EXPECT_TRUE(in_a(2, 8, "skip").allowed);
  const auto refused = in_a(2, 8, "skip");
  EXPECT_FALSE(refused.allowed);
  EXPECT_FALSE(refused.shared);
  EXPECT_TRUE(a.fallback_active());
  client_a.close();
  client_b.close();
  ioc.run_for(20ms);
}

TEST(BotRedis, SettingsGoThroughTheSharedCacheAndSetDropsThem) {
  musicbot_test::redis_server server;
  bot_fixture f;
  f.config.redis.url = musicbot::core::secret(server.url());
  f.config.limits.user_commands = 2;
  f.start_bot();
  const auto g = f.guild_ids.at(0);
  const std::string key = "musicbot:guild_settings:" + std::to_string(g);
  const auto show = R"({"name":"show","type":1,"options":[]})";
  EXPECT_NE(f.reply_text(f.command(g, 11, "settings", {show})).find("default volume 100%"), std::string::npos);
  ASSERT_TRUE(musicbot_test::run_until(f.ioc, [&] { return server.command({"EXISTS", key}) == ":1\r\n"; }));
  EXPECT_NE(server.command({"GET", key}).find(R"("volume":100)"), std::string::npos);

  const auto set = R"({"name":"set","type":1,"options":[)" + option_json("default_volume", 4, "60") + "]}";
  EXPECT_EQ(f.reply_text(f.command(g, 12, "settings", {set}, manage_guild)), "Settings saved.");
  ASSERT_TRUE(musicbot_test::run_until(f.ioc, [&] { return server.command({"EXISTS", key}) == ":0\r\n"; }));
  EXPECT_NE(f.reply_text(f.command(g, 13, "settings", {show})).find("default volume 60%"), std::string::npos);

  // Command limits are decided in Redis: the third /settings of one user is refused.
  f.reply_text(f.command(g, 13, "settings", {show}));
  EXPECT_EQ(f.reply_text(f.command(g, 13, "settings", {show})).rfind("Slow down", 0), 0U);
  EXPECT_NE(server.command({"KEYS", "musicbot:rl:*"}), "*0\r\n");  // the limiter state lives in Redis
}

// Two bot "processes" (two music_bot instances, each with its own Redis
// client) run shards 0 and 1 of a bot whose identify concurrency is 1, so
// both shards are in one bucket. Started together, they would IDENTIFY at
// once with per-process coordinators (the fake refuses the second with
// op 9); through Redis the second waits a window, and the shared daily
// budget counts both.
TEST(BotRedis, ShardRangesOfTwoProcessesIdentifyThroughRedis) {
  musicbot_test::redis_server server;
  musicbot::testing::fake_discord_options dopt;
  dopt.guilds = 4;
  dopt.shards = 2;
  dopt.max_concurrency = 1;
  dopt.identify_window = 200ms;  // the fake refuses identifies of one bucket closer than this
  bot_fixture f(dopt);
  f.config.redis.url = musicbot::core::secret(server.url());
  f.runtime.identify_window = 300ms;
  f.config.discord.shard_first = 0;
  f.config.discord.shard_last = 0;
  auto second = f.config;
  second.discord.shard_first = 1;
  second.discord.shard_last = 1;
  second.store.sqlite_path = f.dir.path() + "/second.db";

  auto a = std::make_unique<musicbot::bot::music_bot>(f.ioc, f.config, f.runtime);
  auto b = std::make_unique<musicbot::bot::music_bot>(f.ioc, second, f.runtime);
  int started = 0;
  a->start([&](boost::system::error_code ec) { started += ec ? 100 : 1; });
  b->start([&](boost::system::error_code ec) { started += ec ? 100 : 1; });
  ASSERT_TRUE(musicbot_test::run_until(f.ioc, [&] { return started >= 2; }, 10s));
  ASSERT_EQ(started, 2);
  EXPECT_TRUE(musicbot_test::run_until(
      f.ioc, [&] { return f.discord->shard_connected(0) && f.discord->shard_connected(1); }, 10s));

  const auto ids = f.discord->identifies();
  std::size_t sent = 0;
  for (const auto& r : f.discord->received()) sent += r.op == 2 ? 1U : 0U;
  ASSERT_EQ(ids.size(), 2U);
  EXPECT_EQ(sent, 2U) << "an IDENTIFY was refused for breaking the bucket";
  const auto gap = ids[1].at - ids[0].at;
  EXPECT_GE(gap, dopt.identify_window);
  const auto budget =
      server.command({"GET", "musicbot:identify:" + std::to_string(f.config.discord.application_id) + ":budget"});
  EXPECT_NE(budget.find("998"), std::string::npos) << budget;  // 1000 at start, one spent per identify

  for (auto* bot : {a.get(), b.get()}) {
    bool done = false;
    bot->shutdown([&] { done = true; });
    EXPECT_TRUE(musicbot_test::run_until(f.ioc, [&] { return done; }, 15s));
  }
  a.reset();
  b.reset();
  f.ioc.restart();
  f.ioc.run_for(20ms);
}

}  // namespace
