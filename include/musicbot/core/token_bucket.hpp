#pragma once
/// @file
/// Token bucket: `limit` tokens, refilled continuously at `limit` per `window`.

#include <musicbot/core/rate_limit.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>

namespace musicbot::core {

/// Token bucket over a rate_limit_config. Tokens are counted in exact
/// integer units of `1 / window` token (one nanosecond of refill at one call
/// per nanosecond), so refill and retry times are exact to the nanosecond.
///
/// @par Thread safety
/// The policy is immutable; a `state` must not be shared between threads.
class token_bucket_policy {
 public:
  /// Per-key state.
  struct state {
    std::int64_t units = 0;                                        ///< Tokens × window (ns).
    std::int64_t last = std::numeric_limits<std::int64_t>::min();  ///< Last refill (min: full bucket).
  };

  /// @throws std::invalid_argument if `config` is invalid.
  explicit token_bucket_policy(const rate_limit_config& config) : config_(config) {
    config_.validate();
    limit_ = static_cast<std::int64_t>(config_.limit);
    cost_ = config_.window.count();
    capacity_ = limit_ * cost_;
  }

  /// Decides one call at time `now` (ns since the clock epoch).
  [[nodiscard]] rate_limit_decision acquire(state& s, std::chrono::nanoseconds now) const noexcept {
    refill(s, now.count());
    rate_limit_decision d;
    d.limit = config_.limit;
    if (s.units >= cost_) {
      s.units -= cost_;
      d.allowed = true;
      d.remaining = static_cast<std::uint32_t>(s.units / cost_);
    } else {
      d.allowed = false;
      d.retry_after = std::chrono::nanoseconds(ceil_div(cost_ - s.units, limit_));
    }
    d.reset_after = std::chrono::nanoseconds(ceil_div(capacity_ - s.units, limit_));
    return d;
  }

  /// How long a key must stay idle before its state equals a fresh one.
  [[nodiscard]] std::chrono::nanoseconds idle_reset() const noexcept { return config_.window; }
  /// The configuration.
  [[nodiscard]] const rate_limit_config& config() const noexcept { return config_; }

 private:
  static std::int64_t ceil_div(std::int64_t a, std::int64_t b) noexcept { return (a + b - 1) / b; }

  void refill(state& s, std::int64_t t) const noexcept {
    if (s.last == std::numeric_limits<std::int64_t>::min()) {
      s.units = capacity_;
    } else if (t > s.last) {
      const std::int64_t elapsed = t - s.last;
      // elapsed >= window refills everything; below that the product fits.
      s.units = elapsed >= cost_ ? capacity_ : std::min(capacity_, s.units + elapsed * limit_);
    }
    if (t > s.last) s.last = t;
  }

  rate_limit_config config_;
  std::int64_t limit_ = 1;
  std::int64_t cost_ = 1;
  std::int64_t capacity_ = 1;
};

/// A single token-bucket limiter with its own clock.
template <clock_source Clock = steady_clock>
using token_bucket_limiter = basic_rate_limiter<token_bucket_policy, Clock>;

}  // namespace musicbot::core
