#pragma once
/// @file
/// A bounded, thread-safe span processor: the hand-off between the threads
/// that end spans and an exporter that drains them in batches. When full it
/// drops (and counts) new spans instead of blocking or growing.

#include <musicbot/trace/span_data.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace musicbot::trace {

/// Bounded FIFO of finished spans.
///
/// @par Thread safety
/// All member functions are safe to call concurrently.
class span_buffer final : public span_processor {
 public:
  /// A buffer holding at most `capacity` spans (> 0, else std::invalid_argument).
  explicit span_buffer(std::size_t capacity = 2048) : capacity_(capacity) {
    if (capacity == 0) throw std::invalid_argument("span_buffer: capacity must be > 0");
  }

  /// Queues `span`, or drops it if the buffer is full.
  void on_end(span_data&& span) noexcept override {
    try {
      const std::lock_guard lock(mutex_);
      if (spans_.size() >= capacity_) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      spans_.push_back(std::move(span));
      accepted_.fetch_add(1, std::memory_order_relaxed);
    } catch (...) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  /// Removes and returns up to `max` spans, oldest first.
  [[nodiscard]] std::vector<span_data> drain(std::size_t max) {
    std::vector<span_data> out;
    const std::lock_guard lock(mutex_);
    const std::size_t n = std::min(max, spans_.size());
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      out.push_back(std::move(spans_.front()));
      spans_.pop_front();
    }
    return out;
  }

  /// Spans waiting to be drained.
  [[nodiscard]] std::size_t size() const {
    const std::lock_guard lock(mutex_);
    return spans_.size();
  }
  /// The maximum number of queued spans.
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  /// Spans dropped because the buffer was full (since construction).
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
  /// Spans accepted (since construction).
  [[nodiscard]] std::uint64_t accepted() const noexcept { return accepted_.load(std::memory_order_relaxed); }
  /// Counts spans dropped elsewhere (e.g. a failed export) in `dropped()`.
  void count_dropped(std::uint64_t n) noexcept { dropped_.fetch_add(n, std::memory_order_relaxed); }

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<span_data> spans_;
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> accepted_{0};
};

}  // namespace musicbot::trace
