#pragma once
/// @file
/// Injected clocks. Every time-dependent component takes a clock object so
/// tests advance time by hand instead of sleeping.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <memory>

#if defined(__linux__)
#include <time.h>  // clock_gettime(CLOCK_MONOTONIC_COARSE)
#endif

namespace musicbot::core {

/// What a component needs of a clock: nested `duration` and `time_point`
/// types and a `now()` callable on a const object.
template <class C>
concept clock_source = requires(const C& clock) {
  typename C::duration;
  typename C::time_point;
  { clock.now() } -> std::same_as<typename C::time_point>;
};

/// The real monotonic clock (`std::chrono::steady_clock`) as a clock object.
///
/// @par Thread safety
/// Safe to call from any thread.
struct steady_clock {
  using duration = std::chrono::steady_clock::duration;      ///< Tick type.
  using time_point = std::chrono::steady_clock::time_point;  ///< Instant type.
  /// The current instant.
  [[nodiscard]] time_point now() const noexcept { return std::chrono::steady_clock::now(); }
};

/// The monotonic clock read at tick resolution (Linux
/// `CLOCK_MONOTONIC_COARSE`, typically 1–4 ms): about 3 ns a call instead of
/// ~20 ns, and unlike a precise read it does not serialize the CPU pipeline.
/// Its time points are `std::chrono::steady_clock` time points (same epoch
/// on Linux) that lag real time by at most one tick, so deadlines measured
/// with it fire up to one tick late, never early. Use it where that
/// precision is enough (cache expiry); elsewhere the result equals
/// steady_clock.
///
/// @par Thread safety
/// Safe to call from any thread.
struct coarse_steady_clock {
  using duration = std::chrono::steady_clock::duration;      ///< Tick type.
  using time_point = std::chrono::steady_clock::time_point;  ///< Instant type.
  /// The current instant, at tick resolution.
  [[nodiscard]] time_point now() const noexcept {
#if defined(__linux__) && defined(CLOCK_MONOTONIC_COARSE)
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return time_point(std::chrono::duration_cast<duration>(std::chrono::seconds(ts.tv_sec) +
                                                           std::chrono::nanoseconds(ts.tv_nsec)));
#else
    return std::chrono::steady_clock::now();
#endif
  }
};

/// A clock that returns the instant stored by its last refresh(): `now()` is
/// one relaxed atomic load, so a lookup that reads it costs what a lookup
/// with no clock at all costs (see docs/BENCHMARKS.md, section "core").
///
/// Nothing refreshes it behind your back (no thread, no signal): the owner
/// calls refresh() — typically once per event-loop turn, or from a periodic
/// timer on the io_context it already runs (every 1–10 ms). Copies share
/// the same time, so one refresh serves every component given a copy.
///
/// Expiry semantics: components see time as of the last refresh(), which
/// lags real time by at most the refresh interval plus one kernel tick
/// (refresh() reads coarse_steady_clock). Deadlines therefore fire late by
/// at most that much, never early. A clock nobody refreshes stands still,
/// and nothing expires: use coarse_steady_clock (the default of every core
/// component) unless you own a loop that refreshes this one.
///
/// @par Thread safety
/// `now()` and `refresh()` may be called from any thread; concurrent
/// refreshes never move time backwards.
class cached_clock {
 public:
  using duration = std::chrono::steady_clock::duration;      ///< Tick type.
  using time_point = std::chrono::steady_clock::time_point;  ///< Instant type.

  /// A new time cell, refreshed once (it starts at the current time).
  cached_clock() : cell_(std::make_shared<cell>()) { refresh(); }

  /// The instant stored by the last refresh().
  [[nodiscard]] time_point now() const noexcept {
    return time_point(duration(cell_->ticks.load(std::memory_order_relaxed)));
  }

  /// Reads coarse_steady_clock into the shared cell (monotonic: a refresh
  /// that raced with a later one keeps the later time).
  /// @return the time now stored.
  time_point refresh() noexcept {
    const std::int64_t fresh = coarse_steady_clock{}.now().time_since_epoch().count();
    std::int64_t seen = cell_->ticks.load(std::memory_order_relaxed);
    while (seen < fresh && !cell_->ticks.compare_exchange_weak(seen, fresh, std::memory_order_relaxed)) {
    }
    return time_point(duration(std::max(seen, fresh)));
  }

 private:
  struct alignas(64) cell {  // own cache line: refreshes do not disturb neighbours
    std::atomic<std::int64_t> ticks{0};
  };
  std::shared_ptr<cell> cell_;
};

/// A clock that moves only when told to. Copies share the same time, so a
/// test keeps one copy and hands another to the component under test.
///
/// @par Thread safety
/// `now()`, `advance()` and `set()` may be called from any thread.
class manual_clock {
 public:
  using duration = std::chrono::steady_clock::duration;      ///< Tick type.
  using time_point = std::chrono::steady_clock::time_point;  ///< Instant type.

  /// Starts at `start` (by default one hour after the epoch, so that
  /// "now minus a window" never underflows in tests).
  explicit manual_clock(time_point start = time_point(std::chrono::hours(1)))
      : ticks_(std::make_shared<std::atomic<std::int64_t>>(start.time_since_epoch().count())) {}

  /// The current (manually set) instant.
  [[nodiscard]] time_point now() const noexcept {
    return time_point(duration(ticks_->load(std::memory_order_acquire)));
  }
  /// Moves time forward (or backward, with a negative duration).
  void advance(duration d) noexcept { ticks_->fetch_add(d.count(), std::memory_order_acq_rel); }
  /// Jumps to `t`.
  void set(time_point t) noexcept { ticks_->store(t.time_since_epoch().count(), std::memory_order_release); }

 private:
  std::shared_ptr<std::atomic<std::int64_t>> ticks_;
};

namespace detail {

// Nanoseconds since the clock's epoch: the integer time unit of limiters and breakers.
template <clock_source Clock>
[[nodiscard]] std::chrono::nanoseconds since_epoch(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock.now().time_since_epoch());
}

}  // namespace detail

static_assert(clock_source<steady_clock>);
static_assert(clock_source<manual_clock>);
static_assert(clock_source<coarse_steady_clock>);
static_assert(clock_source<cached_clock>);

}  // namespace musicbot::core
