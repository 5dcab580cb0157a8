// redis::distributed_rate_limiter: GCRA in one Lua script, local fallback.
#include <musicbot/redis/rate_limiter.hpp>

#include "tracing.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <iterator>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace musicbot::redis {

namespace {

// GCRA over up to three scopes per decision, all-or-nothing, on Redis'
// clock, for a batch of decisions taken one after another.
// ARGV[1]: scopes per decision (S); ARGV[2i], ARGV[2i+1]: emission interval
// and span (interval × limit) of scope i, in µs. KEYS: S keys per decision,
// decision after decision. Returns 5 integers per decision: allowed,
// remaining, binding scope (1-based), reset_after µs, retry_after µs.
//
// Cost inside Redis per batch: one TIME, one MGET of every key, then one
// SET PX per distinct key that changed (decisions on the same key in one
// batch see each other through `tats`, and the key is written once).
// Numbers go to redis.call() as Lua numbers: Redis formats them with
// "%.17g", exact for integers below 2^53 (µs timestamps are ~2^51).
constexpr const char* gcra_lua = R"lua(
local t = redis.call('TIME')
local now = t[1] * 1000000 + t[2]
local s = tonumber(ARGV[1])
local interval, span = {}, {}
for i = 1, s do
  interval[i] = tonumber(ARGV[2 * i])
  span[i] = tonumber(ARGV[2 * i + 1])
end
local stored = redis.call('MGET', unpack(KEYS))
local tats, nxt, out, n = {}, {}, {}, 0
for base = 0, #KEYS - s, s do
  local allowed, remaining, binding, reset_after, retry_after = 1, -1, 1, 0, -1
  for i = 1, s do
    local tat = tats[KEYS[base + i]] or tonumber(stored[base + i]) or now
    if tat < now then tat = now end
    local after = tat + interval[i] - now
    nxt[i] = tat + interval[i]
    if after > span[i] then
      local wait = after - span[i]
      if wait > retry_after then retry_after = wait binding = i end
      allowed = 0
      remaining = 0
      if tat - now > reset_after then reset_after = tat - now end
    else
      if after > reset_after then reset_after = after end
      if allowed == 1 then
        local left = math.floor((span[i] - after) / interval[i])
        if remaining < 0 or left < remaining then remaining = left binding = i end
      end
    end
  end
  if allowed == 1 then
    for i = 1, s do tats[KEYS[base + i]] = nxt[i] end
    retry_after = 0
  end
  out[n + 1] = allowed
  out[n + 2] = remaining
  out[n + 3] = binding
  out[n + 4] = reset_after
  out[n + 5] = retry_after
  n = n + 5
end
for key, tat in pairs(tats) do
  redis.call('SET', key, tat, 'PX', math.ceil((tat - now) / 1000) + 1)
end
return out
)lua";

constexpr std::size_t max_batch = 128;

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
      if (argv.empty()) argv.push_back(std::to_string(scopes.size()));
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
  std::shared_ptr<batch> open;  // decisions waiting for the next flush
};

// Decisions sent in one script call. Entries are completed exactly once:
// by the reply, or earlier by cancellation.
struct distributed_rate_limiter::batch {
  struct entry {
    std::shared_ptr<key_set> keys;
    std::unique_ptr<detail::completion> done;
    boost::asio::cancellation_slot slot;
    trace::span span;  // "redis EVALSHA" of this decision (when traced)
  };
  std::vector<entry> entries;
  boost::asio::any_io_executor executor;

  void complete(std::size_t index, boost::system::error_code ec, reply&& r) {
    auto& e = entries[index];
    if (!e.done) return;
    if (e.slot.is_connected()) e.slot.clear();
    end_span(e, ec, r);
    std::exchange(e.done, nullptr)->complete(ec, std::move(r));
  }

  static void end_span(entry& e, boost::system::error_code ec, const reply& r) {
    if (!e.span.recording()) return;
    e.span.set_attribute("rate_limit.source", ec ? "fallback" : "redis");
    detail::end_command_span(e.span, ec, r);
  }
};

namespace {

// Cancels one queued or in-flight decision (its reply, if any, is ignored).
template <class Batch>
struct cancel_decision {
  cancel_decision(std::weak_ptr<Batch> b, std::size_t i) : owner(std::move(b)), index(i) {}
  void operator()(boost::asio::cancellation_type type) const {
    if ((type & (boost::asio::cancellation_type::terminal | boost::asio::cancellation_type::partial |
                 boost::asio::cancellation_type::total)) == boost::asio::cancellation_type::none)
      return;
    auto b = owner.lock();
    if (!b || !b->entries[index].done) return;
    Batch::end_span(b->entries[index], boost::asio::error::operation_aborted, reply{});
    auto done = std::exchange(b->entries[index].done, nullptr);
    boost::asio::post(b->executor, [d = std::move(done)]() mutable {
      d->complete(boost::asio::error::operation_aborted, reply{});
    });
  }
  std::weak_ptr<Batch> owner;
  std::size_t index;
};

}  // namespace

// Splits the script's flat reply: each decision's five integers go to its
// key_set (no reply object per decision), then its completion runs.
class distributed_rate_limiter::batch_completion final : public detail::completion {
 public:
  batch_completion(std::shared_ptr<batch> b, std::vector<std::size_t> indexes)
      : batch_(std::move(b)), indexes_(std::move(indexes)) {}

  void complete(boost::system::error_code ec, reply&& r) override {
    if (!ec && (!r.is_array() || r.elements().size() != 5 * indexes_.size())) ec = error::unexpected_reply;
    for (std::size_t j = 0; j < indexes_.size(); ++j) {
      auto& entry = batch_->entries[indexes_[j]];
      boost::system::error_code one = ec;
      for (std::size_t v = 0; v < 5 && !one; ++v) {
        const auto& element = r.elements()[5 * j + v];
        if (element.type() != reply_type::integer) {
          one = error::unexpected_reply;
        } else {
          entry.keys->result[v] = element.integer();
        }
      }
      batch_->complete(indexes_[j], one, reply{});
    }
  }

 private:
  std::shared_ptr<batch> batch_;
  std::vector<std::size_t> indexes_;
};

distributed_rate_limiter::distributed_rate_limiter(client& redis, distributed_rate_limiter_config config,
                                                   std::shared_ptr<rate_limiter_observer> observer)
    : redis_(&redis), state_(std::make_shared<state>(std::move(config), std::move(observer))) {}

distributed_rate_limiter::~distributed_rate_limiter() {
  // Decisions not flushed yet complete with operation_aborted (this also
  // breaks the state -> batch -> handler -> state cycle).
  if (auto b = std::exchange(state_->open, nullptr)) {
    for (auto& e : b->entries) {
      if (e.slot.is_connected()) e.slot.clear();
      if (e.done) batch::end_span(e, boost::asio::error::operation_aborted, reply{});
      if (auto done = std::exchange(e.done, nullptr)) {
        boost::asio::post(b->executor, [d = std::move(done)]() mutable {
          d->complete(boost::asio::error::operation_aborted, reply{});
        });
      }
    }
  }
}

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

void distributed_rate_limiter::enqueue(std::shared_ptr<key_set> keys, boost::asio::cancellation_slot slot,
                                       std::unique_ptr<detail::completion> done) {
  auto& st = *state_;
  if (!st.open) {
    st.open = std::make_shared<batch>();
    st.open->executor = redis_->get_executor();
    // Flush once the current turn of the event loop has queued its decisions.
    boost::asio::post(redis_->get_executor(), [st_weak = std::weak_ptr<state>(state_), redis = redis_] {
      auto locked = st_weak.lock();
      if (!locked || !locked->open) return;
      flush(*locked, *redis);
    });
  }
  const std::size_t index = st.open->entries.size();
  // The decision's span starts now, while the caller's context is current
  // (the batch is sent later, from a posted handler).
  st.open->entries.push_back(
      {std::move(keys), std::move(done), {}, detail::start_command_span(redis_->configuration(), "EVALSHA")});
  if (slot.is_connected()) {
    st.open->entries.back().slot = slot;
    slot.template emplace<cancel_decision<batch>>(std::weak_ptr<batch>(st.open), index);
  }
}

void distributed_rate_limiter::flush(state& st, client& redis) {
  auto b = std::exchange(st.open, nullptr);
  std::vector<std::size_t> live;
  for (std::size_t i = 0; i < b->entries.size(); ++i) {
    if (b->entries[i].done) live.push_back(i);
  }
  for (std::size_t first = 0; first < live.size(); first += max_batch) {
    const std::size_t last = std::min(live.size(), first + max_batch);
    command tail;
    tail.arg((last - first) * st.scopes.size());
    for (std::size_t j = first; j < last; ++j) {
      const auto& keys = *b->entries[live[j]].keys;
      for (std::size_t k = 0; k < keys.count; ++k) tail.arg(keys.keys[k]);
    }
    for (const auto& a : st.argv) tail.arg(a);
    std::vector<std::size_t> indexes(live.begin() + static_cast<std::ptrdiff_t>(first),
                                     live.begin() + static_cast<std::ptrdiff_t>(last));
    redis.submit_script(st.lua, tail, st.cfg.timeout, {}, std::make_unique<batch_completion>(b, std::move(indexes)));
  }
}

std::pair<boost::system::error_code, core::rate_limit_decision> distributed_rate_limiter::finish(
    state& s, const key_set& keys, boost::system::error_code ec) {
  if (ec == boost::asio::error::operation_aborted) return {ec, core::rate_limit_decision{}};
  const auto& v = keys.result;
  if (!ec && v[2] >= 1 && static_cast<std::size_t>(v[2]) <= s.scopes.size()) {
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
  if (!ec) ec = error::unexpected_reply;
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
