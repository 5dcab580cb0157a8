// REST flows against the fake Discord: bucket limits under a burst, 429
// handling, endpoints, and interaction deadlines with real (bounded) waits.
#include "musicbot/discord/interaction_responder.hpp"
#include "musicbot/discord/rest_client.hpp"
#include "musicbot/testing/fake_discord.hpp"

#include "itest_support.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <set>

namespace musicbot::discord {
namespace {

using namespace std::chrono_literals;
using test::run_until;

struct rest_harness {
  explicit rest_harness(testing::fake_discord_options fo = {}) : fake(io.get_executor(), fo) {
    EXPECT_TRUE(fake.start());
    rest_options ro;
    ro.base_url = fake.api_base();
    ro.token = core::secret("fake-bot-token");
    ro.rate_limits.global_per_second = fo.global_limit;
    rest = std::make_unique<rest_client>(io.get_executor(), ro);
  }
  ~rest_harness() {
    rest.reset();
    fake.stop();
    test::run_for(io, 10ms);
  }
  boost::asio::io_context io;
  testing::fake_discord fake;
  std::unique_ptr<rest_client> rest;
};

TEST(RestFlow, BurstOf500WithSmallBucketsGetsNo429AndDeliversAll) {
  testing::fake_discord_options fo;
  fo.bucket_limit = 5;
  fo.bucket_window = 100ms;
  fo.global_limit = 2000;
  rest_harness h(fo);
  std::size_t ok = 0;
  std::size_t failed = 0;
  for (int i = 0; i < 500; ++i) {
    message_content m;
    m.content = "message " + std::to_string(i);
    const snowflake channel = snowflake{805739220172931072u} + static_cast<snowflake>(i % 10);
    h.rest->async_create_message(channel, m, [&](boost::system::error_code ec, rest_response r) {
      if (!ec && r.status == 200) ++ok;
      else ++failed;
    });
  }
  ASSERT_TRUE(run_until(h.io, [&] { return ok + failed == 500; }, 30s));
  EXPECT_EQ(ok, 500u);
  EXPECT_EQ(failed, 0u);
  EXPECT_EQ(h.fake.rate_limited(), 0u);
  EXPECT_EQ(h.rest->stats().rate_limited, 0u);
  const auto reqs = h.fake.requests();
  EXPECT_EQ(reqs.size(), 500u);
  std::set<std::string> contents;
  for (const auto& r : reqs) contents.insert(std::string(boost::json::parse(r.body).at("content").as_string()));
  EXPECT_EQ(contents.size(), 500u);
  EXPECT_GT(h.rest->stats().waits, 0u);  // it did hold requests back
}

TEST(RestFlow, RetryAfterOf429IsRespected) {
  rest_harness h;
  h.fake.fail_next_requests(1, 0.3);
  test::run_for(h.io, 5ms);
  bool done = false;
  boost::system::error_code result;
  message_content m;
  m.content = "hello";
  h.rest->async_create_message(1, m, [&](boost::system::error_code ec, rest_response) {
    result = ec;
    done = true;
  });
  ASSERT_TRUE(run_until(h.io, [&] { return done; }, 5s));
  EXPECT_FALSE(result) << result.message();
  const auto reqs = h.fake.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].status, 429u);
  EXPECT_EQ(reqs[1].status, 200u);
  EXPECT_GE(reqs[1].at - reqs[0].at, 300ms);
  EXPECT_EQ(h.rest->stats().rate_limited, 1u);
}

TEST(RestFlow, Global429HoldsOtherRoutesToo) {
  rest_harness h;
  h.fake.fail_next_requests(1, 0.2, true);
  test::run_for(h.io, 5ms);
  int done = 0;
  message_content m;
  m.content = "x";
  h.rest->async_create_message(1, m, [&](boost::system::error_code ec, rest_response) { done += ec ? 100 : 1; });
  ASSERT_TRUE(run_until(h.io, [&] { return h.fake.requests().size() == 1; }, 2s));
  h.rest->async_create_message(2, m, [&](boost::system::error_code ec, rest_response) { done += ec ? 100 : 1; });
  ASSERT_TRUE(run_until(h.io, [&] { return done >= 2; }, 5s));
  EXPECT_EQ(done, 2);
  const auto reqs = h.fake.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_GE(reqs[1].at - reqs[0].at, 200ms);
  EXPECT_GE(reqs[2].at - reqs[0].at, 200ms);
}

TEST(RestFlow, GatewayBotCommandsAndAuthorization) {
  testing::fake_discord_options fo;
  fo.shards = 3;
  fo.max_concurrency = 2;
  rest_harness h(fo);
  bool got = false;
  h.rest->async_get_gateway_bot([&](boost::system::error_code ec, gateway_bot_info info) {
    EXPECT_FALSE(ec);
    EXPECT_EQ(info.shards, 3u);
    EXPECT_EQ(info.limit.max_concurrency, 2u);
    EXPECT_EQ(info.url, h.fake.gateway_url());
    got = true;
  });
  ASSERT_TRUE(run_until(h.io, [&] { return got; }));
  application_command play;
  play.name = "play";
  play.description = "Play a song";
  play.options.push_back({option_type::string, "query", "What to play", true, {}, true, {}, {}, {}, {}, {}, {}});
  bool put = false;
  h.rest->async_bulk_overwrite_global_commands(1173917793654013952ull, {play}, [&](boost::system::error_code ec, rest_response r) {
    EXPECT_FALSE(ec);
    EXPECT_EQ(boost::json::parse(r.body).as_array()[0].at("name"), "play");
    put = true;
  });
  ASSERT_TRUE(run_until(h.io, [&] { return put; }));
  EXPECT_EQ(h.fake.requests().back().path, "/applications/1173917793654013952/commands");
  // A wrong token is a 401 (counted as invalid, not retried).
  rest_options bad;
  bad.base_url = h.fake.api_base();
  bad.token = core::secret("wrong");
  rest_client wrong(h.io.get_executor(), bad);
  bool refused = false;
  wrong.async_create_message(1, message_content{"x", {}, {}, false, true}, [&](boost::system::error_code ec, rest_response r) {
    EXPECT_EQ(ec, error::http_error);
    EXPECT_EQ(r.status, 401u);
    refused = true;
  });
  ASSERT_TRUE(run_until(h.io, [&] { return refused; }));
}

interaction test_interaction() {
  interaction in;
  in.id = 1424099381862334464ull;
  in.application_id = 1173917793654013952ull;
  in.type = interaction_type::application_command;
  in.token = "INTERACTION_TOKEN";
  in.command_name = "play";
  return in;
}

TEST(InteractionFlow, SlowHandlerIsDeferredInTimeThenTheOriginalIsEdited) {
  rest_harness h;
  interaction_responder responder(*h.rest);
  const auto received = std::chrono::steady_clock::now();
  bool done = false;
  boost::system::error_code result;
  responder.async_handle(
      test_interaction(),
      [](const interaction&) -> boost::asio::awaitable<interaction_response> {
        boost::asio::steady_timer work(co_await boost::asio::this_coro::executor, 2500ms);  // 2.5 s of handler work
        co_await work.async_wait(boost::asio::use_awaitable);
        message_content m;
        m.content = "Queued: Harder, Better, Faster, Stronger";
        co_return interaction_response::reply(m);
      },
      [&](boost::system::error_code ec) {
        result = ec;
        done = true;
      });
  ASSERT_TRUE(run_until(h.io, [&] { return done; }, 6s));
  EXPECT_FALSE(result) << result.message();
  const auto reqs = h.fake.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].path, "/interactions/1424099381862334464/INTERACTION_TOKEN/callback");
  EXPECT_EQ(boost::json::parse(reqs[0].body).at("type"), 5);
  EXPECT_LT(reqs[0].at - received, 3s);  // the deferral made the 3 s deadline
  EXPECT_EQ(reqs[1].method, "PATCH");
  EXPECT_EQ(reqs[1].path, "/webhooks/1173917793654013952/INTERACTION_TOKEN/messages/@original");
  EXPECT_EQ(boost::json::parse(reqs[1].body).at("content"), "Queued: Harder, Better, Faster, Stronger");
  EXPECT_EQ(responder.deferred_count(), 1u);
}

TEST(InteractionFlow, FastHandlerAnswersWithTheInitialCallback) {
  rest_harness h;
  interaction_responder responder(*h.rest);
  bool done = false;
  responder.async_handle(
      test_interaction(),
      [](const interaction&) -> boost::asio::awaitable<interaction_response> {
        message_content m;
        m.content = "Paused";
        co_return interaction_response::reply(m);
      },
      [&](boost::system::error_code ec) {
        EXPECT_FALSE(ec);
        done = true;
      });
  ASSERT_TRUE(run_until(h.io, [&] { return done; }, 3s));
  const auto reqs = h.fake.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(boost::json::parse(reqs[0].body).at("type"), 4);
  EXPECT_EQ(responder.deferred_count(), 0u);
}

}  // namespace
}  // namespace musicbot::discord
