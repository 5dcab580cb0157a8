// The deployment of docs/DEPLOYMENT.md, end to end: two `musicbot`
// processes running shard ranges 0–1 and 2–3 of one bot, sharing
// PostgreSQL and Redis, against the testing kit's fake Discord (4 shards,
// identify concurrency 2) and two fake Lavalink nodes.
//
// It drives commands in guilds of every shard, kills one Lavalink node and
// one bot process (SIGKILL), restarts the process, and checks what an
// operator relies on: every guild's queue intact in the database and
// playback rebuilt, a settings change made through one process seen by the
// other (Redis L2 + invalidation), the per-user rate limit held across
// processes and across the restart (the limiter state lives in Redis, not
// in the killed process), no identify refused for breaking a concurrency
// bucket (the processes coordinate their identifies through Redis), and a
// graceful exit on SIGTERM.

#include <postgres_server.hpp>
#include <redis_server.hpp>

#include <musicbot/store/postgres_store.hpp>
#include <musicbot/testing/fake_discord.hpp>
#include <musicbot/testing/fake_lavalink.hpp>
#include <musicbot/testing/tracks.hpp>
#include <musicbot_test/process.hpp>
#include <musicbot_test/run_until.hpp>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <signal.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using musicbot_test::run_until;

constexpr std::uint32_t shard_count = 4;
constexpr std::uint32_t guilds_per_shard = 2;
// limits.user_commands per guild, user and command. The window is long
// (the limiter is GCRA: one more command is allowed every window / limit,
// so a short window would hand out a new one during the test).
constexpr std::uint32_t user_limit = 5;
constexpr int user_window_seconds = 3600;
constexpr std::uint64_t manage_guild = 0x20;

const std::array<std::string, 6> titles = {"Northern Lights", "Glass Rivers", "Slow Motion",
                                           "Neon Rain",       "Open Road",    "Paper Planes"};

std::vector<musicbot::lavalink::track> catalog() {
  std::vector<musicbot::lavalink::track> out;
  std::uint32_t n = 0;
  for (const auto& title : titles) {
    // Ten minutes long: nothing ends on its own during the test.
    out.push_back(musicbot::testing::make_track(title, "Kite Theory", std::chrono::minutes(10), "mp" + std::to_string(n++)));
  }
  return out;
}

std::string option(const std::string& name, int type, const std::string& value_json) {
  return R"({"name":")" + name + R"(","type":)" + std::to_string(type) + R"(,"value":)" + value_json + "}";
}

// Everything the processes talk to except Redis and PostgreSQL, driven on
// this thread by run_until.
class deployment : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!musicbot_test::redis_server::available() || !musicbot_test::postgres_server::available()) {
      GTEST_SKIP() << "redis-server or PostgreSQL 15 is not installed";
    }
    redis_ = std::make_unique<musicbot_test::redis_server>();
    pg_ = std::make_unique<musicbot_test::postgres_server>();

    for (int n = 0; n < 2; ++n) {
      nodes_.push_back(std::make_unique<musicbot::testing::fake_lavalink>(ioc_.get_executor()));
      for (const auto& t : catalog()) nodes_.back()->add_track(t);
      auto port = nodes_.back()->start();
      ASSERT_TRUE(port) << port.error().message();
      node_ports_.push_back(*port);
    }
    musicbot::testing::fake_discord_options o;
    o.shards = shard_count;
    o.guilds = shard_count * guilds_per_shard;
    o.max_concurrency = 2;  // buckets {0,2} and {1,3}: each bucket spans both processes
    discord_ = std::make_unique<musicbot::testing::fake_discord>(ioc_.get_executor(), o);
    ASSERT_TRUE(discord_->start());
    for (std::uint32_t s = 0; s < shard_count; ++s) {
      for (const auto g : discord_->guild_ids(s, shard_count)) guilds_.push_back({g, s});
    }
    ASSERT_EQ(guilds_.size(), shard_count * guilds_per_shard);
  }

  void TearDown() override {
    stop_bots(SIGTERM, 15s);
    if (discord_) discord_->stop();
    for (auto& n : nodes_) n->stop();
  }

  // Sends `signal` to every running bot and serves the fakes while they
  // exit (a graceful shutdown closes its gateway connections and Lavalink
  // sessions through them); returns the exit statuses (-1: killed after
  // `timeout`).
  std::vector<int> stop_bots(int signal, std::chrono::milliseconds timeout) {
    std::vector<int> status(bots_.size(), -1);
    for (auto& p : bots_) {
      if (p && p->pid() > 0) ::kill(p->pid(), signal);
    }
    run_until(
        ioc_,
        [&] {
          bool all = true;
          for (std::size_t n = 0; n < bots_.size(); ++n) {
            if (!bots_[n] || bots_[n]->pid() <= 0) continue;
            const int st = bots_[n]->wait(0ms);
            if (bots_[n]->pid() > 0) {
              all = false;
            } else {
              status[n] = st;
            }
          }
          return all;
        },
        timeout);
    for (auto& p : bots_) {
      if (p && p->pid() > 0) p->stop(SIGKILL, 2s);
    }
    return status;
  }

  // Writes the config of the process owning shards [first, last] and starts it.
  void start_bot(int index, std::uint32_t first, std::uint32_t last) {
    const auto path = dir_.path() + "/bot" + std::to_string(index) + ".toml";
    std::ofstream f(path);
    f << "[discord]\n"
      << "token = \"fake-bot-token\"\n"
      << "application_id = " << musicbot::testing::fake_discord_options{}.bot_user_id << "\n"
      << "rest_url = \"" << discord_->api_base() << "\"\n"
      << "gateway_url = \"" << discord_->gateway_url() << "\"\n"
      << "shard_count = " << shard_count << "\nshard_first = " << first << "\nshard_last = " << last << "\n";
    for (std::size_t n = 0; n < node_ports_.size(); ++n) {
      f << "[[lavalink.nodes]]\nname = \"node-" << n + 1 << "\"\nurl = \"http://127.0.0.1:" << node_ports_[n]
        << "\"\npassword = \"youshallnotpass\"\n";
    }
    f << "[store]\nbackend = \"postgres\"\npostgres_dsn = \"" << pg_->dsn() << "\"\n"
      << "[redis]\nurl = \"" << redis_->url() << "\"\nexpected_replicas = 2\n"
      << "[limits]\nuser_commands = " << user_limit << "\nuser_window_seconds = " << user_window_seconds << "\n"
      << "guild_commands = 1000\nguild_window_seconds = 10\n"
      << "[observability]\nport = 0\nlog_level = \"info\"\n";
    f.close();
    const auto log = dir_.path() + "/bot" + std::to_string(index) + ".log";
    if (bots_.size() <= static_cast<std::size_t>(index)) bots_.resize(static_cast<std::size_t>(index) + 1);
    bots_[static_cast<std::size_t>(index)] =
        std::make_unique<musicbot_test::child_process>(std::vector<std::string>{MUSICBOT_BOT_EXECUTABLE, "--config", path}, log);
    logs_.push_back(log);
  }

  [[nodiscard]] bool shards_connected(std::uint32_t first, std::uint32_t last) const {
    for (auto s = first; s <= last; ++s) {
      if (!discord_->shard_connected(s)) return false;
    }
    return true;
  }

  void join_voice(std::uint64_t guild, std::uint32_t shard, std::uint64_t user) {
    discord_->dispatch(shard, "VOICE_STATE_UPDATE",
                       R"({"guild_id":")" + std::to_string(guild) + R"(","channel_id":")" + std::to_string(guild + 1) +
                           R"(","user_id":")" + std::to_string(user) + R"(","session_id":"s)" + std::to_string(user) +
                           R"(","deaf":false,"mute":false,"self_deaf":false,"self_mute":false,"self_video":false,"suppress":false,"member":{"user":{"id":")" +
                           std::to_string(user) + R"("},"roles":[]}})");
  }

  // Sends a slash command; returns the token that identifies its replies.
  // `shard` is the connection it arrives on: normally the guild's shard;
  // another process's shard delivers it to that process instead.
  std::string command(std::uint64_t guild, std::uint32_t shard, std::uint64_t user, const std::string& name,
                      const std::string& options = "", std::uint64_t permissions = 0) {
    const auto id = 1'500'000'000'000'000'000ULL + ++sent_;
    const auto token = "mp-token-" + std::to_string(id);
    discord_->dispatch(
        shard, "INTERACTION_CREATE",
        R"({"id":")" + std::to_string(id) + R"(","application_id":")" +
            std::to_string(musicbot::testing::fake_discord_options{}.bot_user_id) + R"(","type":2,"token":")" + token +
            R"(","guild_id":")" + std::to_string(guild) + R"(","channel_id":")" + std::to_string(guild + 2) +
            R"(","member":{"user":{"id":")" + std::to_string(user) +
            R"("},"roles":[],"permissions":")" + std::to_string(permissions) + R"("},"data":{"id":"1","name":")" + name +
            R"(","type":1,"options":[)" + options +
            "]}}");
    return token;
  }

  // The final text the bot answered for `token` (callback or follow-up
  // edit), once it is there.
  [[nodiscard]] std::optional<std::string> reply(const std::string& token) const {
    std::optional<std::string> out;
    for (const auto& r : discord_->requests()) {
      if (r.path.find(token) == std::string::npos) continue;
      if (r.body.find("\"type\":5") != std::string::npos && r.body.find("content") == std::string::npos) continue;
      out = r.body;
    }
    return out;
  }

  bool await_replies(const std::vector<std::string>& tokens, std::chrono::milliseconds timeout = 20s) {
    return run_until(
        ioc_,
        [&] {
          for (const auto& t : tokens) {
            if (!reply(t)) return false;
          }
          return true;
        },
        timeout);
  }

  std::string logs() const {
    std::string out;
    for (const auto& l : logs_) {
      std::ifstream in(l);
      out += "---- " + l + "\n" + std::string(std::istreambuf_iterator<char>(in), {});
    }
    return out.size() > 20'000 ? out.substr(out.size() - 20'000) : out;
  }

  // One line per guild: its player on `node` and the track it plays.
  std::string players_on(const musicbot::testing::fake_lavalink& node) const {
    std::string out;
    for (const auto& g : guilds_) {
      const auto p = node.player(std::to_string(g.id));
      out += "guild " + std::to_string(g.id) + " (shard " + std::to_string(g.shard) + "): " +
             (!p ? std::string("no player") : p->track ? p->track->info.title : std::string("no track")) + "\n";
    }
    return out;
  }

  struct guild_ref {
    std::uint64_t id;
    std::uint32_t shard;
  };

  musicbot_test::temp_dir dir_{"musicbot-e2e"};
  asio::io_context ioc_;
  std::unique_ptr<musicbot_test::redis_server> redis_;
  std::unique_ptr<musicbot_test::postgres_server> pg_;
  std::vector<std::unique_ptr<musicbot::testing::fake_lavalink>> nodes_;
  std::vector<std::uint16_t> node_ports_;
  std::unique_ptr<musicbot::testing::fake_discord> discord_;
  std::vector<guild_ref> guilds_;
  std::vector<std::unique_ptr<musicbot_test::child_process>> bots_;
  std::vector<std::string> logs_;
  std::uint64_t sent_ = 0;
};

std::uint64_t listener_of(std::uint64_t guild) { return 600'000'000'000'000'000ULL + guild % 1'000'000; }

// The final text of a reply ("" when there is none).
bool refused(const std::optional<std::string>& reply) { return reply && reply->find("Slow down") != std::string::npos; }

TEST_F(deployment, ShardRangesSurviveNodeLossAndSigkill) {
  start_bot(0, 0, 1);
  start_bot(1, 2, 3);
  ASSERT_TRUE(run_until(ioc_, [&] { return shards_connected(0, shard_count - 1); }, 60s)) << logs();
  ASSERT_TRUE(run_until(ioc_, [&] { return nodes_[0]->connected_clients() == 2 && nodes_[1]->connected_clients() == 2; }, 20s))
      << logs();

  // Three tracks in every guild of every shard: one plays, two wait. One
  // round at a time, so every queue has the same order.
  for (const auto& g : guilds_) join_voice(g.id, g.shard, listener_of(g.id));
  run_until(ioc_, [] { return false; }, 300ms);  // let the voice states land first
  for (std::size_t n = 0; n < 3; ++n) {
    std::vector<std::string> plays;
    for (const auto& g : guilds_) {
      plays.push_back(command(g.id, g.shard, listener_of(g.id), "play", option("query", 3, "\"" + titles[n] + "\"")));
    }
    ASSERT_TRUE(await_replies(plays)) << logs();
    for (const auto& t : plays) {
      const auto text = *reply(t);
      EXPECT_NE(text.find(n == 0 ? "Now playing" : "Queued"), std::string::npos) << text;
      EXPECT_NE(text.find(titles[n]), std::string::npos) << text;
    }
  }

  // Every queue is committed to PostgreSQL (the shared store) before the faults.
  musicbot::store::postgres_config pc;
  pc.dsn = musicbot::core::secret(pg_->dsn());
  musicbot::store::postgres_store db(ioc_.get_executor(), pc);
  bool started = false;
  db.async_start([&](boost::system::error_code ec) { started = !ec; });
  ASSERT_TRUE(run_until(ioc_, [&] { return started; }, 10s));
  auto stored = [&](std::uint64_t guild) {
    std::optional<musicbot::store::stored_queue> out;
    bool done = false;
    db.async_load_queue(guild, [&](boost::system::error_code ec, std::optional<musicbot::store::stored_queue> q) {
      if (!ec) out = std::move(q);
      done = true;
    });
    run_until(ioc_, [&] { return done; }, 5s);
    return out;
  };
  auto intact = [&](std::uint64_t guild) {
    const auto q = stored(guild);
    return q && q->state.current && q->state.current->title == titles[0] && q->state.upcoming.size() == 2 &&
           q->state.upcoming[0].title == titles[1] && q->state.upcoming[1].title == titles[2];
  };
  for (const auto& g : guilds_) {
    EXPECT_TRUE(run_until(ioc_, [&] { return intact(g.id); }, 10s)) << "guild " << g.id << " on shard " << g.shard;
  }

  // Guild settings are cached per process (L1) over Redis (L2): a change
  // made through process 0 reaches process 1's cache within a bounded
  // time (invalidation over pub/sub), not after the 5-minute TTL. The
  // commands of one guild are delivered to the other process through its
  // own shard connection.
  {
    const auto g = guilds_[0];  // shard 0: process 0
    std::uint64_t admin = 800'000'000'000'000'000ULL;
    const auto show = R"({"name":"show","type":1,"options":[]})";
    const auto seen_by_1 = command(g.id, 2, ++admin, "settings", show);
    ASSERT_TRUE(await_replies({seen_by_1})) << logs();
    EXPECT_NE(reply(seen_by_1)->find("default volume 100%"), std::string::npos) << *reply(seen_by_1);
    const auto set = command(g.id, g.shard, ++admin, "settings",
                             R"({"name":"set","type":1,"options":[)" + option("default_volume", 4, "60") + "]}",
                             manage_guild);
    ASSERT_TRUE(await_replies({set})) << logs();
    EXPECT_NE(reply(set)->find("Settings saved."), std::string::npos) << *reply(set);
    bool changed = false;
    for (int n = 0; n < 20 && !changed; ++n) {  // bounded: 20 reads, 250 ms apart at most
      const auto again = command(g.id, 2, ++admin, "settings", show);
      if (!await_replies({again})) break;
      changed = reply(again)->find("default volume 60%") != std::string::npos;
      if (!changed) run_until(ioc_, [] { return false; }, 250ms);
    }
    EXPECT_TRUE(changed) << "process 1 still serves the old settings\n" << logs();
  }

  // One user's /nowplaying in one guild of shard 2 (process 1): the quota of
  // 5 is shared by both processes. 3 through process 1, then 4 through
  // process 0: exactly the last 2 are refused.
  const auto limited_guild = guilds_[2 * guilds_per_shard];
  ASSERT_EQ(limited_guild.shard, 2u);
  const std::uint64_t hasty = 700'000'000'000'000'001ULL;
  std::vector<std::string> through_1;
  for (int n = 0; n < 3; ++n) through_1.push_back(command(limited_guild.id, limited_guild.shard, hasty, "nowplaying"));
  ASSERT_TRUE(await_replies(through_1)) << logs();
  for (const auto& t : through_1) EXPECT_FALSE(refused(reply(t))) << *reply(t);
  std::vector<std::string> through_0;
  for (int n = 0; n < 4; ++n) through_0.push_back(command(limited_guild.id, 0, hasty, "nowplaying"));
  ASSERT_TRUE(await_replies(through_0)) << logs();
  std::size_t refusals = 0;
  for (const auto& t : through_0) refusals += refused(reply(t)) ? 1U : 0U;
  EXPECT_EQ(refusals, std::size_t{3 + 4} - user_limit);

  // Lavalink node-1 dies: every player lives on node-2 afterwards.
  nodes_[0]->stop();
  EXPECT_TRUE(run_until(
      ioc_,
      [&] {
        for (const auto& g : guilds_) {
          const auto p = nodes_[1]->player(std::to_string(g.id));
          if (!p || !p->track) return false;
        }
        return true;
      },
      30s))
      << players_on(*nodes_[1]) << logs();
  const auto sessions_before = nodes_[1]->session_count();
  const auto players_before = nodes_[1]->player_count();

  // Process 1 (shards 2–3) is SIGKILLed and started again.
  bots_[1]->stop(SIGKILL, 1s);
  EXPECT_TRUE(run_until(ioc_, [&] { return !discord_->shard_connected(2) && !discord_->shard_connected(3); }, 10s));
  start_bot(2, 2, 3);
  ASSERT_TRUE(run_until(ioc_, [&] { return shards_connected(0, shard_count - 1); }, 60s)) << logs();

  // Its sessions come back from PostgreSQL onto the surviving node (a new
  // Lavalink session; the dead process's one lingers in its resume window)
  // and play again.
  EXPECT_TRUE(run_until(ioc_, [&] { return nodes_[1]->session_count() > sessions_before; }, 20s)) << logs();
  EXPECT_TRUE(run_until(ioc_, [&] { return nodes_[1]->player_count() >= players_before + 2 * guilds_per_shard; }, 30s))
      << logs();
  for (const auto& g : guilds_) EXPECT_TRUE(intact(g.id)) << "guild " << g.id << " after the restart";
  std::vector<std::string> queues;
  std::vector<std::string> playing;
  for (const auto& g : guilds_) {
    queues.push_back(command(g.id, g.shard, listener_of(g.id), "queue"));
    playing.push_back(command(g.id, g.shard, listener_of(g.id), "nowplaying"));
  }
  ASSERT_TRUE(await_replies(queues)) << logs();
  ASSERT_TRUE(await_replies(playing)) << logs();
  for (std::size_t n = 0; n < guilds_.size(); ++n) {
    const auto q = *reply(queues[n]);
    EXPECT_NE(q.find(titles[1]), std::string::npos) << q;
    EXPECT_NE(q.find(titles[2]), std::string::npos) << q;
    const auto p = *reply(playing[n]);
    EXPECT_NE(p.find("Now playing"), std::string::npos) << "guild " << guilds_[n].id << ": " << p;
    EXPECT_NE(p.find(titles[0]), std::string::npos) << p;
    EXPECT_EQ(p.find("(paused)"), std::string::npos) << p;
  }

  // The restarted process still knows the hasty user is over the limit:
  // the window's state is in Redis, not in the process that died.
  std::vector<std::string> again;
  for (int n = 0; n < 3; ++n) again.push_back(command(limited_guild.id, limited_guild.shard, hasty, "nowplaying"));
  ASSERT_TRUE(await_replies(again)) << logs();
  for (const auto& t : again) EXPECT_TRUE(refused(reply(t))) << *reply(t);

  // No IDENTIFY was refused for breaking a concurrency bucket: every one
  // sent was accepted (the fake answers an early one with op 9 instead),
  // and identifies of one bucket ({0,2}, {1,3}: they span both processes)
  // are at least Discord's 5 s apart.
  std::size_t identify_payloads = 0;
  for (const auto& r : discord_->received()) identify_payloads += r.op == 2 ? 1U : 0U;
  const auto ids = discord_->identifies();
  EXPECT_EQ(ids.size(), std::size_t{shard_count + 2});  // 4 at start, 2 after the restart
  EXPECT_EQ(identify_payloads, ids.size()) << logs();
  for (std::size_t a = 0; a < ids.size(); ++a) {
    for (std::size_t b = a + 1; b < ids.size(); ++b) {
      if (ids[a].shard_id % 2 != ids[b].shard_id % 2) continue;
      const auto gap = ids[b].at > ids[a].at ? ids[b].at - ids[a].at : ids[a].at - ids[b].at;
      EXPECT_GE(gap, 5s) << "shards " << ids[a].shard_id << " and " << ids[b].shard_id << " identified together";
    }
  }

  // SIGTERM: both processes shut down gracefully.
  const auto status = stop_bots(SIGTERM, 20s);
  EXPECT_EQ(status[0], 0) << logs();
  EXPECT_EQ(status[2], 0) << logs();

  // No secret reached any process's output (all three logs, whole).
  for (const auto& path : logs_) {
    std::ifstream in(path);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_FALSE(text.empty()) << path;
    for (const char* secret : {"fake-bot-token", "youshallnotpass"}) {
      EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in " << path;
    }
  }
}

}  // namespace
