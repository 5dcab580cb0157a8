#pragma once
/// @file
/// L1 eviction policies: plain LRU and an adaptive W-TinyLFU.
///
/// A policy tracks keys only. It hands out a *slot* (a small integer below
/// `capacity() + 1`) for every resident key so the owner can keep values in a
/// flat array indexed by slot, with one hash lookup per access.

#include <musicbot/cache/detail/frequency_sketch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <bit>
#include <utility>
#include <vector>

namespace musicbot::cache {

namespace detail {
// Shadow caches key on already-mixed 64-bit hashes.
struct identity_hash {
  std::size_t operator()(std::uint64_t h) const noexcept { return static_cast<std::size_t>(h); }
};
}  // namespace detail

/// The empty payload of a slot_policy that tracks keys only.
struct no_payload {};

/// Which eviction policy an L1 uses.
enum class eviction_policy {
  lru,      ///< Least recently used: evicts the entry read longest ago.
  tinylfu,  ///< Adaptive W-TinyLFU: recency window + frequency-filtered main region.
};

/// Tuning of the W-TinyLFU policy. The defaults are the single
/// configuration used for every workload; the window adapts at run time.
struct policy_options {
  /// Initial share of the capacity given to the admission window (0..1).
  double initial_window = 0.01;
  /// Share of the main region reserved for entries read at least twice.
  double protected_share = 0.80;
  /// Frequency sketch: counters are halved every `sample_factor × capacity` increments.
  std::size_t sample_factor = 10;
  /// Put a doorkeeper bit set in front of the sketch.
  bool doorkeeper = true;
  /// Let the window/main split adapt to the workload (see slot_policy).
  bool adaptive = true;
  /// Entries of each shadow cache used to pick the window size; the key
  /// space is sampled at `shadow_entries / capacity` (all keys for small caches).
  std::size_t shadow_entries = 256;
  /// Sampled accesses per adaptation epoch, as a multiple of `shadow_entries`.
  double epoch_factor = 2.0;
  /// Weight kept by the shadow caches' past hit counts at each epoch (0..1):
  /// lower adapts faster, higher is steadier.
  double score_decay = 0.97;
};

/// Tracks which keys are resident in a bounded cache and which one to evict.
///
/// In `eviction_policy::lru` mode every key lives in one recency list. In
/// `eviction_policy::tinylfu` mode a new key enters a small LRU *window*;
/// when the window overflows its oldest key becomes a candidate for the
/// *main* region (a segmented LRU: probation + protected) and is admitted
/// only if a count-min sketch estimates it to be more popular than the
/// main region's victim. The window's share of the capacity adapts to the
/// workload (the idea of Einziger et al., "Adaptive Software Cache
/// Management", 2018, here by mini-simulation): small shadow caches with
/// fixed splits replay a hash-sampled slice of the keys, and the real
/// window follows the best of them, so recency-heavy stretches grow the
/// window and frequency-heavy ones shrink it.
///
/// @tparam Key     key type (copyable).
/// @tparam Payload data stored next to each key (default: none); the owner
///                 reaches it with payload(slot), in the same cache line as
///                 the key, so a hit touches as little memory as possible.
/// @tparam Hash    hash function object.
/// @tparam KeyEq   equality function object.
///
/// @par Thread safety
/// None: one thread (or strand) at a time.
template <class Key, class Payload = no_payload, class Hash = std::hash<Key>,
          class KeyEq = std::equal_to<Key>>
class slot_policy {
 public:
  /// Slot index type.
  using slot_type = std::uint32_t;
  /// "No slot": returned by find() on a miss.
  static constexpr slot_type npos = ~slot_type{0};

  /// A policy for `capacity` keys (at least 1).
  /// @throws std::invalid_argument if `capacity` is 0 or too large.
  explicit slot_policy(std::size_t capacity, eviction_policy kind = eviction_policy::tinylfu,
                       policy_options options = {})
      : slot_policy(capacity, kind, options, kind == eviction_policy::tinylfu ? capacity : std::size_t{1}) {
    if (kind_ == eviction_policy::tinylfu && options_.adaptive) make_shadows();
  }

  /// Not copyable.
  slot_policy(const slot_policy&) = delete;
  /// Not copyable.
  slot_policy& operator=(const slot_policy&) = delete;


  /// Movable (the slots and their payloads move with it).
  slot_policy(slot_policy&&) noexcept = default;
  /// Movable.
  slot_policy& operator=(slot_policy&&) noexcept = default;

  /// The policy kind.
  [[nodiscard]] eviction_policy kind() const noexcept { return kind_; }
  /// Maximum number of resident keys.
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  /// Number of resident keys.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// Current maximum size of the admission window, in entries.
  [[nodiscard]] std::size_t window_capacity() const noexcept { return window_max_; }

  /// Records an access of `key`: on a hit the key's recency is refreshed and
  /// its slot returned; on a miss returns `npos` (the caller then loads the
  /// value and calls insert()). Both feed the hit-ratio sampler; misses and
  /// hits outside the protected segment also feed the frequency sketch.
  MUSICBOT_CACHE_HOT slot_type find(const Key& key) {
    const std::uint64_t h = hash_of(key);
    const slot_type slot = lookup(key, h);
    if (kind_ == eviction_policy::tinylfu) {
      // A hit in the protected segment is not counted (see record()).
      if (slot == npos || links_[slot].where != protect) record(slot, h);
      // sample_threshold_ is 0 without shadows. A hit only queues its
      // sample; a miss replays the queue (see shadow_miss()).
      const bool sampled = (h >> 32U) < sample_threshold_;
      if (slot == npos) {
        if (sampled || pending_count_ != 0) shadow_miss(h, sampled);
      } else if (sampled && pending_count_ <= pending_mask_) [[unlikely]] {
        pending_[(pending_head_ + pending_count_++) & pending_mask_] = h;
      }
    }
    if (slot != npos) on_hit(slot);
    return slot;
  }

  /// The slot of `key` without recording an access, or `npos`.
  [[nodiscard]] slot_type peek(const Key& key) const { return lookup(key, hash_of(key)); }

  /// The key resident in `slot` (which must be in use).
  [[nodiscard]] const Key& key_at(slot_type slot) const noexcept { return nodes_[slot].key; }
  /// The payload of `slot`; reset to `Payload{}` when its key is evicted or erased.
  [[nodiscard]] Payload& payload(slot_type slot) noexcept { return nodes_[slot].payload; }
  /// @copydoc payload(slot_type)
  [[nodiscard]] const Payload& payload(slot_type slot) const noexcept { return nodes_[slot].payload; }

  /// Makes `key` (not resident) resident and returns its slot. If the
  /// policy is over capacity afterwards it evicts one key — possibly one
  /// that was just rejected by admission — and calls `on_evict(slot)` before
  /// that slot is reused. The returned slot stays valid until the key is
  /// evicted or erased.
  template <class OnEvict>
  slot_type insert(const Key& key, OnEvict&& on_evict) {
    return insert_hashed(key, hash_of(key), on_evict);
  }

  /// Removes `key` if resident; returns its former slot or `npos`.
  slot_type erase(const Key& key) {
    const slot_type slot = lookup(key, hash_of(key));
    if (slot == npos) return npos;
    remove(slot);
    return slot;
  }

  /// Removes every key and resets every payload (the frequency sketch keeps its history).
  void clear() {
    for (slot_type r = 0; r < regions; ++r) {
      while (!empty(r)) remove(front(r));
    }
  }

 private:
  template <class, class, class, class>
  friend class slot_policy;

  // insert() with the key's hash already computed.
  template <class OnEvict>
  slot_type insert_hashed(const Key& key, std::uint64_t h, OnEvict& on_evict) {
    const slot_type slot = free_.back();
    free_.pop_back();
    nodes_[slot].key = key;
    links_[slot].saturated = detail::frequency_sketch::no_epoch;
    index_insert(slot, h);
    push_back(slot, window);
    if (kind_ == eviction_policy::lru) {
      if (size_ > capacity_) evict(front(window), on_evict);
      return slot;
    }
    if (count_[window] > window_max_) {
      const slot_type candidate = front(window);
      move_to(candidate, probation);
      if (size_ > capacity_) evict_from_main(candidate, on_evict);
    } else if (size_ > capacity_) {
      evict_from_main(npos, on_evict);
    }
    return slot;
  }

  // A shadow: a static W-TinyLFU over sampled keys whose frequency sketch is
  // shared with the other shadows and incremented by the owner.
  slot_policy(std::size_t capacity, eviction_policy kind, policy_options options,
              const detail::frequency_sketch* shared_sketch)
      : slot_policy(capacity, kind, options, 1) {
    shared_sketch_ = shared_sketch;
  }

  // One access of a shadow cache (`h` is hash_of(key)): refreshes or
  // inserts the key. True on a hit.
  MUSICBOT_CACHE_HOT bool shadow_step(const Key& key, std::uint64_t h) {
    const slot_type slot = lookup(key, h);
    if (slot != npos) {
      on_hit(slot);
      return true;
    }
    auto ignore = [](slot_type) {};
    insert_hashed(key, h, ignore);
    return false;
  }
  // Builds the structure; `sketch_capacity` sizes the own sketch.
  slot_policy(std::size_t capacity, eviction_policy kind, policy_options options, std::size_t sketch_capacity)
      : kind_(kind), options_(options), capacity_(capacity), sketch_(sketch_capacity, options.sample_factor, options.doorkeeper) {
    init();
  }

  enum region : slot_type { window = 0, probation = 1, protect = 2, regions = 3 };

  void init() {
    if (capacity_ == 0 || capacity_ >= std::size_t{npos} - 8) {
      throw std::invalid_argument("slot_policy: capacity must be in [1, 2^32 - 9]");
    }
    nodes_.resize(capacity_ + 1);
    links_.resize(capacity_ + 1 + regions);
    for (slot_type r = 0; r < regions; ++r) {
      const slot_type s = sentinel(r);
      links_[s].prev = links_[s].next = s;
    }
    free_.reserve(capacity_ + 1);
    for (std::size_t i = capacity_ + 1; i-- > 0;) free_.push_back(static_cast<slot_type>(i));
    // Load factor at most 3/4 (linear probing stays short; the table stays small).
    index_.assign(std::bit_ceil((capacity_ + 1) * 4 / 3 + 1), index_cell{});
    index_mask_ = index_.size() - 1;
    if (kind_ == eviction_policy::lru) {
      window_target_ = static_cast<double>(capacity_);
    } else {
      window_target_ = std::clamp(options_.initial_window, 0.0, 1.0) * static_cast<double>(capacity_);
      window_target_ = std::max(window_target_, 1.0);
    }
    apply_window_target();
  }

  // A slot's key and payload: what a lookup and a hit read.
  struct plain_node {
    Key key{};
    [[no_unique_address]] Payload payload{};
  };
  // A node of 16, 32 or 64 bytes is aligned to its size, so none straddles
  // two cache lines (a hit then reads one line for it).
  static constexpr std::size_t node_align =
      std::has_single_bit(sizeof(plain_node)) && sizeof(plain_node) >= 16 && sizeof(plain_node) <= 64
          ? sizeof(plain_node)
          : alignof(plain_node);
  struct alignas(node_align) node : plain_node {};
  // A slot's place in its region's recency list, in an array of its own:
  // moving an entry writes its two neighbours' links, and in this small
  // dense array (16 bytes a slot, 4 per cache line) they are far more
  // often in cache than in the key/payload nodes. The regions' sentinels
  // live at the end (slots capacity + 1 ... capacity + 3).
  struct link {
    slot_type prev = 0;
    slot_type next = 0;
    slot_type where = window;
    std::uint32_t saturated = detail::frequency_sketch::no_epoch;  // sketch epoch in which the key saturated
  };

  [[nodiscard]] slot_type sentinel(slot_type r) const noexcept {
    return static_cast<slot_type>(capacity_ + 1 + r);
  }
  [[nodiscard]] slot_type front(slot_type r) const noexcept { return links_[sentinel(r)].next; }
  [[nodiscard]] bool empty(slot_type r) const noexcept { return count_[r] == 0; }

  MUSICBOT_CACHE_HOT void unlink(slot_type s) noexcept {
    link& n = links_[s];
    links_[n.prev].next = n.next;
    links_[n.next].prev = n.prev;
    --count_[n.where];
  }
  MUSICBOT_CACHE_HOT void push_back(slot_type s, slot_type r) noexcept {
    const slot_type head = sentinel(r);
    link& n = links_[s];
    n.where = r;
    n.prev = links_[head].prev;
    n.next = head;
    links_[n.prev].next = s;
    links_[head].prev = s;
    ++count_[r];
  }
  void push_front(slot_type s, slot_type r) noexcept {
    const slot_type head = sentinel(r);
    link& n = links_[s];
    n.where = r;
    n.next = links_[head].next;
    n.prev = head;
    links_[n.next].prev = s;
    links_[head].next = s;
    ++count_[r];
  }
  // Makes `s`, which is in region `r`, its most recent entry.
  MUSICBOT_CACHE_HOT void to_back(slot_type s, slot_type r) noexcept {
    const slot_type head = sentinel(r);
    const slot_type last = links_[head].prev;
    if (last == s) return;
    link& n = links_[s];
    links_[n.prev].next = n.next;
    links_[n.next].prev = n.prev;
    n.prev = last;
    n.next = head;
    links_[last].next = s;
    links_[head].prev = s;
  }
  MUSICBOT_CACHE_HOT void move_to(slot_type s, slot_type r) noexcept {
    unlink(s);
    push_back(s, r);
  }

  MUSICBOT_CACHE_HOT [[nodiscard]] std::uint64_t hash_of(const Key& key) const {
    return detail::mix64(static_cast<std::uint64_t>(Hash{}(key)));
  }

  // Counts an access in the sketch. find() does not call it for hits in the
  // protected segment: a protected key already passed admission and was hit
  // again in probation, and while it stays protected its estimate decides
  // nothing. Counting those hits made the hottest keys dominate the sketch
  // (more collisions with candidates, and they drove the aging clock, which
  // erased the history of the keys still competing for admission); leaving
  // them out raised the hit ratio on every trace we replay (docs/BENCHMARKS.md)
  // and takes the sketch off the most common hit path.
  //
  // A resident key whose counters were saturated in the current sketch
  // epoch skips the sketch: the increment would change nothing (exact, not
  // sampled), and the hottest window and probation keys then touch only
  // their own entry.
  MUSICBOT_CACHE_HOT void record(slot_type slot, std::uint64_t h) {
    if (slot != npos && links_[slot].saturated == sketch_.epoch()) return;
    const bool full = sketch_.increment(h, slot != npos);
    if (slot != npos) links_[slot].saturated = full ? sketch_.epoch() : detail::frequency_sketch::no_epoch;
  }

  MUSICBOT_CACHE_HOT void on_hit(slot_type s) {
    const slot_type r = links_[s].where;
    if (r == probation && kind_ == eviction_policy::tinylfu) {
      move_to(s, protect);
      demote_protected();
    } else {
      to_back(s, r);
    }
  }

  void demote_protected() {
    while (count_[protect] > protected_max_) move_to(front(protect), probation);
  }

  template <class OnEvict>
  void evict(slot_type s, OnEvict& on_evict) {
    on_evict(s);
    remove(s);
  }

  void remove(slot_type s) {
    index_erase(s);
    unlink(s);
    nodes_[s].payload = Payload{};
    free_.push_back(s);
  }

  // ---- flat index: open addressing with linear probing -------------------
  // Cells hold a slot and 32 bits of the key's hash (which also pick the home
  // cell), so a probe compares keys only when the hash bits match. The table
  // has at least 4/3 as many cells as slots and never grows. Deletion
  // shifts the following cluster back, so no tombstones accumulate.
  struct index_cell {
    slot_type slot = npos;
    std::uint32_t hash = 0;
  };

  MUSICBOT_CACHE_HOT [[nodiscard]] slot_type lookup(const Key& key, std::uint64_t h) const {
    const auto tag = static_cast<std::uint32_t>(h);
    for (std::size_t i = tag & index_mask_;; i = (i + 1) & index_mask_) {
      const index_cell& c = index_[i];
      if (c.slot == npos) return npos;
      if (c.hash == tag && KeyEq{}(nodes_[c.slot].key, key)) return c.slot;
    }
  }

  void index_insert(slot_type slot, std::uint64_t h) {
    const auto tag = static_cast<std::uint32_t>(h);
    std::size_t i = tag & index_mask_;
    while (index_[i].slot != npos) i = (i + 1) & index_mask_;
    index_[i] = index_cell{slot, tag};
    ++size_;
  }

  void index_erase(slot_type slot) {
    const auto tag = static_cast<std::uint32_t>(hash_of(nodes_[slot].key));
    std::size_t i = tag & index_mask_;
    while (index_[i].slot != slot) i = (i + 1) & index_mask_;
    for (std::size_t j = i;;) {
      j = (j + 1) & index_mask_;
      if (index_[j].slot == npos) break;
      const std::size_t home = index_[j].hash & index_mask_;
      // Move j back to the hole at i unless its home lies cyclically in (i, j].
      const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (!stays) {
        index_[i] = index_[j];
        i = j;
      }
    }
    index_[i] = index_cell{};
    --size_;
  }

  // Over capacity: evict either the candidate (just moved from the window to
  // probation's MRU end) or the main region's victim, whichever the sketch
  // says is less popular. With no candidate, evict the victim.
  template <class OnEvict>
  void evict_from_main(slot_type candidate, OnEvict& on_evict) {
    slot_type victim = npos;
    if (!empty(probation) && front(probation) != candidate) {
      victim = front(probation);
    } else if (!empty(protect)) {
      victim = front(protect);
    } else if (candidate == npos) {
      victim = front(window);
    }
    if (victim == npos) {
      evict(candidate, on_evict);
      return;
    }
    if (candidate == npos) {
      evict(victim, on_evict);
      return;
    }
    evict(admit(candidate, victim) ? victim : candidate, on_evict);
  }

  [[nodiscard]] bool admit(slot_type candidate, slot_type victim) {
    const detail::frequency_sketch& sk = shared_sketch_ != nullptr ? *shared_sketch_ : sketch_;
    const unsigned c = sk.estimate(hash_of(nodes_[candidate].key));
    const unsigned v = sk.estimate(hash_of(nodes_[victim].key));
    if (c > v) return true;
    if (c <= 5) return false;
    // A warm candidate that loses gets a small random chance, so an attacker
    // who keeps one victim artificially hot cannot freeze the main region.
    rng_ ^= rng_ << 13U;
    rng_ ^= rng_ >> 7U;
    rng_ ^= rng_ << 17U;
    return (rng_ & 127U) == 0;
  }

  // Adaptation by mini-simulation. A few shadow W-TinyLFU caches with
  // fixed window shares (1 % ... 100 %) replay a hash-sampled slice of the key
  // space, scaled down to `shadow_entries` entries (sampling keys, not
  // accesses, keeps each key's whole history, so a scaled cache behaves like
  // the full one). Every epoch their hit counts are folded into decayed
  // scores and the real window takes the share of the best shadow. Unlike
  // hill climbing on the cache's own hit ratio this needs no trial moves and
  // is not fooled by the workload drifting between two samples.
  static constexpr double shadow_windows[] = {0.01, 0.05, 0.15, 0.3, 0.5, 0.7, 0.85, 1.0};
  static constexpr std::size_t shadow_count = std::size(shadow_windows);

  void make_shadows() {
    const std::size_t entries = std::clamp<std::size_t>(options_.shadow_entries, 16, capacity_);
    const double rate = static_cast<double>(entries) / static_cast<double>(capacity_);
    sample_threshold_ = rate >= 1.0 ? (std::uint64_t{1} << 32U)
                                    : static_cast<std::uint64_t>(rate * 4294967296.0);
    epoch_ = std::max<std::size_t>(
        static_cast<std::size_t>(options_.epoch_factor * static_cast<double>(entries)), 64);
    policy_options shadow_options = options_;
    shadow_options.adaptive = false;
    // Every shadow sees the same sampled accesses with the same sketch size,
    // so their sketches would be identical: they share one, incremented
    // once per sampled access (on the heap, so moving this policy keeps it).
    shadow_sketch_ = std::make_unique<detail::frequency_sketch>(entries, options_.sample_factor, options_.doorkeeper);
    shadows_.reserve(shadow_count);
    for (const double share : shadow_windows) {
      shadow_options.initial_window = share;
      shadows_.push_back(shadow_type(entries, eviction_policy::tinylfu, shadow_options, shadow_sketch_.get()));
    }
    const std::size_t ring = std::bit_ceil(4 * entries);
    pending_ = std::make_unique<std::uint64_t[]>(ring);
    pending_mask_ = ring - 1;
  }

  // Sampled accesses are queued and replayed through the shadows on later
  // misses, so a hit does no shadow work beyond queueing its key's hash.
  // The window only matters when a key is inserted, which follows a miss,
  // so adapting it there decides at the point where the decision is used.
  // The queue (a ring of 4 × shadow_entries) holds the samples of a long
  // run of hits — e.g. a loop slightly larger than the cache, where a
  // whole pass hits — and each miss replays at most shadow_replay of them
  // in order, so a miss's cost stays bounded. A hit that finds the ring
  // full drops its sample: only a cache with almost no misses gets there,
  // and such a cache admits (almost) nothing, so its window does not matter.
  static constexpr std::size_t shadow_replay = 256;

  // A miss: queues its own sample and replays the oldest queued ones (at
  // most shadow_replay in all).
  MUSICBOT_CACHE_NOINLINE void shadow_miss(std::uint64_t h, bool sampled) {
    const bool full = pending_count_ > pending_mask_;
    if (full) replay_shadows();
    if (sampled) pending_[(pending_head_ + pending_count_++) & pending_mask_] = h;
    if (!full) replay_shadows();
  }

  void replay_shadows() {
    const std::size_t n = std::min(pending_count_, shadow_replay);
    for (std::size_t j = 0; j < n; ++j) {
      const std::uint64_t key = pending_[pending_head_];
      pending_head_ = (pending_head_ + 1) & pending_mask_;
      const std::uint64_t mixed = detail::mix64(key);  // the shadows' hash_of(key)
      shadow_sketch_->increment(mixed);
      for (std::size_t i = 0; i < shadow_count; ++i) shadow_hits_[i] += shadows_[i].shadow_step(key, mixed) ? 1U : 0U;
      if (++sampled_ == epoch_) end_epoch();
    }
    pending_count_ -= n;
  }

  // Folds the epoch's shadow hit counts into the scores and gives the real
  // window the share of the best shadow.
  void end_epoch() {
    sampled_ = 0;
    std::size_t best = 0;
    for (std::size_t i = 0; i < shadow_count; ++i) {
      scores_[i] = scores_[i] * options_.score_decay + static_cast<double>(shadow_hits_[i]);
      shadow_hits_[i] = 0;
      if (scores_[i] > scores_[best]) best = i;
    }
    window_target_ = std::max(shadow_windows[best] * static_cast<double>(capacity_), 1.0);
    apply_window_target();
  }

  void apply_window_target() {
    window_max_ = static_cast<std::size_t>(std::lround(window_target_));
    window_max_ = std::clamp<std::size_t>(window_max_, 1, capacity_);
    const std::size_t main = capacity_ - window_max_;
    protected_max_ = static_cast<std::size_t>(static_cast<double>(main) * options_.protected_share);
    if (kind_ == eviction_policy::lru) return;
    // Window shrank: its oldest entries move to probation's MRU end.
    while (count_[window] > window_max_) move_to(front(window), probation);
    // Window grew: the coldest main entries move into the window's LRU end,
    // so the window is full again and nothing is dropped.
    while (count_[window] < window_max_ && (!empty(probation) || !empty(protect))) {
      const slot_type s = !empty(probation) ? front(probation) : front(protect);
      unlink(s);
      push_front(s, window);
    }
    demote_protected();
  }

  eviction_policy kind_;
  policy_options options_;
  std::size_t capacity_;
  detail::frequency_sketch sketch_;
  std::vector<node> nodes_;
  std::vector<link> links_;
  std::vector<slot_type> free_;
  std::vector<index_cell> index_;
  std::size_t index_mask_ = 0;
  std::size_t size_ = 0;
  std::size_t count_[regions] = {0, 0, 0};
  std::size_t window_max_ = 1;
  std::size_t protected_max_ = 0;
  double window_target_ = 1.0;
  using shadow_type = slot_policy<std::uint64_t, no_payload, detail::identity_hash>;
  std::vector<shadow_type> shadows_;
  const detail::frequency_sketch* shared_sketch_ = nullptr;  // a shadow's sketch, owned by its owner
  std::unique_ptr<detail::frequency_sketch> shadow_sketch_;  // the sketch the shadows share
  std::uint64_t sample_threshold_ = 0;  // sampled: keys whose hash's high half is below it
  std::unique_ptr<std::uint64_t[]> pending_;  // ring of sampled accesses not replayed yet
  std::size_t pending_mask_ = 0;  // ring size - 1 (0 without shadows: nothing is queued)
  std::size_t pending_head_ = 0;
  std::size_t pending_count_ = 0;
  std::size_t epoch_ = 0;
  std::size_t sampled_ = 0;
  std::size_t shadow_hits_[shadow_count] = {};
  double scores_[shadow_count] = {};
  std::uint64_t rng_ = 0x2545F4914F6CDD1DULL;
};

}  // namespace musicbot::cache
