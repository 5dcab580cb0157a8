// redis::distributed_rate_limiter against a real redis-server.
#include "test_util.hpp"

#include <musicbot/redis/rate_limiter.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>

#include <redis_server.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <thread>
#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

namespace redis = musicbot::redis;
namespace core = musicbot::core;
namespace asio = boost::asio;
using redis_test::run;
using redis_test::sleep_for;
using redis_test::tuple_awaitable;
using namespace std::chrono_literals;

namespace {

redis::config client_config(const musicbot_test::redis_server& server) {
  auto cfg = redis::parse_url(server.url()).value();
  cfg.command_timeout = 200ms;
  cfg.connect_timeout = 500ms;
  cfg.reconnect_initial_delay = 20ms;
  cfg.reconnect_max_delay = 100ms;
  cfg.breaker.wait_in_open = 200ms;
  return cfg;
}

redis::distributed_rate_limiter_config limiter_config(std::uint32_t limit, std::chrono::seconds window) {
  redis::distributed_rate_limiter_config cfg;
  cfg.prefix = "test:rl";
  cfg.per_user.limit = limit;
  cfg.per_user.window = window;
  cfg.timeout = 100ms;
  return cfg;
}

// Counts observer callbacks.
struct counting_observer final : redis::rate_limiter_observer {
  void on_decision(redis::decision_source source, bool allowed) override {
    ++decisions[source == redis::decision_source::redis ? 0 : 1][allowed ? 1 : 0];
  }
  void on_fallback_changed(bool active) override { transitions.push_back(active); }
  int decisions[2][2] = {{0, 0}, {0, 0}};
  std::vector<bool> transitions;
};

const redis::rate_limit_request alice{1, 100, "play"};

// The GCRA bound: in `elapsed`, at most `limit` (the burst) plus one call
// per emission interval are allowed.
std::int64_t gcra_bound(std::uint32_t limit, std::chrono::nanoseconds window, std::chrono::nanoseconds elapsed) {
  const auto interval = window / limit;
  return static_cast<std::int64_t>(limit) + elapsed / interval + 1;
}

// Redis' clock (TIME), in µs since the Unix epoch; -1 if unreadable.
std::int64_t redis_time_us(const musicbot_test::redis_server& server) {
  // "*2\r\n$10\r\n<seconds>\r\n$<n>\r\n<micros>\r\n"
  const auto raw = server.command({"TIME"});
  std::vector<std::int64_t> numbers;
  std::size_t pos = 0;
  while ((pos = raw.find('$', pos)) != std::string::npos) {
    const auto start = raw.find("\r\n", pos);
    if (start == std::string::npos) return -1;
    const auto end = raw.find("\r\n", start + 2);
    if (end == std::string::npos) return -1;
    numbers.push_back(std::stoll(raw.substr(start + 2, end - start - 2)));
    pos = end;
  }
  return numbers.size() == 2 ? numbers[0] * 1000000 + numbers[1] : -1;
}

// How many hashes matching `pattern` hold `field` (":<n>\r\n").
std::string hashes_with_field(const musicbot_test::redis_server& server, const std::string& pattern,
                              const std::string& field) {
  return server.command({"EVAL",
                         "local n = 0 for _, k in ipairs(redis.call('KEYS', ARGV[1])) do "
                         "n = n + redis.call('HEXISTS', k, ARGV[2]) end return n",
                         "0", pattern, field});
}

// Number of keys matching `pattern` (expired keys are not listed).
std::size_t key_count(const musicbot_test::redis_server& server, const std::string& pattern) {
  const auto raw = server.command({"KEYS", pattern});
  if (raw.size() < 2 || raw[0] != '*') return static_cast<std::size_t>(-1);
  return static_cast<std::size_t>(std::stoul(raw.substr(1)));
}

class RedisLimiter : public ::testing::Test {
 protected:
  musicbot_test::redis_server server;
  asio::io_context io;
};

}  // namespace

TEST_F(RedisLimiter, BurstThenWindowEdge) {
  redis::client c(io.get_executor(), client_config(server));
  // 5 per 5 s: one call every second after the burst.
  redis::distributed_rate_limiter limiter(c, limiter_config(5, 5s));
  run(io, [&]() -> asio::awaitable<void> {
    co_await c.async_connect(tuple_awaitable);
    for (std::uint32_t i = 0; i < 5; ++i) {
      auto [ec, d] = co_await limiter.async_decide(alice, tuple_awaitable);
      EXPECT_FALSE(ec);
      EXPECT_TRUE(d.allowed) << i;
      EXPECT_EQ(d.remaining, 4 - i);
      EXPECT_EQ(d.limit, 5U);
      EXPECT_EQ(d.retry_after.count(), 0);
      EXPECT_GT(d.reset_after, std::chrono::nanoseconds::zero());
      EXPECT_LE(d.reset_after, std::chrono::nanoseconds(5s));
    }
    auto [ec, denied] = co_await limiter.async_decide(alice, tuple_awaitable);
    EXPECT_FALSE(denied.allowed);
    EXPECT_EQ(denied.remaining, 0U);
    EXPECT_GT(denied.retry_after, std::chrono::nanoseconds::zero());
    EXPECT_LE(denied.retry_after, std::chrono::nanoseconds(1s));
    // Another user and another command have their own quotas.
    auto [e2, bob] = co_await limiter.async_decide({1, 200, "play"}, tuple_awaitable);
    EXPECT_TRUE(bob.allowed);
    auto [e3, skip] = co_await limiter.async_decide({1, 100, "skip"}, tuple_awaitable);
    EXPECT_TRUE(skip.allowed);
    // Just past retry_after exactly one call is allowed again, then refused.
    co_await sleep_for(std::chrono::duration_cast<std::chrono::milliseconds>(denied.retry_after) + 50ms);
    auto [e4, again] = co_await limiter.async_decide(alice, tuple_awaitable);
    EXPECT_TRUE(again.allowed);
    EXPECT_EQ(again.remaining, 0U);
    auto [e5, refused] = co_await limiter.async_decide(alice, tuple_awaitable);
    EXPECT_FALSE(refused.allowed);
  });
  EXPECT_EQ(limiter.stats().redis_allowed, 8U);
  EXPECT_EQ(limiter.stats().redis_denied, 2U);
  EXPECT_EQ(limiter.stats().fallback_allowed + limiter.stats().fallback_denied, 0U);
  // The TAT is a field of the current epoch's hash, which expires on its own
  // (bounded memory in Redis) 2 spans after its first write.
  const auto now = redis_time_us(server);
  ASSERT_GT(now, 0);
  const auto hash = limiter.user_hash(std::chrono::microseconds(now));
  EXPECT_EQ(hash.rfind("test:rl:user:5000000:", 0), 0U) << hash;
  EXPECT_EQ(limiter.user_key(alice), "1:100:play");
  EXPECT_EQ(server.command({"HEXISTS", hash, limiter.user_key(alice)}), ":1\r\n");
  const auto pttl = server.command({"PTTL", hash});
  ASSERT_GE(pttl.size(), 2U);
  EXPECT_EQ(pttl[0], ':');
  EXPECT_GT(std::stoll(pttl.substr(1)), 0);
  EXPECT_LE(std::stoll(pttl.substr(1)), 10001);
}

TEST_F(RedisLimiter, GuildAndGlobalScopes) {
  redis::client c(io.get_executor(), client_config(server));
  auto cfg = limiter_config(10, 60s);
  cfg.per_guild = core::rate_limit_config{3, 60s};
  cfg.global = core::rate_limit_config{5, 60s};
  redis::distributed_rate_limiter limiter(c, cfg);
  run(io, [&]() -> asio::awaitable<void> {
    co_await c.async_connect(tuple_awaitable);
    // Three different users in guild 1: the guild quota (3) binds.
    for (std::uint64_t user = 1; user <= 3; ++user) {
      auto res = co_await limiter.async_decide({1, user, "play"}, tuple_awaitable);
      EXPECT_TRUE(std::get<1>(res).allowed);
      EXPECT_EQ(std::get<1>(res).limit, 3U);
    }
    auto [e1, guild_full] = co_await limiter.async_decide({1, 4, "play"}, tuple_awaitable);
    EXPECT_FALSE(guild_full.allowed);
    EXPECT_EQ(guild_full.limit, 3U);
    // Another guild has its own quota, but the global one (5) binds at 5.
    auto [e2, g2a] = co_await limiter.async_decide({2, 1, "play"}, tuple_awaitable);
    EXPECT_TRUE(g2a.allowed);
    auto [e3, g2b] = co_await limiter.async_decide({2, 2, "play"}, tuple_awaitable);
    EXPECT_TRUE(g2b.allowed);
    EXPECT_EQ(g2b.limit, 5U);
    EXPECT_EQ(g2b.remaining, 0U);
    auto [e4, global_full] = co_await limiter.async_decide({3, 1, "play"}, tuple_awaitable);
    EXPECT_FALSE(global_full.allowed);
    EXPECT_EQ(global_full.limit, 5U);
  });
  // A refusal consumes nothing: guild 3's field was never written (guild 1's was).
  EXPECT_EQ(hashes_with_field(server, "test:rl:guild:60000000:*", "3"), ":0\r\n");
  EXPECT_EQ(hashes_with_field(server, "test:rl:guild:60000000:*", "1"), ":1\r\n");
  EXPECT_EQ(hashes_with_field(server, "test:rl:global:60000000:*", "*"), ":1\r\n");
}

TEST_F(RedisLimiter, ScopesWithDifferentWindowsInOneBatch) {
  redis::client c(io.get_executor(), client_config(server));
  auto cfg = limiter_config(3, 1s);
  cfg.per_guild = core::rate_limit_config{5, 10s};
  cfg.global = core::rate_limit_config{100, 60s};
  redis::distributed_rate_limiter limiter(c, cfg);
  // Requested in one turn of the event loop: one batch, decided in order.
  const std::vector<redis::rate_limit_request> requests{
      {1, 10, "play"}, {1, 10, "play"}, {1, 10, "play"}, {1, 10, "play"},  // user quota 3
      {1, 20, "play"}, {1, 20, "play"}, {1, 20, "play"},                   // guild quota 5 left 2
      {2, 30, "play"}};
  std::vector<int> allowed(requests.size(), -1);
  std::vector<std::uint32_t> limits(requests.size(), 0);
  run(io, [&]() -> asio::awaitable<void> {
    co_await c.async_connect(tuple_awaitable);
    for (std::size_t i = 0; i < requests.size(); ++i) {
      limiter.async_decide(requests[i], [&, i](boost::system::error_code ec, core::rate_limit_decision d) {
        EXPECT_FALSE(ec);
        allowed[i] = d.allowed ? 1 : 0;
        limits[i] = d.limit;
      });
    }
    for (int i = 0; i < 200 && std::count(allowed.begin(), allowed.end(), -1) > 0; ++i) co_await sleep_for(5ms);
  });
  EXPECT_EQ(allowed, (std::vector<int>{1, 1, 1, 0, 1, 1, 0, 1}));
  EXPECT_EQ(limits[3], 3U);  // refused by the user scope
  EXPECT_EQ(limits[6], 5U);  // refused by the guild scope
  EXPECT_EQ(limiter.stats().redis_allowed, 6U);
  EXPECT_EQ(c.stats().script_reloads, 1U);
  // One hash family per scope, partitioned by its own span.
  EXPECT_EQ(key_count(server, "test:rl:user:999999:*"), 1U);  // span = (1 s / 3 in µs) × 3
  EXPECT_EQ(key_count(server, "test:rl:guild:10000000:*"), 1U);
  EXPECT_EQ(key_count(server, "test:rl:global:60000000:*"), 1U);
  EXPECT_EQ(hashes_with_field(server, "test:rl:user:*", "1:20:play"), ":1\r\n");
  EXPECT_EQ(hashes_with_field(server, "test:rl:guild:*", "2"), ":1\r\n");
}

namespace {

// The per-user scope allows 2 per second: span = epoch = 1 s, one call per
// 500 ms after the burst. Sets `stalled` when the machine was too slow for
// the check to mean anything.
void check_epoch_boundary(asio::io_context& io, const musicbot_test::redis_server& server,
                          const redis::distributed_rate_limiter_config& cfg, bool& stalled) {
  redis::client c(io.get_executor(), client_config(server));
  redis::distributed_rate_limiter limiter(c, cfg);
  run(io, [&]() -> asio::awaitable<void> {
    co_await c.async_connect(tuple_awaitable);
    // Burst ~250 ms before an epoch boundary of Redis' clock.
    auto now = redis_time_us(server);
    EXPECT_GT(now, 0);
    auto boundary = (now / 1000000 + 1) * 1000000;
    if (boundary - now < 300000) boundary += 1000000;
    co_await sleep_for(std::chrono::milliseconds((boundary - now - 250000) / 1000));
    const auto burst_hash = limiter.user_hash(std::chrono::microseconds(redis_time_us(server)));
    auto [e1, d1] = co_await limiter.async_decide(alice, tuple_awaitable);
    auto [e2, d2] = co_await limiter.async_decide(alice, tuple_awaitable);
    EXPECT_TRUE(d1.allowed);
    EXPECT_TRUE(d2.allowed);
    const auto burst_end = redis_time_us(server);
    // Just past the boundary, the TAT is in the previous epoch's hash: still
    // refused (a fresh hash must not mean a fresh quota).
    co_await sleep_for(std::chrono::milliseconds((boundary - redis_time_us(server)) / 1000 + 20));
    const auto after_boundary = redis_time_us(server);
    auto [e3, d3] = co_await limiter.async_decide(alice, tuple_awaitable);
    if (after_boundary - burst_end < 450000) {  // not delayed past the interval by a stalled machine
      EXPECT_GE(after_boundary, boundary);
      EXPECT_FALSE(d3.allowed);
      EXPECT_GT(d3.retry_after, std::chrono::nanoseconds::zero());
      EXPECT_NE(limiter.user_hash(std::chrono::microseconds(after_boundary)), burst_hash);
      EXPECT_EQ(server.command({"HEXISTS", burst_hash, limiter.user_key(alice)}), ":1\r\n");
      // A refusal writes nothing into the new epoch.
      EXPECT_EQ(server.command({"EXISTS", limiter.user_hash(std::chrono::microseconds(after_boundary))}),
                ":0\r\n");
      // Once retry_after has passed, exactly one call again, written in the new epoch.
      co_await sleep_for(std::chrono::duration_cast<std::chrono::milliseconds>(d3.retry_after) + 20ms);
      auto [e4, d4] = co_await limiter.async_decide(alice, tuple_awaitable);
      EXPECT_TRUE(d4.allowed);
      auto [e5, d5] = co_await limiter.async_decide(alice, tuple_awaitable);
      EXPECT_FALSE(d5.allowed);
      const auto later = redis_time_us(server);
      EXPECT_EQ(server.command({"HEXISTS", limiter.user_hash(std::chrono::microseconds(later)),
                                limiter.user_key(alice)}),
                ":1\r\n");
    } else {
      stalled = true;
    }
  });
}

}  // namespace

TEST_F(RedisLimiter, EpochBoundaryKeepsTheQuotaUsedBeforeIt) {
  bool stalled = false;
  check_epoch_boundary(io, server, limiter_config(2, 1s), stalled);
  if (stalled) GTEST_SKIP() << "machine stalled across the boundary; nothing to check";
}

TEST_F(RedisLimiter, EpochBoundaryWithSeveralScopes) {
  // The same through the several-scope script (a guild scope that never binds).
  auto cfg = limiter_config(2, 1s);
  cfg.prefix = "test:rl2";
  cfg.per_guild = core::rate_limit_config{1000, 1s};
  bool stalled = false;
  check_epoch_boundary(io, server, cfg, stalled);
  if (stalled) GTEST_SKIP() << "machine stalled across the boundary; nothing to check";
}

TEST_F(RedisLimiter, OneBatchReadsEachKeyFromTheEpochThatHoldsIt) {
  // One batch of distinct keys (the lean script), their TATs planted in the
  // current epoch's hash, the previous one's, both or neither, interleaved
  // so the keys looked up in the previous epoch are not contiguous.
  // 10 per 100 s: interval 10 s, span 100 s (long epochs: no boundary passes
  // during the test).
  redis::client c(io.get_executor(), client_config(server));
  auto cfg = limiter_config(10, 100s);
  cfg.timeout = 2000ms;
  redis::distributed_rate_limiter limiter(c, cfg);
  constexpr std::int64_t span = 100'000'000;  // µs
  const auto request = [](std::uint64_t user) { return redis::rate_limit_request{9, user, "play"}; };
  std::int64_t now = redis_time_us(server);
  ASSERT_GT(now, 0);
  if (span - now % span < 5'000'000) {  // an epoch boundary in under 5 s: start after it
    std::this_thread::sleep_for(std::chrono::microseconds(span - now % span + 10'000));
    now = redis_time_us(server);
  }
  const std::int64_t base = now / span * span;
  const auto current = limiter.user_hash(std::chrono::microseconds(now));
  const auto previous = limiter.user_hash(std::chrono::microseconds(now - span));
  ASSERT_NE(current, previous);
  const auto plant = [&](const std::string& hash, std::int64_t epoch_start, std::uint64_t user, std::int64_t tat) {
    ASSERT_EQ(server.command({"HSET", hash, limiter.user_key(request(user)), std::to_string(tat - epoch_start)}),
              ":1\r\n");
  };
  // user 1: current epoch, backlog 95 s: refused, retry after ~5 s.
  plant(current, base, 1, now + 95'000'000);
  // user 2: previous epoch only, backlog 50 s: allowed, 4 left.
  plant(previous, base - span, 2, now + 50'000'000);
  // user 3: previous epoch, TAT in the past: a full quota (9 left).
  plant(previous, base - span, 3, now - 1'000'000);
  // user 4: nowhere: a full quota. user 5: both; the current epoch's wins (backlog 20 s: 7 left).
  plant(current, base, 5, now + 20'000'000);
  plant(previous, base - span, 5, now + 90'000'000);
  const std::uint64_t order[] = {2, 1, 3, 5, 4};
  std::map<std::uint64_t, core::rate_limit_decision> got;
  run(io, [&]() -> asio::awaitable<void> {
    co_await c.async_connect(tuple_awaitable);
    for (const auto user : order) {  // one turn of the event loop: one batch
      limiter.async_decide(request(user), [&got, user](boost::system::error_code ec, core::rate_limit_decision d) {
        EXPECT_FALSE(ec);
        got[user] = d;
      });
    }
    for (int i = 0; i < 200 && got.size() < std::size(order); ++i) co_await sleep_for(10ms);
  });
  ASSERT_EQ(got.size(), std::size(order));
  EXPECT_EQ(limiter.stats().redis_allowed, 4U);
  EXPECT_EQ(limiter.stats().redis_denied, 1U);
  EXPECT_FALSE(got[1].allowed);
  EXPECT_GT(got[1].retry_after, 4s);
  EXPECT_LE(got[1].retry_after, 5s);
  EXPECT_TRUE(got[2].allowed);
  EXPECT_EQ(got[2].remaining, 4U);
  EXPECT_TRUE(got[3].allowed);
  EXPECT_EQ(got[3].remaining, 9U);
  EXPECT_TRUE(got[4].allowed);
  EXPECT_EQ(got[4].remaining, 9U);
  EXPECT_TRUE(got[5].allowed);
  EXPECT_EQ(got[5].remaining, 7U);
  // The allowed TATs went to the current epoch as integers relative to its
  // start; the refused one kept its TAT.
  const auto tat_of = [&](std::uint64_t user) {
    const auto raw = server.command({"HGET", current, limiter.user_key(request(user))});
    EXPECT_EQ(raw.rfind('$', 0), 0U) << raw;  // a bulk string: "$<n>\r\n<digits>\r\n"
    const auto digits = raw.substr(raw.find("\r\n") + 2, raw.size() - raw.find("\r\n") - 4);
    EXPECT_EQ(digits.find_first_not_of("0123456789"), std::string::npos) << digits;
    return std::stoll(digits) + base;
  };
  EXPECT_EQ(tat_of(1), now + 95'000'000);
  EXPECT_NEAR(static_cast<double>(tat_of(2)), static_cast<double>(now + 60'000'000), 2'000'000.0);
  EXPECT_NEAR(static_cast<double>(tat_of(4)), static_cast<double>(now + 10'000'000), 2'000'000.0);
  EXPECT_NEAR(static_cast<double>(tat_of(5)), static_cast<double>(now + 30'000'000), 2'000'000.0);
}

TEST_F(RedisLimiter, MemoryIsBoundedHashesExpireAsWholes) {
  // 4 per 200 ms: epochs of 200 ms; a hash lives 2 epochs after its first write.
  redis::client c(io.get_executor(), client_config(server));
  auto cfg = limiter_config(4, 1s);
  cfg.per_user.window = 200ms;
  redis::distributed_rate_limiter limiter(c, cfg);
  constexpr int users = 300;
  run(io, [&]() -> asio::awaitable<void> {
    co_await c.async_connect(tuple_awaitable);
    for (int u = 0; u < users; ++u) {
      co_await limiter.async_decide({5, static_cast<std::uint64_t>(u), "play"}, tuple_awaitable);
    }
    // 300 distinct keys, but only epoch hashes: a handful of keys at most.
    const auto hashes = key_count(server, "test:rl:user:200000:*");
    EXPECT_GE(hashes, 1U);
    // At most the current and previous epochs' hashes, plus one or two not
    // yet expired (a hash expires 2 spans + 1 ms after its first write).
    EXPECT_LE(hashes, 4U);
    // ... and nothing else (one script: both listings see the same instant).
    EXPECT_EQ(server.command({"EVAL", "return #redis.call('KEYS', '*') - #redis.call('KEYS', ARGV[1])", "0",
                              "test:rl:user:200000:*"}),
              ":0\r\n");
    // Every hash has a TTL of at most 2 spans (+1 ms).
    const auto now = redis_time_us(server);
    const auto pttl = server.command({"PTTL", limiter.user_hash(std::chrono::microseconds(now))});
    if (pttl != ":-2\r\n") {  // the current epoch may have no write yet
      EXPECT_GT(std::stoll(pttl.substr(1)), 0) << pttl;
      EXPECT_LE(std::stoll(pttl.substr(1)), 401) << pttl;
    }
    // Idle for more than 2 spans: everything is gone.
    co_await sleep_for(600ms);
    EXPECT_EQ(key_count(server, "test:rl:*"), 0U);
  });
  EXPECT_EQ(limiter.stats().redis_allowed, static_cast<std::uint64_t>(users));
}

TEST_F(RedisLimiter, ManyCoroutinesOnOneKeyNeverExceedTheLimit) {
  redis::client c(io.get_executor(), client_config(server));
  const std::uint32_t limit = 50;
  redis::distributed_rate_limiter limiter(c, limiter_config(limit, 60s));
  int allowed = 0;
  int finished = 0;
  constexpr int callers = 500;
  std::chrono::steady_clock::time_point start;
  run(io, [&]() -> asio::awaitable<void> {
    co_await c.async_connect(tuple_awaitable);
    start = std::chrono::steady_clock::now();
    for (int i = 0; i < callers; ++i) {
      asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        auto [ec, d] = co_await limiter.async_decide(alice, tuple_awaitable);
        if (d.allowed) ++allowed;
        ++finished;
      }, asio::detached);
    }
    for (int i = 0; i < 500 && finished < callers; ++i) co_await sleep_for(10ms);
  });
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(finished, callers);
  EXPECT_GE(allowed, static_cast<int>(limit));
  EXPECT_LE(allowed, gcra_bound(limit, 60s, elapsed));
  EXPECT_EQ(limiter.stats().fallback_allowed + limiter.stats().fallback_denied, 0U);
}

TEST_F(RedisLimiter, SeveralProcessesShareOneLimit) {
  // Forked children each run their own io_context, client and limiter on
  // the same key; together they must stay within one quota.
  const std::uint32_t limit = 60;
  constexpr int processes = 4;
  constexpr int calls_per_process = 100;
  const auto url = server.url();
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::pair<pid_t, int>> children;
  for (int p = 0; p < processes; ++p) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      int allowed = -1;
      try {
        asio::io_context child_io;
        auto cfg = redis::parse_url(url).value();
        redis::client c(child_io.get_executor(), cfg);
        redis::distributed_rate_limiter limiter(c, limiter_config(limit, 60s));
        asio::co_spawn(child_io, [&]() -> asio::awaitable<void> {
          auto [ec] = co_await c.async_connect(tuple_awaitable);
          if (ec) co_return;
          allowed = 0;
          for (int i = 0; i < calls_per_process; ++i) {
            auto res = co_await limiter.async_decide(alice, tuple_awaitable);
            if (std::get<1>(res).allowed) ++allowed;
          }
          if (limiter.stats().fallback_allowed + limiter.stats().fallback_denied != 0) allowed = -2;
          c.close();
        }, asio::detached);
        child_io.run_for(30s);
      } catch (...) {
        allowed = -3;
      }
      const auto n = ::write(fds[1], &allowed, sizeof allowed);
      ::_exit(n == sizeof allowed ? 0 : 1);
    }
    ::close(fds[1]);
    children.emplace_back(pid, fds[0]);
  }
  int total = 0;
  for (auto [pid, fd] : children) {
    int allowed = -4;
    ssize_t n = 0;
    do {
      n = ::read(fd, &allowed, sizeof allowed);
    } while (n < 0 && errno == EINTR);
    ::close(fd);
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_EQ(n, static_cast<ssize_t>(sizeof allowed));
    EXPECT_GE(allowed, 0) << "child failed (-1 connect, -2 used fallback, -3 exception)";
    total += std::max(allowed, 0);
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(total, static_cast<int>(limit));
  EXPECT_LE(total, gcra_bound(limit, 60s, elapsed));
}

TEST_F(RedisLimiter, FailsClosedDuringOutageAndRecovers) {
  redis::client c(io.get_executor(), client_config(server));
  auto observer = std::make_shared<counting_observer>();
  const std::uint32_t limit = 40;
  redis::distributed_rate_limiter limiter(c, limiter_config(limit, 20s), observer);
  const auto fallback = limiter.fallback_config();
  EXPECT_EQ(fallback.limit, 20U);  // 40 × 0.5 / 1
  run(io, [&]() -> asio::awaitable<void> {
    co_await c.async_connect(tuple_awaitable);
    auto [e0, first] = co_await limiter.async_decide(alice, tuple_awaitable);
    EXPECT_TRUE(first.allowed);
    EXPECT_FALSE(limiter.fallback_active());

    server.kill();
    // The very first decision after the outage comes from the fallback: it
    // completes within one decision timeout by construction.
    const auto outage_start = std::chrono::steady_clock::now();
    auto [e1, during] = co_await limiter.async_decide(alice, tuple_awaitable);
    EXPECT_FALSE(e1);
    EXPECT_TRUE(limiter.fallback_active());
    EXPECT_EQ(limiter.stats().fallback_allowed + limiter.stats().fallback_denied, 1U);
    int allowed = during.allowed ? 1 : 0;
    for (int i = 0; i < 200; ++i) {
      auto res = co_await limiter.async_decide(alice, tuple_awaitable);
      if (std::get<1>(res).allowed) ++allowed;
    }
    const auto outage = std::chrono::steady_clock::now() - outage_start;
    EXPECT_GE(allowed, static_cast<int>(fallback.limit));
    EXPECT_LE(allowed, gcra_bound(fallback.limit, fallback.window, outage));
    EXPECT_GT(limiter.stats().fallback_denied, 0U);

    server.start();
    bool back = false;
    for (int i = 0; i < 400 && !back; ++i) {
      co_await limiter.async_decide({9, 9, "probe"}, tuple_awaitable);
      back = !limiter.fallback_active();
      if (!back) co_await sleep_for(25ms);
    }
    EXPECT_TRUE(back);
    auto [e2, after] = co_await limiter.async_decide({9, 10, "probe"}, tuple_awaitable);
    EXPECT_TRUE(after.allowed);
    EXPECT_FALSE(limiter.fallback_active());
  });
  const auto s = limiter.stats();
  EXPECT_EQ(s.fallback_entered, 1U);
  EXPECT_EQ(s.fallback_left, 1U);
  EXPECT_EQ(observer->transitions, (std::vector<bool>{true, false}));
  EXPECT_EQ(observer->decisions[1][0] + observer->decisions[1][1],
            static_cast<int>(s.fallback_allowed + s.fallback_denied));
  EXPECT_GE(observer->decisions[0][1], 2);
}

TEST_F(RedisLimiter, StalledServerTimesOutIntoFallback) {
  redis::client c(io.get_executor(), client_config(server));
  redis::distributed_rate_limiter limiter(c, limiter_config(4, 20s));
  run(io, [&]() -> asio::awaitable<void> {
    co_await c.async_connect(tuple_awaitable);
    server.pause();
    auto [ec, d] = co_await limiter.async_decide(alice, tuple_awaitable);
    EXPECT_FALSE(ec);
    EXPECT_TRUE(limiter.fallback_active());
    EXPECT_TRUE(d.allowed);  // fallback quota 2
    auto [e2, d2] = co_await limiter.async_decide(alice, tuple_awaitable);
    auto [e3, d3] = co_await limiter.async_decide(alice, tuple_awaitable);
    EXPECT_TRUE(d2.allowed);
    EXPECT_FALSE(d3.allowed);  // never an unconditional allow
    server.resume();
  });
  EXPECT_GE(c.stats().timeouts, 1U);
}

TEST_F(RedisLimiter, ScriptFlushIsTransparent) {
  redis::client c(io.get_executor(), client_config(server));
  redis::distributed_rate_limiter limiter(c, limiter_config(100, 60s));
  run(io, [&]() -> asio::awaitable<void> {
    co_await c.async_connect(tuple_awaitable);
    for (int i = 0; i < 3; ++i) co_await limiter.async_decide(alice, tuple_awaitable);
    EXPECT_EQ(server.command({"SCRIPT", "FLUSH"}), "+OK\r\n");
    auto [ec, d] = co_await limiter.async_decide(alice, tuple_awaitable);
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.remaining, 96U);
  });
  EXPECT_EQ(limiter.stats().redis_allowed, 4U);
  EXPECT_EQ(limiter.stats().fallback_entered, 0U);
  EXPECT_EQ(c.stats().script_reloads, 2U);  // first use + after the flush
}

TEST(RedisLimiterAuth, WrongPasswordFailsClosed) {
  musicbot_test::redis_server_options options;
  options.password = "limiter-pass";
  musicbot_test::redis_server server(options);
  asio::io_context io;
  auto cfg = redis::parse_url(server.url_with_password("not-the-pass")).value();
  redis::client c(io.get_executor(), cfg);
  redis::distributed_rate_limiter limiter(c, limiter_config(2, 60s));
  run(io, [&]() -> asio::awaitable<void> {
    auto [ec] = co_await c.async_connect(tuple_awaitable);
    EXPECT_EQ(ec, redis::error::auth_failed);
    auto [e1, d1] = co_await limiter.async_decide(alice, tuple_awaitable);
    auto [e2, d2] = co_await limiter.async_decide(alice, tuple_awaitable);
    EXPECT_TRUE(d1.allowed);   // fallback quota 1
    EXPECT_FALSE(d2.allowed);
  });
  EXPECT_TRUE(limiter.fallback_active());
  c.close();
}

// user_key() is core::rate_limit_key() of (guild, user, command), whatever
// the command's length or characters.
TEST(RedisLimiterConfig, UserKeyIsTheCoreCompositeKey) {
  asio::io_context io;
  redis::client c(io.get_executor(), redis::config{});
  redis::distributed_rate_limiter limiter(c, limiter_config(10, 1s));
  const std::string long_command(300, 'x');
  const std::string escaped = "a:b\\c:" + std::string(150, ':');
  for (const std::string_view command : {std::string_view("play"), std::string_view(""), std::string_view(long_command),
                                         std::string_view(escaped), std::string_view(escaped).substr(0, 70)}) {
    for (const std::uint64_t id : {std::uint64_t{0}, std::uint64_t{7}, std::uint64_t{18446744073709551615U}}) {
      const redis::rate_limit_request req{id, id / 3, command};
      EXPECT_EQ(limiter.user_key(req), core::rate_limit_key(id, id / 3, command)) << command.size();
    }
  }
}

// A decision whose handler is bound to another io_context runs there, and
// that io_context's run() does not return before it did.
TEST_F(RedisLimiter, DecisionOnAnotherExecutorRunsThere) {
  redis::client c(io.get_executor(), client_config(server));
  redis::distributed_rate_limiter limiter(c, limiter_config(1, 60s));
  asio::io_context other;
  std::atomic<int> decided{0};
  std::atomic<bool> on_other{true};
  std::atomic<bool> ran_before_run_returned{false};
  std::thread other_thread;
  run(io, [&]() -> asio::awaitable<void> {
    co_await c.async_connect(tuple_awaitable);
    const asio::any_io_executor elsewhere = other.get_executor();
    for (int i = 0; i < 2; ++i) {
      limiter.async_decide(alice, asio::bind_executor(elsewhere, [&, i](boost::system::error_code ec,
                                                                        core::rate_limit_decision d) {
                             if (!other.get_executor().running_in_this_thread()) on_other = false;
                             EXPECT_FALSE(ec);
                             EXPECT_EQ(d.allowed, i == 0);
                             ++decided;
                           }));
    }
    other_thread = std::thread([&] {
      other.run_for(10s);  // bounded; returns once both handlers ran
      ran_before_run_returned = decided.load() == 2;
    });
    for (int i = 0; i < 500 && decided.load() < 2; ++i) co_await sleep_for(10ms);
  });
  other_thread.join();
  EXPECT_EQ(decided.load(), 2);
  EXPECT_TRUE(on_other);
  EXPECT_TRUE(ran_before_run_returned);
  EXPECT_EQ(limiter.stats().redis_allowed, 1U);
  EXPECT_EQ(limiter.stats().redis_denied, 1U);
}

TEST(RedisLimiterConfig, RejectsInvalidConfiguration) {
  asio::io_context io;
  redis::client c(io.get_executor(), redis::config{});
  auto bad = limiter_config(10, 1s);
  bad.fallback_fraction = 0;
  EXPECT_THROW(redis::distributed_rate_limiter(c, bad), std::invalid_argument);
  bad = limiter_config(10, 1s);
  bad.expected_replicas = 0;
  EXPECT_THROW(redis::distributed_rate_limiter(c, bad), std::invalid_argument);
  bad = limiter_config(10, 1s);
  bad.per_user.window = std::chrono::microseconds(5);
  EXPECT_THROW(redis::distributed_rate_limiter(c, bad), std::invalid_argument);
  bad = limiter_config(10, 1s);
  bad.prefix.clear();
  EXPECT_THROW(redis::distributed_rate_limiter(c, bad), std::invalid_argument);
  auto replicas = limiter_config(10, 1s);
  replicas.expected_replicas = 4;
  redis::distributed_rate_limiter scaled(c, replicas);
  EXPECT_EQ(scaled.fallback_config().limit, 1U);  // floor(10 × 0.5 / 4), at least 1
}

TEST_F(RedisLimiter, CancelledDecisionCompletesWithOperationAborted) {
  redis::client c(io.get_executor(), client_config(server));
  redis::distributed_rate_limiter limiter(c, limiter_config(3, 60s));
  run(io, [&]() -> asio::awaitable<void> {
    co_await c.async_connect(tuple_awaitable);
    asio::cancellation_signal signal;
    boost::system::error_code got;
    bool allowed = true;
    bool done = false;
    limiter.async_decide(alice, asio::bind_cancellation_slot(
                                    signal.slot(), [&](boost::system::error_code ec, core::rate_limit_decision d) {
                                      got = ec;
                                      allowed = d.allowed;
                                      done = true;
                                    }));
    // Cancelled before the batch is flushed: never sent, nothing consumed.
    signal.emit(asio::cancellation_type::terminal);
    for (int i = 0; i < 100 && !done; ++i) co_await sleep_for(5ms);
    EXPECT_TRUE(done);
    EXPECT_EQ(got, asio::error::operation_aborted);
    EXPECT_FALSE(allowed);
    auto [ec, d] = co_await limiter.async_decide(alice, tuple_awaitable);
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.remaining, 2U);
  });
}
