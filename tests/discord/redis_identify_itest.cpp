// The Redis-backed identify coordinator against a real redis-server: two
// coordinators with their own Redis connections stand for two processes of
// one bot running shard ranges.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif

#include "musicbot/discord/error.hpp"
#include "musicbot/discord/redis_identify_coordinator.hpp"
#include "musicbot/redis/client.hpp"
#include "musicbot/redis/config.hpp"

#include "itest_support.hpp"
#include "redis_server.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <map>
#include <optional>

namespace musicbot::discord {
namespace {

using namespace std::chrono_literals;
using test::run_for;
using test::run_until;

constexpr auto window = 500ms;  // Discord's 5 s, shortened for the test

struct process {
  process(boost::asio::io_context& io, const musicbot_test::redis_server& server, session_start_limit limit,
          redis_identify_options o)
      : client(io.get_executor(), config(server)), coordinator(io.get_executor(), client, limit, std::move(o)) {
    client.start();
  }
  static redis::config config(const musicbot_test::redis_server& server) {
    auto cfg = redis::parse_url(server.url()).value();
    cfg.command_timeout = 300ms;
    cfg.connect_timeout = 300ms;
    cfg.reconnect_max_delay = 200ms;
    cfg.breaker.wait_in_open = 200ms;  // the outage test restarts Redis within seconds
    return cfg;
  }
  redis::client client;
  redis_identify_coordinator coordinator;
};

redis_identify_options options(std::string bot, std::map<std::uint32_t, std::chrono::microseconds>* grants) {
  redis_identify_options o;
  o.bot_id = std::move(bot);
  o.window = window;
  o.retry_interval = 50ms;
  o.max_wait = 20s;
  if (grants != nullptr) {
    o.on_grant = [grants](std::uint32_t shard, std::chrono::microseconds at) { (*grants)[shard] = at; };
  }
  return o;
}

TEST(RedisIdentify, TwoProcessesSixteenShardsKeepEachBucketOneWindowApart) {
  musicbot_test::redis_server server;
  boost::asio::io_context io;
  std::map<std::uint32_t, std::chrono::microseconds> grants;  // Redis server time of each grant
  const session_start_limit limit{1000, 1000, 24h, 4};
  process a(io, server, limit, options("4242", &grants));
  process b(io, server, limit, options("4242", &grants));
  std::map<std::uint32_t, boost::system::error_code> results;
  // Process A runs shards 0-7, process B shards 8-15; all ask at once.
  for (std::uint32_t shard = 0; shard < 16; ++shard) {
    auto& c = shard < 8 ? a.coordinator : b.coordinator;
    c.async_acquire(shard, [&results, shard](boost::system::error_code ec) { results[shard] = ec; });
  }
  ASSERT_TRUE(run_until(io, [&] { return results.size() == 16; }, 20s));
  for (const auto& [shard, ec] : results) EXPECT_FALSE(ec) << "shard " << shard << ": " << ec.message();
  ASSERT_EQ(grants.size(), 16u);
  // Per bucket (shard % 4): four grants, each at least one window after the
  // previous one on Redis' own clock (PX expiry has millisecond precision).
  for (std::uint32_t bucket = 0; bucket < 4; ++bucket) {
    std::vector<std::chrono::microseconds> at;
    for (const auto& [shard, t] : grants)
      if (shard % 4 == bucket) at.push_back(t);
    ASSERT_EQ(at.size(), 4u);
    std::sort(at.begin(), at.end());
    for (std::size_t i = 1; i < at.size(); ++i) {
      EXPECT_GE(at[i] - at[i - 1], std::chrono::microseconds(window) - 1ms) << "bucket " << bucket;
    }
  }
  // Both processes took part, and the waits went through Redis.
  EXPECT_GT(a.coordinator.stats().grants, 0u);
  EXPECT_GT(b.coordinator.stats().grants, 0u);
  EXPECT_EQ(a.coordinator.stats().grants + b.coordinator.stats().grants, 16u);
  EXPECT_GT(a.coordinator.stats().waits + b.coordinator.stats().waits, 0u);
}

TEST(RedisIdentify, RedisOutageNeverLetsAnIdentifyThroughUnguarded) {
  musicbot_test::redis_server server;
  boost::asio::io_context io;
  std::map<std::uint32_t, std::chrono::microseconds> grants;
  const session_start_limit limit{1000, 1000, 24h, 1};
  process a(io, server, limit, options("outage", &grants));
  std::optional<boost::system::error_code> first;
  a.coordinator.async_acquire(0, [&](boost::system::error_code ec) { first = ec; });
  ASSERT_TRUE(run_until(io, [&] { return first.has_value(); }, 5s));
  EXPECT_FALSE(*first);

  server.stop();
  std::optional<boost::system::error_code> during;
  a.coordinator.async_acquire(1, [&](boost::system::error_code ec) { during = ec; });
  // Well past the window and through several retries: still held back.
  ASSERT_TRUE(run_until(io, [&] { return a.coordinator.stats().redis_errors >= 3; }, 10s));
  run_for(io, 2 * window);
  EXPECT_FALSE(during.has_value());
  EXPECT_FALSE(a.coordinator.stats().store_healthy);
  EXPECT_EQ(grants.size(), 1u);

  // A bounded wait gives up with timeout, never with a grant.
  auto short_wait = options("outage", &grants);
  short_wait.max_wait = 300ms;
  process c(io, server, limit, short_wait);
  std::optional<boost::system::error_code> bounded;
  c.coordinator.async_acquire(2, [&](boost::system::error_code ec) { bounded = ec; });
  ASSERT_TRUE(run_until(io, [&] { return bounded.has_value(); }, 5s));
  EXPECT_EQ(*bounded, make_error_code(error::timeout));
  EXPECT_EQ(c.coordinator.stats().timeouts, 1u);

  // Redis back: the waiting shard gets its slot.
  server.start();
  ASSERT_TRUE(run_until(io, [&] { return during.has_value(); }, 10s));
  EXPECT_FALSE(*during);
  EXPECT_TRUE(a.coordinator.stats().store_healthy);
  EXPECT_EQ(grants.size(), 2u);
}

TEST(RedisIdentify, SharedBudgetAndCancellation) {
  musicbot_test::redis_server server;
  boost::asio::io_context io;
  // Two identifies left for the whole bot, reset in 1 h; two processes.
  const session_start_limit limit{1000, 2, 1h, 16};
  process a(io, server, limit, options("budget", nullptr));
  process b(io, server, limit, options("budget", nullptr));
  std::map<std::uint32_t, boost::system::error_code> results;
  auto ask = [&](process& p, std::uint32_t shard) {
    p.coordinator.async_acquire(shard, [&results, shard](boost::system::error_code ec) { results[shard] = ec; });
  };
  run_for(io, 100ms);  // let update() store the budget
  ask(a, 0);
  ask(b, 1);
  ASSERT_TRUE(run_until(io, [&] { return results.size() == 2; }, 5s));
  EXPECT_FALSE(results[0]);
  EXPECT_FALSE(results[1]);
  ask(a, 2);
  ASSERT_TRUE(run_until(io, [&] { return results.size() == 3; }, 5s));
  EXPECT_EQ(results[2], make_error_code(error::identify_budget_exhausted));
  EXPECT_EQ(a.coordinator.remaining(), 0u);
  EXPECT_GT(a.coordinator.budget_reset_in(), 50min);
  // A later, stale GET /gateway/bot does not give identifies back.
  b.coordinator.update(limit);
  run_for(io, 100ms);
  ask(b, 3);
  ASSERT_TRUE(run_until(io, [&] { return results.size() == 4; }, 5s));
  EXPECT_EQ(results[3], make_error_code(error::identify_budget_exhausted));

  // Cancellation of a wait on a busy bucket.
  musicbot_test::redis_server other;
  process p(io, other, session_start_limit{1000, 1000, 24h, 1}, options("cancel", nullptr));
  std::optional<boost::system::error_code> held;
  p.coordinator.async_acquire(0, [&](boost::system::error_code ec) { held = ec; });
  ASSERT_TRUE(run_until(io, [&] { return held.has_value(); }, 5s));
  boost::asio::cancellation_signal cancel;
  std::optional<boost::system::error_code> waiting;
  p.coordinator.async_acquire(1, boost::asio::bind_cancellation_slot(
                                     cancel.slot(), [&](boost::system::error_code ec) { waiting = ec; }));
  ASSERT_TRUE(run_until(io, [&] { return p.coordinator.stats().waits >= 1; }, 5s));
  cancel.emit(boost::asio::cancellation_type::terminal);
  ASSERT_TRUE(run_until(io, [&] { return waiting.has_value(); }, 5s));
  EXPECT_EQ(*waiting, boost::asio::error::operation_aborted);
}

}  // namespace
}  // namespace musicbot::discord
