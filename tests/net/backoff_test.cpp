#include "musicbot/net/backoff.hpp"

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using musicbot::net::backoff;
using musicbot::net::backoff_options;
using musicbot::net::jitter;

TEST(backoff, no_jitter_doubles_until_cap) {
  backoff b(backoff_options{100ms, 1000ms, jitter::none, 1});
  EXPECT_EQ(b.next(), 100ms);
  EXPECT_EQ(b.next(), 200ms);
  EXPECT_EQ(b.next(), 400ms);
  EXPECT_EQ(b.next(), 800ms);
  EXPECT_EQ(b.next(), 1000ms);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(b.next(), 1000ms);  // no overflow after many attempts
  b.reset();
  EXPECT_EQ(b.attempts(), 0u);
  EXPECT_EQ(b.next(), 100ms);
}

TEST(backoff, full_jitter_stays_within_bounds_and_is_seeded) {
  backoff a(backoff_options{50ms, 2000ms, jitter::full, 42});
  backoff b(backoff_options{50ms, 2000ms, jitter::full, 42});
  std::chrono::milliseconds ceiling = 50ms;
  bool varied = false;
  std::chrono::milliseconds first{-1};
  for (int i = 0; i < 200; ++i) {
    const auto da = a.next();
    EXPECT_EQ(da, b.next());  // same seed, same sequence
    EXPECT_GE(da, 0ms);
    EXPECT_LE(da, ceiling);
    if (first.count() < 0) first = da;
    if (da != first) varied = true;
    ceiling = std::min<std::chrono::milliseconds>(ceiling * 2, 2000ms);
  }
  EXPECT_TRUE(varied);
}

TEST(backoff, decorrelated_jitter_stays_between_base_and_cap) {
  backoff b(backoff_options{100ms, 5000ms, jitter::decorrelated, 7});
  for (int i = 0; i < 500; ++i) {
    const auto d = b.next();
    EXPECT_GE(d, 100ms);
    EXPECT_LE(d, 5000ms);
  }
}

TEST(backoff, invalid_options_are_clamped) {
  backoff b(backoff_options{0ms, -5ms, jitter::none, 3});
  EXPECT_EQ(b.options().base, 1ms);
  EXPECT_EQ(b.options().cap, 1ms);
  EXPECT_EQ(b.next(), 1ms);
}
