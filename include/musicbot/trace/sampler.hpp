#pragma once
/// @file
/// Head sampling: a trace-id ratio sampler, optionally parent-based.

#include <musicbot/trace/context.hpp>

#include <cstdint>
#include <stdexcept>

namespace musicbot::trace {

/// Decides at span start whether a trace is recorded and exported.
///
/// With `parent_based` a child follows its parent's sampled flag (local or
/// remote), so a trace is never half exported; roots are sampled when the
/// low 8 bytes of the trace id, read as an integer, fall below
/// `ratio × 2^64` — deterministic per trace id, so every process that sees
/// the same trace agrees.
///
/// @par Thread safety
/// Immutable after construction; safe from any thread.
class sampler {
 public:
  /// `ratio` in [0, 1]; throws std::invalid_argument otherwise.
  explicit sampler(double ratio = 1.0, bool parent_based = true) : parent_based_(parent_based) {
    if (!(ratio >= 0.0 && ratio <= 1.0)) throw std::invalid_argument("sampler: ratio must be in [0, 1]");
    // 2^64 × ratio, saturated: ratio 1 must sample every id.
    threshold_ = ratio >= 1.0 ? UINT64_MAX : static_cast<std::uint64_t>(ratio * 18446744073709551616.0);
    always_ = ratio >= 1.0;
  }

  /// The decision for a new span in trace `trace` under `parent` (may be null).
  [[nodiscard]] bool should_sample(const span_context* parent, const trace_id& trace) const noexcept {
    if (parent_based_ && parent != nullptr && parent->valid()) return parent->sampled();
    if (always_) return true;
    std::uint64_t low = 0;
    for (std::size_t i = 8; i < 16; ++i) low = (low << 8) | trace.bytes[i];
    return low < threshold_;
  }

 private:
  std::uint64_t threshold_ = UINT64_MAX;
  bool always_ = true;
  bool parent_based_ = true;
};

}  // namespace musicbot::trace
