#include "limits.hpp"

#include <musicbot/redis/rate_limiter.hpp>

#include <spdlog/spdlog.h>

#include <string>

namespace musicbot::bot {

namespace {

constexpr std::size_t max_limited_keys = 200'000;

// Feeds the bot's business metrics (the families are registered once by the
// bot, so the redis component's own adapter, which registers them, is not used).
class limiter_metrics final : public redis::rate_limiter_observer {
 public:
  explicit limiter_metrics(const metrics::business_metrics& business) {
    if (auto g = business.rate_limit_fallback.with({"commands"})) {
      fallback_ = *g;
      fallback_->set(0.0);
    }
    static constexpr std::string_view sources[2] = {"redis", "fallback"};
    static constexpr std::string_view outcomes[2] = {"denied", "allowed"};
    for (std::size_t s = 0; s < 2; ++s) {
      for (std::size_t o = 0; o < 2; ++o) {
        if (auto c = business.rate_limit_decisions.with({"commands", sources[s], outcomes[o]})) decisions_[s][o] = *c;
      }
    }
  }
  void on_decision(redis::decision_source source, bool allowed) override {
    auto& c = decisions_[source == redis::decision_source::redis ? 0 : 1][allowed ? 1 : 0];
    if (c) c->inc();
  }
  void on_fallback_changed(bool active) override {
    if (fallback_) fallback_->set(active ? 1.0 : 0.0);
  }

 private:
  std::optional<metrics::gauge> fallback_;
  std::optional<metrics::counter> decisions_[2][2];
};

core::rate_limit_config user_quota(const bot_config& c) {
  return core::rate_limit_config{c.limits.user_commands, c.limits.user_window};
}
core::rate_limit_config guild_quota(const bot_config& c) {
  return core::rate_limit_config{c.limits.guild_commands, c.limits.guild_window};
}

}  // namespace

command_limiter::command_limiter(const bot_config& config)
    : user_limit_(config.limits.user_commands),
      user_(user_quota(config), max_limited_keys),
      guild_(guild_quota(config), max_limited_keys) {}

command_limiter::command_limiter(const bot_config& config, redis::client& client,
                                 const metrics::business_metrics& business)
    : command_limiter(config) {
  redis::distributed_rate_limiter_config rc;
  rc.prefix = config.redis.key_prefix + ":rl";
  rc.per_user = user_quota(config);
  rc.per_guild = guild_quota(config);
  rc.fallback_fraction = config.redis.fallback_fraction;
  rc.expected_replicas = config.redis.expected_replicas;
  rc.max_fallback_keys = max_limited_keys;
  shared_ = std::make_unique<redis::distributed_rate_limiter>(client, rc, std::make_shared<limiter_metrics>(business));
}

command_limiter::~command_limiter() = default;

bool command_limiter::fallback_active() const noexcept { return shared_ && shared_->fallback_active(); }

void command_limiter::decide(std::uint64_t guild, std::uint64_t user, std::string_view command,
                             std::function<void(limit_verdict)> done) {
  if (shared_) {
    const auto user_limit = user_limit_;
    auto* limiter = shared_.get();
    limiter->async_decide(redis::rate_limit_request{guild, user, command},
                          [done = std::move(done), user_limit, limiter](boost::system::error_code,
                                                                         core::rate_limit_decision d) {
                            limit_verdict v;
                            v.allowed = d.allowed;  // a cancelled decision refuses (fail closed)
                            v.scope = d.limit == user_limit ? "user" : "guild";
                            v.retry_after = d.retry_after;
                            v.shared = !limiter->fallback_active();
                            done(v);
                          });
    return;
  }
  // Same keys and quotas as the shared limiter: per guild, user and command,
  // then per guild (counted only when the user scope allowed).
  limit_verdict v;
  const auto by_user = user_.try_acquire(core::rate_limit_key(guild, user, command));
  if (!by_user.allowed) {
    v.allowed = false;
    v.scope = "user";
    v.retry_after = by_user.retry_after;
    return done(v);
  }
  const auto by_guild = guild_.try_acquire(core::rate_limit_key(guild));
  if (!by_guild.allowed) {
    v.allowed = false;
    v.scope = "guild";
    v.retry_after = by_guild.retry_after;
  }
  done(v);
}

}  // namespace musicbot::bot
