#pragma once
/// @file
/// Circuit breakers: `circuit_breaker` (single-threaded, exact windows) and
/// `concurrent_circuit_breaker` (thread-safe, lock-free in the closed state).

#include <musicbot/core/clock.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

namespace musicbot::core {

/// The state of a circuit breaker.
enum class circuit_state : std::uint8_t {
  closed,       ///< calls flow; outcomes are recorded in the sliding window
  open,         ///< calls are rejected until the open wait has passed
  half_open,    ///< a limited number of trial calls decide between closed and open
  forced_open,  ///< rejected until reset() (set by force_open())
  disabled,     ///< every call is permitted and nothing is recorded (set by disable())
};

/// The name of a state ("closed", "open", "half_open", "forced_open", "disabled").
[[nodiscard]] constexpr std::string_view to_string(circuit_state s) noexcept {
  switch (s) {
    case circuit_state::closed: return "closed";
    case circuit_state::open: return "open";
    case circuit_state::half_open: return "half_open";
    case circuit_state::forced_open: return "forced_open";
    case circuit_state::disabled: return "disabled";
  }
  return "unknown";
}

/// How the closed state's sliding window is measured.
enum class sliding_window_kind : std::uint8_t {
  count_based,  ///< the last `window_size` calls
  time_based,   ///< the calls of the last `window_size × bucket_duration`
};

/// Configuration of a circuit breaker.
///
/// @par Thread safety
/// A plain value.
struct circuit_breaker_config {
  using duration = std::chrono::nanoseconds;  ///< Time unit of the fields.

  sliding_window_kind window_kind = sliding_window_kind::count_based;  ///< Window measure.
  /// Calls in the window (count-based), or buckets in the window (time-based).
  std::uint32_t window_size = 100;
  duration bucket_duration = std::chrono::seconds(1);  ///< Time-based: length of one bucket.
  /// Calls the window must hold before rates are evaluated (count-based:
  /// capped at window_size).
  std::uint32_t minimum_calls = 10;
  double failure_rate_threshold = 50.0;     ///< Percent of failed calls that opens the breaker, in (0, 100].
  double slow_call_rate_threshold = 100.0;  ///< Percent of slow calls that opens the breaker, in (0, 100].
  duration slow_call_duration = std::chrono::seconds(60);  ///< A call at least this long is slow.
  /// The deadline callers should give the protected call (the breaker does
  /// not enforce it; it has no threads). Zero: not set.
  duration call_timeout{};
  duration wait_in_open = std::chrono::seconds(60);  ///< How long the breaker stays open.
  std::uint32_t permitted_calls_in_half_open = 10;  ///< Trial calls in half-open.
  /// If positive: half-open lasting this long without a verdict goes back to open.
  duration max_wait_in_half_open{};

  /// Throws std::invalid_argument unless every field is in its domain.
  void validate() const {
    const auto fail = [](const char* what) { throw std::invalid_argument(what); };
    if (window_size == 0) fail("circuit_breaker_config: window_size must be >= 1");
    if (bucket_duration <= duration::zero()) fail("circuit_breaker_config: bucket_duration must be positive");
    if (minimum_calls == 0) fail("circuit_breaker_config: minimum_calls must be >= 1");
    if (!(failure_rate_threshold > 0.0 && failure_rate_threshold <= 100.0)) {
      fail("circuit_breaker_config: failure_rate_threshold must be in (0, 100]");
    }
    if (!(slow_call_rate_threshold > 0.0 && slow_call_rate_threshold <= 100.0)) {
      fail("circuit_breaker_config: slow_call_rate_threshold must be in (0, 100]");
    }
    if (slow_call_duration <= duration::zero()) fail("circuit_breaker_config: slow_call_duration must be positive");
    if (call_timeout < duration::zero()) fail("circuit_breaker_config: call_timeout must not be negative");
    if (wait_in_open <= duration::zero()) fail("circuit_breaker_config: wait_in_open must be positive");
    if (permitted_calls_in_half_open == 0) fail("circuit_breaker_config: permitted_calls_in_half_open must be >= 1");
    if (max_wait_in_half_open < duration::zero()) fail("circuit_breaker_config: max_wait_in_half_open must not be negative");
  }

  /// A service preset: count-based window of 50 calls, 20 minimum, 5 trial
  /// calls, slow calls from half the call timeout at 80 %, and half-open
  /// giving up after twice the call timeout.
  static circuit_breaker_config service(duration call_timeout, double failure_rate, duration open_for) {
    circuit_breaker_config c;
    c.window_size = 50;
    c.minimum_calls = 20;
    c.failure_rate_threshold = failure_rate;
    c.slow_call_rate_threshold = 80.0;
    c.call_timeout = call_timeout;
    c.slow_call_duration = call_timeout / 2;
    c.wait_in_open = open_for;
    c.permitted_calls_in_half_open = 5;
    c.max_wait_in_half_open = 2 * call_timeout;
    return c;
  }
  /// Redis: call timeout 3000 ms, opens at 50 % failures, stays open 30 s.
  static circuit_breaker_config redis() {
    return service(std::chrono::milliseconds(3000), 50.0, std::chrono::seconds(30));
  }
  /// Database: call timeout 5000 ms, opens at 30 % failures, stays open 60 s.
  static circuit_breaker_config database() {
    return service(std::chrono::milliseconds(5000), 30.0, std::chrono::seconds(60));
  }
  /// Lavalink: call timeout 10000 ms, opens at 40 % failures, stays open 45 s.
  static circuit_breaker_config lavalink() {
    return service(std::chrono::milliseconds(10000), 40.0, std::chrono::seconds(45));
  }
};

/// Why try_acquire() refused a call.
struct circuit_breaker_rejection {
  circuit_state state = circuit_state::open;  ///< The state that refused the call.
  /// Time until the breaker will let a trial call through; zero when unknown
  /// (forced open, or all half-open trial calls in flight).
  std::chrono::nanoseconds retry_after{};
};

/// Counts of the closed state's current window.
struct circuit_breaker_metrics {
  std::uint32_t calls = 0;       ///< Calls recorded in the window.
  std::uint32_t failures = 0;    ///< Failed calls in the window.
  std::uint32_t slow_calls = 0;  ///< Slow calls (failed or not) in the window.
  /// Failure percentage, or -1 while fewer than minimum_calls are recorded.
  double failure_rate = -1.0;
  /// Slow-call percentage, or -1 while fewer than minimum_calls are recorded.
  double slow_call_rate = -1.0;
};

/// Called with the old and the new state on every transition.
using circuit_listener = std::function<void(circuit_state from, circuit_state to)>;

/// What try_acquire() returns: a permission to make one call, or the
/// rejection. The caller reports the outcome with success() or failure();
/// a granted permit destroyed without an outcome is released (it counts
/// for nothing and gives its half-open trial slot back). Move-only.
///
/// @tparam Breaker the breaker type that issued it
///
/// @par Thread safety
/// One permit belongs to one caller; it may be completed on another thread
/// than the one that acquired it if the breaker is a concurrent_circuit_breaker.
template <class Breaker>
class circuit_breaker_permit {
 public:
  using duration = std::chrono::nanoseconds;  ///< Call duration type.

  /// Takes over the other permit's pending outcome.
  circuit_breaker_permit(circuit_breaker_permit&& other) noexcept
      : breaker_(std::exchange(other.breaker_, nullptr)), epoch_(other.epoch_), rejection_(other.rejection_),
        done_(other.done_) {}
  /// Releases this permit if pending, then takes over the other's.
  circuit_breaker_permit& operator=(circuit_breaker_permit&& other) noexcept {
    if (this != &other) {
      release();
      breaker_ = std::exchange(other.breaker_, nullptr);
      epoch_ = other.epoch_;
      rejection_ = other.rejection_;
      done_ = other.done_;
    }
    return *this;
  }
  circuit_breaker_permit(const circuit_breaker_permit&) = delete;             ///< Not copyable.
  circuit_breaker_permit& operator=(const circuit_breaker_permit&) = delete;  ///< Not copyable.
  /// Releases the permit if no outcome was reported.
  ~circuit_breaker_permit() { release(); }

  /// True if the call may proceed (stays true after the outcome is reported).
  [[nodiscard]] bool granted() const noexcept { return breaker_ != nullptr || done_; }
  /// Same as granted().
  explicit operator bool() const noexcept { return granted(); }
  /// Why the call was refused (meaningful only if !granted()).
  [[nodiscard]] const circuit_breaker_rejection& rejection() const noexcept { return rejection_; }

  /// Reports success of a call that took `elapsed` (slow if ≥ slow_call_duration).
  void success(duration elapsed) noexcept { finish(false, elapsed.count()); }
  /// Reports success without a duration (never counted as slow).
  void success() noexcept { finish(false, -1); }
  /// Reports failure of a call that took `elapsed`.
  void failure(duration elapsed) noexcept { finish(true, elapsed.count()); }
  /// Reports failure without a duration.
  void failure() noexcept { finish(true, -1); }
  /// Gives the permit back without an outcome.
  void release() noexcept {
    if (breaker_ != nullptr) std::exchange(breaker_, nullptr)->on_release(epoch_);
  }

 private:
  friend Breaker;
  circuit_breaker_permit(Breaker* breaker, std::uint64_t epoch) noexcept : breaker_(breaker), epoch_(epoch) {}
  explicit circuit_breaker_permit(circuit_breaker_rejection rejection) noexcept : rejection_(rejection) {}

  void finish(bool failed, std::int64_t elapsed_ns) noexcept {
    if (breaker_ != nullptr) {
      std::exchange(breaker_, nullptr)->on_result(epoch_, failed, elapsed_ns);
      done_ = true;
    }
  }

  Breaker* breaker_ = nullptr;
  std::uint64_t epoch_ = 0;
  circuit_breaker_rejection rejection_{};
  bool done_ = false;
};

namespace detail {

inline bool rate_reached(std::uint64_t part, std::uint64_t total, double threshold) noexcept {
  return static_cast<double>(part) * 100.0 >= threshold * static_cast<double>(total);
}

inline std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

inline std::int64_t saturating_add(std::int64_t a, std::int64_t b) noexcept {
  return a > std::numeric_limits<std::int64_t>::max() - b ? std::numeric_limits<std::int64_t>::max() : a + b;
}

inline std::size_t bucket_slot(std::int64_t id, std::size_t n) noexcept {
  const std::int64_t m = id % static_cast<std::int64_t>(n);
  return static_cast<std::size_t>(m < 0 ? m + static_cast<std::int64_t>(n) : m);
}

// When a half-open state entered at `now` gives up waiting for its trial
// calls (never, when max_wait_in_half_open is zero).
inline std::int64_t half_open_deadline(const circuit_breaker_config& config, std::int64_t now) noexcept {
  return config.max_wait_in_half_open > circuit_breaker_config::duration::zero()
             ? saturating_add(now, config.max_wait_in_half_open.count())
             : std::numeric_limits<std::int64_t>::max();
}

// Tells the listener about a change of state; a listener that throws must
// not break the breaker, so its exception is dropped.
inline void notify_transition(const circuit_listener& listener, circuit_state from, circuit_state to) noexcept {
  if (from == to || !listener) return;
  try {
    listener(from, to);
  } catch (...) {
  }
}
}  // namespace detail

/// A circuit breaker for one thread (or one strand): exact count-based or
/// time-based sliding windows, lazy time-driven transitions (no timers).
///
/// Closed: calls are permitted and their outcomes fill the window; once it
/// holds minimum_calls, a failure rate or slow-call rate at or above its
/// threshold opens the breaker. Open: calls are rejected for wait_in_open,
/// then the next try_acquire() moves to half-open. Half-open: up to
/// permitted_calls_in_half_open trial calls; when all have reported, the
/// same thresholds decide between open and closed (and if
/// max_wait_in_half_open passes first, it opens again). Outcomes of permits
/// issued before a transition are ignored.
///
/// @tparam Clock a clock_source (manual_clock in tests)
///
/// @par Thread safety
/// Not thread-safe; use concurrent_circuit_breaker for shared use.
template <clock_source Clock = steady_clock>
class circuit_breaker {
 public:
  using permit = circuit_breaker_permit<circuit_breaker>;  ///< What try_acquire() returns.

  /// @throws std::invalid_argument if `config` is invalid.
  explicit circuit_breaker(const circuit_breaker_config& config, Clock clock = Clock{})
      : config_(checked(config)), clock_(std::move(clock)) {
    if (config_.window_kind == sliding_window_kind::count_based) {
      ring_.assign(config_.window_size, 0);
      min_calls_ = std::min(config_.minimum_calls, config_.window_size);
    } else {
      buckets_.assign(config_.window_size, bucket{});
      min_calls_ = config_.minimum_calls;
    }
    clear_window(now_ns());
  }
  circuit_breaker(const circuit_breaker&) = delete;             ///< Permits point to it.
  circuit_breaker& operator=(const circuit_breaker&) = delete;  ///< Permits point to it.

  /// Asks to make one call: a granted permit, or a rejection value.
  [[nodiscard]] permit try_acquire() {
    switch (state_) {
      case circuit_state::closed:
      case circuit_state::disabled: return permit(this, epoch_);
      case circuit_state::forced_open: return permit(circuit_breaker_rejection{circuit_state::forced_open, {}});
      case circuit_state::open: {
        const std::int64_t now = now_ns();
        if (now < open_until_) {
          return permit(circuit_breaker_rejection{circuit_state::open, std::chrono::nanoseconds(open_until_ - now)});
        }
        transition(circuit_state::half_open, now);
        return half_open_acquire(now);
      }
      case circuit_state::half_open: return half_open_acquire(now_ns());
    }
    return permit(circuit_breaker_rejection{state_, {}});
  }

  /// The current state (open turns into half-open only on try_acquire()).
  [[nodiscard]] circuit_state state() const noexcept { return state_; }
  /// Counts of the closed state's window.
  [[nodiscard]] circuit_breaker_metrics metrics() const noexcept {
    circuit_breaker_metrics m;
    m.calls = calls_;
    m.failures = failures_;
    m.slow_calls = slow_;
    if (calls_ >= min_calls_ && calls_ > 0) {
      m.failure_rate = 100.0 * failures_ / calls_;
      m.slow_call_rate = 100.0 * slow_ / calls_;
    }
    return m;
  }
  /// The configuration.
  [[nodiscard]] const circuit_breaker_config& config() const noexcept { return config_; }
  /// Sets the transition listener (called synchronously; exceptions it throws are swallowed).
  void set_listener(circuit_listener listener) { listener_ = std::move(listener); }

  /// Rejects every call until reset().
  void force_open() { transition(circuit_state::forced_open, now_ns()); }
  /// Permits every call and records nothing until reset().
  void disable() { transition(circuit_state::disabled, now_ns()); }
  /// Back to closed with an empty window.
  void reset() { transition(circuit_state::closed, now_ns()); }

 private:
  friend permit;
  struct bucket {
    std::int64_t id = 0;
    std::uint32_t calls = 0;
    std::uint32_t failures = 0;
    std::uint32_t slow = 0;
  };
  enum : std::uint8_t { failed_bit = 1, slow_bit = 2 };

  static const circuit_breaker_config& checked(const circuit_breaker_config& c) {
    c.validate();
    return c;
  }
  [[nodiscard]] std::int64_t now_ns() const { return detail::since_epoch(clock_).count(); }

  permit half_open_acquire(std::int64_t now) {
    if (now >= half_open_deadline_) {
      transition(circuit_state::open, now);
      return permit(circuit_breaker_rejection{circuit_state::open, config_.wait_in_open});
    }
    if (trial_issued_ < config_.permitted_calls_in_half_open) {
      ++trial_issued_;
      return permit(this, epoch_);
    }
    return permit(circuit_breaker_rejection{circuit_state::half_open, {}});
  }

  void on_release(std::uint64_t epoch) noexcept {
    if (epoch == epoch_ && state_ == circuit_state::half_open && trial_issued_ > trial_done_) --trial_issued_;
  }

  void on_result(std::uint64_t epoch, bool failed, std::int64_t elapsed_ns) noexcept {
    if (epoch != epoch_) return;
    const bool slow = elapsed_ns >= 0 && elapsed_ns >= config_.slow_call_duration.count();
    if (state_ == circuit_state::closed) {
      // Only a time-based window needs the time of the outcome.
      record_closed(buckets_.empty() ? 0 : now_ns(), failed, slow);
      if (calls_ >= min_calls_ && (detail::rate_reached(failures_, calls_, config_.failure_rate_threshold) ||
                                   detail::rate_reached(slow_, calls_, config_.slow_call_rate_threshold))) {
        transition(circuit_state::open, now_ns());
      }
    } else if (state_ == circuit_state::half_open) {
      ++trial_done_;
      trial_failures_ += failed ? 1U : 0U;
      trial_slow_ += slow ? 1U : 0U;
      if (trial_done_ >= config_.permitted_calls_in_half_open) {
        const bool bad = detail::rate_reached(trial_failures_, trial_done_, config_.failure_rate_threshold) ||
                         detail::rate_reached(trial_slow_, trial_done_, config_.slow_call_rate_threshold);
        transition(bad ? circuit_state::open : circuit_state::closed, now_ns());
      }
    }
  }

  void record_closed(std::int64_t now, bool failed, bool slow) noexcept {
    const std::uint32_t f = failed ? 1U : 0U;
    const std::uint32_t s = slow ? 1U : 0U;
    if (!ring_.empty()) {
      std::uint8_t& cell = ring_[ring_pos_];
      if (calls_ == ring_.size()) {  // full: the oldest outcome leaves
        failures_ -= (cell & failed_bit) != 0 ? 1U : 0U;
        slow_ -= (cell & slow_bit) != 0 ? 1U : 0U;
        --calls_;
      }
      cell = static_cast<std::uint8_t>((failed ? failed_bit : 0) | (slow ? slow_bit : 0));
      ring_pos_ = (ring_pos_ + 1) % ring_.size();
    } else {
      const std::int64_t id = roll(now);
      bucket& b = buckets_[detail::bucket_slot(id, buckets_.size())];
      ++b.calls;
      b.failures += f;
      b.slow += s;
    }
    ++calls_;
    failures_ += f;
    slow_ += s;
  }

  // Drops the buckets that left the time window; returns the current bucket id.
  std::int64_t roll(std::int64_t now) noexcept {
    const std::int64_t id = detail::floor_div(now, config_.bucket_duration.count());
    if (id > last_bucket_) {
      const std::int64_t steps = std::min<std::int64_t>(id - last_bucket_, static_cast<std::int64_t>(buckets_.size()));
      for (std::int64_t k = 1; k <= steps; ++k) {
        bucket& b = buckets_[detail::bucket_slot(last_bucket_ + k, buckets_.size())];
        calls_ -= b.calls;
        failures_ -= b.failures;
        slow_ -= b.slow;
        b = bucket{};
      }
      last_bucket_ = id;
    }
    return last_bucket_;
  }

  void clear_window(std::int64_t now) noexcept {
    std::fill(ring_.begin(), ring_.end(), std::uint8_t{0});
    std::fill(buckets_.begin(), buckets_.end(), bucket{});
    ring_pos_ = 0;
    calls_ = failures_ = slow_ = 0;
    last_bucket_ = detail::floor_div(now, config_.bucket_duration.count());
  }

  void transition(circuit_state to, std::int64_t now) {
    const circuit_state from = state_;
    state_ = to;
    ++epoch_;
    switch (to) {
      case circuit_state::closed: clear_window(now); break;
      case circuit_state::open: open_until_ = detail::saturating_add(now, config_.wait_in_open.count()); break;
      case circuit_state::half_open:
        trial_issued_ = trial_done_ = trial_failures_ = trial_slow_ = 0;
        half_open_deadline_ = detail::half_open_deadline(config_, now);
        break;
      case circuit_state::forced_open:
      case circuit_state::disabled: break;
    }
    detail::notify_transition(listener_, from, to);
  }

  circuit_breaker_config config_;
  Clock clock_;
  circuit_listener listener_;
  circuit_state state_ = circuit_state::closed;
  std::uint64_t epoch_ = 0;
  std::uint32_t min_calls_ = 1;
  // closed-state window
  std::vector<std::uint8_t> ring_;
  std::size_t ring_pos_ = 0;
  std::vector<bucket> buckets_;
  std::int64_t last_bucket_ = 0;
  std::uint32_t calls_ = 0;
  std::uint32_t failures_ = 0;
  std::uint32_t slow_ = 0;
  // open
  std::int64_t open_until_ = 0;
  // half-open
  std::int64_t half_open_deadline_ = 0;
  std::uint32_t trial_issued_ = 0;
  std::uint32_t trial_done_ = 0;
  std::uint32_t trial_failures_ = 0;
  std::uint32_t trial_slow_ = 0;
};

/// A thread-safe circuit breaker with the same states, configuration and
/// permits as circuit_breaker, built for a lock-free closed state.
///
/// State and transition epoch share one atomic word. In the closed state,
/// try_acquire() is a single atomic load and reporting a success is one
/// relaxed `fetch_add` on the current window bucket (plus one for a failure
/// or slow call, followed by a lock-free read of the window). The mutex is
/// taken only to roll a bucket, to change state, and in half-open.
///
/// The window is bucketed: a count-based window of N calls is
/// `K = min(N, 10)` buckets of `ceil(N / K)` calls, so it holds between
/// `(K − 1)` and `K` buckets' worth of the latest calls; a time-based window
/// is `window_size` buckets of `bucket_duration`. The rates are evaluated
/// after every failure or slow call and whenever a count-based bucket fills.
/// Outcomes racing with a bucket roll or a transition may land in the next
/// bucket: the window is exact to within a few in-flight calls.
///
/// @tparam Clock a clock_source (manual_clock in tests)
///
/// @par Thread safety
/// Every member function may be called concurrently; a permit may be
/// completed on any thread. The listener runs under the breaker's mutex, so
/// notifications arrive in transition order; it must not call back into the
/// breaker.
template <clock_source Clock = steady_clock>
class concurrent_circuit_breaker {
 public:
  using permit = circuit_breaker_permit<concurrent_circuit_breaker>;  ///< What try_acquire() returns.

  /// @throws std::invalid_argument if `config` is invalid.
  explicit concurrent_circuit_breaker(const circuit_breaker_config& config, Clock clock = Clock{})
      : config_(checked(config)), clock_(std::move(clock)) {
    if (config_.window_kind == sliding_window_kind::count_based) {
      bucket_count_ = std::min<std::size_t>(config_.window_size, 10);
      bucket_calls_ = (config_.window_size + bucket_count_ - 1) / bucket_count_;
      min_calls_ = std::min(config_.minimum_calls, config_.window_size);
    } else {
      bucket_count_ = config_.window_size;
      min_calls_ = config_.minimum_calls;
    }
    buckets_ = std::make_unique<bucket[]>(bucket_count_);
    current_id_.store(detail::floor_div(now_ns(), config_.bucket_duration.count()), std::memory_order_relaxed);
  }
  concurrent_circuit_breaker(const concurrent_circuit_breaker&) = delete;             ///< Permits point to it.
  concurrent_circuit_breaker& operator=(const concurrent_circuit_breaker&) = delete;  ///< Permits point to it.

  /// Asks to make one call: a granted permit, or a rejection value.
  [[nodiscard]] permit try_acquire() {
    const std::uint64_t se = state_epoch_.load(std::memory_order_acquire);
    switch (state_of(se)) {
      case circuit_state::closed:
      case circuit_state::disabled: return permit(this, se >> 8U);
      case circuit_state::forced_open: return permit(circuit_breaker_rejection{circuit_state::forced_open, {}});
      case circuit_state::open: {
        const std::int64_t now = now_ns();
        const std::int64_t until = open_until_.load(std::memory_order_relaxed);
        if (now < until) {
          return permit(circuit_breaker_rejection{circuit_state::open, std::chrono::nanoseconds(until - now)});
        }
        return acquire_locked(now);
      }
      case circuit_state::half_open: return acquire_locked(now_ns());
    }
    return permit(circuit_breaker_rejection{state_of(se), {}});
  }

  /// The current state.
  [[nodiscard]] circuit_state state() const noexcept {
    return state_of(state_epoch_.load(std::memory_order_acquire));
  }
  /// Counts of the closed state's window (a racy but consistent-enough sum).
  [[nodiscard]] circuit_breaker_metrics metrics() const noexcept {
    const totals t = sum();
    circuit_breaker_metrics m;
    m.calls = static_cast<std::uint32_t>(std::min<std::uint64_t>(t.calls, std::numeric_limits<std::uint32_t>::max()));
    m.failures = static_cast<std::uint32_t>(std::min<std::uint64_t>(t.failures, std::numeric_limits<std::uint32_t>::max()));
    m.slow_calls = static_cast<std::uint32_t>(std::min<std::uint64_t>(t.slow, std::numeric_limits<std::uint32_t>::max()));
    if (t.calls >= min_calls_ && t.calls > 0) {
      m.failure_rate = 100.0 * static_cast<double>(t.failures) / static_cast<double>(t.calls);
      m.slow_call_rate = 100.0 * static_cast<double>(t.slow) / static_cast<double>(t.calls);
    }
    return m;
  }
  /// The configuration.
  [[nodiscard]] const circuit_breaker_config& config() const noexcept { return config_; }
  /// Sets the transition listener (called under the breaker's mutex).
  void set_listener(circuit_listener listener) {
    const std::lock_guard lock(mutex_);
    listener_ = std::move(listener);
  }

  /// Rejects every call until reset().
  void force_open() { locked_transition(circuit_state::forced_open); }
  /// Permits every call and records nothing until reset().
  void disable() { locked_transition(circuit_state::disabled); }
  /// Back to closed with an empty window.
  void reset() { locked_transition(circuit_state::closed); }

 private:
  friend permit;
  struct alignas(64) bucket {
    std::atomic<std::uint64_t> calls{0};
    std::atomic<std::uint64_t> bad{0};  // failures in the low 32 bits, slow calls in the high 32
  };
  struct totals {
    std::uint64_t calls = 0;
    std::uint64_t failures = 0;
    std::uint64_t slow = 0;
  };
  static constexpr std::uint64_t slow_one = std::uint64_t{1} << 32U;

  static const circuit_breaker_config& checked(const circuit_breaker_config& c) {
    c.validate();
    return c;
  }
  static constexpr circuit_state state_of(std::uint64_t se) noexcept { return static_cast<circuit_state>(se & 0xFFU); }
  static constexpr std::uint64_t pack(circuit_state s, std::uint64_t epoch) noexcept {
    return (epoch << 8U) | static_cast<std::uint64_t>(s);
  }
  [[nodiscard]] std::int64_t now_ns() const { return detail::since_epoch(clock_).count(); }
  [[nodiscard]] bool time_based() const noexcept { return config_.window_kind == sliding_window_kind::time_based; }

  [[nodiscard]] totals sum() const noexcept {
    totals t;
    for (std::size_t i = 0; i < bucket_count_; ++i) {
      t.calls += buckets_[i].calls.load(std::memory_order_relaxed);
      const std::uint64_t bad = buckets_[i].bad.load(std::memory_order_relaxed);
      t.failures += bad & 0xFFFFFFFFU;
      t.slow += bad >> 32U;
    }
    return t;
  }
  [[nodiscard]] bool tripped(const totals& t) const noexcept {
    return t.calls >= min_calls_ && t.calls > 0 &&
           (detail::rate_reached(t.failures, t.calls, config_.failure_rate_threshold) ||
            detail::rate_reached(t.slow, t.calls, config_.slow_call_rate_threshold));
  }

  permit acquire_locked(std::int64_t now) {
    const std::lock_guard lock(mutex_);
    const std::uint64_t se = state_epoch_.load(std::memory_order_relaxed);
    switch (state_of(se)) {
      case circuit_state::closed:
      case circuit_state::disabled: return permit(this, se >> 8U);
      case circuit_state::forced_open: return permit(circuit_breaker_rejection{circuit_state::forced_open, {}});
      case circuit_state::open: {
        const std::int64_t until = open_until_.load(std::memory_order_relaxed);
        if (now < until) {
          return permit(circuit_breaker_rejection{circuit_state::open, std::chrono::nanoseconds(until - now)});
        }
        transition(circuit_state::half_open, now);
        break;
      }
      case circuit_state::half_open: break;
    }
    if (now >= half_open_deadline_) {
      transition(circuit_state::open, now);
      return permit(circuit_breaker_rejection{circuit_state::open, config_.wait_in_open});
    }
    if (trial_issued_ < config_.permitted_calls_in_half_open) {
      ++trial_issued_;
      return permit(this, state_epoch_.load(std::memory_order_relaxed) >> 8U);
    }
    return permit(circuit_breaker_rejection{circuit_state::half_open, {}});
  }

  void on_release(std::uint64_t epoch) noexcept {
    if (state_epoch_.load(std::memory_order_relaxed) != pack(circuit_state::half_open, epoch)) return;
    const std::lock_guard lock(mutex_);
    if (state_epoch_.load(std::memory_order_relaxed) == pack(circuit_state::half_open, epoch) &&
        trial_issued_ > trial_done_) {
      --trial_issued_;
    }
  }

  void on_result(std::uint64_t epoch, bool failed, std::int64_t elapsed_ns) noexcept {
    const bool slow = elapsed_ns >= 0 && elapsed_ns >= config_.slow_call_duration.count();
    const std::uint64_t se = state_epoch_.load(std::memory_order_relaxed);
    if (se == pack(circuit_state::closed, epoch)) {
      record_closed(epoch, failed, slow);
    } else if (se == pack(circuit_state::half_open, epoch)) {
      record_half_open(epoch, failed, slow);
    }
  }

  // The lock-free path.
  void record_closed(std::uint64_t epoch, bool failed, bool slow) noexcept {
    const std::uint64_t bad = (failed ? 1U : 0U) | (slow ? slow_one : 0U);
    if (!time_based()) {
      const std::size_t b = current_.load(std::memory_order_acquire);
      const std::uint64_t n = buckets_[b].calls.fetch_add(1, std::memory_order_relaxed) + 1;
      if (bad != 0) buckets_[b].bad.fetch_add(bad, std::memory_order_relaxed);
      if (n == bucket_calls_) {
        roll_count(epoch, b);
        return;
      }
    } else {
      const std::int64_t now = now_ns();
      std::int64_t id = detail::floor_div(now, config_.bucket_duration.count());
      const std::int64_t current = current_id_.load(std::memory_order_acquire);
      if (id > current) {
        roll_time(epoch, id);
      } else {
        id = current;  // a late reader counts in the current bucket
      }
      bucket& bk = buckets_[detail::bucket_slot(id, bucket_count_)];
      bk.calls.fetch_add(1, std::memory_order_relaxed);
      if (bad != 0) bk.bad.fetch_add(bad, std::memory_order_relaxed);
    }
    if (bad != 0 && tripped(sum())) open_if_still(epoch);
  }

  void roll_count(std::uint64_t epoch, std::size_t b) noexcept {
    const std::lock_guard lock(mutex_);
    if (state_epoch_.load(std::memory_order_relaxed) != pack(circuit_state::closed, epoch)) return;
    if (current_.load(std::memory_order_relaxed) != b) return;
    if (tripped(sum())) {
      transition(circuit_state::open, now_ns());
      return;
    }
    const std::size_t next = (b + 1) % bucket_count_;
    buckets_[next].calls.store(0, std::memory_order_relaxed);
    buckets_[next].bad.store(0, std::memory_order_relaxed);
    current_.store(next, std::memory_order_release);
  }

  void roll_time(std::uint64_t epoch, std::int64_t id) noexcept {
    const std::lock_guard lock(mutex_);
    if (state_epoch_.load(std::memory_order_relaxed) != pack(circuit_state::closed, epoch)) return;
    const std::int64_t current = current_id_.load(std::memory_order_relaxed);
    if (id <= current) return;
    const std::int64_t steps = std::min<std::int64_t>(id - current, static_cast<std::int64_t>(bucket_count_));
    for (std::int64_t k = 1; k <= steps; ++k) {
      bucket& bk = buckets_[detail::bucket_slot(current + k, bucket_count_)];
      bk.calls.store(0, std::memory_order_relaxed);
      bk.bad.store(0, std::memory_order_relaxed);
    }
    current_id_.store(id, std::memory_order_release);
  }

  void open_if_still(std::uint64_t epoch) noexcept {
    const std::lock_guard lock(mutex_);
    if (state_epoch_.load(std::memory_order_relaxed) == pack(circuit_state::closed, epoch) && tripped(sum())) {
      transition(circuit_state::open, now_ns());
    }
  }

  void record_half_open(std::uint64_t epoch, bool failed, bool slow) noexcept {
    const std::lock_guard lock(mutex_);
    if (state_epoch_.load(std::memory_order_relaxed) != pack(circuit_state::half_open, epoch)) return;
    ++trial_done_;
    trial_failures_ += failed ? 1U : 0U;
    trial_slow_ += slow ? 1U : 0U;
    if (trial_done_ >= config_.permitted_calls_in_half_open) {
      const bool bad = detail::rate_reached(trial_failures_, trial_done_, config_.failure_rate_threshold) ||
                       detail::rate_reached(trial_slow_, trial_done_, config_.slow_call_rate_threshold);
      transition(bad ? circuit_state::open : circuit_state::closed, now_ns());
    }
  }

  void locked_transition(circuit_state to) {
    const std::lock_guard lock(mutex_);
    transition(to, now_ns());
  }

  // Caller holds mutex_.
  void transition(circuit_state to, std::int64_t now) noexcept {
    const std::uint64_t se = state_epoch_.load(std::memory_order_relaxed);
    const circuit_state from = state_of(se);
    switch (to) {
      case circuit_state::closed:
        for (std::size_t i = 0; i < bucket_count_; ++i) {
          buckets_[i].calls.store(0, std::memory_order_relaxed);
          buckets_[i].bad.store(0, std::memory_order_relaxed);
        }
        current_.store(0, std::memory_order_relaxed);
        current_id_.store(detail::floor_div(now, config_.bucket_duration.count()), std::memory_order_relaxed);
        break;
      case circuit_state::open:
        open_until_.store(detail::saturating_add(now, config_.wait_in_open.count()), std::memory_order_relaxed);
        break;
      case circuit_state::half_open:
        trial_issued_ = trial_done_ = trial_failures_ = trial_slow_ = 0;
        half_open_deadline_ = detail::half_open_deadline(config_, now);
        break;
      case circuit_state::forced_open:
      case circuit_state::disabled: break;
    }
    state_epoch_.store(pack(to, (se >> 8U) + 1), std::memory_order_release);
    detail::notify_transition(listener_, from, to);
  }

  circuit_breaker_config config_;
  Clock clock_;
  std::size_t bucket_count_ = 1;
  std::uint64_t bucket_calls_ = 1;
  std::uint32_t min_calls_ = 1;
  std::unique_ptr<bucket[]> buckets_;
  alignas(64) std::atomic<std::uint64_t> state_epoch_{pack(circuit_state::closed, 0)};
  std::atomic<std::size_t> current_{0};
  std::atomic<std::int64_t> current_id_{0};
  std::atomic<std::int64_t> open_until_{0};
  alignas(64) std::mutex mutex_;
  circuit_listener listener_;
  std::int64_t half_open_deadline_ = 0;
  std::uint32_t trial_issued_ = 0;
  std::uint32_t trial_done_ = 0;
  std::uint32_t trial_failures_ = 0;
  std::uint32_t trial_slow_ = 0;
};

}  // namespace musicbot::core
