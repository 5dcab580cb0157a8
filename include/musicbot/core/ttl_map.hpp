#pragma once
/// @file
/// `musicbot::core::ttl_map`: a bounded map whose entries expire, with LRU
/// eviction. Use it for every map keyed by something users control.

#include <musicbot/core/clock.hpp>

#include <algorithm>
#include <bit>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace musicbot::core {

/// Why an entry left a ttl_map (the argument of its removal listener).
enum class removal_reason {
  evicted,   ///< the map was full and this was the least recently used entry
  expired,   ///< the entry's time to live had passed
  erased,    ///< removed by erase()
  replaced,  ///< its value was overwritten by insert_or_assign()
  cleared,   ///< removed by clear()
};

/// Counters kept by a ttl_map (monotonic until reset_stats()).
struct ttl_map_stats {
  std::uint64_t hits = 0;         ///< lookups through find() that found a live entry
  std::uint64_t misses = 0;       ///< lookups through find() that found nothing live
  std::uint64_t evictions = 0;    ///< entries removed because the map was full
  std::uint64_t expirations = 0;  ///< entries removed because they had expired
};

/// A transparent hash for string keys: lets a `ttl_map<std::string, V,
/// string_hash, std::equal_to<>>` be searched with a `std::string_view` or a
/// `const char*` without building a `std::string`.
struct string_hash {
  using is_transparent = void;  ///< Enables heterogeneous lookup.
  /// Hashes the characters of `s`.
  [[nodiscard]] std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

namespace detail {

template <class H, class E>
concept transparent_pair = requires {
  typename H::is_transparent;
  typename E::is_transparent;
};

inline constexpr std::uint32_t ttl_npos = std::numeric_limits<std::uint32_t>::max();

// Spreads any std::hash result (identity for integers) over 32 bits.
[[nodiscard]] inline std::uint32_t mix_hash(std::size_t h) noexcept {
  const std::uint64_t x = static_cast<std::uint64_t>(h) * 0x9E3779B97F4A7C15ULL;
  return static_cast<std::uint32_t>(x >> 32U);
}

}  // namespace detail

/// A hash map with a maximum size, a time to live per entry and least
/// recently used eviction.
///
/// - Capacity is fixed at construction; inserting into a full map evicts
///   the least recently used entry (an expired one counts as expired).
/// - Every entry expires `default_ttl` after it was written (or after the
///   per-entry TTL given to the insertion). Expired entries are invisible:
///   lookups remove them lazily, every write inspects a few more slots
///   (at most #purge_slots_per_write) and removes expired ones there, and
///   purge_expired() removes all of them.
/// - find() refreshes the entry's LRU position; peek() and contains() do not.
/// - Storage is flat: one slot vector (grown on demand up to the capacity)
///   linked into an LRU list by 32-bit indices, and an open-addressing index
///   with linear probing. No allocation per entry.
///
/// Entries never move: a pointer returned by find() or an insertion stays
/// valid until that entry leaves the map (erase, eviction, expiry, clear),
/// even across other insertions and moves of the map. Iterators are
/// invalidated by any modification.
///
/// @tparam Key      key type (move-constructible)
/// @tparam Value    mapped type (move-constructible)
/// @tparam Hash     hash function; heterogeneous lookup is enabled when both
///                  `Hash::is_transparent` and `KeyEqual::is_transparent` exist
/// @tparam KeyEqual key equality
/// @tparam Clock    a clock_source (manual_clock in tests). The default,
///                  coarse_steady_clock, makes entries expire up to one
///                  clock tick (1–4 ms) late and never early; it is the
///                  default because a precise clock read per lookup
///                  serializes the CPU pipeline and makes find() several
///                  times slower (see docs/BENCHMARKS.md). Pass
///                  steady_clock for nanosecond expiry.
///
/// @par Thread safety
/// Not thread-safe: one object must not be used from two threads at once
/// (const lookups included, as they read the clock and the index while a
/// writer may be rehashing). Use concurrent_ttl_map for shared access.
template <class Key, class Value, class Hash = std::hash<Key>, class KeyEqual = std::equal_to<Key>,
          clock_source Clock = coarse_steady_clock>
class ttl_map {
  struct slot;

 public:
  using key_type = Key;                             ///< The key type.
  using mapped_type = Value;                        ///< The mapped type.
  using value_type = std::pair<const Key, Value>;   ///< What iteration yields.
  using hasher = Hash;                              ///< The hash function type.
  using key_equal = KeyEqual;                       ///< The key equality type.
  using clock_type = Clock;                         ///< The clock type.
  using duration = typename Clock::duration;        ///< Time to live type.
  using time_point = typename Clock::time_point;    ///< Expiry instant type.
  using size_type = std::size_t;                    ///< Size type.
  /// Called with the key, the value (which may be moved from) and the reason
  /// whenever an entry leaves the map. It must not throw and must not use the
  /// map it is called from.
  using removal_listener = std::function<void(const Key&, Value&, removal_reason)>;

  /// Slots inspected for expired entries by every write (bounded purge work).
  static constexpr std::size_t purge_slots_per_write = 4;
  /// The largest supported capacity (indices are 32-bit).
  static constexpr std::size_t max_capacity = std::size_t{1} << 30U;

  /// Forward iterator over the live (unexpired) entries, in slot order.
  template <bool Const>
  class basic_iterator {
    using map_ptr = std::conditional_t<Const, const ttl_map*, ttl_map*>;

   public:
    using iterator_category = std::forward_iterator_tag;  ///< Forward only.
    using value_type = ttl_map::value_type;               ///< Key/value pair.
    using difference_type = std::ptrdiff_t;               ///< Distance type.
    using reference = std::conditional_t<Const, const value_type&, value_type&>;  ///< Entry reference.
    using pointer = std::conditional_t<Const, const value_type*, value_type*>;     ///< Entry pointer.

    /// A singular iterator.
    basic_iterator() = default;
    /// Converts a mutable iterator into a const one.
    template <bool C = Const, class = std::enable_if_t<C>>
    basic_iterator(const basic_iterator<false>& other)  // NOLINT(google-explicit-constructor)
        : map_(other.map_), index_(other.index_), now_(other.now_) {}

    /// The current entry.
    reference operator*() const { return map_->slots_[index_].kv(); }
    /// The current entry.
    pointer operator->() const { return &map_->slots_[index_].kv(); }
    /// Advances to the next live entry.
    basic_iterator& operator++() {
      ++index_;
      skip();
      return *this;
    }
    /// Advances to the next live entry.
    basic_iterator operator++(int) {
      basic_iterator copy = *this;
      ++*this;
      return copy;
    }
    /// True if both point to the same slot.
    friend bool operator==(const basic_iterator& a, const basic_iterator& b) noexcept {
      return a.index_ == b.index_;
    }

   private:
    friend class ttl_map;
    template <bool>
    friend class basic_iterator;
    basic_iterator(map_ptr map, std::size_t index, time_point now) : map_(map), index_(index), now_(now) {
      skip();
    }
    void skip() {
      while (index_ < map_->used_ && !map_->slots_[index_].live_at(now_)) ++index_;
    }

    map_ptr map_ = nullptr;
    std::size_t index_ = 0;
    time_point now_{};
  };
  using iterator = basic_iterator<false>;       ///< Mutable iterator.
  using const_iterator = basic_iterator<true>;  ///< Const iterator.

  /// Creates an empty map holding at most `max_size` entries, each living
  /// `default_ttl` unless an insertion says otherwise.
  /// @throws std::invalid_argument if `max_size` is 0 or above #max_capacity,
  ///         or `default_ttl` is not positive.
  ttl_map(std::size_t max_size, duration default_ttl, Clock clock = Clock{}, Hash hash = Hash{},
          KeyEqual equal = KeyEqual{})
      : max_size_(max_size), default_ttl_(default_ttl), clock_(std::move(clock)), hash_(std::move(hash)),
        equal_(std::move(equal)) {
    if (max_size == 0 || max_size > max_capacity) {
      throw std::invalid_argument("ttl_map: max_size must be in [1, 2^30]");
    }
    if (default_ttl <= duration::zero()) throw std::invalid_argument("ttl_map: default_ttl must be positive");
    // Storage for every slot is reserved up front but left untouched: the
    // operating system commits pages only as slots are first used.
    slots_ = std::unique_ptr<slot[], slot_deleter>(std::allocator<slot>{}.allocate(max_size), slot_deleter{max_size});
    rebuild_index(16);
  }

  /// Not copyable (it may be large; copy entries explicitly if needed).
  ttl_map(const ttl_map&) = delete;
  /// Not copyable.
  ttl_map& operator=(const ttl_map&) = delete;
  /// Takes over the other map's entries; the other map is left empty but
  /// unusable until assigned to.
  ttl_map(ttl_map&& other) noexcept = default;
  /// Destroys this map's entries (without calling the listener) and takes
  /// over the other's.
  ttl_map& operator=(ttl_map&& other) noexcept {
    if (this != &other) {
      destroy_all();
      move_from(other);
    }
    return *this;
  }
  /// Destroys the entries without calling the listener.
  ~ttl_map() { destroy_all(); }

  /// Sets the function called when an entry leaves the map (empty to unset).
  void set_removal_listener(removal_listener listener) { listener_ = std::move(listener); }

  // ---- lookup -------------------------------------------------------------
  // Every lookup takes a `const Key&`, or, when Hash and KeyEqual are both
  // transparent, any type they accept (e.g. std::string_view).

  /// The value for `key` if it is live, else nullptr. Refreshes the entry's
  /// LRU position; removes it (reason expired) if it has expired. Counts a
  /// hit or a miss.
  [[nodiscard]] Value* find(const Key& key) { return find_impl(key, clock_.now(), nullptr); }
  /// @copydoc find(const Key&)
  template <class K>
    requires detail::transparent_pair<Hash, KeyEqual>
  [[nodiscard]] Value* find(const K& key) {
    return find_impl(key, clock_.now(), nullptr);
  }

  /// Like find(), and on a hit also restarts the entry's time to live:
  /// it now expires `ttl` from now.
  /// @throws std::invalid_argument if `ttl` is not positive.
  [[nodiscard]] Value* find_and_refresh(const Key& key, duration ttl) {
    return find_and_refresh(key, ttl, clock_.now());
  }
  /// @copydoc find_and_refresh(const Key&, duration)
  template <class K>
    requires detail::transparent_pair<Hash, KeyEqual>
  [[nodiscard]] Value* find_and_refresh(const K& key, duration ttl) {
    return find_and_refresh(key, ttl, clock_.now());
  }

  /// find_and_refresh() at the instant `now`, which the caller has just read
  /// from clock() (saves a second clock read when the caller needs the time
  /// too, as a rate limiter does).
  /// @throws std::invalid_argument if `ttl` is not positive.
  [[nodiscard]] Value* find_and_refresh(const Key& key, duration ttl, time_point now) {
    check_ttl(ttl);
    return find_impl(key, now, &ttl);
  }
  /// @copydoc find_and_refresh(const Key&, duration, time_point)
  template <class K>
    requires detail::transparent_pair<Hash, KeyEqual>
  [[nodiscard]] Value* find_and_refresh(const K& key, duration ttl, time_point now) {
    check_ttl(ttl);
    return find_impl(key, now, &ttl);
  }

  /// The value for `key` if it is live, else nullptr. Does not touch the LRU
  /// order, the stats, or expired entries.
  [[nodiscard]] const Value* peek(const Key& key) const { return peek_impl(key); }
  /// @copydoc peek(const Key&) const
  template <class K>
    requires detail::transparent_pair<Hash, KeyEqual>
  [[nodiscard]] const Value* peek(const K& key) const {
    return peek_impl(key);
  }

  /// True if `key` has a live entry. Does not touch LRU order or stats.
  [[nodiscard]] bool contains(const Key& key) const { return peek_impl(key) != nullptr; }
  /// @copydoc contains(const Key&) const
  template <class K>
    requires detail::transparent_pair<Hash, KeyEqual>
  [[nodiscard]] bool contains(const K& key) const {
    return peek_impl(key) != nullptr;
  }

  /// Time left before the entry for `key` expires, or nullopt if there is no
  /// live entry.
  [[nodiscard]] std::optional<duration> ttl_of(const Key& key) const { return ttl_of_impl(key); }
  /// @copydoc ttl_of(const Key&) const
  template <class K>
    requires detail::transparent_pair<Hash, KeyEqual>
  [[nodiscard]] std::optional<duration> ttl_of(const K& key) const {
    return ttl_of_impl(key);
  }

  // ---- modifiers ----------------------------------------------------------

  /// Inserts `key` → `value`, or overwrites the value of an existing entry
  /// (the listener sees the old value with reason replaced). Either way the
  /// entry expires `default_ttl` from now and becomes most recently used.
  /// @return the stored value and true if a new entry was inserted.
  template <class M>
  std::pair<Value*, bool> insert_or_assign(const Key& key, M&& value) {
    return assign_impl(key, std::forward<M>(value), default_ttl_);
  }
  /// @copydoc insert_or_assign(const Key&, M&&)
  template <class M>
  std::pair<Value*, bool> insert_or_assign(Key&& key, M&& value) {
    return assign_impl(std::move(key), std::forward<M>(value), default_ttl_);
  }
  /// insert_or_assign() with a time to live of `ttl` for this entry.
  /// @throws std::invalid_argument if `ttl` is not positive.
  template <class M>
  std::pair<Value*, bool> insert_or_assign(const Key& key, M&& value, duration ttl) {
    return assign_impl(key, std::forward<M>(value), ttl);
  }
  /// @copydoc insert_or_assign(const Key&, M&&, duration)
  template <class M>
  std::pair<Value*, bool> insert_or_assign(Key&& key, M&& value, duration ttl) {
    return assign_impl(std::move(key), std::forward<M>(value), ttl);
  }

  /// Inserts `key` with a value built from `args` if `key` has no live
  /// entry; otherwise leaves the existing entry as it is (it becomes most
  /// recently used). A new entry lives `default_ttl`.
  /// @return the value for `key` and true if it was inserted.
  template <class... Args>
  std::pair<Value*, bool> try_emplace(const Key& key, Args&&... args) {
    return emplace_impl(default_ttl_, key, std::forward<Args>(args)...);
  }
  /// try_emplace() with a key that can be moved into the map.
  template <class... Args>
  std::pair<Value*, bool> try_emplace(Key&& key, Args&&... args) {
    return emplace_impl(default_ttl_, std::move(key), std::forward<Args>(args)...);
  }
  /// try_emplace() with a time to live of `ttl` for a new entry.
  /// @throws std::invalid_argument if `ttl` is not positive.
  template <class... Args>
  std::pair<Value*, bool> try_emplace_for(duration ttl, const Key& key, Args&&... args) {
    return emplace_impl(ttl, key, std::forward<Args>(args)...);
  }
  /// try_emplace_for() with a key that can be moved into the map.
  template <class... Args>
  std::pair<Value*, bool> try_emplace_for(duration ttl, Key&& key, Args&&... args) {
    return emplace_impl(ttl, std::move(key), std::forward<Args>(args)...);
  }

  /// Removes the entry for `key` (reason erased, or expired if it had
  /// already expired). @return true if a live entry was removed.
  bool erase(const Key& key) { return erase_impl(key); }
  /// @copydoc erase(const Key&)
  template <class K>
    requires detail::transparent_pair<Hash, KeyEqual>
  bool erase(const K& key) {
    return erase_impl(key);
  }

  /// Removes every entry (reason cleared). Keeps the allocated storage.
  void clear() {
    for (std::uint32_t i = head_; i != detail::ttl_npos;) {
      const std::uint32_t next = slots_[i].next;
      remove_slot(i, removal_reason::cleared);
      i = next;
    }
  }

  /// Removes every expired entry (reason expired). O(size()).
  /// @return the number of entries removed.
  std::size_t purge_expired() {
    const time_point now = clock_.now();
    std::size_t removed = 0;
    for (std::uint32_t i = head_; i != detail::ttl_npos;) {
      const std::uint32_t next = slots_[i].next;
      if (slots_[i].expires <= now) {
        remove_slot(i, removal_reason::expired);
        ++removed;
      }
      i = next;
    }
    return removed;
  }

  // ---- capacity, stats, iteration -------------------------------------------

  /// Number of stored entries, including expired ones not removed yet
  /// (call purge_expired() first for an exact count of live entries).
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// True if no entry is stored.
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  /// The maximum number of entries.
  [[nodiscard]] std::size_t capacity() const noexcept { return max_size_; }
  /// The time to live of entries inserted without an explicit one.
  [[nodiscard]] duration default_ttl() const noexcept { return default_ttl_; }
  /// The counters since construction or the last reset_stats().
  [[nodiscard]] const ttl_map_stats& stats() const noexcept { return stats_; }
  /// Sets every counter to zero.
  void reset_stats() noexcept { stats_ = {}; }
  /// The clock this map reads.
  [[nodiscard]] const Clock& clock() const noexcept { return clock_; }

  /// First live entry (as of now); iteration does not touch the LRU order.
  [[nodiscard]] iterator begin() { return iterator(this, 0, clock_.now()); }
  /// Past-the-end iterator.
  [[nodiscard]] iterator end() { return iterator(this, used_, time_point{}); }
  /// First live entry (as of now).
  [[nodiscard]] const_iterator begin() const { return const_iterator(this, 0, clock_.now()); }
  /// Past-the-end iterator.
  [[nodiscard]] const_iterator end() const { return const_iterator(this, used_, time_point{}); }

 private:
  static constexpr std::uint32_t free_mark = detail::ttl_npos - 1;  // prev of a free slot

  struct slot_base {
    alignas(value_type) std::byte storage[sizeof(value_type)];
    time_point expires;
    std::uint32_t prev;  // free_mark when the slot holds no entry
    std::uint32_t next;

    [[nodiscard]] value_type& kv() noexcept { return *std::launder(reinterpret_cast<value_type*>(storage)); }
    [[nodiscard]] const value_type& kv() const noexcept {
      return *std::launder(reinterpret_cast<const value_type*>(storage));
    }
    [[nodiscard]] bool live() const noexcept { return prev != free_mark; }
    [[nodiscard]] bool live_at(time_point now) const noexcept { return live() && expires > now; }
  };
  // A slot whose size is a power of two up to a cache line (32 bytes for
  // 8-byte keys and values) is aligned to its size so it never straddles
  // two cache lines.
  static constexpr std::size_t slot_align =
      (std::has_single_bit(sizeof(slot_base)) && sizeof(slot_base) <= 64) ? sizeof(slot_base) : alignof(slot_base);
  struct alignas(slot_align) slot : slot_base {};
  struct bucket {
    std::uint32_t slot = detail::ttl_npos;
    std::uint32_t hash = 0;
  };
  struct slot_deleter {
    std::size_t count;
    void operator()(slot* p) const noexcept { std::allocator<slot>{}.deallocate(p, count); }
  };

  // ---- implementations of the lookups and insertions -----------------------

  template <class K>
  Value* find_impl(const K& key, time_point now, const duration* refresh) {
    const std::uint32_t idx = locate(key, detail::mix_hash(hash_(key)));
    if (idx == detail::ttl_npos) {
      ++stats_.misses;
      return nullptr;
    }
    slot& s = slots_[idx];
    if (s.expires <= now) {
      ++stats_.misses;
      remove_slot(idx, removal_reason::expired);
      return nullptr;
    }
    ++stats_.hits;
    if (refresh != nullptr) s.expires = expiry(now, *refresh);
    move_to_front(idx);
    return &s.kv().second;
  }

  template <class K>
  const Value* peek_impl(const K& key) const {
    const std::uint32_t idx = locate(key, detail::mix_hash(hash_(key)));
    if (idx == detail::ttl_npos || slots_[idx].expires <= clock_.now()) return nullptr;
    return &slots_[idx].kv().second;
  }

  template <class K>
  std::optional<duration> ttl_of_impl(const K& key) const {
    const std::uint32_t idx = locate(key, detail::mix_hash(hash_(key)));
    if (idx == detail::ttl_npos) return std::nullopt;
    const time_point now = clock_.now();
    if (slots_[idx].expires <= now) return std::nullopt;
    return slots_[idx].expires - now;
  }

  template <class K>
  bool erase_impl(const K& key) {
    const std::uint32_t idx = locate(key, detail::mix_hash(hash_(key)));
    if (idx == detail::ttl_npos) return false;
    const bool live = slots_[idx].expires > clock_.now();
    remove_slot(idx, live ? removal_reason::erased : removal_reason::expired);
    return live;
  }

  template <class K, class M>
  std::pair<Value*, bool> assign_impl(K&& key, M&& value, duration ttl) {
    check_ttl(ttl);
    const time_point now = clock_.now();
    purge_step(now);
    const std::uint32_t h = detail::mix_hash(hash_(key));
    std::uint32_t idx = locate(key, h);
    if (idx != detail::ttl_npos) {
      slot& s = slots_[idx];
      if (s.expires <= now) {
        remove_slot(idx, removal_reason::expired);
      } else {
        if (listener_) listener_(s.kv().first, s.kv().second, removal_reason::replaced);
        s.kv().second = std::forward<M>(value);
        s.expires = expiry(now, ttl);
        move_to_front(idx);
        return {&s.kv().second, false};
      }
    }
    idx = emplace_new(h, now, expiry(now, ttl), std::forward<K>(key), std::forward<M>(value));
    return {&slots_[idx].kv().second, true};
  }

  template <class K, class... Args>
  std::pair<Value*, bool> emplace_impl(duration ttl, K&& key, Args&&... args) {
    check_ttl(ttl);
    const time_point now = clock_.now();
    purge_step(now);
    const std::uint32_t h = detail::mix_hash(hash_(key));
    std::uint32_t idx = locate(key, h);
    if (idx != detail::ttl_npos) {
      if (slots_[idx].expires > now) {
        move_to_front(idx);
        return {&slots_[idx].kv().second, false};
      }
      remove_slot(idx, removal_reason::expired);
    }
    idx = emplace_new(h, now, expiry(now, ttl), std::forward<K>(key), std::forward<Args>(args)...);
    return {&slots_[idx].kv().second, true};
  }

  static void check_ttl(duration ttl) {
    if (ttl <= duration::zero()) throw std::invalid_argument("ttl_map: ttl must be positive");
  }
  static time_point expiry(time_point now, duration ttl) noexcept {
    if (now > time_point::max() - ttl) return time_point::max();
    return now + ttl;
  }

  [[nodiscard]] std::size_t home(std::uint32_t h) const noexcept { return static_cast<std::size_t>(h) >> shift_; }

  template <class K>
  [[nodiscard]] std::uint32_t locate(const K& key, std::uint32_t h) const {
    std::size_t i = home(h);
    for (;;) {
      const bucket& b = index_[i];
      if (b.slot == detail::ttl_npos) return detail::ttl_npos;
      if (b.hash == h && equal_(slots_[b.slot].kv().first, key)) return b.slot;
      i = (i + 1) & mask_;
    }
  }

  void rebuild_index(std::size_t buckets) {
    std::vector<bucket> old(buckets, bucket{});
    old.swap(index_);
    mask_ = buckets - 1;
    shift_ = 32U - static_cast<unsigned>(std::countr_zero(buckets));
    for (const bucket& b : old) {
      if (b.slot != detail::ttl_npos) index_insert(b.slot, b.hash);
    }
  }

  void index_insert(std::uint32_t slot_index, std::uint32_t h) noexcept {
    std::size_t i = home(h);
    while (index_[i].slot != detail::ttl_npos) i = (i + 1) & mask_;
    index_[i] = bucket{slot_index, h};
  }

  // Backward-shift deletion keeps probe sequences intact without tombstones.
  void index_erase(std::uint32_t slot_index, std::uint32_t h) noexcept {
    std::size_t i = home(h);
    while (index_[i].slot != slot_index) i = (i + 1) & mask_;
    std::size_t j = i;
    for (;;) {
      j = (j + 1) & mask_;
      if (index_[j].slot == detail::ttl_npos) break;
      const std::size_t k = home(index_[j].hash);
      // Move j into the hole at i unless its home lies cyclically in (i, j].
      const bool stays = (i <= j) ? (i < k && k <= j) : (i < k || k <= j);
      if (!stays) {
        index_[i] = index_[j];
        i = j;
      }
    }
    index_[i] = bucket{};
  }

  void unlink(std::uint32_t idx) noexcept {
    slot& s = slots_[idx];
    if (s.prev != detail::ttl_npos) slots_[s.prev].next = s.next; else head_ = s.next;
    if (s.next != detail::ttl_npos) slots_[s.next].prev = s.prev; else tail_ = s.prev;
  }
  void link_front(std::uint32_t idx) noexcept {
    slot& s = slots_[idx];
    s.prev = detail::ttl_npos;
    s.next = head_;
    if (head_ != detail::ttl_npos) slots_[head_].prev = idx; else tail_ = idx;
    head_ = idx;
  }
  void move_to_front(std::uint32_t idx) noexcept {
    if (idx == head_) return;
    unlink(idx);
    link_front(idx);
  }

  void remove_slot(std::uint32_t idx, removal_reason reason) {
    slot& s = slots_[idx];
    if (reason == removal_reason::expired) ++stats_.expirations;
    if (reason == removal_reason::evicted) ++stats_.evictions;
    if (listener_) listener_(s.kv().first, s.kv().second, reason);
    index_erase(idx, detail::mix_hash(hash_(s.kv().first)));
    unlink(idx);
    std::destroy_at(&s.kv());
    s.prev = free_mark;
    s.next = free_;
    free_ = idx;
    --size_;
  }

  void destroy_all() noexcept {
    if (!slots_) return;
    for (std::uint32_t i = head_; i != detail::ttl_npos; i = slots_[i].next) std::destroy_at(&slots_[i].kv());
    head_ = tail_ = detail::ttl_npos;
  }
  void move_from(ttl_map& o) noexcept {
    slots_ = std::move(o.slots_);
    used_ = std::exchange(o.used_, 0);
    index_ = std::move(o.index_);
    mask_ = o.mask_;
    shift_ = o.shift_;
    size_ = std::exchange(o.size_, 0);
    max_size_ = o.max_size_;
    purge_cursor_ = std::exchange(o.purge_cursor_, 0);
    head_ = std::exchange(o.head_, detail::ttl_npos);
    tail_ = std::exchange(o.tail_, detail::ttl_npos);
    free_ = std::exchange(o.free_, detail::ttl_npos);
    default_ttl_ = o.default_ttl_;
    clock_ = std::move(o.clock_);
    hash_ = std::move(o.hash_);
    equal_ = std::move(o.equal_);
    listener_ = std::move(o.listener_);
    stats_ = o.stats_;
  }

  // Bounded amortized purge: look at a few slots after a rotating cursor.
  void purge_step(time_point now) {
    const std::size_t n = used_;
    if (n == 0) return;
    for (std::size_t k = 0; k < purge_slots_per_write && k < n; ++k) {
      if (purge_cursor_ >= n) purge_cursor_ = 0;
      const auto i = static_cast<std::uint32_t>(purge_cursor_++);
      if (slots_[i].live() && slots_[i].expires <= now) remove_slot(i, removal_reason::expired);
    }
  }

  template <class K, class... Args>
  std::uint32_t emplace_new(std::uint32_t h, time_point now, time_point expires, K&& key, Args&&... args) {
    if (size_ == max_size_) {
      remove_slot(tail_, slots_[tail_].expires <= now ? removal_reason::expired : removal_reason::evicted);
    }
    std::uint32_t idx = free_;
    const bool reused = idx != detail::ttl_npos;
    if (!reused) {
      idx = static_cast<std::uint32_t>(used_);
      ::new (static_cast<void*>(&slots_[idx])) slot;  // starts the slot's lifetime (no initialization)
    }
    slot& s = slots_[idx];
    // Constructing the entry is the only step that can throw; nothing has
    // changed yet if it does.
    std::construct_at(reinterpret_cast<value_type*>(s.storage), std::piecewise_construct,
                      std::forward_as_tuple(std::forward<K>(key)), std::forward_as_tuple(std::forward<Args>(args)...));
    if (reused) {
      free_ = s.next;
    } else {
      ++used_;
    }
    s.expires = expires;
    ++size_;
    link_front(idx);
    // Keep the index at most half full.
    if (size_ * 2 > index_.size()) rebuild_index(index_.size() * 2);
    index_insert(idx, h);
    return idx;
  }

  std::unique_ptr<slot[], slot_deleter> slots_;
  std::size_t used_ = 0;  // slots ever used (high-water mark)
  std::vector<bucket> index_;
  std::size_t mask_ = 0;
  unsigned shift_ = 0;
  std::size_t size_ = 0;
  std::size_t max_size_;
  std::size_t purge_cursor_ = 0;
  std::uint32_t head_ = detail::ttl_npos;
  std::uint32_t tail_ = detail::ttl_npos;
  std::uint32_t free_ = detail::ttl_npos;
  duration default_ttl_;
  Clock clock_;
  [[no_unique_address]] Hash hash_;
  [[no_unique_address]] KeyEqual equal_;
  removal_listener listener_;
  ttl_map_stats stats_;
};

}  // namespace musicbot::core
