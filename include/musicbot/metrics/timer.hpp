#pragma once
/// @file
/// `musicbot::metrics::scoped_timer`: observes how long a scope took into a
/// histogram, in seconds, with an injected clock.

#include <musicbot/core/clock.hpp>
#include <musicbot/metrics/metric.hpp>

#include <chrono>
#include <utility>

namespace musicbot::metrics {

/// Starts timing at construction and observes the elapsed seconds into a
/// histogram at `stop()` or destruction, whichever comes first (once).
///
/// @code
/// {
///   metrics::scoped_timer timer(play_latency);
///   co_await handle_play(...);
/// }  // observed here
/// @endcode
///
/// @par Thread safety
/// One timer belongs to one scope; do not share it between threads.
template <core::clock_source Clock = core::steady_clock>
class scoped_timer {
 public:
  /// Starts timing now, according to `clock`.
  explicit scoped_timer(histogram target, Clock clock = Clock{})
      : target_(target), clock_(std::move(clock)), start_(clock_.now()) {}
  scoped_timer(const scoped_timer&) = delete;             ///< not copyable
  scoped_timer& operator=(const scoped_timer&) = delete;  ///< not copyable
  /// Observes the elapsed time unless stop() or cancel() ran.
  ~scoped_timer() { (void)stop(); }

  /// Observes the elapsed time now and returns it in seconds; later calls
  /// (and the destructor) observe nothing and return 0.
  double stop() noexcept {
    if (done_) return 0.0;
    done_ = true;
    const double seconds = std::chrono::duration<double>(clock_.now() - start_).count();
    target_.observe(seconds);
    return seconds;
  }
  /// Drops the measurement (e.g. the operation was abandoned).
  void cancel() noexcept { done_ = true; }

 private:
  histogram target_;
  Clock clock_;
  typename Clock::time_point start_;
  bool done_ = false;
};

}  // namespace musicbot::metrics
