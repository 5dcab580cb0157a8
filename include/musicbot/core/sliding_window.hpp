#pragma once
/// @file
/// Sliding-window counter: fixed windows, with the previous window's count
/// weighted by its overlap with the sliding window.

#include <musicbot/core/rate_limit.hpp>

#include <chrono>
#include <cstdint>
#include <limits>

namespace musicbot::core {

/// Sliding-window counter over a rate_limit_config. Fixed windows are
/// aligned on multiples of `window` since the clock epoch; a call at offset
/// `e` into the current window is allowed if
/// `previous × (window − e) / window + current + 1 ≤ limit`, computed in
/// exact integers.
///
/// @par Thread safety
/// The policy is immutable; a `state` must not be shared between threads.
class sliding_window_policy {
 public:
  /// Per-key state.
  struct state {
    std::int64_t index = std::numeric_limits<std::int64_t>::min();  ///< Current fixed window number.
    std::uint32_t previous = 0;                                     ///< Calls allowed in the previous window.
    std::uint32_t current = 0;                                      ///< Calls allowed in the current window.
  };

  /// @throws std::invalid_argument if `config` is invalid.
  explicit sliding_window_policy(const rate_limit_config& config) : config_(config) {
    config_.validate();
    w_ = config_.window.count();
    budget_ = static_cast<std::uint64_t>(config_.limit) * static_cast<std::uint64_t>(w_);
  }

  /// Decides one call at time `now` (ns since the clock epoch).
  [[nodiscard]] rate_limit_decision acquire(state& s, std::chrono::nanoseconds now) const noexcept {
    const std::int64_t t = now.count();
    std::int64_t idx = t / w_;
    if (t % w_ < 0) --idx;  // floor division for times before the epoch
    const std::int64_t e = t - idx * w_;
    if (s.index != idx) {
      s.previous = (s.index != std::numeric_limits<std::int64_t>::min() && s.index == idx - 1) ? s.current : 0;
      s.current = 0;
      s.index = idx;
    }
    const auto uw = static_cast<std::uint64_t>(w_);
    const auto left = static_cast<std::uint64_t>(w_ - e);
    std::uint64_t used = s.previous * left + s.current * uw;
    rate_limit_decision d;
    d.limit = config_.limit;
    if (used + uw <= budget_) {
      ++s.current;
      used += uw;
      d.allowed = true;
      d.remaining = static_cast<std::uint32_t>((budget_ - used) / uw);
    } else {
      d.allowed = false;
      d.retry_after = std::chrono::nanoseconds(retry_after(s, e));
    }
    if (s.current > 0) {
      d.reset_after = std::chrono::nanoseconds(2 * w_ - e);
    } else if (s.previous > 0) {
      d.reset_after = std::chrono::nanoseconds(w_ - e);
    }
    return d;
  }

  /// How long a key must stay idle before its state equals a fresh one.
  [[nodiscard]] std::chrono::nanoseconds idle_reset() const noexcept { return 2 * config_.window; }
  /// The configuration.
  [[nodiscard]] const rate_limit_config& config() const noexcept { return config_; }

 private:
  // Earliest offset e' with previous*(w - e') + (current+1)*w <= limit*w,
  // in this window or else in the next one (where previous = current).
  [[nodiscard]] std::int64_t retry_after(const state& s, std::int64_t e) const noexcept {
    const auto limit = static_cast<std::int64_t>(config_.limit);
    const auto cur = static_cast<std::int64_t>(s.current);
    if (cur + 1 <= limit && s.previous > 0) {
      const std::int64_t room = (limit - cur - 1) * w_;
      const std::int64_t first = w_ - room / static_cast<std::int64_t>(s.previous);
      if (first < w_) return first - e;
    }
    if (cur == 0) return w_ - e;
    const std::int64_t first_next = w_ - ((limit - 1) * w_) / cur;
    return (w_ - e) + first_next;
  }

  rate_limit_config config_;
  std::int64_t w_ = 1;
  std::uint64_t budget_ = 1;
};

/// A single sliding-window-counter limiter with its own clock.
template <clock_source Clock = steady_clock>
using sliding_window_limiter = basic_rate_limiter<sliding_window_policy, Clock>;

}  // namespace musicbot::core
