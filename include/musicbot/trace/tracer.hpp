#pragma once
/// @file
/// `tracer` starts spans; `span` records one operation and hands it to a
/// span processor when it ends. With tracing off, starting a span is a
/// branch and returns an empty object: no allocation, no clock read.

#include <musicbot/trace/context.hpp>
#include <musicbot/trace/sampler.hpp>
#include <musicbot/trace/span_data.hpp>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace musicbot::trace {

/// How a tracer samples, bounds and timestamps its spans.
struct tracer_options {
  bool enabled = true;          ///< False: every span is a no-op.
  double sample_ratio = 1.0;    ///< Root sampling ratio in [0, 1].
  bool parent_based = true;     ///< Children follow their parent's decision.
  span_limits limits{};         ///< Per-span bounds.
  /// Wall clock for span timestamps (injectable for tests).
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
};

namespace detail {

struct tracer_core {
  tracer_options options;
  sampler decide;
  std::shared_ptr<span_processor> processor;

  tracer_core(tracer_options o, std::shared_ptr<span_processor> p)
      : options(std::move(o)), decide(options.sample_ratio, options.parent_based), processor(std::move(p)) {}

  [[nodiscard]] std::uint64_t now_ns() const {
    const auto since = options.now().time_since_epoch();
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(since).count());
  }
};

// Random ids from a per-thread splitmix64 stream seeded once from the OS.
inline std::uint64_t random_u64() noexcept {
  thread_local std::uint64_t state = [] {
    std::random_device rd;
    const auto tid = std::hash<std::thread::id>{}(std::this_thread::get_id());
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^ (static_cast<std::uint64_t>(tid) * 0x9e3779b97f4a7c15ULL);
  }();
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

template <std::size_t N>
void fill_random(std::array<std::uint8_t, N>& bytes) noexcept {
  do {
    for (std::size_t i = 0; i < N; i += 8) {
      std::uint64_t r = random_u64();
      for (std::size_t j = 0; j < 8 && i + j < N; ++j) {
        bytes[i + j] = static_cast<std::uint8_t>(r);
        r >>= 8;
      }
    }
  } while (all_zero(bytes));
}

inline std::string bounded(std::string_view text, std::size_t max) {
  return std::string(text.substr(0, max));
}

struct span_state {
  std::shared_ptr<tracer_core> core;
  span_data data;
  bool recording = false;
  bool ended = false;
};

}  // namespace detail

/// One traced operation. Move-only; ends itself when destroyed.
///
/// A span that is not recording (tracing off, or sampled out) accepts every
/// call and does nothing; a sampled-out span still has a valid context so
/// the decision propagates to children and peers.
///
/// @par Thread safety
/// One span is used by one thread at a time.
class span {
 public:
  /// An empty, non-recording span.
  span() noexcept = default;
  span(const span&) = delete;
  span& operator=(const span&) = delete;
  /// Moves the span; `other` becomes empty.
  span(span&& other) noexcept = default;
  /// Ends this span (if needed) and takes over `other`.
  span& operator=(span&& other) noexcept {
    if (this != &other) {
      end();
      state_ = std::move(other.state_);
    }
    return *this;
  }
  /// Ends the span if it was not ended.
  ~span() { end(); }

  /// True if this span will be exported.
  [[nodiscard]] bool recording() const noexcept { return state_ && state_->recording && !state_->ended; }
  /// The span's context, or an invalid context for an empty span.
  [[nodiscard]] const span_context& context() const noexcept {
    static const span_context empty{};
    return state_ ? state_->data.context : empty;
  }

  /// Sets a string attribute (value truncated to the limit).
  void set_attribute(std::string_view key, std::string_view value) {
    if (recording()) add_attribute(key, detail::bounded(value, state_->core->options.limits.max_value_length));
  }
  /// Sets a string attribute.
  void set_attribute(std::string_view key, const char* value) { set_attribute(key, std::string_view(value)); }
  /// Sets a boolean attribute.
  void set_attribute(std::string_view key, bool value) {
    if (recording()) add_attribute(key, value);
  }
  /// Sets an integer attribute.
  template <std::integral I>
    requires(!std::same_as<I, bool>)
  void set_attribute(std::string_view key, I value) {
    if (recording()) add_attribute(key, static_cast<std::int64_t>(value));
  }
  /// Sets a floating-point attribute.
  void set_attribute(std::string_view key, double value) {
    if (recording()) add_attribute(key, value);
  }

  /// Adds a timestamped event with optional attributes (bounded).
  void add_event(std::string_view name, std::vector<attribute> attributes = {}) {
    if (!recording()) return;
    auto& d = state_->data;
    const auto& limits = state_->core->options.limits;
    if (d.events.size() >= limits.max_events) {
      ++d.dropped_events;
      return;
    }
    if (attributes.size() > limits.max_event_attributes) attributes.resize(limits.max_event_attributes);
    for (auto& a : attributes) {
      a.key = detail::bounded(a.key, limits.max_name_length);
      if (auto* s = std::get_if<std::string>(&a.value)) s->resize(std::min(s->size(), limits.max_value_length));
    }
    d.events.push_back({detail::bounded(name, limits.max_name_length), state_->core->now_ns(), std::move(attributes)});
  }

  /// Sets the status (an error message is kept, bounded).
  void set_status(span_status status, std::string_view message = {}) {
    if (!recording()) return;
    state_->data.status = status;
    state_->data.status_message = detail::bounded(message, state_->core->options.limits.max_value_length);
  }

  /// Ends the span and hands it to the processor (once).
  void end() noexcept {
    if (!state_ || state_->ended) return;
    state_->ended = true;
    if (!state_->recording) return;
    try {
      state_->data.end_unix_nano = state_->core->now_ns();
    } catch (...) {
      state_->data.end_unix_nano = state_->data.start_unix_nano;
    }
    if (state_->core->processor) state_->core->processor->on_end(std::move(state_->data));
  }

 private:
  friend class tracer;
  explicit span(std::unique_ptr<detail::span_state> state) noexcept : state_(std::move(state)) {}

  void add_attribute(std::string_view key, attribute_value value) {
    auto& d = state_->data;
    for (auto& a : d.attributes) {
      if (a.key == key) {
        a.value = std::move(value);
        return;
      }
    }
    if (d.attributes.size() >= state_->core->options.limits.max_attributes) {
      ++d.dropped_attributes;
      return;
    }
    d.attributes.push_back({detail::bounded(key, state_->core->options.limits.max_name_length), std::move(value)});
  }

  std::unique_ptr<detail::span_state> state_;
};

/// Starts spans, samples them and sends the finished ones to a processor.
///
/// A default-constructed tracer is disabled: `start_span` returns an empty
/// span at the cost of one branch (see `BM_span_disabled`).
///
/// @par Thread safety
/// `start_span` may be called from any thread; the processor must be
/// thread-safe if spans end on several threads.
class tracer {
 public:
  /// A disabled tracer.
  tracer() = default;
  /// A tracer with `options` sending finished spans to `processor`.
  tracer(tracer_options options, std::shared_ptr<span_processor> processor) {
    if (options.enabled) core_ = std::make_shared<detail::tracer_core>(std::move(options), std::move(processor));
  }

  /// True if spans can be recorded.
  [[nodiscard]] bool enabled() const noexcept { return core_ != nullptr; }

  /// Starts a root span, or a child of `parent` when it is valid (local or
  /// remote, e.g. from `extract_context`).
  [[nodiscard]] span start_span(std::string_view name, const span_context& parent = {},
                                span_kind kind = span_kind::internal) const {
    if (!core_) return span{};
    return start(name, parent, kind);
  }

  /// Starts a child of `parent` (a root if `parent` is empty).
  [[nodiscard]] span start_child(const span& parent, std::string_view name,
                                 span_kind kind = span_kind::internal) const {
    if (!core_) return span{};
    return start(name, parent.context(), kind);
  }

 private:
  [[nodiscard]] span start(std::string_view name, const span_context& parent, span_kind kind) const {
    auto state = std::make_unique<detail::span_state>();
    state->core = core_;
    auto& d = state->data;
    const bool has_parent = parent.valid();
    if (has_parent) {
      d.context.trace = parent.trace;
      d.context.state = parent.state;
      d.parent = parent.span;
    } else {
      detail::fill_random(d.context.trace.bytes);
    }
    detail::fill_random(d.context.span.bytes);
    const bool sampled = core_->decide.should_sample(has_parent ? &parent : nullptr, d.context.trace);
    d.context.flags = sampled ? 0x01 : 0x00;
    state->recording = sampled;
    if (sampled) {
      d.name = detail::bounded(name, core_->options.limits.max_name_length);
      d.kind = kind;
      d.start_unix_nano = core_->now_ns();
    }
    return span(std::move(state));
  }

  std::shared_ptr<detail::tracer_core> core_;
};

}  // namespace musicbot::trace
