#pragma once
/// @file
/// Generic cell rate algorithm (GCRA): a token bucket stored as one
/// timestamp, the "theoretical arrival time" of the next call.

#include <musicbot/core/rate_limit.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace musicbot::core {

/// GCRA over a rate_limit_config: up to `limit` calls at once, then one call
/// every emission interval `T = window / limit` (rounded down to a
/// nanosecond). All arithmetic is exact integer nanoseconds.
///
/// @par Thread safety
/// The policy is immutable; a `state` must not be shared between threads.
class gcra_policy {
 public:
  /// Per-key state: the theoretical arrival time, in ns since the clock epoch.
  struct state {
    std::int64_t tat = 0;  ///< Theoretical arrival time (0: never used).
  };

  /// @throws std::invalid_argument if `config` is invalid.
  explicit gcra_policy(const rate_limit_config& config) : config_(config) {
    config_.validate();
    interval_ = config_.window.count() / static_cast<std::int64_t>(config_.limit);
    span_ = interval_ * static_cast<std::int64_t>(config_.limit);
  }

  /// Decides one call at time `now` (ns since the clock epoch), updating `s`
  /// only if the call is allowed.
  [[nodiscard]] rate_limit_decision acquire(state& s, std::chrono::nanoseconds now) const noexcept {
    const std::int64_t t = now.count();
    const std::int64_t tat = std::max(s.tat, t);
    const std::int64_t next = tat + interval_;
    rate_limit_decision d;
    d.limit = config_.limit;
    if (next - t > span_) {
      d.allowed = false;
      d.remaining = 0;
      d.retry_after = std::chrono::nanoseconds(next - span_ - t);
      d.reset_after = std::chrono::nanoseconds(tat - t);
      return d;
    }
    s.tat = next;
    d.allowed = true;
    d.remaining = static_cast<std::uint32_t>((span_ - (next - t)) / interval_);
    d.reset_after = std::chrono::nanoseconds(next - t);
    return d;
  }

  /// How long a key must stay idle before its state equals a fresh one.
  [[nodiscard]] std::chrono::nanoseconds idle_reset() const noexcept { return config_.window; }
  /// The emission interval `window / limit`.
  [[nodiscard]] std::chrono::nanoseconds interval() const noexcept { return std::chrono::nanoseconds(interval_); }
  /// The configuration.
  [[nodiscard]] const rate_limit_config& config() const noexcept { return config_; }

 private:
  rate_limit_config config_;
  std::int64_t interval_ = 1;
  std::int64_t span_ = 1;
};

/// A single GCRA limiter with its own clock.
template <clock_source Clock = steady_clock>
using gcra_limiter = basic_rate_limiter<gcra_policy, Clock>;

}  // namespace musicbot::core
