#include <musicbot/core/circuit_breaker.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
using musicbot::core::circuit_breaker_config;
using musicbot::core::circuit_state;
using musicbot::core::manual_clock;
using musicbot::core::sliding_window_kind;

using transitions = std::vector<std::pair<circuit_state, circuit_state>>;

circuit_breaker_config small_count_window() {
  circuit_breaker_config c;
  c.window_kind = sliding_window_kind::count_based;
  c.window_size = 4;
  c.minimum_calls = 4;
  c.failure_rate_threshold = 50.0;
  c.slow_call_rate_threshold = 100.0;
  c.slow_call_duration = 100ms;
  c.wait_in_open = 10s;
  c.permitted_calls_in_half_open = 2;
  return c;
}

template <class Breaker>
class BreakerTest : public ::testing::Test {};

using breaker_types = ::testing::Types<musicbot::core::circuit_breaker<manual_clock>,
                                       musicbot::core::concurrent_circuit_breaker<manual_clock>>;
TYPED_TEST_SUITE(BreakerTest, breaker_types);

template <class Breaker>
void succeed(Breaker& b, std::chrono::nanoseconds d = 1ms) {
  auto p = b.try_acquire();
  ASSERT_TRUE(p);
  p.success(d);
}

template <class Breaker>
void fail(Breaker& b, std::chrono::nanoseconds d = 1ms) {
  auto p = b.try_acquire();
  ASSERT_TRUE(p);
  p.failure(d);
}

TYPED_TEST(BreakerTest, OpensAtFailureRateOnceMinimumCallsAreRecorded) {
  const manual_clock clock;
  TypeParam breaker(small_count_window(), clock);
  transitions seen;
  breaker.set_listener([&](circuit_state from, circuit_state to) { seen.emplace_back(from, to); });
  succeed(breaker);
  fail(breaker);
  fail(breaker);  // 2 of 3 failed, but fewer than minimum_calls
  EXPECT_EQ(breaker.state(), circuit_state::closed);
  EXPECT_EQ(breaker.metrics().failure_rate, -1.0);
  succeed(breaker);  // 4 calls, 50 %: the success completes the minimum
  EXPECT_EQ(breaker.state(), circuit_state::open);
  EXPECT_EQ(seen, (transitions{{circuit_state::closed, circuit_state::open}}));
}

TYPED_TEST(BreakerTest, CountWindowForgetsOldestOutcome) {
  const manual_clock clock;
  TypeParam breaker(small_count_window(), clock);
  fail(breaker);
  succeed(breaker);
  succeed(breaker);
  succeed(breaker);  // F S S S: 25 %
  EXPECT_EQ(breaker.state(), circuit_state::closed);
  fail(breaker);  // S S S F: the first failure left the window
  EXPECT_EQ(breaker.state(), circuit_state::closed);
  if constexpr (std::is_same_v<TypeParam, musicbot::core::circuit_breaker<manual_clock>>) {
    // The concurrent breaker's bucketed window already dropped its oldest bucket here.
    EXPECT_EQ(breaker.metrics().calls, 4U);
    EXPECT_EQ(breaker.metrics().failures, 1U);
    EXPECT_DOUBLE_EQ(breaker.metrics().failure_rate, 25.0);
  }
  fail(breaker);  // S S F F: 50 %
  EXPECT_EQ(breaker.state(), circuit_state::open);
}

TYPED_TEST(BreakerTest, OpenRejectsThenHalfOpenClosesOnSuccess) {
  manual_clock clock;
  TypeParam breaker(small_count_window(), clock);
  transitions seen;
  breaker.set_listener([&](circuit_state from, circuit_state to) { seen.emplace_back(from, to); });
  for (int i = 0; i < 4; ++i) fail(breaker);
  ASSERT_EQ(breaker.state(), circuit_state::open);
  auto rejected = breaker.try_acquire();
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.rejection().state, circuit_state::open);
  EXPECT_EQ(rejected.rejection().retry_after, 10s);
  clock.advance(10s - 1ns);
  rejected = breaker.try_acquire();
  EXPECT_FALSE(rejected);
  EXPECT_EQ(rejected.rejection().retry_after, 1ns);
  clock.advance(1ns);
  auto trial1 = breaker.try_acquire();
  ASSERT_TRUE(trial1);
  EXPECT_EQ(breaker.state(), circuit_state::half_open);
  auto trial2 = breaker.try_acquire();
  ASSERT_TRUE(trial2);
  auto extra = breaker.try_acquire();
  ASSERT_FALSE(extra);
  EXPECT_EQ(extra.rejection().state, circuit_state::half_open);
  trial1.success(1ms);
  EXPECT_EQ(breaker.state(), circuit_state::half_open);
  trial2.success(1ms);
  EXPECT_EQ(breaker.state(), circuit_state::closed);
  EXPECT_EQ(breaker.metrics().calls, 0U);  // closed starts with an empty window
  EXPECT_EQ(seen, (transitions{{circuit_state::closed, circuit_state::open},
                               {circuit_state::open, circuit_state::half_open},
                               {circuit_state::half_open, circuit_state::closed}}));
}

TYPED_TEST(BreakerTest, HalfOpenFailuresReopen) {
  manual_clock clock;
  TypeParam breaker(small_count_window(), clock);
  for (int i = 0; i < 4; ++i) fail(breaker);
  clock.advance(10s);
  succeed(breaker);
  fail(breaker);  // 1 of 2 trials failed: 50 % reaches the threshold
  EXPECT_EQ(breaker.state(), circuit_state::open);
  EXPECT_EQ(breaker.try_acquire().rejection().retry_after, 10s);
}

TYPED_TEST(BreakerTest, ReleasedTrialPermitFreesItsSlot) {
  manual_clock clock;
  TypeParam breaker(small_count_window(), clock);
  for (int i = 0; i < 4; ++i) fail(breaker);
  clock.advance(10s);
  {
    auto a = breaker.try_acquire();
    auto b = breaker.try_acquire();
    ASSERT_TRUE(a);
    ASSERT_TRUE(b);
    EXPECT_FALSE(breaker.try_acquire());
    b.release();
    auto c = breaker.try_acquire();
    ASSERT_TRUE(c);
    a.success(1ms);
    // c goes out of scope without an outcome: released too.
  }
  succeed(breaker);
  EXPECT_EQ(breaker.state(), circuit_state::closed);
}

TYPED_TEST(BreakerTest, MaxWaitInHalfOpenReopens) {
  manual_clock clock;
  auto cfg = small_count_window();
  cfg.max_wait_in_half_open = 5s;
  TypeParam breaker(cfg, clock);
  for (int i = 0; i < 4; ++i) fail(breaker);
  clock.advance(10s);
  auto trial = breaker.try_acquire();  // a trial call that never reports
  ASSERT_TRUE(trial);
  clock.advance(5s - 1ns);
  auto second = breaker.try_acquire();
  ASSERT_TRUE(second);
  second.release();
  clock.advance(1ns);
  const auto rejected = breaker.try_acquire();
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.rejection().state, circuit_state::open);
  EXPECT_EQ(breaker.state(), circuit_state::open);
  trial.success(1ms);  // stale: issued before the transition, ignored
  EXPECT_EQ(breaker.state(), circuit_state::open);
}

TYPED_TEST(BreakerTest, SlowCallsOpenAtSlowRate) {
  const manual_clock clock;
  auto cfg = small_count_window();
  cfg.failure_rate_threshold = 100.0;
  cfg.slow_call_rate_threshold = 50.0;
  TypeParam breaker(cfg, clock);
  succeed(breaker, 99ms);
  succeed(breaker, 99ms);
  succeed(breaker, 100ms);  // exactly slow_call_duration: slow
  EXPECT_EQ(breaker.metrics().slow_calls, 1U);
  auto p = breaker.try_acquire();
  p.success();  // no duration: never slow
  EXPECT_EQ(breaker.state(), circuit_state::closed);
  fail(breaker, 5s);  // slow failure counts as slow too
  EXPECT_EQ(breaker.state(), circuit_state::open);  // 2 of last 4 slow
}

TYPED_TEST(BreakerTest, ForcedOpenDisabledAndReset) {
  const manual_clock clock;
  TypeParam breaker(small_count_window(), clock);
  transitions seen;
  breaker.set_listener([&](circuit_state from, circuit_state to) { seen.emplace_back(from, to); });
  breaker.force_open();
  const auto r = breaker.try_acquire();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.rejection().state, circuit_state::forced_open);
  EXPECT_EQ(r.rejection().retry_after, 0ns);
  breaker.disable();
  for (int i = 0; i < 10; ++i) fail(breaker);  // permitted and not recorded
  EXPECT_EQ(breaker.state(), circuit_state::disabled);
  EXPECT_EQ(breaker.metrics().calls, 0U);
  breaker.reset();
  EXPECT_EQ(breaker.state(), circuit_state::closed);
  EXPECT_EQ(seen, (transitions{{circuit_state::closed, circuit_state::forced_open},
                               {circuit_state::forced_open, circuit_state::disabled},
                               {circuit_state::disabled, circuit_state::closed}}));
}

TYPED_TEST(BreakerTest, OutcomesOfPermitsFromBeforeATransitionAreIgnored) {
  const manual_clock clock;
  TypeParam breaker(small_count_window(), clock);
  auto old = breaker.try_acquire();
  ASSERT_TRUE(old);
  breaker.reset();
  old.failure(1ms);
  EXPECT_EQ(breaker.metrics().calls, 0U);
}

TYPED_TEST(BreakerTest, TimeWindowDropsExpiredBuckets) {
  manual_clock clock;
  circuit_breaker_config cfg = small_count_window();
  cfg.window_kind = sliding_window_kind::time_based;
  cfg.window_size = 3;  // three 1 s buckets
  cfg.bucket_duration = 1s;
  cfg.minimum_calls = 3;
  {
    TypeParam breaker(cfg, clock);
    fail(breaker);
    fail(breaker);
    clock.advance(3s - 1ns);  // last nanosecond of the third bucket: both failures still count
    fail(breaker);
    EXPECT_EQ(breaker.state(), circuit_state::open);
  }
  clock.advance(1ns);  // realign on a bucket boundary
  {
    TypeParam breaker(cfg, clock);
    fail(breaker);
    fail(breaker);
    clock.advance(3s);  // their bucket left the window
    succeed(breaker);
    fail(breaker);
    EXPECT_EQ(breaker.state(), circuit_state::closed);
    EXPECT_EQ(breaker.metrics().calls, 2U);
    fail(breaker);  // 2 of 3 in the window
    EXPECT_EQ(breaker.state(), circuit_state::open);
  }
}

TYPED_TEST(BreakerTest, TimeWindowSlowCallsAndRecovery) {
  manual_clock clock;
  circuit_breaker_config cfg = small_count_window();
  cfg.window_kind = sliding_window_kind::time_based;
  cfg.window_size = 10;  // ten 100 ms buckets: a 1 s window
  cfg.bucket_duration = 100ms;
  cfg.minimum_calls = 4;
  cfg.failure_rate_threshold = 100.0;
  cfg.slow_call_rate_threshold = 75.0;
  TypeParam breaker(cfg, clock);
  transitions seen;
  breaker.set_listener([&](circuit_state from, circuit_state to) { seen.emplace_back(from, to); });
  succeed(breaker, 150ms);
  clock.advance(100ms);
  succeed(breaker, 150ms);
  clock.advance(100ms);
  succeed(breaker, 10ms);
  fail(breaker, 200ms);  // 3 of 4 slow: 75 %
  EXPECT_EQ(breaker.state(), circuit_state::open);
  clock.advance(10s);
  succeed(breaker, 1ms);
  succeed(breaker, 1ms);
  EXPECT_EQ(breaker.state(), circuit_state::closed);
  // The window starts empty after closing: old slow calls are gone.
  succeed(breaker, 150ms);
  succeed(breaker, 1ms);
  succeed(breaker, 1ms);
  succeed(breaker, 1ms);
  EXPECT_EQ(breaker.state(), circuit_state::closed);
  EXPECT_EQ(seen, (transitions{{circuit_state::closed, circuit_state::open},
                               {circuit_state::open, circuit_state::half_open},
                               {circuit_state::half_open, circuit_state::closed}}));
}

TEST(CircuitBreakerConfig, PresetsCarryServiceValues) {
  const auto redis = circuit_breaker_config::redis();
  EXPECT_EQ(redis.call_timeout, 3000ms);
  EXPECT_EQ(redis.failure_rate_threshold, 50.0);
  EXPECT_EQ(redis.wait_in_open, 30s);
  const auto db = circuit_breaker_config::database();
  EXPECT_EQ(db.call_timeout, 5000ms);
  EXPECT_EQ(db.failure_rate_threshold, 30.0);
  EXPECT_EQ(db.wait_in_open, 60s);
  const auto ll = circuit_breaker_config::lavalink();
  EXPECT_EQ(ll.call_timeout, 10000ms);
  EXPECT_EQ(ll.failure_rate_threshold, 40.0);
  EXPECT_EQ(ll.wait_in_open, 45s);
  EXPECT_NO_THROW(redis.validate());
  EXPECT_NO_THROW(db.validate());
  EXPECT_NO_THROW(ll.validate());
}

TEST(CircuitBreakerConfig, InvalidValuesThrow) {
  auto bad = [](auto mutate) {
    circuit_breaker_config c;
    mutate(c);
    return c;
  };
  EXPECT_THROW(bad([](auto& c) { c.window_size = 0; }).validate(), std::invalid_argument);
  EXPECT_THROW(bad([](auto& c) { c.minimum_calls = 0; }).validate(), std::invalid_argument);
  EXPECT_THROW(bad([](auto& c) { c.failure_rate_threshold = 0.0; }).validate(), std::invalid_argument);
  EXPECT_THROW(bad([](auto& c) { c.failure_rate_threshold = 101.0; }).validate(), std::invalid_argument);
  EXPECT_THROW(bad([](auto& c) { c.slow_call_duration = 0ms; }).validate(), std::invalid_argument);
  EXPECT_THROW(bad([](auto& c) { c.wait_in_open = -1s; }).validate(), std::invalid_argument);
  EXPECT_THROW(bad([](auto& c) { c.permitted_calls_in_half_open = 0; }).validate(), std::invalid_argument);
  EXPECT_THROW(bad([](auto& c) { c.max_wait_in_half_open = -1s; }).validate(), std::invalid_argument);
  EXPECT_THROW(musicbot::core::circuit_breaker<>(bad([](auto& c) { c.window_size = 0; })), std::invalid_argument);
  EXPECT_EQ(musicbot::core::to_string(circuit_state::half_open), "half_open");
}

TEST(ConcurrentCircuitBreaker, LargeCountWindowIsBucketed) {
  const manual_clock clock;
  circuit_breaker_config cfg = small_count_window();
  cfg.window_size = 100;
  cfg.minimum_calls = 100;
  musicbot::core::concurrent_circuit_breaker<manual_clock> breaker(cfg, clock);
  for (int i = 0; i < 49; ++i) fail(breaker);
  for (int i = 0; i < 50; ++i) succeed(breaker);
  EXPECT_EQ(breaker.state(), circuit_state::closed);  // 99 calls < minimum
  fail(breaker);  // the 100th call fills the last bucket: 50 %
  EXPECT_EQ(breaker.state(), circuit_state::open);
}

TEST(ConcurrentCircuitBreaker, ThreadsTripItExactlyOnce) {
  const manual_clock clock;
  circuit_breaker_config cfg = small_count_window();
  cfg.window_size = 50;
  cfg.minimum_calls = 20;
  musicbot::core::concurrent_circuit_breaker<manual_clock> breaker(cfg, clock);
  std::atomic<int> opened{0};
  std::atomic<int> other{0};
  breaker.set_listener([&](circuit_state from, circuit_state to) {
    (from == circuit_state::closed && to == circuit_state::open ? opened : other).fetch_add(1);
  });
  std::atomic<int> rejected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        auto p = breaker.try_acquire();
        if (!p) {
          rejected.fetch_add(1);
          continue;
        }
        if (i % 2 == 0) p.failure(1ms); else p.success(1ms);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(breaker.state(), circuit_state::open);
  EXPECT_EQ(opened.load(), 1);
  EXPECT_EQ(other.load(), 0);
  EXPECT_GT(rejected.load(), 0);
}

TEST(ConcurrentCircuitBreaker, ThreadsThroughAllStatesStayConsistent) {
  manual_clock clock;
  circuit_breaker_config cfg = small_count_window();
  cfg.window_size = 20;
  cfg.minimum_calls = 10;
  cfg.wait_in_open = 1ms;
  cfg.permitted_calls_in_half_open = 3;
  musicbot::core::concurrent_circuit_breaker<manual_clock> breaker(cfg, clock);
  std::atomic<int> transitions_seen{0};
  breaker.set_listener([&](circuit_state, circuit_state) { transitions_seen.fetch_add(1); });
  std::atomic<bool> stop{false};
  std::thread ticker([&] {
    for (int i = 0; i < 2000 && !stop.load(); ++i) {
      clock.advance(1ms);
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&breaker, t] {
      for (int i = 0; i < 3000; ++i) {
        auto p = breaker.try_acquire();
        if (!p) continue;
        if ((i + t) % 3 != 0) p.failure(1ms); else if (i % 5 == 0) p.release(); else p.success(1ms);
      }
    });
  }
  for (auto& t : threads) t.join();
  stop.store(true);
  ticker.join();
  const auto s = breaker.state();
  EXPECT_TRUE(s == circuit_state::closed || s == circuit_state::open || s == circuit_state::half_open);
  EXPECT_GT(transitions_seen.load(), 0);
  // Bucketed window plus at most one late outcome per other thread and bucket.
  EXPECT_LE(breaker.metrics().calls, 20U + 3U * 10U);
}

}  // namespace
