#pragma once
/// @file
/// Identify concurrency: shards start in buckets of `max_concurrency` per
/// 5 s (`rate_limit_key = shard_id % max_concurrency`), within the daily
/// session start budget.

#include "musicbot/core/clock.hpp"
#include "musicbot/discord/sharding.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/system/error_code.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace musicbot::discord {

/// `session_start_limit` from `GET /gateway/bot`.
struct session_start_limit {
  std::uint32_t total = 1000;                  ///< identifies allowed per reset period
  std::uint32_t remaining = 1000;              ///< identifies left
  std::chrono::milliseconds reset_after{0};    ///< when `remaining` resets to `total`
  std::uint32_t max_concurrency = 1;           ///< identifies allowed per 5 s (one per bucket)
};

/// The pure schedule behind every coordinator (no I/O): hands each shard a
/// time at which it may IDENTIFY.
///
/// Each bucket `shard_id % max_concurrency` may start one shard per window
/// (5 s), so with 16 shards and max_concurrency 4, shards 0–3 start at once,
/// 4–7 one window later, and so on. Each grant spends one identify from the
/// daily budget; an exhausted budget is refused with the time it resets
/// (never granted: Discord resets the token of a bot that goes over). The
/// shard then waits until that time, reporting it, and tries again.
///
/// @par Thread safety
/// Not thread-safe.
template <core::clock_source Clock = core::steady_clock>
class identify_scheduler {
 public:
  using duration = typename Clock::duration;      ///< Clock duration.
  using time_point = typename Clock::time_point;  ///< Clock instant.

  /// The answer to reserve().
  struct slot {
    bool granted = false;  ///< true: identify at `at`; false: budget exhausted until `at`
    time_point at{};       ///< when
  };

  /// A schedule for `limit` (max_concurrency and the budget), reading `clock`.
  explicit identify_scheduler(session_start_limit limit, Clock clock = Clock{},
                              std::chrono::milliseconds window = std::chrono::seconds(5))
      : clock_(std::move(clock)), window_(std::chrono::duration_cast<duration>(window)) {
    update(limit);
  }

  /// Replaces the budget (e.g. after a fresh `GET /gateway/bot`).
  void update(const session_start_limit& limit) {
    limit_ = limit;
    limit_.max_concurrency = std::max<std::uint32_t>(1, limit.max_concurrency);
    next_free_.resize(limit_.max_concurrency, time_point::min());
    budget_reset_at_ = clock_.now() + std::chrono::duration_cast<duration>(limit.reset_after);
  }

  /// Reserves the earliest identify time for `shard_id` and spends one
  /// identify from the budget.
  slot reserve(std::uint32_t shard_id) {
    const auto now = clock_.now();
    if (now >= budget_reset_at_ && limit_.remaining < limit_.total && limit_.reset_after.count() > 0) {
      limit_.remaining = limit_.total;  // the reset period passed
      budget_reset_at_ = now + std::chrono::duration_cast<duration>(std::chrono::hours(24));
    }
    if (limit_.remaining == 0) return {false, budget_reset_at_};
    auto& bucket = next_free_[rate_limit_key(shard_id, limit_.max_concurrency)];
    const time_point at = std::max(now, bucket);
    bucket = at + window_;
    --limit_.remaining;
    return {true, at};
  }

  /// Identifies left in the budget.
  [[nodiscard]] std::uint32_t remaining() const noexcept { return limit_.remaining; }
  /// When the budget resets to `total` (from the last update()'s `reset_after`).
  [[nodiscard]] time_point budget_reset_at() const noexcept { return budget_reset_at_; }
  /// Time left until the budget resets (zero when due or unknown).
  [[nodiscard]] std::chrono::milliseconds budget_reset_in() const {
    const auto now = clock_.now();
    if (budget_reset_at_ <= now) return std::chrono::milliseconds(0);
    return std::chrono::ceil<std::chrono::milliseconds>(budget_reset_at_ - now);
  }
  /// The configured max_concurrency (at least 1).
  [[nodiscard]] std::uint32_t max_concurrency() const noexcept { return limit_.max_concurrency; }

 private:
  Clock clock_;
  duration window_;
  session_start_limit limit_;
  time_point budget_reset_at_{};
  std::vector<time_point> next_free_;
};

/// Where shards ask for permission to IDENTIFY.
///
/// The in-process implementation (local_identify_coordinator) serves the
/// shards of one process. Several processes running shard ranges of one bot
/// need a shared implementation (e.g. on Redis, keyed by
/// `identify:{bot}:{rate_limit_key}` with a 5 s lock per key and a shared
/// budget counter) so that together they never exceed max_concurrency.
///
/// @par Thread safety
/// Implementations document their own.
class identify_coordinator {
 public:
  /// The executor type.
  using executor_type = boost::asio::any_io_executor;
  virtual ~identify_coordinator() = default;

  /// Waits until `shard_id` may send IDENTIFY.
  ///
  /// Completion signature: `void(boost::system::error_code)`; errors:
  /// error::identify_budget_exhausted, `operation_aborted` on cancellation.
  template <class CompletionToken>
  auto async_acquire(std::uint32_t shard_id, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
        [this](auto handler, std::uint32_t id) { do_acquire(id, std::move(handler)); }, token, shard_id);
  }

  /// Updates the budget from a fresh `GET /gateway/bot`.
  virtual void update(const session_start_limit& limit) = 0;
  /// Identifies left in the budget (for health and metrics).
  [[nodiscard]] virtual std::uint32_t remaining() const = 0;
  /// Time until the daily budget resets, zero when unknown. A shard refused
  /// with error::identify_budget_exhausted waits this long (see gateway_shard).
  [[nodiscard]] virtual std::chrono::milliseconds budget_reset_in() const { return std::chrono::milliseconds(0); }

 protected:
  /// Implementation of async_acquire.
  virtual void do_acquire(std::uint32_t shard_id,
                          boost::asio::any_completion_handler<void(boost::system::error_code)> handler) = 0;
};

/// identify_coordinator for the shards of one process: an identify_scheduler
/// plus timers.
///
/// @par Thread safety
/// Use from one executor (the io_context's thread or a strand).
class local_identify_coordinator final : public identify_coordinator {
 public:
  /// A coordinator whose timers run on `executor`; `window` is Discord's 5 s
  /// (shorter only against the fake, in tests).
  local_identify_coordinator(executor_type executor, session_start_limit limit,
                             std::chrono::milliseconds window = std::chrono::seconds(5));
  /// Cancels pending waits.
  ~local_identify_coordinator() override;
  void update(const session_start_limit& limit) override;  ///< See identify_coordinator::update.
  [[nodiscard]] std::uint32_t remaining() const override;  ///< See identify_coordinator::remaining.
  /// See identify_coordinator::budget_reset_in.
  [[nodiscard]] std::chrono::milliseconds budget_reset_in() const override;

 protected:
  /// Waits for the scheduled slot.
  void do_acquire(std::uint32_t shard_id,
                  boost::asio::any_completion_handler<void(boost::system::error_code)> handler) override;

 private:
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace musicbot::discord
