#pragma once
/// @file
/// Per-series handles: `counter`, `gauge`, `histogram`. A handle is a pointer
/// to the series' storage; keep it and update it on the hot path without any
/// lookup or lock. Get handles from a family (`registry.hpp`).

#include <musicbot/metrics/detail/cells.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <vector>

namespace musicbot::metrics {

template <class Handle>
class family;

/// A monotonically increasing value (Prometheus counter).
///
/// A default-constructed counter is empty: updates are ignored and
/// `value()` is 0. Handles stay valid as long as their registry lives.
///
/// @par Thread safety
/// All member functions may be called concurrently from any thread; they are
/// lock-free (one relaxed atomic add for `inc`).
class counter {
 public:
  /// An empty handle that ignores updates.
  counter() = default;

  /// Adds `n` (1 by default).
  void inc(std::uint64_t n = 1) const noexcept {
    if (cell_ != nullptr) cell_->whole.fetch_add(n, std::memory_order_relaxed);
  }
  /// Adds `v`; negative, NaN and infinite amounts are ignored (a counter
  /// never goes down and never becomes non-finite).
  void add(double v) const noexcept {
    if (cell_ == nullptr || !(v > 0.0) || std::isinf(v)) return;
    double whole_part = 0.0;
    const double frac = std::modf(v, &whole_part);
    if (whole_part >= 1.0 && whole_part < 1.8e19) {
      cell_->whole.fetch_add(static_cast<std::uint64_t>(whole_part), std::memory_order_relaxed);
    } else if (whole_part >= 1.0) {
      cell_->fraction.fetch_add(whole_part, std::memory_order_relaxed);
    }
    if (frac > 0.0) cell_->fraction.fetch_add(frac, std::memory_order_relaxed);
  }
  /// The current total.
  [[nodiscard]] double value() const noexcept {
    if (cell_ == nullptr) return 0.0;
    return static_cast<double>(cell_->whole.load(std::memory_order_relaxed)) +
           cell_->fraction.load(std::memory_order_relaxed);
  }
  /// False for a default-constructed handle.
  [[nodiscard]] bool valid() const noexcept { return cell_ != nullptr; }

 private:
  friend class family<counter>;
  explicit counter(detail::counter_cell* cell) noexcept : cell_(cell) {}
  detail::counter_cell* cell_ = nullptr;
};

/// A value that goes up and down (Prometheus gauge).
///
/// A default-constructed gauge is empty: updates are ignored.
///
/// @par Thread safety
/// All member functions may be called concurrently from any thread; they are
/// lock-free.
class gauge {
 public:
  /// An empty handle that ignores updates.
  gauge() = default;

  /// Sets the value.
  void set(double v) const noexcept {
    if (cell_ != nullptr) cell_->value.store(v, std::memory_order_relaxed);
  }
  /// Adds `v` (1 by default).
  void inc(double v = 1.0) const noexcept {
    if (cell_ != nullptr) cell_->value.fetch_add(v, std::memory_order_relaxed);
  }
  /// Subtracts `v` (1 by default).
  void dec(double v = 1.0) const noexcept {
    if (cell_ != nullptr) cell_->value.fetch_sub(v, std::memory_order_relaxed);
  }
  /// The current value.
  [[nodiscard]] double value() const noexcept {
    return cell_ == nullptr ? 0.0 : cell_->value.load(std::memory_order_relaxed);
  }
  /// False for a default-constructed handle.
  [[nodiscard]] bool valid() const noexcept { return cell_ != nullptr; }

 private:
  friend class family<gauge>;
  explicit gauge(detail::gauge_cell* cell) noexcept : cell_(cell) {}
  detail::gauge_cell* cell_ = nullptr;
};

/// A consistent-enough copy of a histogram series, for tests and callers.
struct histogram_snapshot {
  std::vector<double> upper_bounds;          ///< finite bucket bounds (without +Inf)
  std::vector<std::uint64_t> cumulative;     ///< one per bound, then +Inf (== count)
  std::uint64_t count = 0;                   ///< number of observations
  double sum = 0.0;                          ///< sum of observations
};

/// Observations counted in buckets (Prometheus histogram).
///
/// A default-constructed histogram is empty: observations are ignored.
///
/// @par Thread safety
/// `observe` may be called concurrently from any thread (lock-free: one
/// relaxed add on the bucket, one on the sum). A scrape running at the same
/// time always sees monotone cumulative buckets with `+Inf == _count`.
class histogram {
 public:
  /// An empty handle that ignores observations.
  histogram() = default;

  /// Records one observation. NaN is counted in the +Inf bucket.
  void observe(double v) const noexcept {
    if (cell_ != nullptr) cell_->observe(v);
  }
  /// Records a duration in seconds.
  template <class Rep, class Period>
  void observe(std::chrono::duration<Rep, Period> d) const noexcept {
    observe(std::chrono::duration<double>(d).count());
  }
  /// Copies the current buckets, count and sum.
  [[nodiscard]] histogram_snapshot snapshot() const {
    histogram_snapshot s;
    if (cell_ == nullptr) return s;
    s.upper_bounds.assign(cell_->bounds, cell_->bounds + cell_->size);
    std::uint64_t running = 0;
    for (std::size_t i = 0; i <= cell_->size; ++i) {
      running += cell_->buckets[i].load(std::memory_order_relaxed);
      s.cumulative.push_back(running);
    }
    s.count = running;
    s.sum = cell_->sum.load(std::memory_order_relaxed);
    return s;
  }
  /// False for a default-constructed handle.
  [[nodiscard]] bool valid() const noexcept { return cell_ != nullptr; }

 private:
  friend class family<histogram>;
  explicit histogram(detail::histogram_cell* cell) noexcept : cell_(cell) {}
  detail::histogram_cell* cell_ = nullptr;
};

}  // namespace musicbot::metrics
