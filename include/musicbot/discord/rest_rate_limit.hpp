#pragma once
/// @file
/// Discord REST rate limits as a pure state machine (no I/O, injected clock):
/// per-route buckets discovered from `X-RateLimit-Bucket` and keyed with the
/// route's top-level resource, the global limit, 429 handling and a guard
/// against the invalid-request (Cloudflare) ban.

#include "musicbot/core/clock.hpp"
#include "musicbot/discord/error.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace musicbot::discord {

/// A REST route: method + path, with the keys rate limits are tracked by.
struct rest_route {
  std::string method;    ///< "GET", "POST", "PATCH", "PUT", "DELETE"
  std::string path;      ///< path after the API base, e.g. "/channels/805739220172931072/messages"
  std::string key;       ///< route key: method + path with minor ids replaced, major ids kept
  std::string major;     ///< the top-level resource ("channels/805739220172931072"), or empty
  bool global_exempt = false;  ///< interaction callbacks and follow-ups skip the global limit
  bool interaction = false;    ///< an interaction endpoint (token in the path: never log the path)
  std::string display;         ///< `key` with webhook/interaction tokens masked: safe to log

  /// Builds a route; `path` must start with '/'.
  [[nodiscard]] static rest_route make(std::string_view method, std::string_view path);
};

/// Rate-limit fields of a response.
struct rate_limit_headers {
  std::optional<std::string> bucket;       ///< X-RateLimit-Bucket
  std::optional<std::uint32_t> limit;      ///< X-RateLimit-Limit
  std::optional<std::uint32_t> remaining;  ///< X-RateLimit-Remaining
  std::optional<double> reset_after;       ///< X-RateLimit-Reset-After (seconds)
  std::optional<double> retry_after;       ///< Retry-After header or body `retry_after` (seconds)
  bool global = false;                     ///< X-RateLimit-Global or body `global`
  std::optional<std::string> scope;        ///< X-RateLimit-Scope: user, global, shared

  /// Reads the fields through `header` (returns a header's value by name,
  /// case-insensitively) and, for a 429, the JSON `body`.
  [[nodiscard]] static rate_limit_headers parse(
      const std::function<std::optional<std::string_view>(std::string_view)>& header, std::string_view body = {});
};

/// Settings of a rest_rate_limiter.
struct rest_rate_limit_options {
  std::uint32_t global_per_second = 50;  ///< global requests per second (interaction endpoints exempt)
  /// Invalid responses (401, 403, non-shared 429) allowed per window before
  /// requests are held back; Discord bans at 10,000 per 10 min.
  std::uint32_t invalid_request_guard = 2500;
  std::chrono::milliseconds invalid_request_window = std::chrono::minutes(10);  ///< the ban's window
  std::size_t max_buckets = 10'000;      ///< bound of the bucket and route maps
  /// Added to every reset/retry wait: clocks and networks are not exact.
  std::chrono::milliseconds safety_margin{50};
};

/// The rate-limit state of one bot token.
///
/// Before a request: acquire(). When granted, send; afterwards report the
/// response with on_response() (or on_failure() if none came). Callers send
/// at most one request per route key at a time (rest_client does), so
/// `Remaining` stays exact.
///
/// @par Thread safety
/// Not thread-safe.
template <core::clock_source Clock = core::steady_clock>
class rest_rate_limiter {
 public:
  using duration = typename Clock::duration;      ///< Clock duration.
  using time_point = typename Clock::time_point;  ///< Clock instant.

  /// The answer to acquire().
  struct permit {
    bool granted = false;     ///< send now
    time_point retry_at{};    ///< when not granted: ask again at this time
    boost::system::error_code reason;  ///< when not granted: rate_limited or invalid_request_guard
  };

  /// What to do with a response.
  enum class outcome {
    done,   ///< deliver the response
    retry,  ///< a 429: ask acquire() again (the wait is already recorded)
  };

  /// A limiter with `options`, reading time from `clock`.
  explicit rest_rate_limiter(rest_rate_limit_options options = {}, Clock clock = Clock{})
      : options_(options), clock_(std::move(clock)) {}

  /// May a request on `route` go now? A grant is counted at once.
  permit acquire(const rest_route& route) {
    const auto now = clock_.now();
    prune_invalid(now);
    if (invalid_.size() >= options_.invalid_request_guard) {
      return {false, invalid_.front() + window(), make_error_code(error::invalid_request_guard)};
    }
    if (now < global_blocked_until_) return {false, global_blocked_until_, make_error_code(error::rate_limited)};
    bucket* b = find_bucket(route);
    if (b == nullptr) {
      if (auto until = route_blocked_until(route)) return {false, *until, make_error_code(error::rate_limited)};
    }
    if (b != nullptr) {
      if (b->remaining == 0 && now < b->reset_at) return {false, b->reset_at, make_error_code(error::rate_limited)};
      if (now >= b->reset_at) b->remaining = b->limit;  // the window passed
    }
    if (!route.global_exempt) {
      const auto second = std::chrono::duration_cast<duration>(std::chrono::seconds(1));
      while (!global_.empty() && global_.front() + second <= now) global_.pop_front();
      if (global_.size() >= options_.global_per_second) {
        return {false, global_.front() + second, make_error_code(error::rate_limited)};
      }
      global_.push_back(now);
    }
    if (b != nullptr && b->remaining > 0) --b->remaining;
    return {true, now, {}};
  }

  /// Records a response to a request on `route`.
  outcome on_response(const rest_route& route, unsigned status, const rate_limit_headers& h) {
    const auto now = clock_.now();
    if (status == 401 || status == 403 || (status == 429 && h.scope.value_or("") != "shared")) {
      invalid_.push_back(now);
      if (invalid_.size() > 2 * std::size_t{options_.invalid_request_guard} + 1) invalid_.pop_front();
    }
    if (h.bucket) {
      if (routes_.size() >= options_.max_buckets) routes_.clear();  // rediscovered on next use
      routes_[route.key] = *h.bucket;
      const std::string id = *h.bucket + '|' + route.major;
      auto it = buckets_.find(id);
      if (it == buckets_.end()) {
        if (buckets_.size() >= options_.max_buckets) prune_buckets(now);
        it = buckets_.emplace(id, bucket{}).first;
      }
      bucket& b = it->second;
      if (h.limit) b.limit = *h.limit;
      if (h.remaining) b.remaining = *h.remaining;
      if (h.reset_after) b.reset_at = now + seconds(*h.reset_after);
    }
    if (status != 429) return outcome::done;
    const double retry = h.retry_after.value_or(h.reset_after.value_or(1.0));
    if (h.global || h.scope.value_or("") == "global") {
      global_blocked_until_ = std::max(global_blocked_until_, now + seconds(retry));
    } else if (bucket* b = find_bucket(route)) {
      b->remaining = 0;
      b->reset_at = std::max(b->reset_at, now + seconds(retry));
    } else {
      if (route_blocked_.size() >= options_.max_buckets) route_blocked_.clear();
      route_blocked_[route.key] = now + seconds(retry);  // no bucket header: hold the route
    }
    ++rate_limited_;
    return outcome::retry;
  }

  /// The wait before a route without a known bucket may go again (after a 429 without bucket headers).
  [[nodiscard]] std::optional<time_point> route_blocked_until(const rest_route& route) const {
    auto it = route_blocked_.find(route.key);
    if (it == route_blocked_.end() || clock_.now() >= it->second) return std::nullopt;
    return it->second;
  }

  /// 401/403/429 responses counted in the current invalid-request window.
  [[nodiscard]] std::size_t invalid_requests() const noexcept { return invalid_.size(); }
  /// 429 responses seen since construction.
  [[nodiscard]] std::uint64_t rate_limited_responses() const noexcept { return rate_limited_; }
  /// Known buckets.
  [[nodiscard]] std::size_t bucket_count() const noexcept { return buckets_.size(); }
  /// The remaining count of `route`'s bucket, if known.
  [[nodiscard]] std::optional<std::uint32_t> remaining(const rest_route& route) {
    bucket* b = find_bucket(route);
    if (b == nullptr) return std::nullopt;
    return clock_.now() >= b->reset_at ? b->limit : b->remaining;
  }

 private:
  struct bucket {
    std::uint32_t limit = 1;
    std::uint32_t remaining = 1;
    time_point reset_at{};
  };

  duration seconds(double s) const {
    return std::chrono::duration_cast<duration>(std::chrono::duration<double>(s < 0 ? 0 : s)) +
           std::chrono::duration_cast<duration>(options_.safety_margin);
  }
  duration window() const { return std::chrono::duration_cast<duration>(options_.invalid_request_window); }

  bucket* find_bucket(const rest_route& route) {
    auto r = routes_.find(route.key);
    if (r == routes_.end()) {
      auto blocked = route_blocked_.find(route.key);
      if (blocked != route_blocked_.end()) {
        if (clock_.now() >= blocked->second) route_blocked_.erase(blocked);
      }
      return nullptr;
    }
    auto b = buckets_.find(r->second + '|' + route.major);
    return b == buckets_.end() ? nullptr : &b->second;
  }

  void prune_invalid(time_point now) {
    while (!invalid_.empty() && invalid_.front() + window() <= now) invalid_.pop_front();
  }
  void prune_buckets(time_point now) {
    std::erase_if(buckets_, [now](const auto& kv) { return kv.second.reset_at <= now; });
    if (buckets_.size() >= options_.max_buckets) buckets_.clear();
  }

  rest_rate_limit_options options_;
  Clock clock_;
  std::unordered_map<std::string, std::string> routes_;  // route key -> bucket hash
  std::unordered_map<std::string, bucket> buckets_;      // hash|major -> state
  std::unordered_map<std::string, time_point> route_blocked_;
  std::deque<time_point> global_;
  std::deque<time_point> invalid_;
  time_point global_blocked_until_{};
  std::uint64_t rate_limited_ = 0;
};

}  // namespace musicbot::discord
