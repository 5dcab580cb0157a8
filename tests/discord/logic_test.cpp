#include "musicbot/discord/close_codes.hpp"
#include "musicbot/discord/commands.hpp"
#include "musicbot/discord/heartbeat.hpp"
#include "musicbot/discord/identify.hpp"
#include "musicbot/discord/interaction_deadline.hpp"
#include "musicbot/discord/rest_rate_limit.hpp"
#include "musicbot/discord/send_limiter.hpp"
#include "musicbot/discord/sharding.hpp"

#include "musicbot/core/clock.hpp"
#include "test_data.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <map>

namespace musicbot::discord {
namespace {

using namespace std::chrono_literals;
using test::read_json;
using core::manual_clock;

// ---- close codes -----------------------------------------------------------

TEST(CloseCodes, EveryGatewayCodeDoesWhatTheTableSays) {
  const auto table = read_json("close_codes.json");
  int checked = 0;
  for (const auto& row : table.at("gateway").as_array()) {
    const auto code = static_cast<std::uint16_t>(row.at("code").as_int64());
    const bool reconnect = row.at("reconnect").as_bool();
    const auto d = classify_gateway_close(code);
    EXPECT_EQ(d.name, row.at("name").as_string()) << code;
    if (!reconnect) {
      EXPECT_EQ(d.action, close_action::stop) << code;
      EXPECT_TRUE(d.error) << code;
      EXPECT_EQ(d.error.category(), discord_category());
    } else {
      EXPECT_NE(d.action, close_action::stop) << code;
      EXPECT_FALSE(d.error);
      const std::string_view explanation(row.at("explanation").as_string());
      const bool new_session = explanation.find("new session") != std::string_view::npos ||
                               explanation.find("start a new one") != std::string_view::npos;
      EXPECT_EQ(d.action, new_session ? close_action::reidentify : close_action::resume) << code;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 14);
}

TEST(CloseCodes, FatalCodesMapToDistinctClearErrors) {
  EXPECT_EQ(classify_gateway_close(4004).error, error::authentication_failed);
  EXPECT_EQ(classify_gateway_close(4010).error, error::invalid_shard);
  EXPECT_EQ(classify_gateway_close(4011).error, error::sharding_required);
  EXPECT_EQ(classify_gateway_close(4012).error, error::invalid_api_version);
  EXPECT_EQ(classify_gateway_close(4013).error, error::invalid_intents);
  EXPECT_EQ(classify_gateway_close(4014).error, error::disallowed_intents);
  EXPECT_NE(make_error_code(error::disallowed_intents).message().find("privileged"), std::string::npos);
}

TEST(CloseCodes, TransportAndUnknownCodes) {
  EXPECT_EQ(classify_gateway_close(0).action, close_action::resume);
  EXPECT_EQ(classify_gateway_close(1006).action, close_action::resume);
  EXPECT_EQ(classify_gateway_close(1001).action, close_action::resume);
  EXPECT_EQ(classify_gateway_close(1000).action, close_action::reidentify);
  EXPECT_EQ(classify_gateway_close(4006).action, close_action::reidentify);
  EXPECT_EQ(classify_gateway_close(4999).action, close_action::reidentify);
  EXPECT_NE(gateway_close::client_resumable, 1000);
  EXPECT_NE(gateway_close::client_resumable, 1001);
}

TEST(CloseCodes, VoiceCodesFollowTheTable) {
  const auto table = read_json("close_codes.json");
  for (const auto& row : table.at("voice").as_array()) {
    const auto code = static_cast<std::uint16_t>(row.at("code").as_int64());
    const std::string_view action(row.at("action").as_string());
    const auto got = classify_voice_close(code);
    const auto want = action == "resume"        ? voice_close_action::resume
                      : action == "stop"        ? voice_close_action::stop
                      : action == "new_session" ? voice_close_action::new_session
                                                : voice_close_action::fix_client;
    EXPECT_EQ(got, want) << code;
  }
  EXPECT_EQ(classify_voice_close(4017), voice_close_action::fix_client);
}

// ---- sharding ----------------------------------------------------------------

TEST(Sharding, ShardCasesFromTheDocsFormula) {
  const auto cases = read_json("shard_cases.json");
  for (const auto& c : cases.at("cases").as_array()) {
    const auto guild = parse_snowflake(c.at("guild_id").as_string());
    ASSERT_TRUE(guild);
    EXPECT_EQ(shard_for(*guild, static_cast<std::uint32_t>(c.at("num_shards").as_int64())),
              c.at("shard_id").as_int64());
  }
  for (const auto& c : cases.at("max_concurrency_cases").as_array()) {
    EXPECT_EQ(rate_limit_key(static_cast<std::uint32_t>(c.at("shard_id").as_int64()),
                             static_cast<std::uint32_t>(c.at("max_concurrency").as_int64())),
              c.at("rate_limit_key").as_int64());
  }
}

TEST(Sharding, RangesSplitEvenly) {
  std::uint32_t covered = 0;
  for (std::uint32_t i = 0; i < 3; ++i) {
    const auto r = shard_range::split(16, 3, i);
    EXPECT_EQ(r.first, covered);
    covered += r.size();
    EXPECT_NO_THROW(r.validate());
  }
  EXPECT_EQ(covered, 16u);
  EXPECT_THROW((shard_range{3, 2, 4}.validate()), std::invalid_argument);
  EXPECT_THROW((void)shard_range::split(2, 3, 0), std::invalid_argument);
}

// ---- heartbeat -------------------------------------------------------------

TEST(Heartbeat, FirstBeatIsJitteredThenEveryInterval) {
  manual_clock clock;
  heartbeat_scheduler<manual_clock> hb(clock);
  using action = heartbeat_scheduler<manual_clock>::action;
  hb.start(41250ms, 0.25);
  EXPECT_EQ(hb.next_due() - clock.now(), std::chrono::duration_cast<manual_clock::duration>(10312500us));
  EXPECT_EQ(hb.poll(), action::wait);
  clock.advance(10313ms);
  EXPECT_EQ(hb.poll(), action::send);
  hb.on_sent();
  EXPECT_EQ(hb.poll(), action::wait);
  clock.advance(120ms);
  hb.on_ack();
  EXPECT_EQ(hb.latency(), std::chrono::duration_cast<manual_clock::duration>(120ms));
  clock.advance(41250ms - 120ms);
  EXPECT_EQ(hb.poll(), action::send);
}

TEST(Heartbeat, NoAckBeforeTheNextBeatIsAZombie) {
  manual_clock clock;
  heartbeat_scheduler<manual_clock> hb(clock);
  using action = heartbeat_scheduler<manual_clock>::action;
  hb.start(1000ms, 0.0);
  EXPECT_EQ(hb.poll(), action::send);
  hb.on_sent();
  clock.advance(999ms);
  EXPECT_EQ(hb.poll(), action::wait);
  clock.advance(1ms);
  EXPECT_EQ(hb.poll(), action::zombie);
}

TEST(Heartbeat, RequestedBeatDoesNotShiftTheSchedule) {
  manual_clock clock;
  heartbeat_scheduler<manual_clock> hb(clock);
  hb.start(1000ms, 0.5);
  const auto due = hb.next_due();
  clock.advance(100ms);
  hb.on_sent(false);
  EXPECT_EQ(hb.next_due(), due);
  EXPECT_TRUE(hb.awaiting_ack());
  hb.on_ack();
  EXPECT_FALSE(hb.awaiting_ack());
}

// ---- outbound limiter ----------------------------------------------------------

TEST(SendLimiter, OrdinaryEventsStopBelowTheLimitHeartbeatsAlwaysPass) {
  manual_clock clock;
  gateway_send_limiter<manual_clock> limiter(clock);
  int sent = 0;
  for (int i = 0; i < 200; ++i) {
    if (limiter.try_send().allowed) ++sent;
  }
  EXPECT_EQ(sent, 115);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.try_send(true).allowed);
  EXPECT_EQ(limiter.in_window(), 120u);
  const auto refused = limiter.try_send();
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, std::chrono::duration_cast<manual_clock::duration>(60s));
  clock.advance(60s);
  EXPECT_TRUE(limiter.try_send().allowed);
}

TEST(SendLimiter, NeverMoreThan120InAnySixtySeconds) {
  manual_clock clock;
  gateway_send_limiter<manual_clock> limiter(clock);
  std::deque<manual_clock::time_point> log;
  for (int step = 0; step < 2000; ++step) {
    const bool hb = step % 301 == 0;  // every ~41 s, like a real heartbeat interval
    if (limiter.try_send(hb).allowed) log.push_back(clock.now());
    while (!log.empty() && log.front() + 60s <= clock.now()) log.pop_front();
    ASSERT_LE(log.size(), 120u);
    clock.advance(137ms);
  }
}

// ---- identify ------------------------------------------------------------------

TEST(Identify, SixteenShardsMaxConcurrencyFourStartInBucketsOfFourPerFiveSeconds) {
  manual_clock clock;
  const auto t0 = clock.now();
  identify_scheduler<manual_clock> sched({1000, 1000, 24h, 4}, clock);
  std::map<std::uint32_t, manual_clock::time_point> at;
  for (std::uint32_t shard = 0; shard < 16; ++shard) {
    const auto slot = sched.reserve(shard);
    ASSERT_TRUE(slot.granted);
    at[shard] = slot.at;
  }
  for (std::uint32_t shard = 0; shard < 16; ++shard) {
    EXPECT_EQ(at[shard] - t0, std::chrono::duration_cast<manual_clock::duration>(5s * (shard / 4))) << shard;
  }
  // No 5 s window ever holds more than max_concurrency identifies, and each
  // bucket (shard % 4) identifies at most once per window.
  for (const auto& [s1, t1] : at) {
    int in_window = 0;
    for (const auto& [s2, t2] : at) {
      if (t2 >= t1 && t2 < t1 + 5s) ++in_window;
      if (s1 != s2 && s1 % 4 == s2 % 4) {
        EXPECT_GE(t1 > t2 ? t1 - t2 : t2 - t1, std::chrono::duration_cast<manual_clock::duration>(5s));
      }
    }
    EXPECT_LE(in_window, 4);
  }
  EXPECT_EQ(sched.remaining(), 1000u - 16u);
}

TEST(Identify, ReservationsLaterInTimeStartImmediately) {
  manual_clock clock;
  identify_scheduler<manual_clock> sched({1000, 1000, 24h, 1}, clock);
  EXPECT_EQ(sched.reserve(0).at, clock.now());
  clock.advance(10s);
  EXPECT_EQ(sched.reserve(1).at, clock.now());
  EXPECT_EQ(sched.reserve(2).at, clock.now() + 5s);
}

TEST(Identify, DailyBudgetIsRespected) {
  manual_clock clock;
  identify_scheduler<manual_clock> sched({1000, 2, 1h, 16}, clock);
  EXPECT_TRUE(sched.reserve(0).granted);
  EXPECT_TRUE(sched.reserve(1).granted);
  const auto refused = sched.reserve(2);
  EXPECT_FALSE(refused.granted);
  EXPECT_EQ(refused.at, clock.now() + 1h);
  EXPECT_EQ(sched.budget_reset_in(), std::chrono::milliseconds(1h));
  clock.advance(30min);
  EXPECT_EQ(sched.budget_reset_in(), std::chrono::milliseconds(30min));
  clock.advance(30min);
  EXPECT_EQ(sched.budget_reset_in(), std::chrono::milliseconds(0));
  EXPECT_TRUE(sched.reserve(2).granted);
  EXPECT_EQ(sched.remaining(), 999u);
}

// ---- REST rate limits ------------------------------------------------------------

rate_limit_headers headers_from(const boost::json::object& h, std::string_view body = {}) {
  return rate_limit_headers::parse(
      [&](std::string_view name) -> std::optional<std::string_view> {
        for (const auto& kv : h)
          if (kv.key() == name) return std::string_view(kv.value().as_string());
        return std::nullopt;
      },
      body);
}

TEST(RestRoute, MajorParametersKeyTheBucket) {
  auto a = rest_route::make("POST", "/channels/805739220172931072/messages");
  auto b = rest_route::make("POST", "/channels/805739220172931073/messages");
  EXPECT_NE(a.key, b.key);
  EXPECT_EQ(a.major, "channels/805739220172931072");
  auto e1 = rest_route::make("PATCH", "/channels/1/messages/111");
  auto e2 = rest_route::make("PATCH", "/channels/1/messages/222");
  EXPECT_EQ(e1.key, e2.key);
  auto cb = rest_route::make("POST", "/interactions/1424099381862334464/TOKEN/callback");
  EXPECT_TRUE(cb.global_exempt);
  EXPECT_TRUE(cb.interaction);
  auto fu = rest_route::make("POST", "/webhooks/1173917793654013952/TOKEN");
  EXPECT_TRUE(fu.global_exempt);
  EXPECT_FALSE(rest_route::make("GET", "/gateway/bot").global_exempt);
  EXPECT_EQ(rest_route::make("PUT", "/applications/1/commands").key, rest_route::make("PUT", "/applications/2/commands").key);
}

TEST(RestRateLimit, HeaderExampleIsParsed) {
  const auto data = read_json("rest_rate_limit.json");
  const auto h = headers_from(data.at("header_example").at("headers").as_object());
  EXPECT_EQ(h.bucket, "abcd1234");
  EXPECT_EQ(h.limit, 5u);
  EXPECT_EQ(h.remaining, 0u);
  EXPECT_EQ(h.reset_after, 1.0);
}

TEST(RestRateLimit, RemainingAndResetAfterAreRespectedBeforeSending) {
  manual_clock clock;
  rest_rate_limiter<manual_clock> rl({}, clock);
  const auto route = rest_route::make("POST", "/channels/1/messages");
  ASSERT_TRUE(rl.acquire(route).granted);  // unknown bucket: discovery request
  rate_limit_headers h;
  h.bucket = "b1";
  h.limit = 2;
  h.remaining = 1;
  h.reset_after = 2.0;
  EXPECT_EQ(rl.on_response(route, 200, h), rest_rate_limiter<manual_clock>::outcome::done);
  ASSERT_TRUE(rl.acquire(route).granted);
  const auto refused = rl.acquire(route);
  EXPECT_FALSE(refused.granted);
  EXPECT_EQ(refused.reason, error::rate_limited);
  EXPECT_EQ(refused.retry_at, clock.now() + 2050ms);
  // Another channel is another bucket instance.
  EXPECT_TRUE(rl.acquire(rest_route::make("POST", "/channels/2/messages")).granted);
  clock.advance(2050ms);
  EXPECT_TRUE(rl.acquire(route).granted);
}

TEST(RestRateLimit, UserScope429BlocksTheBucketForRetryAfter) {
  const auto data = read_json("rest_rate_limit.json");
  manual_clock clock;
  rest_rate_limiter<manual_clock> rl({}, clock);
  const auto route = rest_route::make("POST", "/channels/1/messages");
  ASSERT_TRUE(rl.acquire(route).granted);
  const auto& resp = data.at("responses_429").as_array()[0].as_object();
  const auto h = headers_from(resp.at("headers").as_object(), boost::json::serialize(resp.at("body")));
  EXPECT_EQ(h.retry_after, 64.57);  // the body's precise value wins over the header's 65
  EXPECT_EQ(rl.on_response(route, 429, h), rest_rate_limiter<manual_clock>::outcome::retry);
  const auto p = rl.acquire(route);
  EXPECT_FALSE(p.granted);
  EXPECT_GE(p.retry_at, clock.now() + 64570ms);
  EXPECT_EQ(rl.invalid_requests(), 1u);
  clock.advance(64621ms);
  EXPECT_TRUE(rl.acquire(route).granted);
}

TEST(RestRateLimit, SharedScope429IsNotCountedAsInvalid) {
  const auto data = read_json("rest_rate_limit.json");
  manual_clock clock;
  rest_rate_limiter<manual_clock> rl({}, clock);
  const auto route = rest_route::make("GET", "/guilds/41771983423143937");
  ASSERT_TRUE(rl.acquire(route).granted);
  const auto& resp = data.at("responses_429").as_array()[1].as_object();
  rl.on_response(route, 429, headers_from(resp.at("headers").as_object(), boost::json::serialize(resp.at("body"))));
  EXPECT_EQ(rl.invalid_requests(), 0u);
  EXPECT_FALSE(rl.acquire(route).granted);
}

TEST(RestRateLimit, Global429BlocksEverythingButInteractionCallbacks) {
  const auto data = read_json("rest_rate_limit.json");
  manual_clock clock;
  rest_rate_limiter<manual_clock> rl({}, clock);
  const auto route = rest_route::make("GET", "/gateway/bot");
  ASSERT_TRUE(rl.acquire(route).granted);
  const auto& resp = data.at("responses_429").as_array()[2].as_object();
  const auto h = headers_from(resp.at("headers").as_object(), boost::json::serialize(resp.at("body")));
  EXPECT_TRUE(h.global);
  rl.on_response(route, 429, h);
  EXPECT_FALSE(rl.acquire(rest_route::make("POST", "/channels/9/messages")).granted);
  clock.advance(64621ms);
  EXPECT_TRUE(rl.acquire(rest_route::make("POST", "/channels/9/messages")).granted);
}

TEST(RestRateLimit, GlobalFiftyPerSecondWithInteractionsExempt) {
  manual_clock clock;
  rest_rate_limiter<manual_clock> rl({}, clock);
  int granted = 0;
  for (int i = 0; i < 80; ++i) {
    if (rl.acquire(rest_route::make("GET", "/channels/" + std::to_string(i))).granted) ++granted;
  }
  EXPECT_EQ(granted, 50);
  EXPECT_TRUE(rl.acquire(rest_route::make("POST", "/interactions/1/tok/callback")).granted);
  clock.advance(1s);
  EXPECT_TRUE(rl.acquire(rest_route::make("GET", "/channels/1")).granted);
}

TEST(RestRateLimit, InvalidRequestGuardStopsWellBeforeTheBan) {
  manual_clock clock;
  rest_rate_limit_options opt;
  opt.invalid_request_guard = 100;
  rest_rate_limiter<manual_clock> rl(opt, clock);
  const auto route = rest_route::make("GET", "/channels/1");
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(rl.acquire(route).granted) << i;
    rl.on_response(route, 403, {});
    clock.advance(30ms);
  }
  const auto p = rl.acquire(route);
  EXPECT_FALSE(p.granted);
  EXPECT_EQ(p.reason, error::invalid_request_guard);
  clock.advance(10min);
  EXPECT_TRUE(rl.acquire(route).granted);
  EXPECT_LT(opt.invalid_request_guard, 10'000u);
  EXPECT_LE(rest_rate_limit_options{}.invalid_request_guard, 5'000u);
}

TEST(RestRateLimit, BucketMapIsBounded) {
  manual_clock clock;
  rest_rate_limit_options opt;
  opt.max_buckets = 50;
  opt.global_per_second = 100000;
  rest_rate_limiter<manual_clock> rl(opt, clock);
  for (int i = 0; i < 500; ++i) {
    const auto route = rest_route::make("GET", "/channels/" + std::to_string(i) + "/messages");
    ASSERT_TRUE(rl.acquire(route).granted);
    rate_limit_headers h;
    h.bucket = "b";
    h.limit = 5;
    h.remaining = 4;
    h.reset_after = 100;
    rl.on_response(route, 200, h);
    ASSERT_LE(rl.bucket_count(), 50u);
  }
}

// ---- commands and interactions -----------------------------------------------------------

application_command play_command() {
  application_command c;
  c.name = "play";
  c.description = "Play a song or add it to the queue";
  c.options.push_back({option_type::string, "query", "Song name or URL", true, {}, true, {}, {}, {}, 200, {}, {}});
  c.options.push_back({option_type::integer, "position", "Queue position", false, {}, false, 1.0, 1000.0, {}, {}, {}, {}});
  c.default_member_permissions = 0x0000000000100000;  // CONNECT
  return c;
}

TEST(Commands, DefinitionsAreValidatedAndSerialised) {
  auto c = play_command();
  ASSERT_TRUE(validate(c));
  const auto j = to_json(c);
  EXPECT_EQ(j.at("name"), "play");
  EXPECT_EQ(j.at("options").as_array()[0].at("autocomplete"), true);
  EXPECT_EQ(j.at("options").as_array()[0].at("type"), 3);
  EXPECT_EQ(j.at("default_member_permissions"), "1048576");
  EXPECT_EQ(j.at("options").as_array()[1].at("min_value"), 1.0);
}

TEST(Commands, RulesAreEnforced) {
  auto upper = play_command();
  upper.name = "Play";
  EXPECT_FALSE(validate(upper));
  auto long_name = play_command();
  long_name.name = std::string(33, 'a');
  EXPECT_FALSE(validate(long_name));
  auto order = play_command();
  std::swap(order.options[0], order.options[1]);
  EXPECT_FALSE(validate(order));  // required after optional
  auto both = play_command();
  both.options[0].choices.push_back({"a", std::string("a")});
  EXPECT_FALSE(validate(both));  // choices and autocomplete
  auto many = play_command();
  many.options.resize(26, many.options[1]);
  EXPECT_FALSE(validate(many));
  EXPECT_EQ(validate(upper).error(), error::invalid_command);
}

TEST(Components, CustomIdIsAtMostOneHundredCharacters) {
  message_content m;
  m.content = "Now playing";
  button ok{button_style::primary, "Skip", std::string(100, 'x'), {}, {}, false};
  m.components.push_back({{ok}});
  EXPECT_TRUE(validate(m));
  m.components[0].components[0] = button{button_style::primary, "Skip", std::string(101, 'x'), {}, {}, false};
  ASSERT_FALSE(validate(m));
  EXPECT_EQ(validate(m).error(), error::custom_id_too_long);
  // 100 characters, not bytes: 100 × "é" (200 bytes) is fine.
  std::string accents;
  for (int i = 0; i < 100; ++i) accents += "\xC3\xA9";
  m.components[0].components[0] = button{button_style::primary, "Skip", accents, {}, {}, false};
  EXPECT_TRUE(validate(m));
}

TEST(Components, PlayerRowSerialises) {
  message_content m;
  m.content = "Now playing";
  m.components.push_back({{button{button_style::secondary, "Pause", "player:pause", {}, {}, false},
                           button{button_style::primary, "Skip", "player:skip", {}, {}, false}}});
  select_menu menu{"player:loop", {{"Off", "off", {}, true}, {"Track", "track", {}, false}}, "Loop", 1, 1, false};
  m.components.push_back({{menu}});
  ASSERT_TRUE(validate(m));
  const auto j = to_json(m);
  EXPECT_EQ(j.at("components").as_array().size(), 2u);
  EXPECT_EQ(j.at("components").as_array()[0].at("components").as_array()[1].at("custom_id"), "player:skip");
  EXPECT_EQ(j.at("components").as_array()[1].at("components").as_array()[0].at("type"), 3);
  m.components.push_back({{button{}, menu}});
  EXPECT_FALSE(validate(m));  // a select menu needs its own row
}

TEST(Interactions, ResponsesSerialise) {
  EXPECT_EQ(to_json(interaction_response::defer()).at("type"), 5);
  EXPECT_EQ(to_json(interaction_response::defer(true)).at("data").at("flags"), 64);
  EXPECT_EQ(to_json(interaction_response::defer_update()).at("type"), 6);
  message_content m;
  m.content = "Queued";
  EXPECT_EQ(to_json(interaction_response::update(m)).at("type"), 7);
  const auto ac = to_json(interaction_response::autocomplete({{"Daft Punk", std::string("daft punk")}}));
  EXPECT_EQ(ac.at("type"), 8);
  EXPECT_EQ(ac.at("data").at("choices").as_array()[0].at("value"), "daft punk");
  interaction_response bad{callback_type::channel_message_with_source, std::nullopt, {}, false};
  EXPECT_FALSE(validate(bad));
}

TEST(InteractionDeadline, SlowHandlerIsDeferredBeforeThreeSeconds) {
  manual_clock clock;
  interaction_deadline<manual_clock> d(clock);
  EXPECT_EQ(d.route(), reply_route::initial_callback);
  clock.advance(1499ms);
  EXPECT_FALSE(d.should_defer());
  clock.advance(1ms);
  EXPECT_TRUE(d.should_defer());
  EXPECT_LT(d.defer_at(), d.initial_deadline());
  d.on_acknowledged(true);
  clock.advance(1000ms);  // the handler answers at 2.5 s
  EXPECT_EQ(d.route(), reply_route::edit_original);
  d.on_answered();
  EXPECT_EQ(d.route(), reply_route::followup);
  clock.advance(15min);
  EXPECT_EQ(d.route(), reply_route::expired);
}

TEST(InteractionDeadline, UnansweredAfterThreeSecondsIsExpired) {
  manual_clock clock;
  interaction_deadline<manual_clock> d(clock);
  clock.advance(3s);
  EXPECT_FALSE(d.should_defer());
  EXPECT_EQ(d.route(), reply_route::expired);
}

TEST(Interactions, FindOptionSearchesSubcommands) {
  interaction_option sub{"add", 1, {}, false, {{"query", 3, std::string("x"), false, {}}}};
  std::vector<interaction_option> opts{sub};
  ASSERT_NE(find_option(opts, "query"), nullptr);
  EXPECT_EQ(std::get<std::string>(find_option(opts, "query")->value), "x");
  EXPECT_EQ(find_option(opts, "nope"), nullptr);
}

}  // namespace
}  // namespace musicbot::discord
