// redis::distributed_rate_limiter: GCRA in one Lua script, local fallback.
#include <musicbot/redis/rate_limiter.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace musicbot::redis {

namespace {

// GCRA over up to three scopes, all-or-nothing, on Redis' clock.
// KEYS[i]: scope key. ARGV[2i-1]: emission interval (µs), ARGV[2i]: span =
// interval × limit (µs). Returns {allowed, remaining, binding scope (1-based),
// reset_after µs, retry_after µs}.
constexpr const char* gcra_lua = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = #KEYS
local allowed = 1
local remaining = -1
local binding = 1
local reset_after = 0
local retry_after = -1
local next_tat = {}
for i = 1, n do
  local interval = tonumber(ARGV[2 * i - 1])
  local span = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]))
  if tat == nil or tat < now then tat = now end
  local nxt = tat + interval
  if nxt - now > span then
    local wait = nxt - span - now
    if wait > retry_after then
      retry_after = wait
      binding = i
    end
    allowed = 0
    remaining = 0
    reset_after = math.max(reset_after, tat - now)
  else
    next_tat[i] = nxt
    reset_after = math.max(reset_after, nxt - now)
    if allowed == 1 then
      local left = math.floor((span - (nxt - now)) / interval)
      if remaining < 0 or left < remaining then
        remaining = left
        binding = i
      end
    end
  end
end
if allowed == 1 then
  for i = 1, n do
    local ttl_ms = math.ceil((next_tat[i] - now) / 1000) + 1
    redis.call('SET', KEYS[i], string.format('%.0f', next_tat[i]), 'PX', string.format('%.0f', ttl_ms))
  end
  retry_after = 0
end
return {allowed, remaining, binding, reset_after, retry_after}
)lua";

std::shared_ptr<spdlog::logger> limiter_logger() {
  if (auto existing = spdlog::get("musicbot.redis")) return existing;
  return spdlog::default_logger()->clone("musicbot.redis");
}

void validate_scope(const core::rate_limit_config& c, const char* name) {
  c.validate();
  if (c.window.count() / static_cast<std::int64_t>(c.limit) < 1000) {
    throw std::invalid_argument(std::string("distributed_rate_limiter_config: ") + name +
                                " must allow at most one call per microsecond");
  }
}

}  // namespace

void distributed_rate_limiter_config::validate() const {
  if (prefix.empty()) throw std::invalid_argument("distributed_rate_limiter_config: prefix must not be empty");
  validate_scope(per_user, "per_user");
  if (per_guild) validate_scope(*per_guild, "per_guild");
  if (global) validate_scope(*global, "global");
  if (!(fallback_fraction > 0.0) || !(fallback_fraction <= 1.0))
    throw std::invalid_argument("distributed_rate_limiter_config: fallback_fraction must be in (0, 1]");
  if (expected_replicas == 0)
    throw std::invalid_argument("distributed_rate_limiter_config: expected_replicas must be >= 1");
  if (max_fallback_keys == 0)
    throw std::invalid_argument("distributed_rate_limiter_config: max_fallback_keys must be >= 1");
  if (timeout.count() <= 0) throw std::invalid_argument("distributed_rate_limiter_config: timeout must be positive");
}

struct distributed_rate_limiter::state {
  state(distributed_rate_limiter_config c, std::shared_ptr<rate_limiter_observer> obs)
      : cfg(std::move(c)), observer(std::move(obs)), log(limiter_logger()), lua(gcra_lua) {
    cfg.validate();
    scopes.push_back(cfg.per_user);
    if (cfg.per_guild) scopes.push_back(*cfg.per_guild);
    if (cfg.global) scopes.push_back(*cfg.global);
    for (const auto& scope : scopes) {
      const auto interval_us = scope.window.count() / 1000 / static_cast<std::int64_t>(scope.limit);
      argv.push_back(std::to_string(interval_us));
      argv.push_back(std::to_string(interval_us * static_cast<std::int64_t>(scope.limit)));
      local.push_back(std::make_unique<core::keyed_rate_limiter<>>(
          scope.scaled(cfg.fallback_fraction, cfg.expected_replicas), cfg.max_fallback_keys));
    }
  }

  core::rate_limit_decision decide_locally(const key_set& keys) {
    core::rate_limit_decision combined;
    combined.allowed = true;
    bool first = true;
    for (std::size_t i = 0; i < keys.count; ++i) {
      const auto d = local[i]->try_acquire(keys.keys[i]);
      if (!d.allowed) return d;
      if (first || d.remaining < combined.remaining) {
        combined.remaining = d.remaining;
        combined.limit = d.limit;
      }
      combined.reset_after = std::max(combined.reset_after, d.reset_after);
      first = false;
    }
    return combined;
  }

  void set_fallback(bool active, const boost::system::error_code& why) {
    if (fallback == active) return;
    fallback = active;
    if (active) {
      ++stats.fallback_entered;
      log->warn("rate limiter '{}': Redis unavailable ({}); deciding locally at {} of the limit per replica",
                cfg.prefix, why.message(), cfg.fallback_fraction / static_cast<double>(cfg.expected_replicas));
    } else {
      ++stats.fallback_left;
      log->info("rate limiter '{}': Redis answers again; shared limits restored", cfg.prefix);
    }
    if (observer) observer->on_fallback_changed(active);
  }

  void count(decision_source source, bool allowed) {
    if (source == decision_source::redis) {
      ++(allowed ? stats.redis_allowed : stats.redis_denied);
    } else {
      ++(allowed ? stats.fallback_allowed : stats.fallback_denied);
    }
    if (observer) observer->on_decision(source, allowed);
  }

  distributed_rate_limiter_config cfg;
  std::shared_ptr<rate_limiter_observer> observer;
  std::shared_ptr<spdlog::logger> log;
  script lua;
  std::vector<core::rate_limit_config> scopes;
  std::vector<std::string> argv;
  std::vector<std::unique_ptr<core::keyed_rate_limiter<>>> local;
  bool fallback = false;
  rate_limiter_stats stats;
};

distributed_rate_limiter::distributed_rate_limiter(client& redis, distributed_rate_limiter_config config,
                                                   std::shared_ptr<rate_limiter_observer> observer)
    : redis_(&redis), state_(std::make_shared<state>(std::move(config), std::move(observer))) {}

distributed_rate_limiter::~distributed_rate_limiter() = default;

std::shared_ptr<distributed_rate_limiter::key_set> distributed_rate_limiter::make_keys(
    const rate_limit_request& request) const {
  auto keys = std::make_shared<key_set>();
  const auto& cfg = state_->cfg;
  keys->keys[0] = user_key(request);
  keys->count = 1;
  if (cfg.per_guild) keys->keys[keys->count++] = cfg.prefix + ":" + core::rate_limit_key(request.guild) + ":*:*";
  if (cfg.global) keys->keys[keys->count++] = cfg.prefix + ":*:*:*";
  return keys;
}

std::string distributed_rate_limiter::user_key(const rate_limit_request& request) const {
  return state_->cfg.prefix + ":" + core::rate_limit_key(request.guild, request.user, request.command);
}

void distributed_rate_limiter::submit(const key_set& keys, boost::asio::cancellation_slot slot,
                                      std::unique_ptr<detail::completion> done) {
  command tail;
  tail.arg(static_cast<std::uint32_t>(keys.count));
  for (std::size_t i = 0; i < keys.count; ++i) tail.arg(keys.keys[i]);
  for (const auto& a : state_->argv) tail.arg(a);
  redis_->submit_script(state_->lua, tail, state_->cfg.timeout, slot, std::move(done));
}

std::pair<boost::system::error_code, core::rate_limit_decision> distributed_rate_limiter::finish(
    state& s, const key_set& keys, boost::system::error_code ec, const reply& r) {
  if (ec == boost::asio::error::operation_aborted) return {ec, core::rate_limit_decision{}};
  if (!ec) {
    auto values = to_integers(r);
    if (values && values->size() == 5 && (*values)[2] >= 1 &&
        static_cast<std::size_t>((*values)[2]) <= s.scopes.size()) {
      const auto& v = *values;
      core::rate_limit_decision d;
      d.allowed = v[0] == 1;
      d.remaining = static_cast<std::uint32_t>(std::clamp<std::int64_t>(v[1], 0, UINT32_MAX));
      d.limit = s.scopes[static_cast<std::size_t>(v[2] - 1)].limit;
      d.reset_after = std::chrono::microseconds(std::max<std::int64_t>(v[3], 0));
      d.retry_after = std::chrono::microseconds(std::max<std::int64_t>(v[4], 0));
      s.set_fallback(false, {});
      s.count(decision_source::redis, d.allowed);
      return {{}, d};
    }
    ec = values ? boost::system::error_code(error::unexpected_reply) : values.error();
  }
  s.set_fallback(true, ec);
  const auto d = s.decide_locally(keys);
  s.count(decision_source::fallback, d.allowed);
  return {{}, d};
}

core::rate_limit_decision distributed_rate_limiter::decide_locally(const rate_limit_request& request) {
  return state_->decide_locally(*make_keys(request));
}

bool distributed_rate_limiter::fallback_active() const noexcept { return state_->fallback; }
rate_limiter_stats distributed_rate_limiter::stats() const noexcept { return state_->stats; }
const distributed_rate_limiter_config& distributed_rate_limiter::config() const noexcept { return state_->cfg; }
core::rate_limit_config distributed_rate_limiter::fallback_config() const {
  return state_->cfg.per_user.scaled(state_->cfg.fallback_fraction, state_->cfg.expected_replicas);
}

}  // namespace musicbot::redis
