#include <musicbot/metrics/registry.hpp>
#include <musicbot/metrics/timer.hpp>

#include <gtest/gtest.h>

namespace m = musicbot::metrics;
using namespace std::chrono_literals;

TEST(MetricsTimer, ObservesElapsedTimeOnDestruction) {
  m::registry reg;
  auto h = *reg.add_histogram("t_seconds", "T.", {}, {0.1, 1, 10})->with({});
  musicbot::core::manual_clock clock;
  {
    m::scoped_timer<musicbot::core::manual_clock> timer(h, clock);
    clock.advance(2500ms);
  }
  const auto snap = h.snapshot();
  EXPECT_EQ(snap.count, 1U);
  EXPECT_DOUBLE_EQ(snap.sum, 2.5);
  EXPECT_EQ(snap.cumulative, (std::vector<std::uint64_t>{0, 0, 1, 1}));
}

TEST(MetricsTimer, StopObservesOnceAndCancelDrops) {
  m::registry reg;
  auto h = *reg.add_histogram("t2_seconds", "T.", {}, {1})->with({});
  musicbot::core::manual_clock clock;
  {
    m::scoped_timer<musicbot::core::manual_clock> timer(h, clock);
    clock.advance(500ms);
    EXPECT_DOUBLE_EQ(timer.stop(), 0.5);
    clock.advance(10s);
    EXPECT_EQ(timer.stop(), 0.0);
  }
  {
    m::scoped_timer<musicbot::core::manual_clock> timer(h, clock);
    clock.advance(1s);
    timer.cancel();
  }
  EXPECT_EQ(h.snapshot().count, 1U);
  m::scoped_timer<> real(h);  // default clock compiles and observes something >= 0
  EXPECT_GE(real.stop(), 0.0);
  EXPECT_EQ(h.snapshot().count, 2U);
}
