#include <musicbot/core/gcra.hpp>
#include <musicbot/core/keyed_rate_limiter.hpp>
#include <musicbot/core/rate_limit.hpp>
#include <musicbot/core/sliding_window.hpp>
#include <musicbot/core/token_bucket.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace {

using namespace std::chrono_literals;
using musicbot::core::manual_clock;
using musicbot::core::rate_limit_algorithm;
using musicbot::core::rate_limit_config;
using musicbot::core::rate_limit_decision;

constexpr rate_limit_config five_per_second{5, 1s, rate_limit_algorithm::gcra};

TEST(RateLimitConfig, ValidateRejectsNonsense) {
  EXPECT_THROW((rate_limit_config{0, 1s}.validate()), std::invalid_argument);
  EXPECT_THROW((rate_limit_config{10, 5ns}.validate()), std::invalid_argument);
  EXPECT_THROW((rate_limit_config{std::numeric_limits<std::uint32_t>::max(), 24h * 365}.validate()),
               std::invalid_argument);
  EXPECT_NO_THROW((rate_limit_config{100, 1min}.validate()));
  EXPECT_THROW(musicbot::core::gcra_policy(rate_limit_config{0, 1s}), std::invalid_argument);
}

TEST(RateLimitConfig, ScaledIsLimitTimesFractionOverReplicas) {
  const rate_limit_config cfg{100, 10s, rate_limit_algorithm::sliding_window};
  const auto fallback = cfg.scaled(0.5, 4);
  EXPECT_EQ(fallback.limit, 12U);  // floor(100 * 0.5 / 4)
  EXPECT_EQ(fallback.window, 10s);
  EXPECT_EQ(fallback.algorithm, rate_limit_algorithm::sliding_window);
  EXPECT_EQ(cfg.scaled(0.25).limit, 25U);
  EXPECT_EQ(cfg.scaled(0.001, 3).limit, 1U);  // never below one call per window
  EXPECT_EQ(cfg.scaled(1e12).limit, std::numeric_limits<std::uint32_t>::max());
  EXPECT_THROW((void)cfg.scaled(0.0), std::invalid_argument);
  EXPECT_THROW((void)cfg.scaled(-1.0), std::invalid_argument);
  EXPECT_THROW((void)cfg.scaled(std::nan("")), std::invalid_argument);
  EXPECT_THROW((void)cfg.scaled(0.5, 0), std::invalid_argument);
}

TEST(RateLimitDecision, ConvertsToBool) {
  rate_limit_decision d;
  EXPECT_FALSE(d);
  d.allowed = true;
  EXPECT_TRUE(d);
}

// ---- GCRA ------------------------------------------------------------------------

TEST(Gcra, BurstThenOneEveryInterval) {
  manual_clock clock;
  musicbot::core::gcra_limiter<manual_clock> limiter(five_per_second, clock);
  for (std::uint32_t i = 0; i < 5; ++i) {
    const auto d = limiter.try_acquire();
    ASSERT_TRUE(d) << i;
    EXPECT_EQ(d.remaining, 4 - i);
    EXPECT_EQ(d.limit, 5U);
    EXPECT_EQ(d.retry_after, 0ns);
    EXPECT_EQ(d.reset_after, 200ms * (i + 1));
  }
  auto d = limiter.try_acquire();
  EXPECT_FALSE(d);
  EXPECT_EQ(d.remaining, 0U);
  EXPECT_EQ(d.retry_after, 200ms);
  EXPECT_EQ(d.reset_after, 1s);
  clock.advance(200ms - 1ns);
  d = limiter.try_acquire();
  EXPECT_FALSE(d);
  EXPECT_EQ(d.retry_after, 1ns);
  clock.advance(1ns);  // exactly one interval later
  d = limiter.try_acquire();
  EXPECT_TRUE(d);
  EXPECT_EQ(d.remaining, 0U);
  EXPECT_FALSE(limiter.try_acquire());
  clock.advance(1s);  // a full window restores the whole burst
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.try_acquire());
  EXPECT_FALSE(limiter.try_acquire());
}

TEST(Gcra, RefusedCallsDoNotConsumeQuota) {
  manual_clock clock;
  musicbot::core::gcra_limiter<manual_clock> limiter(rate_limit_config{1, 1s}, clock);
  EXPECT_TRUE(limiter.try_acquire());
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(limiter.try_acquire());
  clock.advance(1s);
  EXPECT_TRUE(limiter.try_acquire());
}

TEST(Gcra, ResetRestoresQuota) {
  const manual_clock clock;
  musicbot::core::gcra_limiter<manual_clock> limiter(rate_limit_config{1, 1s}, clock);
  EXPECT_TRUE(limiter.try_acquire());
  EXPECT_FALSE(limiter.try_acquire());
  limiter.reset();
  EXPECT_TRUE(limiter.try_acquire());
}

// ---- token bucket ------------------------------------------------------------------

TEST(TokenBucket, RefillsContinuouslyWithExactEdges) {
  manual_clock clock;
  musicbot::core::token_bucket_limiter<manual_clock> limiter(rate_limit_config{5, 1s, rate_limit_algorithm::token_bucket},
                                                            clock);
  for (std::uint32_t i = 0; i < 5; ++i) {
    const auto d = limiter.try_acquire();
    ASSERT_TRUE(d);
    EXPECT_EQ(d.remaining, 4 - i);
    EXPECT_EQ(d.reset_after, 200ms * (i + 1));
  }
  auto d = limiter.try_acquire();
  EXPECT_FALSE(d);
  EXPECT_EQ(d.retry_after, 200ms);
  EXPECT_EQ(d.reset_after, 1s);
  clock.advance(200ms - 1ns);
  d = limiter.try_acquire();
  EXPECT_FALSE(d);
  EXPECT_EQ(d.retry_after, 1ns);
  clock.advance(1ns);
  EXPECT_TRUE(limiter.try_acquire());
  EXPECT_FALSE(limiter.try_acquire());
  clock.advance(600ms);  // three tokens
  EXPECT_TRUE(limiter.try_acquire());
  EXPECT_TRUE(limiter.try_acquire());
  EXPECT_TRUE(limiter.try_acquire());
  EXPECT_FALSE(limiter.try_acquire());
  clock.advance(1h);  // never more than the capacity
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.try_acquire());
  EXPECT_FALSE(limiter.try_acquire());
}

TEST(TokenBucket, NonDivisibleRateRoundsRetryUp) {
  manual_clock clock;
  musicbot::core::token_bucket_limiter<manual_clock> limiter(rate_limit_config{3, 1s, rate_limit_algorithm::token_bucket},
                                                            clock);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.try_acquire());
  const auto d = limiter.try_acquire();
  ASSERT_FALSE(d);
  EXPECT_EQ(d.retry_after, 333333334ns);  // ceil(1s / 3)
  clock.advance(333333333ns);
  EXPECT_FALSE(limiter.try_acquire());
  clock.advance(1ns);
  EXPECT_TRUE(limiter.try_acquire());
}

// ---- sliding window counter -----------------------------------------------------------

TEST(SlidingWindow, WeightsThePreviousWindowExactly) {
  manual_clock clock;
  // Align on a window boundary, then move half a window in.
  clock.set(manual_clock::time_point(100s + 500ms));
  musicbot::core::sliding_window_limiter<manual_clock> limiter(
      rate_limit_config{10, 1s, rate_limit_algorithm::sliding_window}, clock);
  for (std::uint32_t i = 0; i < 10; ++i) {
    const auto d = limiter.try_acquire();
    ASSERT_TRUE(d) << i;
    EXPECT_EQ(d.remaining, 9 - i);
    EXPECT_EQ(d.reset_after, 1500ms);  // rest of this window + the next
  }
  auto d = limiter.try_acquire();
  ASSERT_FALSE(d);
  // Next window: 10 * (1 - e) + 1 <= 10  <=>  e >= 0.1 s, i.e. 600 ms from now.
  EXPECT_EQ(d.retry_after, 600ms);
  clock.advance(600ms - 1ns);
  EXPECT_FALSE(limiter.try_acquire());
  clock.advance(1ns);  // 101.1 s
  d = limiter.try_acquire();
  EXPECT_TRUE(d);
  EXPECT_EQ(d.remaining, 0U);
  d = limiter.try_acquire();
  ASSERT_FALSE(d);
  // Now previous = 10, current = 1: 10 * (1 - e) + 2 <= 10 <=> e >= 0.2 s.
  EXPECT_EQ(d.retry_after, 100ms);
  clock.advance(100ms);
  EXPECT_TRUE(limiter.try_acquire());
  // Two whole windows later everything is forgotten.
  clock.advance(2s);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limiter.try_acquire());
}

TEST(SlidingWindow, WindowBoundaryRollsCounts) {
  manual_clock clock;
  clock.set(manual_clock::time_point(50s));
  musicbot::core::sliding_window_limiter<manual_clock> limiter(
      rate_limit_config{2, 1s, rate_limit_algorithm::sliding_window}, clock);
  EXPECT_TRUE(limiter.try_acquire());
  EXPECT_TRUE(limiter.try_acquire());
  clock.advance(1s - 1ns);  // last nanosecond of the window
  const auto d = limiter.try_acquire();
  ASSERT_FALSE(d);
  // 2 * (1 - e) + 1 <= 2 <=> e >= 0.5 s in the next window.
  EXPECT_EQ(d.retry_after, 1ns + 500ms);
  clock.advance(1ns);  // new window: previous (2) still weighs fully
  EXPECT_FALSE(limiter.try_acquire());
  clock.advance(500ms);
  EXPECT_TRUE(limiter.try_acquire());
  EXPECT_FALSE(limiter.try_acquire());
}

TEST(SlidingWindow, LimitOneWaitsForTheWindowAfterNext) {
  manual_clock clock;
  clock.set(manual_clock::time_point(10s + 250ms));
  musicbot::core::sliding_window_limiter<manual_clock> limiter(
      rate_limit_config{1, 1s, rate_limit_algorithm::sliding_window}, clock);
  EXPECT_TRUE(limiter.try_acquire());
  const auto d = limiter.try_acquire();
  ASSERT_FALSE(d);
  EXPECT_EQ(d.retry_after, 1750ms);
  clock.advance(1750ms - 1ns);
  EXPECT_FALSE(limiter.try_acquire());
  clock.advance(1ns);
  EXPECT_TRUE(limiter.try_acquire());
}

// ---- keyed limiter ------------------------------------------------------------------

TEST(RateLimitKey, JoinsAndEscapesParts) {
  using musicbot::core::rate_limit_key;
  EXPECT_EQ(rate_limit_key(std::uint64_t{1234}, std::uint64_t{5678}, "play"), "1234:5678:play");
  EXPECT_EQ(rate_limit_key(-5, std::string("x")), "-5:x");
  EXPECT_NE(rate_limit_key("a:b", "c"), rate_limit_key("a", "b:c"));
  EXPECT_EQ(rate_limit_key("a:b"), "a\\:b");
  EXPECT_EQ(rate_limit_key(std::string_view("back\\slash")), "back\\\\slash");
}

TEST(RateLimitKey, KeysOfAnyLengthComeOutWhole) {
  using musicbot::core::rate_limit_key;
  // Short (inline string), Discord-sized, and longer than the stack buffer
  // the text is first written to (the long path), with escapes near the end.
  EXPECT_EQ(rate_limit_key(std::uint64_t{1}, "p"), "1:p");
  EXPECT_EQ(rate_limit_key(std::uint64_t{1234567890123456789}, std::uint64_t{987654321098765432}, "play"),
            "1234567890123456789:987654321098765432:play");
  const std::string long_part(300, 'x');
  EXPECT_EQ(rate_limit_key(std::uint64_t{7}, long_part + ":end"), "7:" + long_part + "\\:end");
  EXPECT_EQ(rate_limit_key(std::string(159, 'a')), std::string(159, 'a'));
  EXPECT_EQ(rate_limit_key(std::string(160, 'a')), std::string(160, 'a'));
  EXPECT_EQ(rate_limit_key(std::string(161, 'a')), std::string(161, 'a'));
}

TEST(KeyedRateLimiter, KeysHaveIndependentQuotas) {
  manual_clock clock;
  musicbot::core::keyed_rate_limiter<manual_clock> limiter(rate_limit_config{2, 1s}, 100, clock);
  EXPECT_TRUE(limiter.try_acquire("a"));
  EXPECT_TRUE(limiter.try_acquire("a"));
  EXPECT_FALSE(limiter.try_acquire("a"));
  EXPECT_TRUE(limiter.try_acquire("b"));
  EXPECT_EQ(limiter.size(), 2U);
  limiter.reset("a");
  EXPECT_TRUE(limiter.try_acquire("a"));
  clock.advance(1s);
  EXPECT_TRUE(limiter.try_acquire("a"));
}

TEST(KeyedRateLimiter, EveryAlgorithmIsSelectable) {
  for (const auto algo :
       {rate_limit_algorithm::gcra, rate_limit_algorithm::token_bucket, rate_limit_algorithm::sliding_window}) {
    manual_clock clock;
    clock.set(manual_clock::time_point(100s));
    musicbot::core::keyed_rate_limiter<manual_clock> limiter(rate_limit_config{3, 1s, algo}, 10, clock);
    EXPECT_EQ(limiter.config().algorithm, algo);
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.try_acquire("k"));
    const auto d = limiter.try_acquire("k");
    EXPECT_FALSE(d);
    EXPECT_GT(d.retry_after, 0ns);
    clock.advance(2s);
    EXPECT_TRUE(limiter.try_acquire("k"));
  }
}

TEST(KeyedRateLimiter, TrackedKeysAreBounded) {
  manual_clock clock;
  musicbot::core::keyed_rate_limiter<manual_clock> limiter(rate_limit_config{1, 1min}, 50, clock);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(limiter.try_acquire(musicbot::core::rate_limit_key(i)));
    ASSERT_LE(limiter.size(), 50U);
  }
  EXPECT_EQ(limiter.max_keys(), 50U);
  EXPECT_EQ(limiter.stats().evictions, 950U);
  // The 50 most recent keys are still limited.
  EXPECT_FALSE(limiter.try_acquire(musicbot::core::rate_limit_key(999)));
}

TEST(KeyedRateLimiter, IdleKeysExpireOnlyOnceTheirQuotaIsFull) {
  manual_clock clock;
  musicbot::core::keyed_rate_limiter<manual_clock> limiter(rate_limit_config{1, 10s}, 10, clock);
  EXPECT_TRUE(limiter.try_acquire("u"));
  clock.advance(9s);
  EXPECT_FALSE(limiter.try_acquire("u"));  // refreshes the key's lifetime
  clock.advance(9s);
  EXPECT_TRUE(limiter.try_acquire("u"));
  clock.advance(10s - 1ns);
  EXPECT_EQ(limiter.stats().expirations, 0U);
  EXPECT_FALSE(limiter.try_acquire("u"));  // still tracked, still limited
  clock.advance(10s);
  EXPECT_TRUE(limiter.try_acquire("u"));  // expired entry replaced by a fresh one
  EXPECT_EQ(limiter.stats().expirations, 1U);
}

TEST(KeyedRateLimiter, FallbackConfigurationIsOneCall) {
  const manual_clock clock;
  const rate_limit_config shared{100, 1s};
  musicbot::core::keyed_rate_limiter<manual_clock> fallback(shared.scaled(0.5, 5), 10, clock);
  int allowed = 0;
  for (int i = 0; i < 50; ++i) allowed += fallback.try_acquire("cmd") ? 1 : 0;
  EXPECT_EQ(allowed, 10);
}

TEST(KeyedRateLimiter, KeysGivenAsPartsAreDistinctAndStable) {
  manual_clock clock;
  musicbot::core::keyed_rate_limiter<manual_clock> limiter(rate_limit_config{1, 1min}, 100, clock);
  const std::uint64_t guild = 1234567890123456789ULL;
  const std::uint64_t user = 987654321098765432ULL;
  EXPECT_TRUE(limiter.try_acquire(guild, user, "play"));
  EXPECT_FALSE(limiter.try_acquire(guild, user, "play"));            // same parts, same key
  EXPECT_TRUE(limiter.try_acquire(guild, user, std::string("skip")));  // another command
  EXPECT_TRUE(limiter.try_acquire(user, guild, "play"));             // order matters
  EXPECT_TRUE(limiter.try_acquire(guild, user));                      // fewer parts
  // Parts form their own key space, apart from the string form.
  EXPECT_TRUE(limiter.try_acquire(musicbot::core::rate_limit_key(guild, user, "play")));
  // A negative signed part differs from the unsigned value with the same bits.
  EXPECT_TRUE(limiter.try_acquire(std::int64_t{-1}, "x"));
  EXPECT_TRUE(limiter.try_acquire(~std::uint64_t{0}, "x"));
  EXPECT_FALSE(limiter.try_acquire(std::int64_t{-1}, "x"));
  // Int widths do not matter, only values.
  EXPECT_TRUE(limiter.try_acquire(7, "y"));
  EXPECT_FALSE(limiter.try_acquire(std::uint64_t{7}, "y"));
  // String parts are length-prefixed: ("ab", "c") and ("a", "bc") differ.
  EXPECT_TRUE(limiter.try_acquire(1, "ab", "c"));
  EXPECT_TRUE(limiter.try_acquire(1, "a", "bc"));
  limiter.reset(guild, user, "play");
  EXPECT_TRUE(limiter.try_acquire(guild, user, "play"));
}

TEST(KeyedRateLimiter, LongKeysAreStoredExactly) {
  manual_clock clock;
  musicbot::core::keyed_rate_limiter<manual_clock> limiter(rate_limit_config{1, 1min}, 100, clock);
  // Longer than the inline key (28 bytes) and than the stack buffer (96 bytes).
  const std::string a(200, 'a');
  std::string b = a;
  b.back() = 'b';
  EXPECT_TRUE(limiter.try_acquire(a));
  EXPECT_FALSE(limiter.try_acquire(a));
  EXPECT_TRUE(limiter.try_acquire(b));
  EXPECT_TRUE(limiter.try_acquire(std::uint64_t{1}, a));
  EXPECT_FALSE(limiter.try_acquire(std::uint64_t{1}, a));
  EXPECT_TRUE(limiter.try_acquire(std::uint64_t{1}, b));
  // 44-byte string keys (two snowflakes and a command) take the heap path too.
  const auto key = musicbot::core::rate_limit_key(1234567890123456789ULL, 987654321098765432ULL, "play");
  EXPECT_TRUE(limiter.try_acquire(key));
  EXPECT_FALSE(limiter.try_acquire(std::string_view(key)));
  EXPECT_EQ(limiter.size(), 5U);
  // Eviction and clear() release the heap copies (checked under ASan).
  for (int i = 0; i < 300; ++i) (void)limiter.try_acquire(std::string(40, 'k') + std::to_string(i));
  EXPECT_EQ(limiter.size(), 100U);
  limiter.clear();
  EXPECT_EQ(limiter.size(), 0U);
}

TEST(KeyedRateLimiter, WorksWithACachedClock) {
  const musicbot::core::cached_clock clock;
  musicbot::core::keyed_rate_limiter<musicbot::core::cached_clock> limiter(rate_limit_config{2, 1h}, 10, clock);
  EXPECT_TRUE(limiter.try_acquire(1, 2, "play"));
  EXPECT_TRUE(limiter.try_acquire(1, 2, "play"));
  EXPECT_FALSE(limiter.try_acquire(1, 2, "play"));
}

TEST(KeyedRateLimiter, InvalidConfigurationThrows) {
  EXPECT_THROW(musicbot::core::keyed_rate_limiter<>(rate_limit_config{0, 1s}, 10), std::invalid_argument);
  EXPECT_THROW(musicbot::core::keyed_rate_limiter<>(rate_limit_config{1, 1s}, 0), std::invalid_argument);
}

}  // namespace
