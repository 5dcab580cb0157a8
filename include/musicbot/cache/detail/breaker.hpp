#pragma once
// A small consecutive-failure circuit breaker guarding the L2 store.
// Internal: closed -> (threshold failures) -> open -> (open_for) -> one probe
// (half-open) -> closed on success, open again on failure.

#include <musicbot/cache/options.hpp>

#include <chrono>
#include <cstddef>

namespace musicbot::cache::detail {

template <class Clock>
class l2_breaker {
 public:
  using time_point = typename Clock::time_point;

  explicit l2_breaker(l2_breaker_options options) : options_(options) {}

  // True if a call may go to L2 now. In half-open state only one probe is
  // allowed until it reports success() or failure().
  [[nodiscard]] bool allow(time_point now) noexcept {
    switch (state_) {
      case state::closed: return true;
      case state::open:
        if (now < open_until_) return false;
        state_ = state::half_open;
        probing_ = true;
        return true;
      case state::half_open:
        if (probing_) return false;
        probing_ = true;
        return true;
    }
    return false;
  }
  void success() noexcept {
    state_ = state::closed;
    failures_ = 0;
    probing_ = false;
  }
  void failure(time_point now) noexcept {
    probing_ = false;
    if (state_ == state::half_open || ++failures_ >= options_.failure_threshold) {
      state_ = state::open;
      open_until_ = now + std::chrono::duration_cast<typename Clock::duration>(options_.open_for);
    }
  }
  [[nodiscard]] bool is_open() const noexcept { return state_ != state::closed; }

 private:
  enum class state { closed, open, half_open };
  l2_breaker_options options_;
  state state_ = state::closed;
  std::size_t failures_ = 0;
  bool probing_ = false;
  time_point open_until_{};
};

}  // namespace musicbot::cache::detail
