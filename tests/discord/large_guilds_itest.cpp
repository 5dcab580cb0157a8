// Regression: the startup burst of a shard with thousands of guilds (READY +
// one GUILD_CREATE per guild, sent back to back) must arrive complete and
// parseable, with zlib-stream on and off, and the shard must keep working
// afterwards. It used to break at >= ~1,025 guilds per shard: the fake's
// WebSocket write queue (1024 entries) overflowed, the overflowing messages
// were dropped silently, and with zlib-stream every later message inflated
// against a desynchronized window ("payload is not valid JSON").
#include "musicbot/discord/gateway.hpp"
#include "musicbot/discord/rest_client.hpp"
#include "musicbot/testing/fake_discord.hpp"

#include "itest_support.hpp"
#include "test_data.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace musicbot::discord {
namespace {

using namespace std::chrono_literals;
using test::run_for;
using test::run_until;

constexpr std::uint32_t shards = 2;
constexpr std::uint32_t guilds_per_shard = 2500;  // Discord's maximum per shard

struct shard_tally {
  std::size_t guild_creates = 0;   // typed GUILD_CREATEs
  std::size_t untyped = 0;         // known dispatches that fell back to raw
  std::size_t interactions = 0;    // typed INTERACTION_CREATEs
  std::set<snowflake> guild_ids;   // from GUILD_CREATE
  std::size_t ready_guilds = 0;    // READY's unavailable guilds
};

void run_burst(bool compress) {
  SCOPED_TRACE(compress ? "zlib-stream" : "plain");
  boost::asio::io_context io;
  testing::fake_discord_options fo;
  fo.shards = shards;
  fo.guilds = shards * guilds_per_shard;
  fo.max_concurrency = shards;
  fo.identify_window = 50ms;
  // Long enough that no heartbeat ACK (queued behind the burst) is due while
  // a loaded machine works through 2 x 2,501 messages.
  fo.heartbeat_interval = 15000ms;
  testing::fake_discord fake(io.get_executor(), fo);
  ASSERT_TRUE(fake.start());

  rest_options ro;
  ro.base_url = fake.api_base();
  ro.token = core::secret("fake-bot-token");
  rest_client rest(io.get_executor(), ro);
  auto coordinator = std::make_shared<local_identify_coordinator>(io.get_executor(), session_start_limit{}, 50ms);
  shard_manager_options mo;
  mo.gateway.token = core::secret("fake-bot-token");
  mo.gateway.compress = compress;
  mo.gateway.reconnect_backoff = {10ms, 50ms, net::jitter::full, 7};
  mo.gateway.connect_timeout = 5000ms;
  mo.gateway.hello_timeout = 5000ms;
  shard_manager manager(io.get_executor(), mo, rest, coordinator);

  std::map<std::uint32_t, shard_tally> tally;
  manager.set_event_handler([&](std::uint32_t shard, const gateway_payload& p) {
    auto& t = tally[shard];
    if (p.typed_error) ++t.untyped;
    if (const auto* g = std::get_if<guild_create_event>(&p.event)) {
      ++t.guild_creates;
      t.guild_ids.insert(g->id);
    } else if (const auto* r = std::get_if<ready_event>(&p.event)) {
      t.ready_guilds = r->guild_ids.size();
    } else if (std::holds_alternative<interaction>(p.event)) {
      ++t.interactions;
    }
  });
  manager.async_start([](boost::system::error_code) {});

  const bool all_guilds = run_until(
      io,
      [&] {
        std::size_t n = 0;
        for (const auto& [id, t] : tally) n += t.guild_creates;
        return n == shards * guilds_per_shard;
      },
      30s);
  for (std::uint32_t s = 0; s < shards; ++s) {
    const auto& t = tally[s];
    EXPECT_EQ(t.ready_guilds, guilds_per_shard) << "shard " << s;
    EXPECT_EQ(t.guild_creates, guilds_per_shard) << "shard " << s;
    EXPECT_EQ(t.untyped, 0u) << "shard " << s;
    std::size_t missing = 0;
    for (auto id : fake.guild_ids(s, shards)) missing += t.guild_ids.count(id) == 0 ? 1u : 0u;
    EXPECT_EQ(missing, 0u) << "shard " << s;
  }
  ASSERT_TRUE(all_guilds);

  // After the burst the shards still deliver: a command per shard arrives typed.
  auto cmd = test::read_json("gw_dispatch_interaction_create_command.json").as_object().at("d");
  for (std::uint32_t s = 0; s < shards; ++s) {
    cmd.as_object()["guild_id"] = std::to_string(fake.guild_ids(s, shards).front());
    fake.dispatch(s, "INTERACTION_CREATE", boost::json::serialize(cmd));
  }
  EXPECT_TRUE(run_until(io, [&] { return tally[0].interactions == 1 && tally[1].interactions == 1; }, 10s));
  for (const auto& st : manager.status()) {
    EXPECT_EQ(st.state, shard_state::ready) << "shard " << st.shard_id;
    EXPECT_EQ(st.reconnects, 0u) << "shard " << st.shard_id;  // no silent loss papered over by a resume
  }
  manager.stop();
  run_for(io, 50ms);
  fake.stop();
  run_for(io, 20ms);
}

// READY grows with the guild count; over gateway_options::max_message_size it
// is a clear error (counted, last_error set) followed by a reconnect, never a
// silent loss; when it repeats the shard stops instead of looping on IDENTIFY.
void run_oversized_ready(bool compress) {
  SCOPED_TRACE(compress ? "zlib-stream" : "plain");
  boost::asio::io_context io;
  testing::fake_discord_options fo;
  fo.guilds = guilds_per_shard;
  fo.identify_window = 5ms;  // well inside the coordinator's window: no op 9 from arrival jitter
  fo.heartbeat_interval = 2000ms;
  testing::fake_discord fake(io.get_executor(), fo);
  ASSERT_TRUE(fake.start());
  gateway_options go;
  go.token = core::secret("fake-bot-token");
  go.gateway_url = fake.gateway_url();
  go.compress = compress;
  go.max_message_size = 32 * 1024;  // READY of 2,500 guilds is ~115 KiB
  go.reconnect_backoff = {10ms, 50ms, net::jitter::full, 7};
  auto coordinator = std::make_shared<local_identify_coordinator>(io.get_executor(), session_start_limit{}, 50ms);
  gateway_shard shard(io.get_executor(), go, coordinator);
  std::size_t readies = 0;
  std::vector<boost::system::error_code> errors;
  shard.set_event_handler([&](const gateway_payload& p) { readies += p.t == "READY" ? 1u : 0u; });
  shard.set_state_handler([&](shard_state, boost::system::error_code ec) {
    if (ec) errors.push_back(ec);
  });
  shard.start();
  // Reconnects twice, then stops rather than burn identifies on a cap too small.
  ASSERT_TRUE(run_until(io, [&] { return shard.status().state == shard_state::stopped; }, 10s));
  EXPECT_EQ(readies, 0u);
  EXPECT_EQ(shard.status().oversized, 3u);
  EXPECT_EQ(shard.status().reconnects, 2u);
  EXPECT_EQ(fake.identifies().size(), 3u);
  EXPECT_EQ(shard.status().last_error, make_error_code(error::message_too_large));
  EXPECT_NE(std::find(errors.begin(), errors.end(), make_error_code(error::message_too_large)), errors.end());
  shard.stop();
  run_for(io, 30ms);
  fake.stop();
  run_for(io, 20ms);
}

TEST(LargeGuilds, ReadyOverTheMessageCapIsAnErrorAndAReconnectZlibStream) { run_oversized_ready(true); }
TEST(LargeGuilds, ReadyOverTheMessageCapIsAnErrorAndAReconnectPlain) { run_oversized_ready(false); }

TEST(LargeGuilds, StartupBurstOfTwoShardsOf2500GuildsZlibStream) { run_burst(true); }
TEST(LargeGuilds, StartupBurstOfTwoShardsOf2500GuildsPlain) { run_burst(false); }

}  // namespace
}  // namespace musicbot::discord
