#pragma once
/// @file
/// `musicbot::core::keyed_rate_limiter`: one local limit per key (user,
/// guild, `guild:user:command`), with a bounded number of tracked keys.

#include <musicbot/core/gcra.hpp>
#include <musicbot/core/rate_limit.hpp>
#include <musicbot/core/sliding_window.hpp>
#include <musicbot/core/token_bucket.hpp>
#include <musicbot/core/ttl_map.hpp>

#include <charconv>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace musicbot::core {

namespace detail {

template <class T>
void append_key_part(std::string& out, const T& part) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char>) {
    char buf[24];
    const auto res = std::to_chars(buf, buf + sizeof buf, part);
    out.append(buf, res.ptr);
  } else {
    // Escape the separator so that ("a:b", "c") and ("a", "b:c") differ.
    const std::string_view s(part);
    for (const char c : s) {
      if (c == ':' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
  }
}

}  // namespace detail

/// Builds a composite limiter key such as `guild:user:command` from integers
/// and strings, joined by ':'. A ':' or '\\' inside a string part is escaped
/// with '\\', so distinct part lists always give distinct keys.
///
/// Example: `rate_limit_key(guild_id, user_id, "play")` → `"1234:5678:play"`.
template <class... Parts>
  requires(sizeof...(Parts) > 0 &&
           ((std::is_integral_v<Parts> || std::is_convertible_v<const Parts&, std::string_view>) && ...))
[[nodiscard]] std::string rate_limit_key(const Parts&... parts) {
  std::string out;
  out.reserve(16 * sizeof...(Parts));
  bool first = true;
  const auto add = [&](const auto& part) {
    if (!first) out.push_back(':');
    first = false;
    detail::append_key_part(out, part);
  };
  (add(parts), ...);
  return out;
}

/// A local rate limiter with one quota per key. The per-key states live in a
/// ttl_map: at most `max_keys` keys are tracked; a key idle long enough to be
/// back to a full quota is dropped on its own, and when the map is full the
/// least recently used key is dropped (it starts again with a full quota,
/// which is the price of bounded memory: size `max_keys` above the number of
/// keys active within one window).
///
/// The distributed (Redis) limiter falls back to this with
/// `config.scaled(fallback_fraction, expected_replicas)`.
///
/// @tparam Clock a clock_source (manual_clock in tests). The default,
///               coarse_steady_clock, reads time at kernel-tick resolution
///               (1–4 ms): decisions and `retry_after` can be off by one tick,
///               and a decision costs a fraction of a precise clock read
///               (see docs/BENCHMARKS.md). Pass steady_clock for
///               nanosecond-exact limits.
///
/// @par Thread safety
/// Not thread-safe: use it from one thread (or strand), or guard it.
template <clock_source Clock = coarse_steady_clock>
class keyed_rate_limiter {
 public:
  /// @throws std::invalid_argument if `config` is invalid or `max_keys` is 0.
  keyed_rate_limiter(const rate_limit_config& config, std::size_t max_keys, Clock clock = Clock{})
      : config_(validated(config)), policy_(make_policy(config)),
        idle_(std::visit([](const auto& p) { return p.idle_reset(); }, policy_)),
        states_(max_keys, std::chrono::duration_cast<typename Clock::duration>(idle_), std::move(clock)) {}

  /// Decides one call for `key` (allowed or refused, never an exception).
  [[nodiscard]] rate_limit_decision try_acquire(std::string_view key) {
    const auto ttl = std::chrono::duration_cast<typename Clock::duration>(idle_);
    const auto instant = states_.clock().now();  // one clock read serves the map and the policy
    key_state* st = states_.find_and_refresh(key, ttl, instant);
    if (st == nullptr) st = states_.try_emplace_for(ttl, std::string(key), initial_state()).first;
    const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(instant.time_since_epoch());
    switch (policy_.index()) {
      case 0: return std::get<0>(policy_).acquire(std::get<0>(*st), now);
      case 1: return std::get<1>(policy_).acquire(std::get<1>(*st), now);
      default: return std::get<2>(policy_).acquire(std::get<2>(*st), now);
    }
  }

  /// Forgets `key` (its next call starts with a full quota).
  void reset(std::string_view key) { states_.erase(key); }
  /// Forgets every key.
  void clear() { states_.clear(); }
  /// Number of tracked keys (including idle ones not dropped yet).
  [[nodiscard]] std::size_t size() const noexcept { return states_.size(); }
  /// The maximum number of tracked keys.
  [[nodiscard]] std::size_t max_keys() const noexcept { return states_.capacity(); }
  /// The configuration.
  [[nodiscard]] const rate_limit_config& config() const noexcept { return config_; }
  /// Counters of the key map (hits, misses, evictions of active keys, expirations of idle ones).
  [[nodiscard]] const ttl_map_stats& stats() const noexcept { return states_.stats(); }

 private:
  using policy_variant = std::variant<gcra_policy, token_bucket_policy, sliding_window_policy>;
  using key_state = std::variant<gcra_policy::state, token_bucket_policy::state, sliding_window_policy::state>;

  static const rate_limit_config& validated(const rate_limit_config& config) {
    config.validate();
    return config;
  }
  static policy_variant make_policy(const rate_limit_config& config) {
    switch (config.algorithm) {
      case rate_limit_algorithm::token_bucket: return policy_variant(std::in_place_index<1>, config);
      case rate_limit_algorithm::sliding_window: return policy_variant(std::in_place_index<2>, config);
      case rate_limit_algorithm::gcra: break;
    }
    return policy_variant(std::in_place_index<0>, config);
  }
  [[nodiscard]] key_state initial_state() const {
    switch (policy_.index()) {
      case 1: return key_state(std::in_place_index<1>);
      case 2: return key_state(std::in_place_index<2>);
      default: return key_state(std::in_place_index<0>);
    }
  }

  rate_limit_config config_;
  policy_variant policy_;
  std::chrono::nanoseconds idle_;
  ttl_map<std::string, key_state, string_hash, std::equal_to<>, Clock> states_;
};

}  // namespace musicbot::core
