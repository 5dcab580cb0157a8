#pragma once
// Per user / guild / command rate limits of the bot's commands. With Redis
// configured the quota is shared by every process (musicbot::redis'
// distributed limiter, failing closed to local limiters when Redis is
// unavailable); otherwise (embedded default) it is decided in-process by
// keyed limiters with the same keys and quotas.

#include "config.hpp"

#include <musicbot/core/keyed_rate_limiter.hpp>
#include <musicbot/metrics/business.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

namespace musicbot::redis {
class client;
class distributed_rate_limiter;
}  // namespace musicbot::redis

namespace musicbot::bot {

// What the limiter decided for one command.
struct limit_verdict {
  bool allowed = true;
  std::string_view scope = "user";         // the refusing scope when !allowed: user or guild
  std::chrono::nanoseconds retry_after{};  // when a call can be allowed again
  bool shared = false;                     // decided by Redis (false: local or fallback)
};

class command_limiter {
 public:
  // Local limiters only (no Redis).
  explicit command_limiter(const bot_config& config);
  // Shared limits through `redis` (which must outlive the limiter); `business`
  // receives fallback transitions and decision counts.
  command_limiter(const bot_config& config, redis::client& redis, const metrics::business_metrics& business);
  ~command_limiter();
  command_limiter(const command_limiter&) = delete;
  command_limiter& operator=(const command_limiter&) = delete;

  // Decides one command of `user` in `guild`; `done` runs on the caller's
  // executor (immediately for local decisions, after the Redis round trip
  // otherwise). `command` must be one of the bounded command labels.
  void decide(std::uint64_t guild, std::uint64_t user, std::string_view command,
              std::function<void(limit_verdict)> done);

  [[nodiscard]] bool distributed() const noexcept { return shared_ != nullptr; }
  // True while the distributed limiter decides locally because Redis failed.
  [[nodiscard]] bool fallback_active() const noexcept;

 private:
  std::uint32_t user_limit_;
  core::keyed_rate_limiter<> user_;
  core::keyed_rate_limiter<> guild_;
  std::unique_ptr<redis::distributed_rate_limiter> shared_;
};

}  // namespace musicbot::bot
