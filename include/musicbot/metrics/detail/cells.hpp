#pragma once
// Storage of one series. Handles (counter, gauge, histogram) point at these;
// the owning family keeps them at a stable address for the registry's life.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace musicbot::metrics::detail {

// One cache line per counter/gauge so that hot series updated from different
// threads do not share a line.
inline constexpr std::size_t cache_line = 64;

// The hot path promises no locks: make the platform prove it.
static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "metrics need lock-free 64-bit atomics");
static_assert(std::atomic<double>::is_always_lock_free, "metrics need lock-free atomic<double>");

struct alignas(cache_line) counter_cell {
  // Integer increments are one fetch_add; fractional additions go to a
  // separate double so the common inc() never needs a CAS loop.
  std::atomic<std::uint64_t> whole{0};
  std::atomic<double> fraction{0.0};
};

struct alignas(cache_line) gauge_cell {
  std::atomic<double> value{0.0};
};

// Buckets are stored per bucket (not cumulative); exposition accumulates
// them, so +Inf always equals _count and cumulative counts never decrease,
// whatever observe() calls run concurrently with a scrape.
struct histogram_cell {
  histogram_cell(const double* upper_bounds, std::size_t bound_count)
      : bounds(upper_bounds), size(bound_count),
        buckets(std::make_unique<std::atomic<std::uint64_t>[]>(bound_count + 1)) {}

  [[nodiscard]] std::size_t bucket_index(double v) const noexcept {
    if (std::isnan(v)) return size;  // NaN lands in +Inf (and poisons _sum), as in other clients
    if (size <= 16) {
      std::size_t i = 0;
      while (i < size && bounds[i] < v) ++i;
      return i;
    }
    return static_cast<std::size_t>(std::lower_bound(bounds, bounds + size, v) - bounds);
  }

  void observe(double v) noexcept {
    buckets[bucket_index(v)].fetch_add(1, std::memory_order_relaxed);
    sum.fetch_add(v, std::memory_order_relaxed);
  }

  const double* bounds;  // owned by the family, finite, strictly increasing
  std::size_t size;      // number of finite bounds; buckets has size + 1
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets;
  std::atomic<double> sum{0.0};
};

}  // namespace musicbot::metrics::detail
