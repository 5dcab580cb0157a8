#pragma once
/// @file
/// An identify_coordinator shared by every process of one bot through Redis
/// (built when the redis component is: `MUSICBOT_DISCORD_HAS_REDIS`).

#include "musicbot/discord/identify.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace spdlog {
class logger;
}  // namespace spdlog

namespace musicbot::redis {
class client;
}  // namespace musicbot::redis

namespace musicbot::discord {

/// Settings of a redis_identify_coordinator.
struct redis_identify_options {
  /// Names the bot in the keys (its application id): every process of one
  /// bot must use the same value, different bots different ones.
  std::string bot_id;
  /// Key prefix; keys are `<prefix>:identify:<bot_id>:bucket:<k>` (one per
  /// `rate_limit_key`) and `<prefix>:identify:<bot_id>:budget`.
  std::string key_prefix = "musicbot";
  /// One identify per bucket per window: Discord's 5 s. Shorter only in tests.
  std::chrono::milliseconds window{5000};
  /// Bound of one async_acquire() (error::timeout past it; the shard then
  /// reconnects with backoff and asks again).
  std::chrono::milliseconds max_wait{std::chrono::minutes(10)};
  /// Wait before asking again after a Redis error (Redis down, timeout).
  std::chrono::milliseconds retry_interval{500};
  /// Called on every grant with the shard and the Redis server's clock
  /// (microseconds since the epoch) at the grant, for audits and tests.
  std::function<void(std::uint32_t shard_id, std::chrono::microseconds redis_time)> on_grant;
  /// Default: the "musicbot.discord" logger.
  std::shared_ptr<spdlog::logger> logger;
};

/// Counters of a redis_identify_coordinator.
struct redis_identify_stats {
  std::uint64_t grants = 0;        ///< identifies granted
  std::uint64_t waits = 0;         ///< times a bucket was busy and the shard waited for it
  std::uint64_t redis_errors = 0;  ///< Redis calls that failed (each followed by a wait and a retry)
  std::uint64_t timeouts = 0;      ///< acquisitions that gave up after max_wait
  bool store_healthy = true;       ///< false since the last Redis error, until a call succeeds
};

/// identify_coordinator on Redis, for several processes running shard
/// ranges of one bot.
///
/// A shard may IDENTIFY when it wins its bucket's key (`rate_limit_key =
/// shard_id % max_concurrency`) with one atomic script: `SET key NX PX
/// window`. A key held by another process (or another shard of the same
/// bucket) makes the shard wait for the key's remaining lifetime and try
/// again, so per bucket, across every process, identifies are at least one
/// window (5 s) apart.
///
/// The daily budget (`session_start_limit.remaining`) is shared too: update()
/// stores it in Redis (only ever lowering it, expiring at `reset_after`),
/// each grant decrements it, and at zero acquisitions fail with
/// error::identify_budget_exhausted and budget_reset_in() tells the wait.
///
/// Fail safe: when Redis fails (down, timeout, error reply) no identify is
/// granted. The acquisition logs the failure (once per outage), waits
/// `retry_interval` and asks again, until Redis answers or `max_wait`
/// passes (error::timeout). Identifying unguarded could exceed
/// max_concurrency (op 9, lost identifies) or the daily budget (which
/// resets the bot token), so waiting is always the safer failure.
///
/// Acquisitions are cancellable (per-operation cancellation:
/// `operation_aborted`).
///
/// @par Thread safety
/// Use from the executor of the Redis client (one thread or a strand). The
/// client must outlive the coordinator and its pending acquisitions.
class redis_identify_coordinator final : public identify_coordinator {
 public:
  /// A coordinator on `client`, with the budget `limit` (from
  /// `GET /gateway/bot`); timers run on `executor`.
  redis_identify_coordinator(executor_type executor, redis::client& client, session_start_limit limit,
                             redis_identify_options options);
  /// Cancels pending acquisitions.
  ~redis_identify_coordinator() override;
  redis_identify_coordinator(const redis_identify_coordinator&) = delete;             ///< Not copyable.
  redis_identify_coordinator& operator=(const redis_identify_coordinator&) = delete;  ///< Not copyable.

  /// Records the budget locally and lowers the shared one in Redis.
  void update(const session_start_limit& limit) override;
  /// Identifies left (last value seen in Redis, or from update()).
  [[nodiscard]] std::uint32_t remaining() const override;
  /// Time until the budget resets.
  [[nodiscard]] std::chrono::milliseconds budget_reset_in() const override;
  /// Counters and store health.
  [[nodiscard]] redis_identify_stats stats() const;

 protected:
  /// Acquires the bucket key (see the class documentation).
  void do_acquire(std::uint32_t shard_id,
                  boost::asio::any_completion_handler<void(boost::system::error_code)> handler) override;

 private:
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace musicbot::discord
