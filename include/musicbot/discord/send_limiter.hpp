#pragma once
/// @file
/// The gateway's outbound limit: 120 events per connection per 60 s.

#include "musicbot/core/clock.hpp"

#include <chrono>
#include <cstddef>
#include <deque>

namespace musicbot::discord {

/// Sliding-window limiter for events a client sends on one gateway
/// connection. Exceeding Discord's limit disconnects at once, so ordinary
/// events may use only `limit - heartbeat_reserve` slots; heartbeats are
/// always let through (they use the reserve).
///
/// @par Thread safety
/// Not thread-safe.
template <core::clock_source Clock = core::steady_clock>
class gateway_send_limiter {
 public:
  using duration = typename Clock::duration;      ///< Clock duration.
  using time_point = typename Clock::time_point;  ///< Clock instant.

  /// The answer to try_send().
  struct decision {
    bool allowed = false;  ///< send now
    duration retry_after{};  ///< when refused: wait this long, then ask again
  };

  /// Discord's defaults: 120 per 60 s, 5 slots kept for heartbeats.
  explicit gateway_send_limiter(Clock clock = Clock{}, std::size_t limit = 120,
                                std::chrono::milliseconds window = std::chrono::seconds(60),
                                std::size_t heartbeat_reserve = 5)
      : clock_(std::move(clock)),
        limit_(limit),
        reserve_(heartbeat_reserve < limit ? heartbeat_reserve : limit - 1),
        window_(std::chrono::duration_cast<duration>(window)) {}

  /// Asks to send one event now; on success the event is counted.
  decision try_send(bool heartbeat = false) {
    const auto now = clock_.now();
    while (!sent_.empty() && sent_.front() + window_ <= now) sent_.pop_front();
    if (!heartbeat && sent_.size() >= limit_ - reserve_) {
      return {false, sent_[sent_.size() - (limit_ - reserve_)] + window_ - now};
    }
    sent_.push_back(now);
    if (sent_.size() > 2 * limit_) sent_.pop_front();  // bounded even if op 1 requests flood in
    return {true, duration::zero()};
  }

  /// Forgets everything (new connection).
  void reset() noexcept { sent_.clear(); }
  /// Events counted in the current window.
  [[nodiscard]] std::size_t in_window() const noexcept { return sent_.size(); }

 private:
  Clock clock_;
  std::size_t limit_;
  std::size_t reserve_;
  duration window_;
  std::deque<time_point> sent_;
};

}  // namespace musicbot::discord
