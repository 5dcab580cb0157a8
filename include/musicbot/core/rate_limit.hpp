#pragma once
/// @file
/// What every rate limiter shares: its configuration (rate_limit_config),
/// its answer (rate_limit_decision) and the choice of algorithm.

#include <musicbot/core/clock.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <utility>

namespace musicbot::core {

/// The algorithms behind the local limiters.
enum class rate_limit_algorithm {
  /// Generic cell rate algorithm (token bucket as a single timestamp):
  /// `limit` calls at once, then one every `window / limit`. The default.
  gcra,
  /// Token bucket of `limit` tokens refilled at `limit` per `window`.
  token_bucket,
  /// Sliding-window counter: the previous fixed window's count weighted by
  /// how much of it still overlaps the sliding window, plus the current count.
  sliding_window,
};

/// How many calls a limiter allows per window, and how.
///
/// A distributed limiter that loses its store falls back to a local one at
/// `limit × fallback_fraction / expected_replicas`, which is
/// `config.scaled(fallback_fraction, expected_replicas)`.
///
/// @par Thread safety
/// A plain value.
struct rate_limit_config {
  std::uint32_t limit = 1;                                      ///< Calls allowed per window (≥ 1).
  std::chrono::nanoseconds window = std::chrono::seconds(1);    ///< The window (> 0).
  rate_limit_algorithm algorithm = rate_limit_algorithm::gcra;  ///< The algorithm.

  /// The same configuration with `limit × fraction / replicas` calls per
  /// window, rounded down but never below 1 (a limiter that allows nothing
  /// would turn a store outage into an outage of the bot).
  /// @throws std::invalid_argument if `fraction` is not a positive finite
  ///         number or `replicas` is 0.
  [[nodiscard]] rate_limit_config scaled(double fraction, std::uint32_t replicas = 1) const {
    if (!(fraction > 0.0) || !std::isfinite(fraction) || replicas == 0) {
      throw std::invalid_argument("rate_limit_config::scaled: fraction must be > 0 and replicas >= 1");
    }
    const double scaled = std::floor(static_cast<double>(limit) * fraction / static_cast<double>(replicas));
    rate_limit_config out = *this;
    if (scaled < 1.0) {
      out.limit = 1;
    } else if (scaled >= static_cast<double>(std::numeric_limits<std::uint32_t>::max())) {
      out.limit = std::numeric_limits<std::uint32_t>::max();
    } else {
      out.limit = static_cast<std::uint32_t>(scaled);
    }
    return out;
  }

  /// Throws std::invalid_argument unless `limit ≥ 1`, `window ≥ limit` ns
  /// (at least one nanosecond per call) and `limit × window` in nanoseconds
  /// fits in 63 bits (the limiters compute in exact integers).
  void validate() const {
    if (limit == 0) throw std::invalid_argument("rate_limit_config: limit must be >= 1");
    if (window.count() < static_cast<std::int64_t>(limit)) {
      throw std::invalid_argument("rate_limit_config: window must be at least limit nanoseconds");
    }
    if (window.count() > std::numeric_limits<std::int64_t>::max() / 2 / static_cast<std::int64_t>(limit)) {
      throw std::invalid_argument("rate_limit_config: limit * window is too large");
    }
  }

  /// Equality of every field.
  friend bool operator==(const rate_limit_config&, const rate_limit_config&) = default;
};

/// A limiter's answer: allowed or not, and what a client should be told
/// (the fields map onto `RateLimit-*` / `Retry-After` headers).
///
/// @par Thread safety
/// A plain value.
struct rate_limit_decision {
  using duration = std::chrono::nanoseconds;  ///< Time unit of the fields.

  bool allowed = false;        ///< True if the call may proceed.
  std::uint32_t remaining = 0; ///< Calls still allowed right now after this one.
  std::uint32_t limit = 0;     ///< The configured limit per window.
  duration reset_after{};      ///< Time until the limiter is back to a full quota.
  duration retry_after{};      ///< Zero if allowed; else the time until a call can be allowed.

  /// Same as #allowed.
  explicit operator bool() const noexcept { return allowed; }
};

/// One limiter (one key) made of a policy (gcra_policy, token_bucket_policy,
/// sliding_window_policy), its state and a clock.
///
/// @tparam Policy the algorithm
/// @tparam Clock  a clock_source (manual_clock in tests)
///
/// @par Thread safety
/// Not thread-safe; use one per thread or guard it.
template <class Policy, clock_source Clock = steady_clock>
class basic_rate_limiter {
 public:
  /// @throws std::invalid_argument if `config` is invalid (rate_limit_config::validate()).
  explicit basic_rate_limiter(const rate_limit_config& config, Clock clock = Clock{})
      : policy_(config), clock_(std::move(clock)) {}

  /// Takes one call from the quota if it allows one; a refusal is a decision
  /// with `allowed == false`, never an exception.
  [[nodiscard]] rate_limit_decision try_acquire() { return policy_.acquire(state_, detail::since_epoch(clock_)); }
  /// Forgets every call made so far.
  void reset() noexcept { state_ = {}; }
  /// The policy (and through it the configuration).
  [[nodiscard]] const Policy& policy() const noexcept { return policy_; }

 private:
  Policy policy_;
  typename Policy::state state_{};
  Clock clock_;
};

}  // namespace musicbot::core
