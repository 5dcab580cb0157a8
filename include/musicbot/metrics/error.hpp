#pragma once
/// @file
/// Error codes of musicbot::metrics (std only), as a `std::error_code` category.

#include <string>
#include <system_error>

namespace musicbot::metrics {

/// Errors reported by the metrics registry and the health model.
/// Values are stable; never reorder.
enum class error {
  ok = 0,                       ///< success (never stored in an error_code)
  invalid_metric_name = 1,      ///< not `[a-zA-Z_:][a-zA-Z0-9_:]*`, or ends in a reserved suffix
  invalid_label_name = 2,       ///< not `[a-zA-Z_][a-zA-Z0-9_]*`
  reserved_label_name = 3,      ///< starts with `__`, or is `le` on a histogram
  duplicate_label_name = 4,     ///< the same label name twice in one family
  conflicting_registration = 5, ///< the name exists with another type, labels or buckets
  label_count_mismatch = 6,     ///< number of label values differs from the family's label names
  invalid_label_value = 7,      ///< not UTF-8, or longer than the family allows
  series_limit_reached = 8,     ///< the family already holds its maximum number of series
  invalid_buckets = 9,          ///< histogram bounds not finite and strictly increasing
  invalid_help = 10,            ///< help text is not valid UTF-8
  invalid_options = 11,         ///< e.g. a maximum of zero series
  invalid_family = 12,          ///< a default-constructed (empty) family handle was used
  duplicate_check = 13,         ///< a health check with this name already exists
  too_many_checks = 14,         ///< the health registry holds its maximum number of checks
  invalid_check_name = 15,      ///< health check names are 1-64 chars of `[a-zA-Z0-9_.-]`
};

/// The category of musicbot::metrics::error ("musicbot.metrics").
class error_category final : public std::error_category {
 public:
  /// "musicbot.metrics".
  [[nodiscard]] const char* name() const noexcept override { return "musicbot.metrics"; }
  /// A short English description of `value`.
  [[nodiscard]] std::string message(int value) const override {
    switch (static_cast<error>(value)) {
      case error::ok: return "success";
      case error::invalid_metric_name: return "invalid metric name";
      case error::invalid_label_name: return "invalid label name";
      case error::reserved_label_name: return "reserved label name";
      case error::duplicate_label_name: return "duplicate label name";
      case error::conflicting_registration:
        return "metric already registered with a different type, labels or buckets";
      case error::label_count_mismatch: return "label value count does not match the family's label names";
      case error::invalid_label_value: return "invalid label value (not UTF-8 or too long)";
      case error::series_limit_reached: return "metric family reached its maximum series count";
      case error::invalid_buckets: return "histogram buckets must be finite and strictly increasing";
      case error::invalid_help: return "help text is not valid UTF-8";
      case error::invalid_options: return "invalid family options";
      case error::invalid_family: return "empty metric family handle";
      case error::duplicate_check: return "a health check with this name already exists";
      case error::too_many_checks: return "too many health checks";
      case error::invalid_check_name: return "invalid health check name";
    }
    return "unknown musicbot.metrics error";
  }
};

/// The single instance of the metrics error category.
inline const std::error_category& metrics_category() noexcept {
  static const error_category instance;
  return instance;
}

/// Makes a `std::error_code` from a metrics error (found by ADL).
inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), metrics_category()};
}

}  // namespace musicbot::metrics

template <>
struct std::is_error_code_enum<musicbot::metrics::error> : std::true_type {};
