#pragma once
/// @file
/// `musicbot::redis::distributed_rate_limiter`: one quota shared by every
/// replica of the bot, decided in Redis in one round trip, and failing
/// closed to local limiters when Redis is unavailable.

#include <musicbot/core/keyed_rate_limiter.hpp>
#include <musicbot/core/rate_limit.hpp>
#include <musicbot/redis/client.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace musicbot::redis {

/// Who made a decision.
enum class decision_source {
  redis,     ///< the shared quota in Redis
  fallback,  ///< the local fallback limiter (Redis failed, timed out, or its breaker is open)
};

/// One call to decide: which guild, which user, which command.
struct rate_limit_request {
  std::uint64_t guild = 0;    ///< guild (server) id; 0 for direct messages
  std::uint64_t user = 0;     ///< user id
  std::string_view command;   ///< command name (escaped in keys; any text is safe)
};

/// Configuration of a distributed_rate_limiter.
///
/// Every decision checks up to three scopes at once; a call is allowed only
/// if every configured scope allows it, and only then is it counted in each:
/// - per user: field `<guild>:<user>:<command>` with #per_user;
/// - per guild (optional): field `<guild>` with #per_guild
///   (all commands of all users of the guild);
/// - global (optional): field `*` with #global.
///
/// Each scope's fields live in Redis hashes named
/// `<prefix>:<user|guild|global>:<span µs>:<epoch>` (see
/// distributed_rate_limiter for the layout). Limiters with different
/// prefixes never share state. On Redis Cluster, give the prefix a hash tag
/// (e.g. `{mybot}:rl`) so that every hash of the limiter is in one slot.
///
/// Windows must give at least one microsecond per call (Redis' clock is read
/// in microseconds).
struct distributed_rate_limiter_config {
  std::string prefix = "musicbot:rl";                ///< Key prefix (one limiter per prefix).
  core::rate_limit_config per_user;                  ///< Quota per guild, user and command.
  std::optional<core::rate_limit_config> per_guild;  ///< Quota per guild, all commands.
  std::optional<core::rate_limit_config> global;     ///< Quota of the whole bot.
  /// Fallback quota = limit × fallback_fraction / expected_replicas.
  double fallback_fraction = 0.5;
  /// How many replicas share the quota (each falls back on its own).
  std::uint32_t expected_replicas = 1;
  /// Bound on keys tracked by each local fallback limiter.
  std::size_t max_fallback_keys = 100000;
  /// Deadline of one Redis decision; past it the fallback decides.
  std::chrono::milliseconds timeout{100};

  /// Throws std::invalid_argument unless every field is in its domain.
  void validate() const;
};

/// Counts of decisions by source and outcome, and fallback transitions.
struct rate_limiter_stats {
  std::uint64_t redis_allowed = 0;     ///< allowed by Redis
  std::uint64_t redis_denied = 0;      ///< denied by Redis
  std::uint64_t fallback_allowed = 0;  ///< allowed by the local fallback
  std::uint64_t fallback_denied = 0;   ///< denied by the local fallback
  std::uint64_t fallback_entered = 0;  ///< transitions into fallback
  std::uint64_t fallback_left = 0;     ///< transitions back to Redis
};

/// Hook for metrics: the limiter calls it on every decision and on every
/// fallback transition (on the limiter's executor). Keep it cheap.
/// musicbot/redis/rate_limiter_metrics.hpp adapts it to musicbot::metrics.
class rate_limiter_observer {
 public:
  /// Virtual destructor.
  virtual ~rate_limiter_observer() = default;
  /// One decision was made by `source`.
  virtual void on_decision(decision_source source, bool allowed) { (void)source, (void)allowed; }
  /// The fallback was engaged (`active` true) or released.
  virtual void on_fallback_changed(bool active) { (void)active; }
};

/// A rate limiter shared by every process that uses the same Redis and
/// prefix.
///
/// **Algorithm: GCRA** in one Lua script (EVALSHA, one round trip, atomic).
/// GCRA stores one number per key (the theoretical arrival time, TAT), so
/// memory in Redis is O(keys) whatever the limit, and it gives exact
/// `remaining`, `reset_after` and `retry_after` without a sorted set per key
/// (a sliding log costs O(limit) per key and a ZADD/ZREMRANGE per call; a
/// sliding-window counter is only an approximation). It is also the default
/// algorithm of the local limiters, so a fallback behaves like the shared
/// limiter with a smaller quota. Time is Redis' own clock (`TIME`), so
/// replicas with skewed clocks still share one timeline.
///
/// **Storage: time-partitioned hashes.** With span = window (interval ×
/// limit), a scope's TATs live in hashes
/// `<prefix>:<scope>:<span µs>:<epoch>`, epoch = floor(Redis time / span),
/// one field per key. A TAT written at time t is at most t + span, and a TAT
/// in the past means a full quota, so only the current and the previous
/// epoch's hash can matter: the script reads both (the previous one only for
/// fields the current one lacks), and writes every changed TAT of a batch
/// with ONE `HSET` into the current hash (whose expiry, 2 spans, is set
/// once, by the epoch's first write). Per decision Redis then does hash
/// lookups and Lua arithmetic instead of one `SET key tat PX ttl` command
/// each (which cost ~2 µs of Redis time per decision). Memory stays
/// bounded: a hash only holds keys used in its epoch, and whole hashes
/// expire. Values are the TAT relative to the epoch start (short integers,
/// cheap to format and parse). The reply is one integer per scope and
/// decision, the scope's backlog (TAT − now) before the decision; the client
/// derives allowed, `remaining`, `reset_after` and `retry_after` from it
/// exactly as the script decided. The script derives
/// the epoch hashes' names from `TIME` and declares the scopes' base names
/// as its keys; with a hash tag in the prefix (`{mybot}:rl`) all of them are
/// in one Redis Cluster slot, so a batch runs on one node (without one,
/// they span slots, which Redis Cluster refuses).
///
/// **Batching**: decisions requested in the same turn of the event loop are
/// sent together, up to 128 per EVALSHA (the script decides them one after
/// another, so decisions on the same key see each other). A lone decision is
/// still one round trip; a burst costs one script call per 128 decisions,
/// which is what makes pipelined decisions cheap for Redis. A batch with
/// only the per-user scope and no key twice (the common case) runs a leaner
/// script with no per-key tables; any other batch runs the general one.
///
/// **Tracing**: with the client's config::tracer set, each decision
/// requested under a current span context gets its own "redis EVALSHA" span
/// (outcome, and `rate_limit.source` = `redis` or `fallback`).
///
/// **Fail closed**: when the script fails (connection lost, timeout, open
/// circuit breaker, any error), the decision comes from local keyed limiters
/// at `limit × fallback_fraction / expected_replicas` (at least 1), never an
/// unconditional allow. The switch is logged once per transition, reported to
/// the observer and in stats(), and undone by the first decision Redis
/// answers again. Local scopes are checked one after another, so a call
/// refused by a later scope may still have used quota of an earlier one
/// (conservative).
///
/// @par Thread safety
/// Not thread-safe; use it from the client's executor.
class distributed_rate_limiter {
 public:
  /// A limiter deciding through `redis` (which must outlive it).
  /// @throws std::invalid_argument if `config` is invalid.
  distributed_rate_limiter(client& redis, distributed_rate_limiter_config config,
                           std::shared_ptr<rate_limiter_observer> observer = nullptr);
  /// Releases the local fallback state.
  ~distributed_rate_limiter();
  distributed_rate_limiter(const distributed_rate_limiter&) = delete;             ///< Not copyable.
  distributed_rate_limiter& operator=(const distributed_rate_limiter&) = delete;  ///< Not copyable.

  /// Decides one call. Completion signature:
  /// `void(boost::system::error_code, core::rate_limit_decision)`.
  /// The error is set only when the operation was cancelled
  /// (`operation_aborted`, with a refusing decision); Redis failures are
  /// not errors: they produce a fallback decision.
  template <class CompletionToken>
  auto async_decide(const rate_limit_request& request, CompletionToken&& token) {
    // The keys are built now: `request` may not outlive this call.
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code, core::rate_limit_decision)>(
        [this](auto handler, key_set k) {
          auto slot = boost::asio::get_associated_cancellation_slot(handler);
          using op = decision_op<std::decay_t<decltype(handler)>>;
          auto done = std::make_unique<op>(std::move(handler), redis_->get_executor());
          done->keys = std::move(k);
          enqueue(std::move(done), slot);
        },
        token, make_keys(request));
  }

  /// Decides one call with the local fallback limiters only (what the limiter
  /// does during an outage); does not change the fallback state or counts.
  [[nodiscard]] core::rate_limit_decision decide_locally(const rate_limit_request& request);

  /// True while decisions come from the fallback.
  [[nodiscard]] bool fallback_active() const noexcept;
  /// Decision counts and transitions.
  [[nodiscard]] rate_limiter_stats stats() const noexcept;
  /// The configuration.
  [[nodiscard]] const distributed_rate_limiter_config& config() const noexcept;
  /// The fallback quota of the per-user scope (what a replica allows alone).
  [[nodiscard]] core::rate_limit_config fallback_config() const;

  /// The hash field of the per-user scope of `request`:
  /// `<guild>:<user>:<command>` (for inspection/tests; see user_hash()).
  [[nodiscard]] std::string user_key(const rate_limit_request& request) const;
  /// The Redis hash that holds the per-user scope's TATs written at Redis
  /// time `redis_time` (what `TIME` returns, in µs since the Unix epoch):
  /// `<prefix>:user:<span µs>:<floor(redis_time / span)>` (for
  /// inspection/tests).
  [[nodiscard]] std::string user_hash(std::chrono::microseconds redis_time) const;

 private:
  struct state;
  struct batch;
  class batch_completion;
  struct key_set {
    std::string fields[3];  // hash field of each scope
    std::uint8_t count = 0;
    std::int64_t backlog[3] = {};  // the script's answer: each scope's backlog before the decision, µs
  };

  // One decision in flight: its keys and its handler in one allocation.
  // complete() is called exactly once (on the limiter's executor, or posted
  // there), the object is deleted afterwards.
  class decision_completion {
   public:
    decision_completion() = default;
    decision_completion(const decision_completion&) = delete;
    decision_completion& operator=(const decision_completion&) = delete;
    virtual ~decision_completion() = default;
    virtual void complete(boost::system::error_code ec, const core::rate_limit_decision& d) = 0;
    key_set keys;
  };

  template <class Handler>
  class decision_op final : public decision_completion {
   public:
    decision_op(Handler&& handler, const boost::asio::any_io_executor& io) : handler_(std::move(handler), io) {}
    void complete(boost::system::error_code ec, const core::rate_limit_decision& d) override {
      if (handler_.can_invoke_inline()) {
        handler_.take()(ec, d);
        return;
      }
      handler_.invoke([ec, d](Handler&& h) { std::move(h)(ec, d); });
    }

   private:
    detail::pending_handler<Handler> handler_;
  };

  [[nodiscard]] key_set make_keys(const rate_limit_request& request) const;
  void enqueue(std::unique_ptr<decision_completion> done, boost::asio::cancellation_slot slot);
  static void flush(const std::shared_ptr<state>& st, client& redis);
  static std::pair<boost::system::error_code, core::rate_limit_decision> finish(state& s, const key_set& keys,
                                                                                 boost::system::error_code ec);

  client* redis_;
  std::shared_ptr<state> state_;
};

}  // namespace musicbot::redis
