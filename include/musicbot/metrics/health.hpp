#pragma once
/// @file
/// Health model: components report healthy / degraded / unhealthy with a
/// reason; the registry aggregates them (worst wins) and renders JSON for
/// the `/ready` endpoint.

#include <musicbot/core/result.hpp>
#include <musicbot/metrics/error.hpp>

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace musicbot::metrics {

/// The state of one component, or of the whole process. Ordered: a larger
/// value is worse.
enum class health_status {
  healthy = 0,    ///< working normally
  degraded = 1,   ///< working with reduced function (e.g. Redis down, local limits active)
  unhealthy = 2,  ///< not able to do its job; the process should not get traffic
};

/// "healthy", "degraded" or "unhealthy".
[[nodiscard]] std::string_view to_string(health_status status) noexcept;

/// What one check reports.
struct health_report {
  health_status status = health_status::healthy;  ///< the component's state
  /// Why (empty when healthy); at most 256 bytes are kept. `/ready` shows
  /// it to whoever may call it: never put credentials or user data in it.
  std::string reason;
};

/// One component's entry in a snapshot.
struct component_health {
  std::string name;      ///< the check's name
  health_report report;  ///< what it reported
};

/// The aggregated state at one instant.
struct health_snapshot {
  health_status status = health_status::healthy;  ///< the worst component state (healthy if none)
  std::vector<component_health> components;       ///< every component, sorted by name

  /// `{"status":"degraded","components":{"redis":{"status":"degraded","reason":"..."}}}`.
  /// Reasons are JSON-escaped; bytes that are not valid UTF-8 become U+FFFD.
  [[nodiscard]] std::string to_json() const;
  /// True unless the status is unhealthy (what `/ready` answers 200 for).
  [[nodiscard]] bool ready() const noexcept { return status != health_status::unhealthy; }
};

/// Holds the health checks of a process.
///
/// Two styles, mixable: a pull check (`add_check`) is a function called at
/// each `check()` and must be quick and non-blocking (read an atomic, a
/// breaker state); a pushed state (`set`) is stored by the component when
/// it changes, which suits asynchronous components (a connection that
/// learns it is down in a callback).
///
/// @par Thread safety
/// All member functions may be called concurrently. Check functions run
/// outside the registry's lock, so they may call `set`.
class health_registry {
 public:
  /// A registry holding at most `max_checks` named checks.
  explicit health_registry(std::size_t max_checks = 256) : max_checks_(max_checks) {}

  /// Adds a pull check. Errors: invalid_check_name, duplicate_check, too_many_checks.
  core::result<void> add_check(std::string_view name, std::function<health_report()> check);
  /// Creates or updates a pushed state. Errors: invalid_check_name,
  /// duplicate_check (the name is a pull check), too_many_checks.
  core::result<void> set(std::string_view name, health_status status, std::string_view reason = {});
  /// Removes a check or pushed state; false if there was none.
  bool remove(std::string_view name);
  /// Runs every check and aggregates. A check that throws reports unhealthy.
  [[nodiscard]] health_snapshot check() const;

 private:
  struct entry {
    std::function<health_report()> check;  // empty for pushed states
    health_report pushed;
  };
  std::size_t max_checks_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const entry>, std::less<>> entries_;
};

}  // namespace musicbot::metrics
