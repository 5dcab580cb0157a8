#pragma once
/// @file
/// `musicbot::core::concurrent_ttl_map`: a thread-safe ttl_map made of
/// independently locked shards.

#include <musicbot/core/ttl_map.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace musicbot::core {

/// A ttl_map split into N shards, each a ttl_map guarded by its own mutex;
/// a key always lives in the same shard (chosen by its hash), so threads
/// working on different keys rarely contend.
///
/// Each shard holds at most `ceil(max_size / shards)` entries, and LRU order
/// and eviction are per shard: the least recently used entry *of the key's
/// shard* is evicted. Values are returned by copy (get()) or visited under
/// the shard lock (visit(), with_shard()), never by pointer, since a pointer
/// would outlive the lock.
///
/// @par Thread safety
/// Every member function may be called concurrently from any thread. Callbacks
/// (the removal listener, visit() and with_shard() functions) run while the
/// shard's mutex is held: they must be short and must not call back into the
/// same concurrent_ttl_map.
template <class Key, class Value, class Hash = std::hash<Key>, class KeyEqual = std::equal_to<Key>,
          clock_source Clock = coarse_steady_clock>
class concurrent_ttl_map {
 public:
  using map_type = ttl_map<Key, Value, Hash, KeyEqual, Clock>;        ///< One shard's map.
  using duration = typename map_type::duration;                      ///< Time to live type.
  using removal_listener = typename map_type::removal_listener;      ///< Removal callback type.

  /// Creates `shards` shards sharing `max_size` entries and `default_ttl`.
  /// @throws std::invalid_argument if `shards` is 0, `max_size < shards`, or
  ///         a ttl_map argument is invalid.
  concurrent_ttl_map(std::size_t max_size, duration default_ttl, std::size_t shards = 16, Clock clock = Clock{},
                     Hash hash = Hash{}, KeyEqual equal = KeyEqual{})
      : hash_(hash) {
    if (shards == 0 || max_size < shards) {
      throw std::invalid_argument("concurrent_ttl_map: need 1 <= shards <= max_size");
    }
    const std::size_t per_shard = (max_size + shards - 1) / shards;
    shards_.reserve(shards);
    for (std::size_t i = 0; i < shards; ++i) {
      shards_.push_back(std::make_unique<shard>(per_shard, default_ttl, clock, hash, equal));
    }
  }

  /// Sets the removal listener of every shard (called under the shard lock).
  void set_removal_listener(const removal_listener& listener) {
    for (auto& s : shards_) {
      const std::lock_guard lock(s->mutex);
      s->map.set_removal_listener(listener);
    }
  }

  /// A copy of the live value for `key` (refreshes its LRU position).
  [[nodiscard]] std::optional<Value> get(const Key& key) { return get<Key>(key); }
  /// @copydoc get(const Key&)
  template <class K>
    requires std::same_as<K, Key> || detail::transparent_pair<Hash, KeyEqual>
  [[nodiscard]] std::optional<Value> get(const K& key) {
    shard& s = shard_for(key);
    const std::lock_guard lock(s.mutex);
    if (Value* v = s.map.find(key)) return *v;
    return std::nullopt;
  }

  /// Calls `fn(Value&)` with the live value for `key` under the shard lock
  /// (refreshes its LRU position). @return true if the key was found.
  template <class F>
  bool visit(const Key& key, F&& fn) {
    shard& s = shard_for(key);
    const std::lock_guard lock(s.mutex);
    if (Value* v = s.map.find(key)) {
      std::forward<F>(fn)(*v);
      return true;
    }
    return false;
  }

  /// Calls `fn(map_type&)` on the shard that holds `key`, under its lock, and
  /// returns what `fn` returns: the way to do several operations atomically.
  template <class F>
  decltype(auto) with_shard(const Key& key, F&& fn) {
    shard& s = shard_for(key);
    const std::lock_guard lock(s.mutex);
    return std::forward<F>(fn)(s.map);
  }

  /// True if `key` has a live entry.
  [[nodiscard]] bool contains(const Key& key) const { return contains<Key>(key); }
  /// @copydoc contains(const Key&) const
  template <class K>
    requires std::same_as<K, Key> || detail::transparent_pair<Hash, KeyEqual>
  [[nodiscard]] bool contains(const K& key) const {
    const shard& s = shard_for(key);
    const std::lock_guard lock(s.mutex);
    return s.map.contains(key);
  }

  /// ttl_map::insert_or_assign() on the key's shard. @return true if inserted.
  template <class M>
  bool insert_or_assign(Key key, M&& value) {
    shard& s = shard_for(key);
    const std::lock_guard lock(s.mutex);
    return s.map.insert_or_assign(std::move(key), std::forward<M>(value)).second;
  }

  /// ttl_map::insert_or_assign() with a per-entry `ttl`. @return true if inserted.
  template <class M>
  bool insert_or_assign(Key key, M&& value, duration ttl) {
    shard& s = shard_for(key);
    const std::lock_guard lock(s.mutex);
    return s.map.insert_or_assign(std::move(key), std::forward<M>(value), ttl).second;
  }

  /// ttl_map::try_emplace() on the key's shard. @return true if inserted.
  template <class... Args>
  bool try_emplace(Key key, Args&&... args) {
    shard& s = shard_for(key);
    const std::lock_guard lock(s.mutex);
    return s.map.try_emplace(std::move(key), std::forward<Args>(args)...).second;
  }

  /// ttl_map::erase() on the key's shard. @return true if a live entry was removed.
  bool erase(const Key& key) { return erase<Key>(key); }
  /// @copydoc erase(const Key&)
  template <class K>
    requires std::same_as<K, Key> || detail::transparent_pair<Hash, KeyEqual>
  bool erase(const K& key) {
    shard& s = shard_for(key);
    const std::lock_guard lock(s.mutex);
    return s.map.erase(key);
  }

  /// Removes every entry of every shard.
  void clear() {
    for (auto& s : shards_) {
      const std::lock_guard lock(s->mutex);
      s->map.clear();
    }
  }

  /// Removes every expired entry, one shard at a time. @return how many.
  std::size_t purge_expired() {
    std::size_t n = 0;
    for (auto& s : shards_) {
      const std::lock_guard lock(s->mutex);
      n += s->map.purge_expired();
    }
    return n;
  }

  /// Calls `fn(const Key&, const Value&)` for every live entry, one shard at
  /// a time (a shard's lock is held while its entries are visited).
  template <class F>
  void for_each(F&& fn) const {
    for (const auto& s : shards_) {
      const std::lock_guard lock(s->mutex);
      for (const auto& [k, v] : s->map) fn(k, v);
    }
  }

  /// Sum of the shards' sizes (each taken under its lock; the total is not
  /// a single snapshot while other threads write).
  [[nodiscard]] std::size_t size() const {
    std::size_t n = 0;
    for (const auto& s : shards_) {
      const std::lock_guard lock(s->mutex);
      n += s->map.size();
    }
    return n;
  }

  /// Total capacity (shards × per-shard capacity).
  [[nodiscard]] std::size_t capacity() const noexcept { return shards_.size() * shards_.front()->map.capacity(); }
  /// Number of shards.
  [[nodiscard]] std::size_t shard_count() const noexcept { return shards_.size(); }

  /// Sum of the shards' counters.
  [[nodiscard]] ttl_map_stats stats() const {
    ttl_map_stats total;
    for (const auto& s : shards_) {
      const std::lock_guard lock(s->mutex);
      const ttl_map_stats& st = s->map.stats();
      total.hits += st.hits;
      total.misses += st.misses;
      total.evictions += st.evictions;
      total.expirations += st.expirations;
    }
    return total;
  }

 private:
  struct alignas(64) shard {
    shard(std::size_t max_size, duration ttl, const Clock& clock, const Hash& hash, const KeyEqual& equal)
        : map(max_size, ttl, clock, hash, equal) {}
    mutable std::mutex mutex;
    map_type map;
  };

  template <class K>
  [[nodiscard]] std::size_t shard_index(const K& key) const {
    // Uses different hash bits than the shard's own index.
    std::uint64_t x = static_cast<std::uint64_t>(hash_(key));
    x ^= x >> 33U;
    x *= 0xFF51AFD7ED558CCDULL;
    x ^= x >> 33U;
    return static_cast<std::size_t>(x % shards_.size());
  }
  template <class K>
  shard& shard_for(const K& key) {
    return *shards_[shard_index(key)];
  }
  template <class K>
  const shard& shard_for(const K& key) const {
    return *shards_[shard_index(key)];
  }

  [[no_unique_address]] Hash hash_;
  std::vector<std::unique_ptr<shard>> shards_;
};

}  // namespace musicbot::core
