#pragma once
/// @file
/// Options, events and statistics of the layered cache.

#include <musicbot/cache/policy.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace musicbot::cache {

/// Per-entry behaviour of `layered_cache::get_or_load()` and `put()`.
///
/// Every duration of zero switches its feature off.
struct entry_options {
  /// How long a loaded value is fresh (served without touching L2 or the loader).
  std::chrono::milliseconds ttl{std::chrono::minutes(5)};
  /// Spread of the TTL: the effective TTL is drawn uniformly from
  /// `ttl × [1 − ttl_jitter, 1 + ttl_jitter]` so entries loaded together do
  /// not all expire together. 0..1.
  double ttl_jitter = 0.0;
  /// How long a "not found" answer of the loader is cached (0: not cached),
  /// in L1 and — with `write_l2` — in L2, so other processes get the same
  /// answer without calling their loader. A reader whose `negative_ttl` is
  /// 0 ignores "not found" entries found in L2 and asks its loader.
  std::chrono::milliseconds negative_ttl{0};
  /// How long after expiry a value may still be served when L2 and the
  /// loader fail or time out (fail-safe). 0: never serve stale values.
  std::chrono::milliseconds max_stale{0};
  /// When a stale value exists, the longest a caller waits for a fresh one
  /// before the stale value is returned; the load goes on in the background.
  /// 0: no soft timeout.
  std::chrono::milliseconds soft_timeout{0};
  /// The longest a caller waits at all, and the longest the loader may run;
  /// after it the caller gets the stale value if any, else error::timeout.
  std::chrono::milliseconds hard_timeout{std::chrono::seconds(5)};
  /// The longest one L2 operation may take before it counts as failed.
  std::chrono::milliseconds l2_timeout{std::chrono::milliseconds(250)};
  /// Refresh-ahead: a fresh entry read after this fraction of its TTL is
  /// reloaded in the background, so hot keys never miss. 0: off; e.g. 0.8.
  double refresh_ahead = 0.0;
  /// Tags for erase_by_tag() (at most 8 are kept per entry).
  std::vector<std::string> tags;
  /// Write loaded values to L2 (when an L2 store is configured).
  bool write_l2 = true;
};

/// The layer an event happened in.
enum class layer {
  l1,      ///< The in-process memory layer.
  l2,      ///< The shared store (Redis).
  loader,  ///< The caller's loader (the source of truth).
};

/// What happened (reported to the observer with the layer and cache name).
enum class event {
  hit,           ///< A fresh value was found in the layer.
  miss,          ///< The layer had no fresh value.
  negative_hit,  ///< A cached "not found" answered the request (L1).
  stale,         ///< A stale value was served because a fresher one was not available in time.
  load,          ///< The loader ran and produced a value (or "not found").
  error,         ///< The layer failed or timed out.
  refresh,       ///< A refresh-ahead reload started (L1).
  coalesced,     ///< A caller joined a load already in flight (single-flight).
  invalidation,  ///< An entry was removed by erase(), erase_by_tag() or the backplane.
};

/// Receives every cache event. Used to feed metrics; it must be cheap and
/// must not call back into the cache.
using observer = std::function<void(std::string_view cache_name, layer where, event what)>;

/// Counters of one cache (monotonic since construction).
struct cache_stats {
  std::uint64_t l1_hits = 0;        ///< Fresh L1 hits (including negative hits).
  std::uint64_t l1_misses = 0;      ///< L1 lookups without a fresh value.
  std::uint64_t l2_hits = 0;        ///< L2 lookups that found a value or a cached "not found".
  std::uint64_t l2_negative_hits = 0;  ///< L2 lookups that found a cached "not found" (part of l2_hits).
  std::uint64_t l2_misses = 0;      ///< L2 lookups that found nothing.
  std::uint64_t l2_errors = 0;      ///< L2 failures, timeouts and breaker rejections.
  std::uint64_t l2_rejected = 0;    ///< L2 calls skipped because the breaker was open (part of l2_errors).
  std::uint64_t loads = 0;          ///< Loader calls.
  std::uint64_t load_errors = 0;    ///< Loader failures and timeouts.
  std::uint64_t stale_served = 0;   ///< Stale values handed to callers.
  std::uint64_t coalesced = 0;      ///< Callers that joined a load already in flight.
  std::uint64_t refreshes = 0;      ///< Refresh-ahead reloads started.
  std::uint64_t invalidations = 0;  ///< Entries removed by erase/erase_by_tag/backplane.
};

}  // namespace musicbot::cache
