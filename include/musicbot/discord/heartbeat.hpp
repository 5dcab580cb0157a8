#pragma once
/// @file
/// Heartbeat schedule and zombie detection for one gateway connection.

#include "musicbot/core/clock.hpp"

#include <algorithm>
#include <chrono>
#include <optional>

namespace musicbot::discord {

/// Decides when to heartbeat and detects zombie connections.
///
/// After HELLO, the first heartbeat is due after `interval × jitter`
/// (jitter in [0, 1)), then every `interval`. If the previous heartbeat has
/// not been ACKed when the next one is due, the connection is a zombie: close
/// it with a code other than 1000/1001 and resume.
///
/// @par Thread safety
/// Not thread-safe.
template <core::clock_source Clock = core::steady_clock>
class heartbeat_scheduler {
 public:
  using duration = typename Clock::duration;      ///< Clock duration.
  using time_point = typename Clock::time_point;  ///< Clock instant.

  /// What the connection must do now.
  enum class action {
    wait,    ///< nothing due yet (see next_due())
    send,    ///< send a heartbeat, then call on_sent()
    zombie,  ///< the last heartbeat got no ACK: reconnect and resume
  };

  /// A stopped scheduler reading time from `clock`.
  explicit heartbeat_scheduler(Clock clock = Clock{}) : clock_(std::move(clock)) {}

  /// Starts after HELLO. `jitter` is clamped to [0, 1).
  void start(std::chrono::milliseconds interval, double jitter) {
    interval_ = std::chrono::duration_cast<duration>(interval);
    jitter = std::clamp(jitter, 0.0, 0.999999);
    const auto first = std::chrono::duration_cast<duration>(
        std::chrono::duration<double, typename duration::period>(static_cast<double>(interval_.count()) * jitter));
    next_due_ = clock_.now() + first;
    awaiting_ack_ = false;
    running_ = true;
    latency_.reset();
  }

  /// Stops (connection closed).
  void stop() noexcept { running_ = false; }

  /// What to do at the current time.
  [[nodiscard]] action poll() const {
    if (!running_ || clock_.now() < next_due_) return action::wait;
    return awaiting_ack_ ? action::zombie : action::send;
  }

  /// Records a heartbeat sent now. A scheduled one moves the next due time
  /// one interval ahead; one answering an op 1 request leaves it.
  void on_sent(bool scheduled = true) {
    sent_at_ = clock_.now();
    awaiting_ack_ = true;
    if (scheduled) next_due_ = sent_at_ + interval_;
  }

  /// Records an op 11 ACK; updates the measured latency.
  void on_ack() {
    if (awaiting_ack_) latency_ = clock_.now() - sent_at_;
    awaiting_ack_ = false;
  }

  /// When the next heartbeat is due.
  [[nodiscard]] time_point next_due() const noexcept { return next_due_; }
  /// The heartbeat interval from HELLO.
  [[nodiscard]] duration interval() const noexcept { return interval_; }
  /// True while a heartbeat waits for its ACK.
  [[nodiscard]] bool awaiting_ack() const noexcept { return awaiting_ack_; }
  /// True between start() and stop().
  [[nodiscard]] bool running() const noexcept { return running_; }
  /// Time between the last ACKed heartbeat and its ACK.
  [[nodiscard]] std::optional<duration> latency() const noexcept { return latency_; }

 private:
  Clock clock_;
  duration interval_{};
  time_point next_due_{};
  time_point sent_at_{};
  bool awaiting_ack_ = false;
  bool running_ = false;
  std::optional<duration> latency_;
};

}  // namespace musicbot::discord
