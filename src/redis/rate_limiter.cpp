// redis::distributed_rate_limiter: GCRA in Lua (one script call per batch of
// decisions, TATs in time-partitioned hashes), local fallback.
#include <musicbot/redis/rate_limiter.hpp>

#include "client_impl.hpp"
#include "tracing.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <string_view>
#include <iterator>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace musicbot::redis {

namespace {

// GCRA over up to three scopes per decision, all-or-nothing, on Redis'
// clock, for a batch of decisions taken one after another.
//
// Storage: the TATs (theoretical arrival times) of one scope live in
// time-partitioned hashes `KEYS[i] .. ':' .. epoch`, epoch = floor(now /
// span), one field per key, the value being the TAT in µs relative to the
// epoch's start (short numbers: cheap to format and parse). A TAT written at
// t is at most t + span, and a TAT <= now means "full quota", so at time now
// only the current and the previous epoch's hashes can hold a TAT that
// matters; a whole hash expires 2 spans after its first write.
//
// KEYS[i]: the hash base of scope i (S scopes). ARGV[1]: S; ARGV[2i],
// ARGV[2i+1]: emission interval and span (interval × limit) of scope i, in
// µs; then S fields per decision, decision after decision. Returns S
// integers per decision: scope i's backlog before the decision
// (max(tat, now) - now, µs). The client derives allowed (every backlog +
// interval <= span), remaining, reset_after and retry_after from them
// (decision_from_backlog below), exactly as the script decided.
//
// Cost inside Redis per batch and scope: one HMGET of the current epoch's
// hash (the batch's fields), one HMGET of the previous epoch's hash for the
// fields the current one lacks (none in a steady state), integer arithmetic
// in Lua, then ONE HSET of every field that changed. The hash's expiry is
// set once, when the epoch's first write creates it (it then lives at least
// until the end of the next epoch, the last time it can matter): the field
// '' (never a key's field) marks a hash that has its expiry. Decisions on
// the same key in one batch see each other through `tat`.
//
// Lua in Redis is interpreted: its instructions are a large part of the
// cost, so globals are read once into locals, and the common case has its
// own lean script (below): one scope (per-user only) and a batch in which no
// field repeats (the client checks, see distinct_fields()). Every other
// batch goes to the general script after it.

// One scope, no field twice in the batch: no decision sees another, so the
// script needs no per-field tables. Pass 1 turns each stored TAT into a
// backlog (out[i]); pass 2 writes the TAT of every allowed decision, the
// value a number (Redis formats it) rather than a Lua string.format result.
// Measured against the general script on the same batches: ~12 % less Redis
// time per decision (docs/BENCHMARKS.md, "redis").
constexpr const char* gcra_distinct_lua = R"lua(
local call, unpack = redis.call, unpack
local t = call('TIME')
local now = t[1] * 1000000 + t[2]
local argv = ARGV
local interval, span = tonumber(argv[2]), tonumber(argv[3])
local last = #argv
local epoch = math.floor(now / span)
local base = epoch * span
local cur = KEYS[1] .. ':' .. string.format('%d', epoch)
local got = call('HMGET', cur, '', unpack(argv, 4, last))
local fresh = not got[1]
local out, missing, nm = {}, nil, 0
for a = 4, last do
  local v = got[a - 2]
  if v then
    v = v + base - now
    out[a - 3] = v > 0 and v or 0
  else
    out[a - 3] = 0
    if nm == 0 then missing = {} end
    nm = nm + 1
    missing[nm] = argv[a]
  end
end
if nm > 0 then
  got = call('HMGET', KEYS[1] .. ':' .. string.format('%d', epoch - 1), unpack(missing))
  local pb, j = base - span - now, 0
  for a = 4, last do
    if argv[a] == missing[j + 1] then
      j = j + 1
      local v = got[j]
      if v then
        v = v + pb
        if v > 0 then out[a - 3] = v end
      end
      if j == nm then break end
    end
  end
end
local args, na, room, at = {}, 0, span - interval, now + interval - base
for a = 4, last do
  local d = out[a - 3]
  if d <= room then
    na = na + 2
    args[na - 1] = argv[a]
    args[na] = d + at
  end
end
if na > 0 then
  if fresh then
    args[na + 1] = ''
    args[na + 2] = 1
  end
  call('HSET', cur, unpack(args))
  if fresh then call('PEXPIRE', cur, math.ceil(2 * span / 1000) + 1) end
end
return out
)lua";

// The general script: one to three scopes, fields may repeat (decisions on
// the same key see each other through `tat`), all-or-nothing decisions.
constexpr const char* gcra_scopes_lua = R"lua(
local call, fmt, unpack, tonumber = redis.call, string.format, unpack, tonumber
local t = call('TIME')
local now = t[1] * 1000000 + t[2]
local argv = ARGV
local s = tonumber(argv[1])
local first, last = 2 * s + 2, #argv
local interval, span, cur, base, tats, order, fresh = {}, {}, {}, {}, {}, {}, {}
for i = 1, s do
  local iv, sp = tonumber(argv[2 * i]), tonumber(argv[2 * i + 1])
  local epoch = math.floor(now / sp)
  local b = epoch * sp
  local name = KEYS[i] .. ':' .. fmt('%d', epoch)
  interval[i], span[i], cur[i], base[i] = iv, sp, name, b
  local fields, tat, nf = {''}, {}, 1
  for a = first + i - 1, last, s do
    local f = argv[a]
    if not tat[f] then
      tat[f] = now
      nf = nf + 1
      fields[nf] = f
    end
  end
  local got = call('HMGET', name, unpack(fields))
  fresh[i] = not got[1]
  local missing, nm = nil, 0
  for j = 2, nf do
    local v = got[j]
    if v then
      v = v + b
      if v > now then tat[fields[j]] = v end
    else
      if nm == 0 then missing = {} end
      nm = nm + 1
      missing[nm] = fields[j]
    end
  end
  if nm > 0 then
    got = call('HMGET', KEYS[i] .. ':' .. fmt('%d', epoch - 1), unpack(missing))
    local pb = b - sp
    for j = 1, nm do
      local v = got[j]
      if v then
        v = v + pb
        if v > now then tat[missing[j]] = v end
      end
    end
  end
  tats[i] = tat
  order[i] = {}
end
local out, n, written = {}, 0, {}
for i = 1, s do written[i] = {} end
for a = first, last - s + 1, s do
  local ok = true
  for i = 1, s do
    local d = tats[i][argv[a + i - 1]] - now
    out[n + i] = d
    if d + interval[i] > span[i] then ok = false end
  end
  if ok then
    for i = 1, s do
      local f, w = argv[a + i - 1], written[i]
      if not w[f] then
        w[f] = true
        local o = order[i]
        o[#o + 1] = f
      end
      tats[i][f] = now + out[n + i] + interval[i]
    end
  end
  n = n + s
end
for i = 1, s do
  local o = order[i]
  local no = #o
  if no > 0 then
    local args, tat, b = {}, tats[i], base[i]
    for j = 1, no do
      local f = o[j]
      args[2 * j - 1] = f
      args[2 * j] = fmt('%d', tat[f] - b)
    end
    if fresh[i] then
      args[2 * no + 1] = ''
      args[2 * no + 2] = '1'
    end
    call('HSET', cur[i], unpack(args))
    if fresh[i] then call('PEXPIRE', cur[i], math.ceil(2 * span[i] / 1000) + 1) end
  end
end
return out
)lua";

constexpr std::size_t max_batch = 128;
constexpr std::int64_t max_backlog_us = std::int64_t{1} << 60;

// `<prefix>:<scope>:<span µs>` (the epoch is appended by the script). Names
// start with the prefix (ACL key patterns, SCAN); on Redis Cluster a hash
// tag in the prefix puts every hash of the limiter in one slot.
std::string scope_hash_base(const std::string& prefix, const char* scope, std::int64_t span_us) {
  return prefix + ":" + scope + ":" + std::to_string(span_us);
}

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
      : cfg(std::move(c)),
        observer(std::move(obs)),
        log(limiter_logger()),
        distinct_lua(gcra_distinct_lua),
        general_lua(gcra_scopes_lua) {
    cfg.validate();
    scopes.push_back(cfg.per_user);
    if (cfg.per_guild) scopes.push_back(*cfg.per_guild);
    if (cfg.global) scopes.push_back(*cfg.global);
    static constexpr const char* scope_names[] = {"user", "guild", "global"};
    std::size_t next_name = 0;
    argv.push_back(std::to_string(scopes.size()));
    for (const auto& scope : scopes) {
      const auto interval_us = scope.window.count() / 1000 / static_cast<std::int64_t>(scope.limit);
      const auto span_us = interval_us * static_cast<std::int64_t>(scope.limit);
      // Names skip the scopes that are not configured ("guild" only if per_guild).
      if (next_name == 1 && !cfg.per_guild) ++next_name;
      bases.push_back(scope_hash_base(cfg.prefix, scope_names[next_name++], span_us));
      intervals.push_back(interval_us);
      spans.push_back(span_us);
      argv.push_back(std::to_string(interval_us));
      argv.push_back(std::to_string(span_us));
      local.push_back(std::make_unique<core::keyed_rate_limiter<>>(
          scope.scaled(cfg.fallback_fraction, cfg.expected_replicas), cfg.max_fallback_keys));
    }
  }

  core::rate_limit_decision decide_locally(const key_set& keys) {
    core::rate_limit_decision combined;
    combined.allowed = true;
    bool first = true;
    for (std::size_t i = 0; i < keys.count; ++i) {
      const auto d = local[i]->try_acquire(keys.fields[i]);
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
      log->warn("rate limiter '{}': Redis unavailable ({}); deciding locally at {:.3g} % of the limit per replica",
                cfg.prefix, why.message(), 100.0 * cfg.fallback_fraction / static_cast<double>(cfg.expected_replicas));
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
  script distinct_lua;  // one scope, no field twice in the batch
  script general_lua;   // everything else
  std::vector<core::rate_limit_config> scopes;
  std::vector<std::string> argv;       // S, then interval and span (µs) of each scope
  std::vector<std::string> bases;      // hash base of each scope (KEYS of the script)
  std::vector<std::int64_t> intervals; // emission interval of each scope, µs
  std::vector<std::int64_t> spans;     // interval × limit of each scope, µs
  std::vector<std::unique_ptr<core::keyed_rate_limiter<>>> local;
  bool fallback = false;
  rate_limiter_stats stats;
  std::shared_ptr<batch> open;  // decisions waiting for the next flush
  std::size_t last_batch_size = 0;  // entries of the last flushed batch (bounded by one turn's decisions)
};

// Decisions sent in one script call. Entries are completed exactly once:
// by the reply, or earlier by cancellation.
struct distributed_rate_limiter::batch {
  struct entry {
    std::unique_ptr<decision_completion> done;  // holds the keys; null once completed
    boost::asio::cancellation_slot slot;
    trace::span span;  // "redis EVALSHA" of this decision (when traced)
  };
  std::vector<entry> entries;
  std::vector<std::size_t> live;  // entries still waiting when the batch was sent
  boost::asio::any_io_executor executor;

  // The outcome of the script call for entry `index` (its backlogs are in
  // its keys when `ec` is success): the decision is taken here, on the
  // client's executor, then handed to the handler.
  void complete(state& st, std::size_t index, boost::system::error_code ec) {
    auto& e = entries[index];
    if (!e.done) return;
    if (e.slot.is_connected()) e.slot.clear();
    end_span(e, ec, reply{});
    auto done = std::exchange(e.done, nullptr);
    const auto [out_ec, decision] = finish(st, done->keys, ec);
    done->complete(out_ec, decision);
  }

  static void end_span(entry& e, boost::system::error_code ec, const reply& r) {
    if (!e.span.recording()) return;
    e.span.set_attribute("rate_limit.source", ec ? "fallback" : "redis");
    detail::end_command_span(e.span, ec, r);
  }
};

namespace {

// The decision the script took for one call, from each scope's backlog
// before it (max(tat, now) - now): allowed iff every scope has room for one
// more emission interval. Allowed: remaining and limit of the scope with the
// fewest calls left. Refused: retry_after and limit of the scope that frees
// up last. reset_after: until every scope is back to a full quota.
template <class State>
core::rate_limit_decision decision_from_backlog(const State& s, const std::int64_t* backlog) {
  const std::size_t scopes = s.scopes.size();
  bool allowed = true;
  for (std::size_t i = 0; i < scopes; ++i) {
    if (backlog[i] + s.intervals[i] > s.spans[i]) allowed = false;
  }
  core::rate_limit_decision d;
  d.allowed = allowed;
  std::int64_t remaining = -1;
  std::int64_t retry = -1;
  std::int64_t reset = 0;
  std::size_t binding = 0;
  for (std::size_t i = 0; i < scopes; ++i) {
    const std::int64_t after = backlog[i] + s.intervals[i];
    if (allowed) {
      const std::int64_t left = (s.spans[i] - after) / s.intervals[i];
      if (remaining < 0 || left < remaining) {
        remaining = left;
        binding = i;
      }
      reset = std::max(reset, after);
    } else if (after > s.spans[i]) {
      if (after - s.spans[i] > retry) {
        retry = after - s.spans[i];
        binding = i;
      }
      reset = std::max(reset, backlog[i]);
    } else {
      reset = std::max(reset, after);
    }
  }
  d.remaining = allowed ? static_cast<std::uint32_t>(std::clamp<std::int64_t>(remaining, 0, UINT32_MAX)) : 0;
  d.limit = s.scopes[binding].limit;
  d.reset_after = std::chrono::microseconds(reset);
  d.retry_after = std::chrono::microseconds(allowed ? 0 : retry);
  return d;
}

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
      d->complete(boost::asio::error::operation_aborted, core::rate_limit_decision{});
    });
  }
  std::weak_ptr<Batch> owner;
  std::size_t index;
};

}  // namespace

// Splits the script's flat reply: each decision's backlogs (one integer per
// scope) go to its key_set (no reply object per decision), then its
// completion runs. Covers batch->live[first, last).
class distributed_rate_limiter::batch_completion final : public detail::completion {
 public:
  batch_completion(std::shared_ptr<state> st, std::shared_ptr<batch> b, std::size_t first, std::size_t last,
                   std::size_t scopes)
      : state_(std::move(st)), batch_(std::move(b)), first_(first), last_(last), scopes_(scopes) {}

  void complete(boost::system::error_code ec, reply&& r) override {
    const std::size_t count = last_ - first_;
    if (!ec && (!r.is_array() || r.elements().size() != scopes_ * count)) ec = error::unexpected_reply;
    for (std::size_t j = 0; j < count; ++j) {
      const std::size_t index = batch_->live[first_ + j];
      auto& entry = batch_->entries[index];
      if (!entry.done) continue;  // cancelled: its answer is ignored
      boost::system::error_code one = ec;
      for (std::size_t v = 0; v < scopes_ && !one; ++v) {
        const auto& element = r.elements()[scopes_ * j + v];
        // A backlog is at most a span in practice; the bound keeps the
        // client's arithmetic free of overflow whatever the server sends.
        if (element.type() != reply_type::integer || element.integer() < 0 ||
            element.integer() > max_backlog_us) {
          one = error::unexpected_reply;
        } else {
          entry.done->keys.backlog[v] = element.integer();
        }
      }
      batch_->complete(*state_, index, one);
    }
  }

 private:
  std::shared_ptr<state> state_;
  std::shared_ptr<batch> batch_;
  std::size_t first_;
  std::size_t last_;
  std::size_t scopes_;
};

namespace {

// Whether the fields of a batch (at most max_batch) are all different: an
// open-addressing set of their hashes, on the stack. Equal hashes count as a
// repeat, so a collision only sends the batch to the general script, which
// is correct for any batch.
class distinct_fields {
 public:
  void add(std::string_view field) noexcept {
    if (!distinct_) return;
    const std::uint64_t h = std::hash<std::string_view>{}(field) | 1U;  // 0 marks an empty cell
    for (std::size_t i = h % cells;; i = (i + 1) % cells) {
      if (seen_[i] == 0) {
        seen_[i] = h;
        return;
      }
      if (seen_[i] == h) {
        distinct_ = false;
        return;
      }
    }
  }
  [[nodiscard]] bool all_distinct() const noexcept { return distinct_; }

 private:
  static constexpr std::size_t cells = 2 * max_batch;  // at most half full
  std::array<std::uint64_t, cells> seen_{};
  bool distinct_ = true;
};

}  // namespace

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
          d->complete(boost::asio::error::operation_aborted, core::rate_limit_decision{});
        });
      }
    }
  }
}

distributed_rate_limiter::key_set distributed_rate_limiter::make_keys(const rate_limit_request& request) const {
  key_set keys;
  const auto& cfg = state_->cfg;
  keys.fields[0] = user_key(request);
  keys.count = 1;
  if (cfg.per_guild) keys.fields[keys.count++] = core::rate_limit_key(request.guild);
  if (cfg.global) keys.fields[keys.count++] = "*";
  return keys;
}

std::string distributed_rate_limiter::user_key(const rate_limit_request& request) const {
  return core::rate_limit_key(request.guild, request.user, request.command);
}

std::string distributed_rate_limiter::user_hash(std::chrono::microseconds redis_time) const {
  const auto span = state_->spans.front();
  return state_->bases.front() + ":" + std::to_string(redis_time.count() / span);
}

void distributed_rate_limiter::enqueue(std::unique_ptr<decision_completion> done,
                                       boost::asio::cancellation_slot slot) {
  auto& st = *state_;
  if (!st.open) {
    st.open = std::make_shared<batch>();
    // Sized like the previous batch: no regrowth in a steady stream.
    st.open->entries.reserve(std::max<std::size_t>(16, st.last_batch_size));
    st.open->executor = redis_->get_executor();
    // Flush once the current turn of the event loop has queued its decisions.
    boost::asio::post(redis_->get_executor(), [st_weak = std::weak_ptr<state>(state_), redis = redis_] {
      auto locked = st_weak.lock();
      if (!locked || !locked->open) return;
      flush(locked, *redis);
    });
  }
  const std::size_t index = st.open->entries.size();
  // The decision's span starts now, while the caller's context is current
  // (the batch is sent later, from a posted handler).
  st.open->entries.push_back({std::move(done), {}, detail::start_command_span(redis_->configuration(), "EVALSHA")});
  if (slot.is_connected()) {
    st.open->entries.back().slot = slot;
    slot.template emplace<cancel_decision<batch>>(std::weak_ptr<batch>(st.open), index);
  }
}

void distributed_rate_limiter::flush(const std::shared_ptr<state>& self, client& redis) {
  auto& st = *self;
  auto b = std::exchange(st.open, nullptr);
  // Every script call of this flush leaves in one write, from this handler.
  const detail::client_impl::write_hold writes(*redis.impl_);
  st.last_batch_size = std::min<std::size_t>(b->entries.size(), 4 * max_batch);
  auto& live = b->live;
  live.reserve(b->entries.size());
  for (std::size_t i = 0; i < b->entries.size(); ++i) {
    if (b->entries[i].done) live.push_back(i);
  }
  for (std::size_t first = 0; first < live.size(); first += max_batch) {
    const std::size_t last = std::min(live.size(), first + max_batch);
    command tail;
    tail.arg(st.bases.size());
    for (const auto& base : st.bases) tail.arg(base);
    for (const auto& a : st.argv) tail.arg(a);
    distinct_fields distinct;
    for (std::size_t j = first; j < last; ++j) {
      const auto& keys = b->entries[live[j]].done->keys;
      for (std::size_t k = 0; k < keys.count; ++k) tail.arg(keys.fields[k]);
      if (st.scopes.size() == 1) distinct.add(keys.fields[0]);
    }
    const bool lean = st.scopes.size() == 1 && distinct.all_distinct();
    redis.submit_script(lean ? st.distinct_lua : st.general_lua, std::move(tail), st.cfg.timeout, {},
                        std::make_unique<batch_completion>(self, b, first, last, st.scopes.size()));
  }
}

std::pair<boost::system::error_code, core::rate_limit_decision> distributed_rate_limiter::finish(
    state& s, const key_set& keys, boost::system::error_code ec) {
  if (ec == boost::asio::error::operation_aborted) return {ec, core::rate_limit_decision{}};
  if (!ec) {
    const auto d = decision_from_backlog(s, keys.backlog);
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
  return state_->decide_locally(make_keys(request));
}

bool distributed_rate_limiter::fallback_active() const noexcept { return state_->fallback; }
rate_limiter_stats distributed_rate_limiter::stats() const noexcept { return state_->stats; }
const distributed_rate_limiter_config& distributed_rate_limiter::config() const noexcept { return state_->cfg; }
core::rate_limit_config distributed_rate_limiter::fallback_config() const {
  return state_->cfg.per_user.scaled(state_->cfg.fallback_fraction, state_->cfg.expected_replicas);
}

}  // namespace musicbot::redis
