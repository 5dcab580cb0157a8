#include <musicbot/core/clock.hpp>

#include <gtest/gtest.h>

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
