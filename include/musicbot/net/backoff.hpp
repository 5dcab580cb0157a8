#pragma once
/// @file
/// Exponential backoff with jitter for reconnect loops (header-only, std only).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace musicbot::net {

/// How a backoff spreads its delays.
enum class jitter {
  none,         ///< exactly base × 2^attempt (capped); only for tests and docs
  full,         ///< uniform in [0, min(cap, base × 2^attempt)]  (the usual choice)
  decorrelated, ///< uniform in [base, min(cap, previous × 3)] ("decorrelated jitter")
};

/// Settings of a backoff.
struct backoff_options {
  std::chrono::milliseconds base{500};   ///< first delay scale; must be > 0
  std::chrono::milliseconds cap{30'000}; ///< no delay is ever longer; must be >= base
  net::jitter jitter = net::jitter::full; ///< how delays are randomised
  std::uint64_t seed = 0;                ///< RNG seed; 0 picks one from std::random_device
};

/// Exponential backoff: call next() before each retry, reset() after a success.
///
/// Delays never exceed `cap`; with full jitter they may be 0. The RNG is
/// seedable so tests get reproducible sequences.
///
/// @par Thread safety
/// Distinct objects: safe. Shared objects: unsafe.
class backoff {
 public:
  /// Creates a backoff; invalid options (base <= 0, cap < base) are clamped
  /// to base = 1 ms and cap = base.
  explicit backoff(backoff_options options = {})
      : options_(sanitize(options)),
        rng_(options.seed != 0 ? options.seed : std::random_device{}()),
        previous_(options_.base) {}

  /// The delay to wait before the next attempt; advances the attempt count.
  [[nodiscard]] std::chrono::milliseconds next() {
    using rep = std::chrono::milliseconds::rep;
    const rep base = options_.base.count();
    const rep cap = options_.cap.count();
    std::chrono::milliseconds delay{0};
    switch (options_.jitter) {
      case net::jitter::none:
        delay = std::chrono::milliseconds(ceiling(base, cap));
        break;
      case net::jitter::full: {
        std::uniform_int_distribution<rep> dist(0, ceiling(base, cap));
        delay = std::chrono::milliseconds(dist(rng_));
        break;
      }
      case net::jitter::decorrelated: {
        const rep prev = previous_.count();
        const rep upper = prev > cap / 3 ? cap : std::max(base, prev * 3);
        std::uniform_int_distribution<rep> dist(base, std::min(cap, upper));
        delay = std::chrono::milliseconds(dist(rng_));
        previous_ = delay;
        break;
      }
    }
    if (attempt_ < 63) ++attempt_;
    return delay;
  }

  /// Starts over after a success: the next delay is small again.
  void reset() noexcept {
    attempt_ = 0;
    previous_ = options_.base;
  }

  /// How many delays were handed out since construction or reset().
  [[nodiscard]] std::uint32_t attempts() const noexcept { return attempt_; }

  /// The effective options (after clamping).
  [[nodiscard]] const backoff_options& options() const noexcept { return options_; }

 private:
  static backoff_options sanitize(backoff_options o) {
    if (o.base.count() <= 0) o.base = std::chrono::milliseconds(1);
    if (o.cap < o.base) o.cap = o.base;
    return o;
  }

  // min(cap, base << attempt) without overflow.
  [[nodiscard]] std::chrono::milliseconds::rep ceiling(std::chrono::milliseconds::rep base,
                                                       std::chrono::milliseconds::rep cap) const {
    auto value = base;
    for (std::uint32_t i = 0; i < attempt_ && value < cap; ++i) value *= 2;
    return std::min(value, cap);
  }

  backoff_options options_;
  std::mt19937_64 rng_;
  std::chrono::milliseconds previous_;
  std::uint32_t attempt_ = 0;
};

}  // namespace musicbot::net
