#include "musicbot/discord/redis_identify_coordinator.hpp"

#include "detail_logger.hpp"
#include "musicbot/discord/error.hpp"
#include "musicbot/redis/client.hpp"
#include "musicbot/redis/script.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <random>
#include <stdexcept>
#include <tuple>
#include <vector>

namespace musicbot::discord {

namespace asio = boost::asio;
using boost::system::error_code;
using namespace std::chrono_literals;

namespace {

// KEYS[1] bucket key, KEYS[2] budget key; ARGV[1] window (ms), ARGV[2] owner.
// Returns {status, ms, remaining, time_s, time_us}: status 1 granted (ms 0),
// 0 bucket busy for ms, -1 budget exhausted for ms. remaining is -1 when the
// shared budget is unknown (no key).
constexpr const char* acquire_lua = R"lua(
local b = redis.call('GET', KEYS[2])
if b and tonumber(b) <= 0 then
  return {-1, redis.call('PTTL', KEYS[2]), 0, 0, 0}
end
if redis.call('SET', KEYS[1], ARGV[2], 'NX', 'PX', ARGV[1]) then
  local left = -1
  if b then left = redis.call('DECR', KEYS[2]) end
  local t = redis.call('TIME')
  return {1, 0, left, tonumber(t[1]), tonumber(t[2])}
end
return {0, redis.call('PTTL', KEYS[1]), -1, 0, 0}
)lua";

// KEYS[1] budget key; ARGV[1] remaining, ARGV[2] reset_after (ms). Only ever
// lowers the shared budget: a process with an older GET /gateway/bot must not
// give back identifies another process already spent.
constexpr const char* budget_lua = R"lua(
local c = redis.call('GET', KEYS[1])
if (not c) or tonumber(c) > tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 1
)lua";

}  // namespace

struct redis_identify_coordinator::state {
  struct op {
    explicit op(const executor_type& ex) : timer(ex) {}
    asio::steady_timer timer;
    bool cancelled = false;
  };

  state(executor_type ex, redis::client& c, session_start_limit l, redis_identify_options o)
      : executor(std::move(ex)),
        client(c),
        options(std::move(o)),
        logger(options.logger ? options.logger : detail::default_logger()),
        acquire_script(acquire_lua),
        budget_script(budget_lua) {
    if (options.bot_id.empty()) throw std::invalid_argument("redis_identify_options: bot_id is required");
    if (options.window.count() <= 0) throw std::invalid_argument("redis_identify_options: window must be > 0");
    std::random_device rd;
    owner = std::to_string(rd()) + "-" + std::to_string(rd());
    set_limit(l);
  }

  void set_limit(const session_start_limit& l) {
    limit = l;
    limit.max_concurrency = std::max<std::uint32_t>(1, l.max_concurrency);
    remaining = l.remaining;
    budget_reset_at = std::chrono::steady_clock::now() + l.reset_after;
  }

  [[nodiscard]] std::string base() const { return options.key_prefix + ":identify:" + options.bot_id; }
  [[nodiscard]] std::string bucket_key(std::uint32_t bucket) const {
    return base() + ":bucket:" + std::to_string(bucket);
  }
  [[nodiscard]] std::string budget_key() const { return base() + ":budget"; }

  void store_failed(const error_code& ec) {
    ++stats.redis_errors;
    if (stats.store_healthy) {
      stats.store_healthy = false;
      logger->warn("discord identify coordinator: Redis failed ({}); holding identifies back until it answers",
                   ec.message());
    }
  }
  void store_ok() {
    if (!stats.store_healthy) {
      stats.store_healthy = true;
      logger->info("discord identify coordinator: Redis answers again");
    }
  }

  // One acquisition: the script until granted, refused by the budget,
  // cancelled or past max_wait.
  static asio::awaitable<error_code> acquire(std::shared_ptr<state> s, std::shared_ptr<op> o,
                                             std::uint32_t shard_id);

  [[nodiscard]] std::vector<std::string> budget_args() const {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(budget_reset_at - std::chrono::steady_clock::now());
    return {std::to_string(remaining), std::to_string(std::max<std::int64_t>(1, left.count()))};
  }

  void prune() {
    std::erase_if(ops, [](const std::weak_ptr<op>& w) { return w.expired(); });
  }

  executor_type executor;
  redis::client& client;
  redis_identify_options options;
  std::shared_ptr<spdlog::logger> logger;
  redis::script acquire_script;
  redis::script budget_script;
  std::string owner;
  session_start_limit limit;
  std::uint32_t remaining = 0;
  std::chrono::steady_clock::time_point budget_reset_at{};
  bool budget_dirty = false;  // the budget from update() is not in Redis yet
  redis_identify_stats stats;
  std::vector<std::weak_ptr<op>> ops;
};

redis_identify_coordinator::redis_identify_coordinator(executor_type executor, redis::client& client,
                                                       session_start_limit limit, redis_identify_options options)
    : state_(std::make_shared<state>(std::move(executor), client, limit, std::move(options))) {
  update(limit);
}

redis_identify_coordinator::~redis_identify_coordinator() {
  for (auto& w : state_->ops) {
    if (auto o = w.lock()) {
      o->cancelled = true;
      o->timer.cancel();
    }
  }
}

void redis_identify_coordinator::update(const session_start_limit& limit) {
  state_->set_limit(limit);
  // Stored now if Redis answers, else by the next acquisition before it may
  // be granted (the budget must be shared before this process spends any).
  state_->budget_dirty = limit.reset_after.count() > 0;
  if (state_->budget_dirty) state_->client.async_eval(state_->budget_script, {state_->budget_key()}, state_->budget_args(),
                            [s = state_](error_code ec, const redis::reply&) {
                              if (!ec) s->budget_dirty = false;
                            });
}

std::uint32_t redis_identify_coordinator::remaining() const { return state_->remaining; }

std::chrono::milliseconds redis_identify_coordinator::budget_reset_in() const {
  const auto now = std::chrono::steady_clock::now();
  if (state_->budget_reset_at <= now) return 0ms;
  return std::chrono::ceil<std::chrono::milliseconds>(state_->budget_reset_at - now);
}

redis_identify_stats redis_identify_coordinator::stats() const { return state_->stats; }

asio::awaitable<error_code> redis_identify_coordinator::state::acquire(std::shared_ptr<state> s,
                                                                      std::shared_ptr<op> o,
                                                                      std::uint32_t shard_id) {
  const auto deadline = std::chrono::steady_clock::now() + s->options.max_wait;
  const auto bucket = rate_limit_key(shard_id, s->limit.max_concurrency);
  const std::vector<std::string> keys{s->bucket_key(bucket), s->budget_key()};
  const std::vector<std::string> args{std::to_string(s->options.window.count()), s->owner};
  for (;;) {
    if (o->cancelled) co_return asio::error::operation_aborted;
    // Arguments are named locals: GCC 12 mishandles some temporaries in a
    // full-expression containing co_await.
    if (s->budget_dirty) {
      std::vector<std::string> bkeys{s->budget_key()};
      std::vector<std::string> bargs = s->budget_args();
      auto [bec, breply] = co_await s->client.async_eval(s->budget_script, std::move(bkeys), std::move(bargs),
                                                         asio::as_tuple(asio::use_awaitable));
      (void)breply;
      if (!bec) s->budget_dirty = false;
    }
    error_code ec;
    redis::reply reply;
    if (s->budget_dirty) {
      ec = make_error_code(error::not_connected);  // budget not shared yet: same as a Redis failure
    } else {
      std::vector<std::string> k = keys;
      std::vector<std::string> a = args;
      std::tie(ec, reply) = co_await s->client.async_eval(s->acquire_script, std::move(k), std::move(a),
                                                          asio::as_tuple(asio::use_awaitable));
    }
    if (o->cancelled) co_return asio::error::operation_aborted;
    std::vector<std::int64_t> v;
    if (!ec) {
      auto ints = redis::to_integers(reply);
      if (!ints || ints->size() != 5) {
        ec = ints ? make_error_code(error::invalid_payload) : ints.error();
      } else {
        v = std::move(*ints);
      }
    }
    std::chrono::milliseconds wait{0};
    if (ec) {
      // Fail safe: never identify without the lock; wait and ask again.
      s->store_failed(ec);
      wait = s->options.retry_interval;
    } else {
      s->store_ok();
      if (v[0] == 1) {
        ++s->stats.grants;
        if (v[2] >= 0) s->remaining = static_cast<std::uint32_t>(v[2]);
        if (s->options.on_grant) s->options.on_grant(shard_id, std::chrono::microseconds(v[3] * 1'000'000 + v[4]));
        co_return error_code{};
      }
      if (v[0] == -1) {
        s->remaining = 0;
        if (v[1] > 0) s->budget_reset_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(v[1]);
        co_return make_error_code(error::identify_budget_exhausted);
      }
      ++s->stats.waits;
      // PTTL -2: the key just expired; -1: a key without expiry (not ours).
      wait = v[1] > 0 ? std::chrono::milliseconds(v[1]) : 10ms;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      ++s->stats.timeouts;
      s->logger->warn("discord identify coordinator: shard {} got no identify slot within {} ms", shard_id,
                      s->options.max_wait.count());
      co_return make_error_code(error::timeout);
    }
    o->timer.expires_after(std::min<std::chrono::steady_clock::duration>(wait, deadline - now));
    auto [tec] = co_await o->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)tec;  // cancellation is read from o->cancelled
  }
}

void redis_identify_coordinator::do_acquire(std::uint32_t shard_id,
                                            asio::any_completion_handler<void(error_code)> handler) {
  auto s = state_;
  auto o = std::make_shared<state::op>(s->executor);
  s->prune();
  s->ops.push_back(o);
  auto slot = asio::get_associated_cancellation_slot(handler);
  if (slot.is_connected()) {
    slot.assign([weak = std::weak_ptr(o)](asio::cancellation_type) {
      if (auto p = weak.lock()) {
        p->cancelled = true;
        p->timer.cancel();
      }
    });
  }
  asio::co_spawn(s->executor, state::acquire(s, o, shard_id),
                 [h = std::move(handler), o](std::exception_ptr e, error_code ec) mutable {
                   auto sl = asio::get_associated_cancellation_slot(h);
                   if (sl.is_connected()) sl.clear();
                   if (e) ec = asio::error::fault;
                   std::move(h)(ec);
                 });
}

}  // namespace musicbot::discord
