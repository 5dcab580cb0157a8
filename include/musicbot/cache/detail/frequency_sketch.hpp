#pragma once
// Count-min sketch with 4-bit counters and periodic aging (halving), the
// frequency estimator behind the TinyLFU admission test. Internal.

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

// The L1 hit path is a handful of small functions; in translation units as
// large as a typical Asio program GCC stops inlining them (its unit growth
// budget is spent), which costs several calls per hit. These force it.
#if defined(__GNUC__)
#define MUSICBOT_CACHE_HOT [[gnu::always_inline]]
#define MUSICBOT_CACHE_FLATTEN [[gnu::flatten]]
#define MUSICBOT_CACHE_COLD [[gnu::noinline, gnu::cold]]
#define MUSICBOT_CACHE_NOINLINE [[gnu::noinline]]
#else
#define MUSICBOT_CACHE_HOT
#define MUSICBOT_CACHE_FLATTEN
#define MUSICBOT_CACHE_COLD
#define MUSICBOT_CACHE_NOINLINE
#endif

namespace musicbot::cache::detail {

/// splitmix64 finaliser: spreads the bits of a (possibly identity) hash.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27U)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31U);
}

// The low bit of each of the four counters (see frequency_sketch::shift_of)
// that the low 8 bits of a hash pick in its word.
inline constexpr auto counter_low_bits = [] {
  std::array<std::uint64_t, 256> bits{};
  for (unsigned b = 0; b < 256; ++b) {
    for (unsigned row = 0; row < 4; ++row) bits[b] |= std::uint64_t{1} << (16U * row + 4U * ((b >> (2U * row)) & 3U));
  }
  return bits;
}();

// Four rows of 4-bit counters. A key's four counters (one per row) live in
// one 64-bit word chosen by its hash: row r uses the word's r-th 16-bit
// quarter and one of its four counters, picked by two more hash bits. An
// access is one load, a branch-free saturating add and one store. A small
// doorkeeper bit set absorbs the first sighting of each key so one-hit
// wonders do not occupy counters. Every `sample_size` increments all
// counters are halved and the doorkeeper is cleared, so old popularity
// fades; epoch() changes then, which lets the owner skip increments of a
// key it saw saturate in the current epoch (they would change nothing).
class frequency_sketch {
 public:
  static constexpr unsigned max_count = 15;

  explicit frequency_sketch(std::size_t capacity, std::size_t sample_factor = 10,
                            bool doorkeeper = true)
      : doorkeeper_(doorkeeper) {
    // About one counter per row per cached entry.
    const std::size_t width = std::bit_ceil(std::max<std::size_t>(capacity, 32));
    table_.assign(width / 4, 0);  // per row, width counters: 4 per word in its quarter
    word_mask_ = table_.size() - 1;
    door_.assign(std::max<std::size_t>(width / 64, 1), 0);
    door_mask_ = door_.size() * 64 - 1;
    sample_size_ = std::max<std::size_t>(capacity, 1) * sample_factor;
  }

  // Records one access of the key with hash `h`. Returns true if the key's
  // four counters are now at max_count (after passing the doorkeeper), so
  // further increments of the key as `resident` change nothing until the
  // next aging (see epoch()); a caller may then skip them.
  //
  // `resident` says the key is in the cache: its first sighting is behind
  // it, so the doorkeeper is not consulted and the access goes straight to
  // the counters (one memory access instead of two on a cache hit; the
  // estimate grows by one either way).
  MUSICBOT_CACHE_HOT bool increment(std::uint64_t h, bool resident = false) noexcept {
    bool full = true;
    if (doorkeeper_ && !resident && !pass_door(h)) {
      full = false;
    } else {
      // One word holds the key's four counters, one per row, each in its
      // own 16-bit quarter: one load, a saturating add of all four at once
      // (SWAR: +1 at the low bit of each counter not yet at 15, so no
      // carry crosses a counter), one store.
      std::uint64_t& word = table_[word_index(h)];
      const std::uint64_t w = word;
      const std::uint64_t low = counter_low_bits[h & 0xFFU];
      const std::uint64_t add = low & ~at_max(w, low);
      if (add == 0) return true;
      word = w + add;
      full = at_max(w + add, low) == low;
    }
    if (++additions_ >= sample_size_) {
      age();
      return false;
    }
    return full;
  }

  // Changes at every aging: a saturation seen in one epoch holds until the epoch changes.
  [[nodiscard]] std::uint32_t epoch() const noexcept { return epoch_; }
  // A value epoch() never returns.
  static constexpr std::uint32_t no_epoch = ~std::uint32_t{0};

  // Sets the key's doorkeeper bit; false if it was not set yet.
  bool pass_door(std::uint64_t h) noexcept {
    const std::uint64_t d = door_index(h);
    std::uint64_t& door_word = door_[d >> 6U];
    const std::uint64_t door_bit = std::uint64_t{1} << (d & 63U);
    const bool seen = (door_word & door_bit) != 0;
    door_word |= door_bit;
    return seen;
  }

  // Estimated number of recent accesses (0..max_count + 1).
  [[nodiscard]] unsigned estimate(std::uint64_t h) const noexcept {
    unsigned best = max_count;
    const std::uint64_t w = table_[word_index(h)];
    for (unsigned row = 0; row < rows; ++row) best = std::min(best, static_cast<unsigned>((w >> shift_of(h, row)) & 0xFU));
    const std::uint64_t d = door_index(h);
    const bool seen = doorkeeper_ && ((door_[d >> 6U] >> (d & 63U)) & 1U) != 0;
    return best + (seen ? 1U : 0U);
  }

  [[nodiscard]] std::size_t sample_size() const noexcept { return sample_size_; }

 private:
  static constexpr unsigned rows = 4;

  [[nodiscard]] std::size_t word_index(std::uint64_t h) const noexcept {
    return static_cast<std::size_t>(h >> 40U) & word_mask_;
  }
  // Row r's counter: one of the four nibbles of the word's quarter r.
  [[nodiscard]] static constexpr unsigned shift_of(std::uint64_t h, unsigned row) noexcept {
    return 16U * row + 4U * static_cast<unsigned>((h >> (2U * row)) & 3U);
  }
  // Of the counters whose low bits are `low`, those at max_count (as their low bits).
  [[nodiscard]] static constexpr std::uint64_t at_max(std::uint64_t w, std::uint64_t low) noexcept {
    return w & (w >> 1U) & (w >> 2U) & (w >> 3U) & low;
  }
  [[nodiscard]] std::uint64_t door_index(std::uint64_t h) const noexcept {
    return (h * 0x9e3779b97f4a7c15ULL >> 20U) & door_mask_;
  }
  // Out of line: runs once per sample_size increments, keeps increment() small.
  MUSICBOT_CACHE_COLD void age() noexcept {
    if (++epoch_ == no_epoch) epoch_ = 0;
    for (std::uint64_t& word : table_) word = (word >> 1U) & 0x7777777777777777ULL;
    std::fill(door_.begin(), door_.end(), 0);
    additions_ /= 2;
  }

  bool doorkeeper_ = true;
  std::vector<std::uint64_t> table_;
  std::vector<std::uint64_t> door_;
  std::size_t word_mask_ = 0;
  std::uint64_t door_mask_ = 0;
  std::size_t additions_ = 0;
  std::size_t sample_size_ = 0;
  std::uint32_t epoch_ = 0;
};

}  // namespace musicbot::cache::detail
