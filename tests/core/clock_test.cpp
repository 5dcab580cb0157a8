#include <musicbot/core/clock.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using musicbot::core::manual_clock;

TEST(ManualClock, CopiesShareTime) {
  manual_clock a;
  const manual_clock b = a;
  const auto start = b.now();
  a.advance(5s);
  EXPECT_EQ(b.now() - start, 5s);
  a.set(start);
  EXPECT_EQ(b.now(), start);
}

TEST(SteadyClock, IsMonotonic) {
  const musicbot::core::steady_clock clock;
  const auto t1 = clock.now();
  const auto t2 = clock.now();
  EXPECT_LE(t1, t2);
}

}  // namespace

namespace {

TEST(CoarseSteadyClock, NeverAheadOfSteadyClock) {
  const musicbot::core::coarse_steady_clock coarse;
  const musicbot::core::steady_clock precise;
  for (int i = 0; i < 100; ++i) {
    const auto c = coarse.now();
    const auto p = precise.now();
    EXPECT_LE(c, p);
    EXPECT_LT(p - c, std::chrono::seconds(1));
  }
}

}  // namespace

namespace {

TEST(CachedClock, StandsStillUntilRefreshedAndCopiesShareIt) {
  musicbot::core::cached_clock a;
  const musicbot::core::cached_clock b = a;
  const auto t0 = b.now();
  EXPECT_EQ(a.now(), t0);
  const musicbot::core::steady_clock precise;
  const auto deadline = precise.now() + std::chrono::seconds(2);
  // Wait (bounded) for the coarse clock to move on by at least one tick.
  while (musicbot::core::coarse_steady_clock{}.now() <= t0 && precise.now() < deadline) {
  }
  EXPECT_EQ(b.now(), t0);  // nothing refreshed it
  const auto t1 = a.refresh();
  EXPECT_GT(t1, t0);
  EXPECT_EQ(b.now(), t1);  // the copy sees the refresh
  EXPECT_LE(t1, precise.now());
}

TEST(CachedClock, ConcurrentRefreshesNeverGoBack) {
  musicbot::core::cached_clock clock;
  std::vector<std::thread> threads;
  std::atomic<bool> backwards{false};
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([clock, &backwards]() mutable {
      auto last = clock.now();
      for (int i = 0; i < 2000; ++i) {
        clock.refresh();
        const auto now = clock.now();
        if (now < last) backwards = true;
        last = now;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(backwards);
}

}  // namespace
