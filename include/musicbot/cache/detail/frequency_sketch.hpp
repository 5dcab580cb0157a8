#pragma once
// Count-min sketch with 4-bit counters and periodic aging (halving), the
// frequency estimator behind the TinyLFU admission test. Internal.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace musicbot::cache::detail {

/// splitmix64 finaliser: spreads the bits of a (possibly identity) hash.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27U)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31U);
}

// Four rows of 4-bit counters packed 16 to a 64-bit word. To keep an
// access to one cache line, a key's four counters all live in one 64-byte
// block (8 words) chosen by its hash: row i uses word 2i or 2i + 1 of the
// block and one of its 16 counters, both picked by further hash bits. A small
// doorkeeper bit set absorbs the first sighting of each key so one-hit
// wonders do not occupy counters. Every `sample_size` increments all
// counters are halved and the doorkeeper is cleared, so old popularity fades.
class frequency_sketch {
 public:
  static constexpr unsigned max_count = 15;

  explicit frequency_sketch(std::size_t capacity, std::size_t sample_factor = 10,
                            bool doorkeeper = true)
      : doorkeeper_(doorkeeper) {
    // About one counter per row per cached entry.
    const std::size_t width = std::bit_ceil(std::max<std::size_t>(capacity, 32));
    block_mask_ = width / 32 - 1;
    table_.assign((block_mask_ + 1) * 8, 0);
    door_.assign(std::max<std::size_t>(width / 64, 1), 0);
    door_mask_ = door_.size() * 64 - 1;
    sample_size_ = std::max<std::size_t>(capacity, 1) * sample_factor;
  }

  // Records one access of the key with hash `h`.
  void increment(std::uint64_t h) noexcept {
    const std::uint64_t d = door_index(h);
    std::uint64_t& door_word = door_[d >> 6U];
    const std::uint64_t door_bit = std::uint64_t{1} << (d & 63U);
    if (doorkeeper_ && (door_word & door_bit) == 0) {
      door_word |= door_bit;
    } else {
      bool added = false;
      std::uint64_t* block = &table_[block_of(h)];
      for (unsigned row = 0; row < rows; ++row) added |= increment_at(block, h, row);
      if (!added) return;
    }
    if (++additions_ >= sample_size_) age();
  }

  // Estimated number of recent accesses (0..max_count + 1).
  [[nodiscard]] unsigned estimate(std::uint64_t h) const noexcept {
    unsigned best = max_count;
    const std::uint64_t* block = &table_[block_of(h)];
    for (unsigned row = 0; row < rows; ++row) best = std::min(best, count_at(block, h, row));
    const std::uint64_t d = door_index(h);
    const bool seen = doorkeeper_ && ((door_[d >> 6U] >> (d & 63U)) & 1U) != 0;
    return best + (seen ? 1U : 0U);
  }

  [[nodiscard]] std::size_t sample_size() const noexcept { return sample_size_; }

 private:
  static constexpr unsigned rows = 4;

  [[nodiscard]] std::size_t block_of(std::uint64_t h) const noexcept {
    return static_cast<std::size_t>(h >> 40U & block_mask_) * 8;
  }
  // Word (2 row + one hash bit) and counter (4 hash bits) of `row`.
  [[nodiscard]] static unsigned word_of(std::uint64_t h, unsigned row) noexcept {
    return 2 * row + static_cast<unsigned>((h >> (32U + row)) & 1U);
  }
  [[nodiscard]] static unsigned shift_of(std::uint64_t h, unsigned row) noexcept {
    return static_cast<unsigned>((h >> (4U * row)) & 15U) * 4U;
  }
  [[nodiscard]] std::uint64_t door_index(std::uint64_t h) const noexcept {
    return (h * 0x9e3779b97f4a7c15ULL >> 20U) & door_mask_;
  }
  [[nodiscard]] static unsigned count_at(const std::uint64_t* block, std::uint64_t h, unsigned row) noexcept {
    return static_cast<unsigned>((block[word_of(h, row)] >> shift_of(h, row)) & 0xFU);
  }
  static bool increment_at(std::uint64_t* block, std::uint64_t h, unsigned row) noexcept {
    std::uint64_t& word = block[word_of(h, row)];
    const unsigned shift = shift_of(h, row);
    if (((word >> shift) & 0xFU) == max_count) return false;
    word += std::uint64_t{1} << shift;
    return true;
  }
  void age() noexcept {
    for (std::uint64_t& word : table_) word = (word >> 1U) & 0x7777777777777777ULL;
    std::fill(door_.begin(), door_.end(), 0);
    additions_ /= 2;
  }

  bool doorkeeper_ = true;
  std::vector<std::uint64_t> table_;
  std::vector<std::uint64_t> door_;
  std::size_t block_mask_ = 0;
  std::uint64_t door_mask_ = 0;
  std::size_t additions_ = 0;
  std::size_t sample_size_ = 0;
};

}  // namespace musicbot::cache::detail
