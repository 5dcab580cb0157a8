// Gateway flows against the fake Discord: identify, heartbeats, zombie
// detection and resume, op 7, op 9 (both values), every close code, identify
// buckets, voice state.
#include "musicbot/discord/close_codes.hpp"
#include "musicbot/discord/gateway.hpp"
#include "musicbot/discord/rest_client.hpp"
#include "musicbot/testing/fake_discord.hpp"

#include "itest_support.hpp"
#include "test_data.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace musicbot::discord {
namespace {

using namespace std::chrono_literals;
using test::run_for;
using test::run_until;

testing::fake_discord_options fast_fake() {
  testing::fake_discord_options o;
  o.heartbeat_interval = 150ms;
  o.heartbeat_grace = 300ms;
  o.identify_window = 50ms;
  o.max_concurrency = 16;
  o.guilds = 6;
  return o;
}

gateway_options fast_shard(const testing::fake_discord& fake, bool compress = true) {
  gateway_options o;
  o.token = core::secret("fake-bot-token");
  o.gateway_url = fake.gateway_url();
  o.compress = compress;
  o.reconnect_backoff = {10ms, 50ms, net::jitter::full, 7};
  o.invalid_session_min_wait = 10ms;
  o.invalid_session_max_wait = 30ms;
  o.connect_timeout = 2000ms;
  o.hello_timeout = 2000ms;
  return o;
}

struct harness {
  explicit harness(testing::fake_discord_options fo = fast_fake(), bool compress = true)
      : fake(io.get_executor(), fo) {
    EXPECT_TRUE(fake.start());
    coordinator = std::make_shared<local_identify_coordinator>(io.get_executor(), session_start_limit{1000, 1000, 24h, 16}, 50ms);
    shard = std::make_unique<gateway_shard>(io.get_executor(), fast_shard(fake, compress), coordinator);
    shard->set_event_handler([this](const gateway_payload& p) {
      events.push_back(p);
      if (p.s) seqs.push_back(*p.s);
    });
    shard->set_state_handler([this](shard_state s, boost::system::error_code ec) {
      states.push_back(s);
      if (ec) errors.push_back(ec);
    });
  }
  ~harness() {
    shard.reset();
    fake.stop();
    run_for(io, 20ms);
  }
  bool ready() const { return shard->status().state == shard_state::ready; }
  std::size_t count(std::string_view t) const {
    std::size_t n = 0;
    for (const auto& e : events) n += e.t == t ? 1u : 0u;
    return n;
  }

  boost::asio::io_context io;
  testing::fake_discord fake;
  std::shared_ptr<local_identify_coordinator> coordinator;
  std::unique_ptr<gateway_shard> shard;
  std::vector<gateway_payload> events;
  std::vector<std::int64_t> seqs;
  std::vector<shard_state> states;
  std::vector<boost::system::error_code> errors;
};

TEST(GatewayFlow, IdentifyReadyGuildsAndHeartbeats) {
  for (bool compress : {true, false}) {
    harness h(fast_fake(), compress);
    h.shard->start();
    ASSERT_TRUE(run_until(h.io, [&] { return h.count("GUILD_CREATE") == 6; })) << compress;
    ASSERT_TRUE(std::holds_alternative<ready_event>(h.events.front().event));
    EXPECT_EQ(std::get<ready_event>(h.events.front().event).guild_ids.size(), 6u);
    for (const auto& e : h.events) {
      if (e.t == "GUILD_CREATE") {
        EXPECT_TRUE(std::holds_alternative<guild_create_event>(e.event));
      }
    }
    const auto ids = h.fake.identifies();
    ASSERT_EQ(ids.size(), 1u);
    EXPECT_EQ(ids[0].intents, 129u);
    ASSERT_TRUE(run_until(h.io, [&] { return h.fake.heartbeats() >= 3 && h.shard->status().latency.has_value(); }));
    // op 1: the client answers at once.
    const auto before = h.fake.heartbeats();
    h.fake.request_heartbeat(0);
    ASSERT_TRUE(run_until(h.io, [&] { return h.fake.heartbeats() > before; }, 2s));
    EXPECT_EQ(h.shard->status().state, shard_state::ready);
  }
}

TEST(GatewayFlow, ZombieConnectionIsClosedResumableAndResumed) {
  harness h;
  h.shard->start();
  ASSERT_TRUE(run_until(h.io, [&] { return h.ready(); }));
  h.fake.set_ack_heartbeats(false);
  ASSERT_TRUE(run_until(h.io, [&] { return h.shard->status().zombies >= 1; }, 5s));
  h.fake.set_ack_heartbeats(true);
  ASSERT_TRUE(run_until(h.io, [&] { return h.fake.resumes() == 1 && h.ready(); }, 5s));
  const auto code = h.fake.last_client_close_code(0);
  ASSERT_TRUE(code);
  EXPECT_NE(*code, 1000);
  EXPECT_NE(*code, 1001);
  EXPECT_EQ(h.fake.identifies().size(), 1u);
  EXPECT_EQ(h.count("RESUMED"), 1u);
}

TEST(GatewayFlow, DroppedConnectionResumesAndReplaysMissedEvents) {
  harness h;
  h.shard->start();
  ASSERT_TRUE(run_until(h.io, [&] { return h.count("GUILD_CREATE") == 6; }));
  h.fake.drop_shard(0);
  h.fake.dispatch(0, "MESSAGE_CREATE", R"({"id":"1","content":"while you were away"})");
  ASSERT_TRUE(run_until(h.io, [&] { return h.count("RESUMED") == 1; }, 5s));
  EXPECT_EQ(h.count("MESSAGE_CREATE"), 1u);
  EXPECT_EQ(h.fake.identifies().size(), 1u);
  // Sequence numbers arrive gap-free and in order across the resume.
  for (std::size_t i = 1; i < h.seqs.size(); ++i) EXPECT_EQ(h.seqs[i], h.seqs[i - 1] + 1);
  bool saw_resume_payload = false;
  for (const auto& r : h.fake.received()) {
    if (r.op != 6) continue;
    const auto d = boost::json::parse(r.json).at("d");
    EXPECT_EQ(d.at("seq").as_int64(), 7);  // READY + 6 GUILD_CREATE
    EXPECT_EQ(d.at("session_id").as_string(), h.shard->session()->session_id);
    saw_resume_payload = true;
  }
  EXPECT_TRUE(saw_resume_payload);
}

TEST(GatewayFlow, Op7ReconnectsAndResumes) {
  harness h;
  h.shard->start();
  ASSERT_TRUE(run_until(h.io, [&] { return h.ready(); }));
  h.fake.send_reconnect(0);
  ASSERT_TRUE(run_until(h.io, [&] { return h.fake.resumes() == 1 && h.ready(); }, 5s));
  EXPECT_EQ(h.fake.identifies().size(), 1u);
  EXPECT_EQ(h.fake.connections(), 2u);
}

TEST(GatewayFlow, Op9ResumableResumes) {
  harness h;
  h.shard->start();
  ASSERT_TRUE(run_until(h.io, [&] { return h.ready(); }));
  h.fake.send_invalid_session(0, true);
  ASSERT_TRUE(run_until(h.io, [&] { return h.fake.resumes() == 1 && h.ready(); }, 5s));
  EXPECT_EQ(h.fake.identifies().size(), 1u);
}

TEST(GatewayFlow, Op9NotResumableIdentifiesAnew) {
  harness h;
  h.shard->start();
  ASSERT_TRUE(run_until(h.io, [&] { return h.ready(); }));
  const auto first_session = h.shard->session()->session_id;
  h.fake.send_invalid_session(0, false);
  ASSERT_TRUE(run_until(h.io, [&] { return h.fake.identifies().size() == 2 && h.ready(); }, 5s));
  EXPECT_EQ(h.fake.resumes(), 0u);
  EXPECT_NE(h.shard->session()->session_id, first_session);
}

TEST(GatewayFlow, EveryCloseCodeDoesWhatTheTableSays) {
  const auto table = test::read_json("close_codes.json");
  for (const auto& row : table.at("gateway").as_array()) {
    const auto code = static_cast<std::uint16_t>(row.at("code").as_int64());
    const auto expected = classify_gateway_close(code);
    harness h;
    h.shard->start();
    ASSERT_TRUE(run_until(h.io, [&] { return h.ready(); })) << code;
    h.fake.close_shard(0, code, "test");
    switch (expected.action) {
      case close_action::stop:
        ASSERT_TRUE(run_until(h.io, [&] { return h.shard->status().state == shard_state::stopped; }, 3s)) << code;
        EXPECT_EQ(h.shard->status().last_error, expected.error) << code;
        run_for(h.io, 150ms);  // it must not come back
        EXPECT_EQ(h.fake.connections(), 1u) << code;
        break;
      case close_action::resume:
        ASSERT_TRUE(run_until(h.io, [&] { return h.fake.resumes() == 1 && h.ready(); }, 3s)) << code;
        EXPECT_EQ(h.fake.identifies().size(), 1u) << code;
        break;
      case close_action::reidentify:
        ASSERT_TRUE(run_until(h.io, [&] { return h.fake.identifies().size() == 2 && h.ready(); }, 3s)) << code;
        EXPECT_EQ(h.fake.resumes(), 0u) << code;
        break;
    }
  }
}

TEST(GatewayFlow, VoiceStateUpdateYieldsCompleteVoiceInfo) {
  harness h;
  voice_state_tracker tracker;
  std::vector<voice_update> updates;
  tracker.set_handler([&](const voice_update& u) { updates.push_back(u); });
  h.shard->set_event_handler([&](const gateway_payload& p) {
    h.events.push_back(p);
    tracker.feed(p);
  });
  h.shard->start();
  ASSERT_TRUE(run_until(h.io, [&] { return h.ready(); }));
  const auto guild = h.fake.guild_ids(0, 1).front();
  bool sent = false;
  h.shard->async_update_voice_state(guild, guild + 1, false, true, [&](boost::system::error_code ec) {
    EXPECT_FALSE(ec);
    sent = true;
  });
  ASSERT_TRUE(run_until(h.io, [&] { return !updates.empty(); }, 3s));
  EXPECT_TRUE(sent);
  EXPECT_EQ(updates[0].what, voice_update::kind::ready);
  EXPECT_EQ(updates[0].guild_id, guild);
  EXPECT_EQ(updates[0].channel_id, guild + 1);
  EXPECT_FALSE(updates[0].session_id.empty());
  EXPECT_FALSE(updates[0].token.empty());
  EXPECT_EQ(updates[0].endpoint, "voice.fake.invalid:443");
  // Leave.
  h.shard->async_update_voice_state(guild, std::nullopt, false, false, [](boost::system::error_code) {});
  ASSERT_TRUE(run_until(h.io, [&] { return updates.size() == 2; }, 3s));
  EXPECT_EQ(updates[1].what, voice_update::kind::disconnected);
  // The op 4 payload was sent with the documented shape.
  bool saw_op4 = false;
  for (const auto& r : h.fake.received()) saw_op4 = saw_op4 || r.op == 4;
  EXPECT_TRUE(saw_op4);
}

TEST(GatewayFlow, OversizedPayloadIsRefusedBeforeSending) {
  harness h;
  h.shard->start();
  ASSERT_TRUE(run_until(h.io, [&] { return h.ready(); }));
  boost::system::error_code result;
  bool done = false;
  h.shard->async_send(std::string(5000, 'x'), [&](boost::system::error_code ec) {
    result = ec;
    done = true;
  });
  ASSERT_TRUE(run_until(h.io, [&] { return done; }, 2s));
  EXPECT_EQ(result, error::payload_too_large);
  EXPECT_TRUE(h.ready());
}

TEST(ShardManager, SixteenShardsIdentifyInBucketsOfMaxConcurrency) {
  boost::asio::io_context io;
  auto fo = fast_fake();
  fo.shards = 16;
  fo.max_concurrency = 4;
  fo.identify_window = 200ms;
  fo.guilds = 32;
  fo.heartbeat_interval = 1000ms;
  testing::fake_discord fake(io.get_executor(), fo);
  ASSERT_TRUE(fake.start());
  rest_options ro;
  ro.base_url = fake.api_base();
  ro.token = core::secret("fake-bot-token");
  rest_client rest(io.get_executor(), ro);
  auto coordinator = std::make_shared<local_identify_coordinator>(io.get_executor(), session_start_limit{}, 200ms);
  shard_manager_options mo;
  mo.gateway = fast_shard(fake);
  shard_manager manager(io.get_executor(), mo, rest, coordinator);
  std::map<std::uint32_t, std::size_t> guild_creates;
  manager.set_event_handler([&](std::uint32_t shard, const gateway_payload& p) {
    if (p.t == "GUILD_CREATE") ++guild_creates[shard];
  });
  boost::system::error_code start_ec{make_error_code(error::timeout)};
  manager.async_start([&](boost::system::error_code ec) { start_ec = ec; });
  ASSERT_TRUE(run_until(io, [&] {
    std::size_t ready = 0;
    for (const auto& s : manager.status()) ready += s.state == shard_state::ready ? 1u : 0u;
    return ready == 16;
  }, 15s));
  EXPECT_FALSE(start_ec);
  EXPECT_EQ(manager.shard_count(), 16u);
  const auto ids = fake.identifies();
  ASSERT_EQ(ids.size(), 16u);  // the fake answers op 9 to an identify over the limit
  // Same bucket (shard % 4): at least one window apart; any window: at most 4.
  for (const auto& a : ids) {
    int in_window = 0;
    for (const auto& b : ids) {
      if (b.at >= a.at && b.at < a.at + 200ms) ++in_window;
      if (a.shard_id != b.shard_id && a.shard_id % 4 == b.shard_id % 4) {
        EXPECT_GE(a.at > b.at ? a.at - b.at : b.at - a.at, 190ms);
      }
    }
    EXPECT_LE(in_window, 4);
  }
  std::size_t total = 0;
  for (const auto& [shard, n] : guild_creates) total += n;
  EXPECT_EQ(total, 32u);
  // Voice state goes to the guild's shard.
  const auto guild = fake.guild_ids(5, 16).front();
  EXPECT_EQ(manager.shard_for_guild(guild)->id(), 5u);
  manager.stop();
  run_for(io, 50ms);
  fake.stop();
}

}  // namespace
}  // namespace musicbot::discord

namespace musicbot::discord {
namespace {

// session_start_limit: with the daily budget used up, a shard does not stop
// and never identifies over the budget: it waits for reset_after (reported
// in its status and state changes), then identifies.
TEST(ShardManager, ExhaustedIdentifyBudgetWaitsForTheResetThenIdentifies) {
  boost::asio::io_context io;
  auto fo = fast_fake();
  fo.shards = 2;
  fo.max_concurrency = 2;
  fo.guilds = 4;
  fo.heartbeat_interval = 1000ms;
  fo.session_start_remaining = 1;
  fo.session_start_reset_after = 600ms;
  const auto t0 = std::chrono::steady_clock::now();
  testing::fake_discord fake(io.get_executor(), fo);
  ASSERT_TRUE(fake.start());
  rest_options ro;
  ro.base_url = fake.api_base();
  ro.token = core::secret("fake-bot-token");
  rest_client rest(io.get_executor(), ro);
  shard_manager_options mo;
  mo.gateway = fast_shard(fake);
  shard_manager manager(io.get_executor(), mo, rest);  // local coordinator from GET /gateway/bot
  std::vector<boost::system::error_code> errors;
  std::vector<shard_state> states;
  manager.set_state_handler([&](std::uint32_t, shard_state s, boost::system::error_code ec) {
    states.push_back(s);
    if (ec) errors.push_back(ec);
  });
  manager.async_start([](boost::system::error_code) {});
  auto ready = [&] {
    std::size_t n = 0;
    for (const auto& s : manager.status()) n += s.state == shard_state::ready ? 1u : 0u;
    return n;
  };
  // One shard gets the last identify; the other waits for the reset.
  bool saw_wait = false;
  ASSERT_TRUE(run_until(io, [&] {
    for (const auto& s : manager.status())
      if (s.identify_budget_wait_until && s.state != shard_state::stopped) saw_wait = true;
    return saw_wait && ready() == 1;
  }, 5s));
  EXPECT_EQ(fake.identifies().size(), 1u);
  ASSERT_TRUE(run_until(io, [&] { return ready() == 2; }, 5s));
  const auto ids = fake.identifies();
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_GE(ids[1].at, t0 + 600ms);  // not before the budget reset
  EXPECT_NE(std::find(errors.begin(), errors.end(), make_error_code(error::identify_budget_exhausted)), errors.end());
  EXPECT_EQ(std::find(states.begin(), states.end(), shard_state::stopped), states.end());
  std::uint64_t waits = 0;
  for (const auto& s : manager.status()) {
    waits += s.budget_waits;
    EXPECT_FALSE(s.identify_budget_wait_until);  // cleared by READY
  }
  EXPECT_EQ(waits, 1u);
  manager.stop();
  run_for(io, 50ms);
  fake.stop();
}

}  // namespace
}  // namespace musicbot::discord
