#pragma once
/// @file
/// The clock rules of an interaction: the initial response is due within
/// 3 s (else the token dies), the token then works for 15 min.

#include "musicbot/core/clock.hpp"

#include <chrono>

namespace musicbot::discord {

/// Where the next reply to an interaction must go.
enum class reply_route {
  initial_callback,  ///< `POST /interactions/{id}/{token}/callback`
  edit_original,     ///< `PATCH /webhooks/{app}/{token}/messages/@original` (after a deferral)
  followup,          ///< `POST /webhooks/{app}/{token}` (after the original was answered)
  expired,           ///< too late: the token is no longer valid
};

/// Tracks one interaction's deadlines.
///
/// The responder defers (type 5/6) at `defer_after` (default 1.5 s, well
/// inside the 3 s window, leaving time for the request itself) if the handler
/// has not answered by then.
///
/// @par Thread safety
/// Not thread-safe.
template <core::clock_source Clock = core::steady_clock>
class interaction_deadline {
 public:
  using duration = typename Clock::duration;      ///< Clock duration.
  using time_point = typename Clock::time_point;  ///< Clock instant.

  /// Discord's deadline for the initial response.
  static constexpr std::chrono::seconds initial_response_window{3};
  /// How long the token works for follow-ups and edits.
  static constexpr std::chrono::minutes token_lifetime{15};

  /// Starts the clock now (the interaction was just received).
  explicit interaction_deadline(Clock clock = Clock{},
                                std::chrono::milliseconds defer_after = std::chrono::milliseconds(1500))
      : clock_(std::move(clock)), received_(clock_.now()),
        defer_after_(std::chrono::duration_cast<duration>(defer_after)) {}

  /// When the responder defers if no answer came.
  [[nodiscard]] time_point defer_at() const noexcept { return received_ + defer_after_; }
  /// When the initial response window closes.
  [[nodiscard]] time_point initial_deadline() const noexcept { return received_ + initial_response_window; }
  /// When the token expires.
  [[nodiscard]] time_point expires_at() const noexcept { return received_ + token_lifetime; }

  /// True if the initial response is still missing and the defer time passed
  /// (but the window is still open).
  [[nodiscard]] bool should_defer() const {
    const auto now = clock_.now();
    return !acknowledged_ && now >= defer_at() && now < initial_deadline();
  }

  /// Where a reply sent now goes.
  [[nodiscard]] reply_route route() const {
    const auto now = clock_.now();
    if (!acknowledged_) return now < initial_deadline() ? reply_route::initial_callback : reply_route::expired;
    if (now >= expires_at()) return reply_route::expired;
    return deferred_ && !answered_ ? reply_route::edit_original : reply_route::followup;
  }

  /// Records the initial response (a deferral when `deferred`).
  void on_acknowledged(bool deferred) noexcept {
    acknowledged_ = true;
    deferred_ = deferred;
  }
  /// Records that the deferred original was filled in (edit_original sent).
  void on_answered() noexcept { answered_ = true; }

  /// True once an initial response went out.
  [[nodiscard]] bool acknowledged() const noexcept { return acknowledged_; }
  /// True if the initial response was a deferral.
  [[nodiscard]] bool deferred() const noexcept { return deferred_; }

 private:
  Clock clock_;
  time_point received_;
  duration defer_after_;
  bool acknowledged_ = false;
  bool deferred_ = false;
  bool answered_ = false;
};

}  // namespace musicbot::discord
