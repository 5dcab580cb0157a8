#pragma once
/// @file
/// `layered_cache<Key, Value>`: L1 in-process memory → optional L2 shared
/// store (Redis) → the caller's async loader, with single-flight loads,
/// fail-safe stale values, soft/hard timeouts, refresh-ahead, negative
/// caching and cross-process invalidation.

#include <musicbot/cache/codec.hpp>
#include <musicbot/cache/error.hpp>
#include <musicbot/cache/l2.hpp>
#include <musicbot/cache/options.hpp>
#include <musicbot/cache/policy.hpp>
#include <musicbot/core/circuit_breaker.hpp>
#include <musicbot/core/clock.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/result.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

namespace musicbot::cache {

/// Construction settings of a layered_cache.
template <class Key, class Value>
struct cache_options {
  /// Name used in L2 keys (`<name>:<key>`), backplane messages and metrics.
  std::string name = "cache";
  /// Maximum number of L1 entries (values and negative entries).
  std::size_t max_entries = 10000;
  /// L1 eviction policy.
  eviction_policy policy = eviction_policy::tinylfu;
  /// Tuning of the W-TinyLFU policy (the defaults suit every workload we measured).
  policy_options policy_tuning{};
  /// Optional shared L2 store; without one the cache is L1 + loader.
  std::shared_ptr<l2_store> l2;
  /// Optional invalidation backplane for the L1s of other processes.
  std::shared_ptr<backplane> invalidations;
  /// How keys and values are encoded for L2 and the backplane (required
  /// when either is set).
  codec<Key, Value> serializer{};
  /// The circuit breaker on L2 (core's Redis preset by default): while it
  /// is open the cache skips L2 instead of waiting on it.
  core::circuit_breaker_config l2_breaker = core::circuit_breaker_config::redis();
  /// Receives every event (for metrics); may be empty.
  observer on_event;
  /// Maximum number of different keys loading at once; more gives error::overloaded.
  std::size_t max_loads_in_flight = 10000;
};

namespace detail {

// The L2 payload of a cached "not found": NUL-framed, so no JSON or text
// codec produces it (a codec whose output could equal it must not be used
// with negative caching).
inline constexpr char l2_not_found_bytes[] = "\0musicbot.cache:not-found\0";
inline constexpr std::string_view l2_not_found{l2_not_found_bytes, sizeof l2_not_found_bytes - 1};

// What a hit needs, stored in the policy node next to the key (with an
// 8-byte key the node is 32 bytes: two per cache line, none straddling).
template <class Value, class TimePoint>
struct l1_hot {
  std::shared_ptr<const Value> value;  // null: a cached "not found"
  // Before this instant the entry is fresh and no refresh is due:
  // min(fresh_until, refresh_at). At or after it, the cold entry decides.
  TimePoint quiet_until{};
};

// What only misses, stores, refreshes and invalidations need.
template <class TimePoint>
struct l1_cold {
  TimePoint fresh_until{};
  TimePoint refresh_at = TimePoint::max();
  TimePoint stale_until{};
  std::vector<std::string> tags;
};

template <class Key, class Value, class Clock, class Hash, class KeyEq>
class cache_core : public std::enable_shared_from_this<cache_core<Key, Value, Clock, Hash, KeyEq>> {
 public:
  using value_ptr = std::shared_ptr<const Value>;
  using time_point = typename Clock::time_point;
  using outcome = std::pair<boost::system::error_code, value_ptr>;
  using executor_type = boost::asio::any_io_executor;
  using hot_entry = l1_hot<Value, time_point>;
  using cold_entry = l1_cold<time_point>;
  using slot_type = typename slot_policy<Key, hot_entry, Hash, KeyEq>::slot_type;

  cache_core(executor_type ex, cache_options<Key, Value> options, Clock clock)
      : executor_(std::move(ex)),
        options_(std::move(options)),
        clock_(std::move(clock)),
        policy_(options_.max_entries, options_.policy, options_.policy_tuning),
        cold_(options_.max_entries + 1),
        breaker_(options_.l2_breaker, clock_),
        rng_(std::random_device{}()) {
    if ((options_.l2 || options_.invalidations) && !options_.serializer.complete()) {
      throw std::invalid_argument("layered_cache: an L2 store or backplane needs a complete codec");
    }
    origin_ = options_.name + "#" + std::to_string(std::random_device{}()) + "." +
              std::to_string(reinterpret_cast<std::uintptr_t>(this));  // NOLINT
  }

  void subscribe() {
    if (!options_.invalidations) return;
    std::weak_ptr<cache_core> weak = this->shared_from_this();
    subscription_ = options_.invalidations->subscribe([weak](const invalidation& m) {
      if (auto self = weak.lock()) self->on_invalidation(m);
    });
  }

  void close() {
    closed_ = true;
    if (options_.invalidations) options_.invalidations->unsubscribe(subscription_);
  }

  [[nodiscard]] const executor_type& executor() const noexcept { return executor_; }
  [[nodiscard]] const cache_options<Key, Value>& options() const noexcept { return options_; }
  [[nodiscard]] const cache_stats& stats() const noexcept { return stats_; }
  [[nodiscard]] std::size_t size() const noexcept { return policy_.size(); }
  [[nodiscard]] bool l2_breaker_open() const noexcept { return breaker_.state() != core::circuit_state::closed; }

  // ---- L1 -----------------------------------------------------------------

  MUSICBOT_CACHE_FLATTEN value_ptr find(const Key& key) {
    const auto slot = policy_.find(key);
    if (slot != policy_.npos) {
      const auto& e = policy_.payload(slot);
      const auto now = clock_.now();
      if (e.value && (now < e.quiet_until || now < cold_[slot].fresh_until)) {
        ++stats_.l1_hits;
        emit(layer::l1, event::hit);
        return e.value;
      }
    }
    ++stats_.l1_misses;
    emit(layer::l1, event::miss);
    return nullptr;
  }

  void put(const Key& key, Value value, const entry_options& opt) {
    auto v = std::make_shared<const Value>(std::move(value));
    ++epoch_;
    l1_store(key, v, opt, std::nullopt);
    if (options_.l2 && opt.write_l2) {
      boost::asio::co_spawn(executor_, l2_write(this->shared_from_this(), key, v, opt),
                            boost::asio::detached);
    }
  }

  // ---- get_or_load ------------------------------------------------------

  template <class Handler, class Loader>
  void start_get(Handler handler, Key key, Loader loader, entry_options opt) {
    auto ex = boost::asio::get_associated_executor(handler, executor_);
    if (closed_) {
      boost::asio::post(ex, [h = std::move(handler)]() mutable {
        std::move(h)(boost::system::error_code(error::closed), value_ptr{});
      });
      return;
    }
    value_ptr stale;
    bool known = false;
    outcome fast = lookup_fresh(key, loader, opt, stale, known);
    if (known) {
      boost::asio::post(ex, [h = std::move(handler), r = std::move(fast)]() mutable {
        std::move(h)(r.first, std::move(r.second));
      });
      return;
    }
    auto slot = boost::asio::get_associated_cancellation_slot(handler);
    boost::asio::co_spawn(
        executor_,
        wait_or_load(this->shared_from_this(), std::move(key), std::move(loader), std::move(opt),
                     std::move(stale)),
        boost::asio::bind_cancellation_slot(
            slot, [h = std::move(handler), ex](std::exception_ptr ep, outcome r) mutable {
              if (ep) r = outcome{error::loader_failed, nullptr};
              boost::asio::dispatch(ex, [h = std::move(h), r = std::move(r)]() mutable {
                std::move(h)(r.first, std::move(r.second));
              });
            }));
  }

  // ---- invalidation -----------------------------------------------------

  template <class Handler>
  void start_erase(Handler handler, invalidation::kind what, std::string target, std::optional<Key> key) {
    auto ex = boost::asio::get_associated_executor(handler, executor_);
    if (key) {
      if (l1_erase(*key)) ++stats_.invalidations;
    } else if (what == invalidation::kind::tag) {
      l1_erase_tag(target);
    } else {
      l1_clear();
    }
    ++epoch_;
    boost::asio::co_spawn(
        executor_, propagate_erase(this->shared_from_this(), what, std::move(target)),
        [h = std::move(handler), ex](std::exception_ptr ep, boost::system::error_code ec) mutable {
          if (ep) ec = error::l2_unavailable;
          boost::asio::dispatch(ex, [h = std::move(h), ec]() mutable { std::move(h)(ec); });
        });
  }

  std::string encode_key(const Key& key) const { return options_.serializer.encode_key(key); }

 private:

  struct waiter {
    explicit waiter(const executor_type& ex) : timer(ex) {}
    boost::asio::steady_timer timer;
    bool done = false;
    bool stale = false;
    boost::system::error_code ec;
    value_ptr value;
  };

  struct flight {
    std::vector<std::shared_ptr<waiter>> waiters;
    value_ptr stale;  // fail-safe value, if one was usable when the load started
  };

  void emit(layer where, event what) const {
    if (options_.on_event) options_.on_event(options_.name, where, what);
  }

  [[nodiscard]] typename Clock::duration jittered(std::chrono::milliseconds ttl, double jitter) {
    double ms = static_cast<double>(ttl.count());
    if (jitter > 0) {
      const double j = std::min(jitter, 1.0);
      ms *= std::uniform_real_distribution<double>(1.0 - j, 1.0 + j)(rng_);
    }
    return std::chrono::duration_cast<typename Clock::duration>(
        std::chrono::duration<double, std::milli>(ms));
  }

  // Fresh L1 hit (or cached "not found"): sets `known`. Otherwise leaves a
  // usable stale value in `stale`.
  template <class Loader>
  outcome lookup_fresh(const Key& key, const Loader& loader, const entry_options& opt, value_ptr& stale,
                       bool& known) {
    const auto now = clock_.now();
    const auto slot = policy_.find(key);
    if (slot != policy_.npos) {
      hot_entry& e = policy_.payload(slot);
      if (now < e.quiet_until || now < cold_[slot].fresh_until) {
        known = true;
        ++stats_.l1_hits;
        if (!e.value) {
          emit(layer::l1, event::negative_hit);
          return {error::not_found, nullptr};
        }
        emit(layer::l1, event::hit);
        if (now >= e.quiet_until) maybe_refresh(key, slot, now, loader, opt);
        return {{}, e.value};
      }
      if (e.value && now < cold_[slot].stale_until) stale = e.value;
    }
    ++stats_.l1_misses;
    emit(layer::l1, event::miss);
    return {};
  }

  // A fresh hit past its quiet time: starts the refresh-ahead load if it is due.
  template <class Loader>
  void maybe_refresh(const Key& key, slot_type slot, time_point now, const Loader& loader, const entry_options& opt) {
    cold_entry& c = cold_[slot];
    if (now < c.refresh_at || flights_.contains(key) || flights_.size() >= options_.max_loads_in_flight) return;
    c.refresh_at = time_point::max();
    hot_entry& e = policy_.payload(slot);
    e.quiet_until = c.fresh_until;
    ++stats_.refreshes;
    emit(layer::l1, event::refresh);
    start_flight(key, loader, opt, e.value);
  }

  template <class Loader>
  std::shared_ptr<flight> start_flight(const Key& key, const Loader& loader, const entry_options& opt,
                                       value_ptr stale) {
    auto f = std::make_shared<flight>();
    f->stale = std::move(stale);
    flights_.emplace(key, f);
    boost::asio::co_spawn(executor_, run_flight(this->shared_from_this(), key, loader, opt, f),
                          boost::asio::detached);
    return f;
  }

  template <class Loader>
  static boost::asio::awaitable<outcome> wait_or_load(std::shared_ptr<cache_core> self, Key key,
                                                      Loader loader, entry_options opt, value_ptr stale) {
    std::shared_ptr<flight> f;
    if (const auto it = self->flights_.find(key); it != self->flights_.end()) {
      f = it->second;
      ++self->stats_.coalesced;
      self->emit(layer::l1, event::coalesced);
      if (!stale) stale = f->stale;
    } else if (self->flights_.size() >= self->options_.max_loads_in_flight) {
      co_return outcome{error::overloaded, nullptr};
    } else {
      f = self->start_flight(key, loader, opt, stale);
    }
    auto w = std::make_shared<waiter>(self->executor_);
    f->waiters.push_back(w);
    const bool soft = stale && opt.soft_timeout.count() > 0 && opt.soft_timeout < opt.hard_timeout;
    w->timer.expires_after(soft ? opt.soft_timeout : opt.hard_timeout);
    const auto [ec] = co_await w->timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (w->done) {
      if (w->stale) self->count_stale();
      co_return outcome{w->ec, w->value};
    }
    if (ec) co_return outcome{error::cancelled, nullptr};  // the caller's cancellation
    if (stale) {  // soft timeout, or hard timeout with a fail-safe value
      self->count_stale();
      co_return outcome{{}, stale};
    }
    co_return outcome{error::timeout, nullptr};
  }

  void count_stale() {
    ++stats_.stale_served;
    emit(layer::l1, event::stale);
  }

  void finish(const Key& key, const std::shared_ptr<flight>& f, boost::system::error_code ec, value_ptr v,
              bool stale) {
    if (const auto it = flights_.find(key); it != flights_.end() && it->second == f) flights_.erase(it);
    for (const auto& w : f->waiters) {
      if (w->done) continue;
      w->done = true;
      w->ec = ec;
      w->value = v;
      w->stale = stale;
      w->timer.cancel();
    }
    f->waiters.clear();
  }

  template <class Loader>
  static boost::asio::awaitable<boost::system::result<Value>> call_loader(Loader& loader, const Key& key) {
    try {
      co_return co_await loader(key);
    } catch (const std::exception&) {
      co_return boost::system::error_code(error::loader_failed);
    }
  }

  template <class T>
  boost::asio::awaitable<std::optional<T>> with_timeout(boost::asio::awaitable<T> op,
                                                         std::chrono::milliseconds limit) {
    using namespace boost::asio::experimental::awaitable_operators;
    boost::asio::steady_timer timer(executor_, limit);
    auto r = co_await (std::move(op) || timer.async_wait(boost::asio::use_awaitable));
    if (r.index() == 0) co_return std::optional<T>(std::move(std::get<0>(r)));
    co_return std::nullopt;
  }

  template <class Loader>
  static boost::asio::awaitable<void> run_flight(std::shared_ptr<cache_core> self, Key key, Loader loader,
                                                 entry_options opt, std::shared_ptr<flight> f) {
    const std::uint64_t epoch = self->epoch_;
    if (self->options_.l2) {
      if (co_await self->try_l2(key, opt, f, epoch)) co_return;
    }
    ++self->stats_.loads;
    self->emit(layer::loader, event::load);
    auto load = call_loader(loader, key);
    auto loaded = co_await self->with_timeout(std::move(load), opt.hard_timeout);
    if (self->closed_) {
      self->finish(key, f, error::closed, nullptr, false);
      co_return;
    }
    if (loaded && loaded->has_value()) {
      auto v = std::make_shared<const Value>(std::move(**loaded));
      if (epoch == self->epoch_) self->l1_store(key, v, opt, std::nullopt);
      self->finish(key, f, {}, v, false);
      if (self->options_.l2 && opt.write_l2) co_await l2_write(self, key, v, opt);
      co_return;
    }
    if (loaded && loaded->error() == error::not_found) {
      const bool cache_it = opt.negative_ttl.count() > 0;
      if (cache_it && epoch == self->epoch_) self->l1_store_negative(key, opt, std::nullopt);
      self->finish(key, f, error::not_found, nullptr, false);
      if (cache_it && self->options_.l2 && opt.write_l2) co_await l2_write(self, key, nullptr, opt);
      co_return;
    }
    ++self->stats_.load_errors;
    self->emit(layer::loader, event::error);
    if (f->stale) {
      self->finish(key, f, {}, f->stale, true);
    } else {
      self->finish(key, f, loaded ? boost::system::error_code(error::loader_failed)
                                  : boost::system::error_code(error::timeout),
                   nullptr, false);
    }
  }

  // L2 lookup; true if it answered the flight.
  boost::asio::awaitable<bool> try_l2(const Key& key, const entry_options& opt, const std::shared_ptr<flight>& f,
                                      std::uint64_t epoch) {
    auto self = this->shared_from_this();
    auto permit = breaker_.try_acquire();
    if (!permit) {
      ++stats_.l2_rejected;
      ++stats_.l2_errors;
      emit(layer::l2, event::error);
      co_return false;
    }
    auto get = options_.l2->get(l2_key(key));
    auto got = co_await with_timeout(std::move(get), opt.l2_timeout);
    if (!got || got->has_error()) {
      permit.failure();
      ++stats_.l2_errors;
      emit(layer::l2, event::error);
      co_return false;
    }
    permit.success();
    const auto& item = got->value();
    if (!item || (item->payload == l2_not_found && opt.negative_ttl.count() <= 0)) {
      ++stats_.l2_misses;
      emit(layer::l2, event::miss);
      co_return false;
    }
    if (item->payload == l2_not_found) {
      ++stats_.l2_hits;
      ++stats_.l2_negative_hits;
      emit(layer::l2, event::negative_hit);
      if (epoch == epoch_) l1_store_negative(key, opt, item->ttl);
      finish(key, f, error::not_found, nullptr, false);
      co_return true;
    }
    auto decoded = options_.serializer.decode_value(item->payload);
    if (!decoded) {
      ++stats_.l2_errors;
      emit(layer::l2, event::error);
      co_return false;
    }
    ++stats_.l2_hits;
    emit(layer::l2, event::hit);
    auto v = std::make_shared<const Value>(std::move(*decoded));
    if (epoch == epoch_) l1_store(key, v, opt, item->ttl);
    finish(key, f, {}, v, false);
    co_return true;
  }

  // Writes `v` to L2 for its TTL, or — with a null `v` — a cached "not
  // found" for the negative TTL.
  static boost::asio::awaitable<void> l2_write(std::shared_ptr<cache_core> self, Key key, value_ptr v,
                                               entry_options opt) {
    auto permit = self->breaker_.try_acquire();
    if (!permit) {
      ++self->stats_.l2_rejected;
      co_return;
    }
    std::vector<std::string> tags;
    for (const auto& t : opt.tags) tags.push_back(self->l2_tag(t));
    const auto ttl = v ? std::chrono::duration_cast<std::chrono::milliseconds>(self->jittered(opt.ttl, opt.ttl_jitter))
                       : opt.negative_ttl;
    auto set = self->options_.l2->set(self->l2_key(key),
                                      v ? self->options_.serializer.encode_value(*v) : std::string(l2_not_found),
                                      std::max(ttl, std::chrono::milliseconds(1)), std::move(tags));
    auto ec = co_await self->with_timeout(std::move(set), opt.l2_timeout);
    if (!ec || *ec) {
      permit.failure();
      ++self->stats_.l2_errors;
      self->emit(layer::l2, event::error);
    } else {
      permit.success();
    }
  }

  static boost::asio::awaitable<boost::system::error_code> propagate_erase(std::shared_ptr<cache_core> self,
                                                                          invalidation::kind what,
                                                                          std::string target) {
    boost::system::error_code result;
    const auto limit = std::chrono::milliseconds(250);
    if (self->options_.l2 && what != invalidation::kind::all) {
      auto permit = self->breaker_.try_acquire();
      if (!permit) {
        result = error::l2_unavailable;
      } else {
        auto op = what == invalidation::kind::key ? self->options_.l2->erase(self->options_.name + ":" + target)
                                                  : self->options_.l2->erase_by_tag(self->l2_tag(target));
        auto ec = co_await self->with_timeout(std::move(op), limit);
        if (!ec || *ec) {
          permit.failure();
          result = ec ? *ec : boost::system::error_code(error::timeout);
        } else {
          permit.success();
        }
      }
    }
    if (self->options_.invalidations) {
      // (a named message: GCC 12 mishandles braced temporaries inside co_await expressions)
      invalidation message;
      message.cache = self->options_.name;
      message.what = what;
      message.target = std::move(target);
      message.origin = self->origin_;
      auto publish = self->options_.invalidations->publish(std::move(message));
      auto ec = co_await self->with_timeout(std::move(publish), limit);
      if (!result && (!ec || *ec)) result = ec ? *ec : boost::system::error_code(error::timeout);
    }
    co_return result;
  }

  void on_invalidation(const invalidation& m) {
    if (m.cache != options_.name || m.origin == origin_) return;
    ++epoch_;
    switch (m.what) {
      case invalidation::kind::key:
        if (auto key = options_.serializer.decode_key(m.target)) {
          if (l1_erase(*key)) {
            ++stats_.invalidations;
            emit(layer::l1, event::invalidation);
          }
        }
        break;
      case invalidation::kind::tag:
        l1_erase_tag(m.target);
        break;
      case invalidation::kind::all:
        l1_clear();
        break;
    }
  }

  [[nodiscard]] std::string l2_key(const Key& key) const {
    return options_.name + ":" + options_.serializer.encode_key(key);
  }
  [[nodiscard]] std::string l2_tag(const std::string& tag) const { return options_.name + ":tag:" + tag; }


  slot_type l1_slot(const Key& key) {
    auto slot = policy_.peek(key);
    if (slot == policy_.npos) {
      slot = policy_.insert(key, [this](slot_type evicted) { l1_reset(evicted); });
    } else {
      untag(slot);
    }
    return slot;
  }

  void l1_store(const Key& key, value_ptr v, const entry_options& opt,
                std::optional<std::chrono::milliseconds> l2_ttl) {
    const auto now = clock_.now();
    auto ttl = jittered(opt.ttl, opt.ttl_jitter);
    if (l2_ttl) ttl = std::min(ttl, std::chrono::duration_cast<typename Clock::duration>(*l2_ttl));
    const slot_type slot = l1_slot(key);
    hot_entry& e = policy_.payload(slot);
    cold_entry& c = cold_[slot];
    e.value = std::move(v);
    c.fresh_until = now + ttl;
    c.refresh_at = opt.refresh_ahead > 0
                       ? now + std::chrono::duration_cast<typename Clock::duration>(ttl * opt.refresh_ahead)
                       : time_point::max();
    e.quiet_until = std::min(c.fresh_until, c.refresh_at);
    c.stale_until = c.fresh_until + std::chrono::duration_cast<typename Clock::duration>(opt.max_stale);
    tag(key, slot, opt.tags);
  }

  void l1_store_negative(const Key& key, const entry_options& opt, std::optional<std::chrono::milliseconds> l2_ttl) {
    auto ttl = std::chrono::duration_cast<typename Clock::duration>(opt.negative_ttl);
    if (l2_ttl) ttl = std::min(ttl, std::chrono::duration_cast<typename Clock::duration>(*l2_ttl));
    const slot_type slot = l1_slot(key);
    hot_entry& e = policy_.payload(slot);
    cold_entry& c = cold_[slot];
    e.value = nullptr;
    c.fresh_until = clock_.now() + ttl;
    c.refresh_at = time_point::max();
    e.quiet_until = c.fresh_until;
    c.stale_until = c.fresh_until;
  }

  static constexpr std::size_t max_tags_per_entry = 8;

  void tag(const Key& key, slot_type slot, const std::vector<std::string>& tags) {
    auto& e = cold_[slot];
    const std::size_t n = std::min(tags.size(), max_tags_per_entry);
    e.tags.assign(tags.begin(), tags.begin() + static_cast<std::ptrdiff_t>(n));
    for (const auto& t : e.tags) tag_index_[t].insert(key);
  }

  void untag(slot_type slot) {
    auto& e = cold_[slot];
    for (const auto& t : e.tags) {
      const auto it = tag_index_.find(t);
      if (it == tag_index_.end()) continue;
      it->second.erase(policy_.key_at(slot));
      if (it->second.empty()) tag_index_.erase(it);
    }
    e.tags.clear();
  }

  void l1_reset(slot_type slot) {
    untag(slot);
    policy_.payload(slot) = hot_entry{};
    cold_[slot] = cold_entry{};
  }

  bool l1_erase(const Key& key) {
    const auto slot = policy_.peek(key);
    if (slot == policy_.npos) return false;
    l1_reset(slot);
    policy_.erase(key);
    return true;
  }

  void l1_erase_tag(const std::string& t) {
    const auto it = tag_index_.find(t);
    if (it == tag_index_.end()) return;
    const std::vector<Key> keys(it->second.begin(), it->second.end());
    for (const auto& k : keys) {
      if (l1_erase(k)) {
        ++stats_.invalidations;
        emit(layer::l1, event::invalidation);
      }
    }
  }

  void l1_clear() {
    policy_.clear();  // payloads are reset as slots are reused
    for (auto& e : cold_) e = cold_entry{};
    tag_index_.clear();
  }

  executor_type executor_;
  cache_options<Key, Value> options_;
  Clock clock_;
  slot_policy<Key, hot_entry, Hash, KeyEq> policy_;
  std::vector<cold_entry> cold_;
  std::unordered_map<std::string, std::unordered_set<Key, Hash, KeyEq>> tag_index_;
  std::unordered_map<Key, std::shared_ptr<flight>, Hash, KeyEq> flights_;
  core::circuit_breaker<Clock> breaker_;
  cache_stats stats_;
  std::minstd_rand rng_;
  std::uint64_t epoch_ = 0;  // bumped by every invalidation: loads that started before do not fill L1
  std::string origin_;
  std::size_t subscription_ = 0;
  bool closed_ = false;
};

}  // namespace detail

/// A cache of `Value`s by `Key` in up to three layers: L1 in this process
/// (bounded, LRU or adaptive W-TinyLFU), an optional shared L2 store
/// (Redis), and the caller's loader (the source of truth).
///
/// `get_or_load(key, loader, options, token)`:
/// - returns a fresh L1 value without suspending the caller's coroutine on
///   anything but a post;
/// - otherwise joins the load already in flight for `key` (single-flight:
///   concurrent misses call the loader once), or starts one: L2 first
///   (guarded by a breaker and `l2_timeout`), then the loader (bounded by
///   `hard_timeout`); the result fills L1 and L2;
/// - each caller waits with its own deadline and cancellation: after
///   `soft_timeout` it gets the stale value if there is one while the load
///   continues; after `hard_timeout` the stale value or error::timeout;
/// - when the loader fails and a value expired less than `max_stale` ago
///   exists, that stale value is returned (fail-safe) instead of the error;
/// - "not found" from the loader (error::not_found) is cached for `negative_ttl`.
///
/// `erase()` / `erase_by_tag()` remove from L1, L2 and, through the
/// backplane, from the L1 of every other process using the same cache name.
///
/// The loader is any callable `loader(const Key&)` returning
/// `boost::asio::awaitable<boost::system::result<Value>>`; it should honour
/// cancellation (it is cancelled at the hard timeout).
///
/// @tparam Key    key type (hashable, copyable).
/// @tparam Value  value type (values are shared as `std::shared_ptr<const Value>`).
/// @tparam Clock  TTL clock (core::clock_source); timeouts use real Asio timers.
///
/// @par Thread safety
/// Not thread-safe: use one cache from one thread or strand (its executor).
/// Operations keep the cache's internals alive, so the handle may be
/// destroyed while operations are pending; they then complete with error::closed.
template <class Key, class Value, core::clock_source Clock = core::coarse_steady_clock, class Hash = std::hash<Key>,
          class KeyEq = std::equal_to<Key>>
class layered_cache {
  using core_type = detail::cache_core<Key, Value, Clock, Hash, KeyEq>;

 public:
  /// Values are shared, immutable.
  using value_ptr = std::shared_ptr<const Value>;
  /// The executor the cache runs on.
  using executor_type = boost::asio::any_io_executor;
  /// Completion signature of get_or_load().
  using get_signature = void(boost::system::error_code, value_ptr);
  /// Completion signature of erase() and erase_by_tag().
  using erase_signature = void(boost::system::error_code);

  /// Creates the cache on `ex`.
  /// @throws std::invalid_argument if an L2 store or backplane is set without a complete codec.
  layered_cache(executor_type ex, cache_options<Key, Value> options, Clock clock = Clock{})
      : core_(std::make_shared<core_type>(std::move(ex), std::move(options), std::move(clock))) {
    core_->subscribe();
  }
  /// Stops listening to the backplane; pending operations finish on their own.
  ~layered_cache() {
    if (core_) core_->close();
  }
  layered_cache(const layered_cache&) = delete;             ///< Not copyable.
  layered_cache& operator=(const layered_cache&) = delete;  ///< Not copyable.

  /// The executor the cache runs on.
  [[nodiscard]] executor_type get_executor() const { return core_->executor(); }
  /// The cache name.
  [[nodiscard]] const std::string& name() const noexcept { return core_->options().name; }
  /// Counters since construction.
  [[nodiscard]] const cache_stats& stats() const noexcept { return core_->stats(); }
  /// Number of L1 entries.
  [[nodiscard]] std::size_t size() const noexcept { return core_->size(); }
  /// True while the L2 breaker is open or probing.
  [[nodiscard]] bool l2_breaker_open() const noexcept { return core_->l2_breaker_open(); }

  /// The fresh L1 value of `key`, or null. Synchronous; counts as an L1 access.
  [[nodiscard]] value_ptr find(const Key& key) { return core_->find(key); }

  /// Stores `value` in L1 (and, in the background, L2) as if it had been loaded.
  void put(const Key& key, Value value, const entry_options& options = {}) {
    core_->put(key, std::move(value), options);
  }

  /// Gets `key` from the first layer that has it, loading it with `loader`
  /// on a miss (see the class description).
  ///
  /// @param key      the key.
  /// @param loader   `loader(const Key&) -> awaitable<boost::system::result<Value>>`;
  ///                 return error::not_found for "no such value".
  /// @param options  TTLs, timeouts and tags of this entry.
  /// @param token    completion token, signature `void(boost::system::error_code, value_ptr)`.
  ///                 Errors: error::not_found, error::timeout, error::cancelled,
  ///                 error::loader_failed, error::overloaded, error::closed.
  ///                 Supports terminal per-operation cancellation (only this
  ///                 caller stops waiting; the load continues for the others).
  template <class Loader, class Token = boost::asio::default_completion_token_t<executor_type>>
  auto get_or_load(Key key, Loader loader, entry_options options, Token&& token = Token{}) {
    static_assert(std::is_same_v<std::invoke_result_t<Loader&, const Key&>,
                                 boost::asio::awaitable<boost::system::result<Value>>>,
                  "loader(key) must return boost::asio::awaitable<boost::system::result<Value>>");
    return boost::asio::async_initiate<Token, get_signature>(
        [core = core_](auto handler, Key k, Loader l, entry_options o) {
          core->start_get(std::move(handler), std::move(k), std::move(l), std::move(o));
        },
        token, std::move(key), std::move(loader), std::move(options));
  }

  /// Removes `key` from L1 and L2 and tells other processes to drop it.
  /// Completes with the L2 or backplane error, if any (L1 is cleared regardless).
  template <class Token = boost::asio::default_completion_token_t<executor_type>>
  auto erase(Key key, Token&& token = Token{}) {
    return boost::asio::async_initiate<Token, erase_signature>(
        [core = core_](auto handler, Key k) {
          std::string encoded = core->options().serializer.encode_key ? core->encode_key(k) : std::string{};
          core->start_erase(std::move(handler), invalidation::kind::key, std::move(encoded), std::move(k));
        },
        token, std::move(key));
  }

  /// Removes every entry tagged `tag` from L1 and L2 and tells other processes.
  template <class Token = boost::asio::default_completion_token_t<executor_type>>
  auto erase_by_tag(std::string tag, Token&& token = Token{}) {
    return boost::asio::async_initiate<Token, erase_signature>(
        [core = core_](auto handler, std::string t) {
          core->start_erase(std::move(handler), invalidation::kind::tag, std::move(t), std::nullopt);
        },
        token, std::move(tag));
  }

 private:
  std::shared_ptr<core_type> core_;
};

}  // namespace musicbot::cache
