#pragma once
/// @file
/// Error codes of the core layer (std only), as a `std::error_code` category.

#include <string>
#include <system_error>

namespace musicbot::core {

/// Errors reported by core components. Values are stable; never reorder.
enum class error {
  ok = 0,
  invalid_argument = 1,  ///< an argument is outside its documented domain
  out_of_range = 2,      ///< an index or position is outside the container
  not_found = 3,         ///< the key or item does not exist
  capacity_exceeded = 4, ///< a bounded container is full
  duplicate = 5,         ///< the item already exists and duplicates are refused
  rejected = 6,          ///< a limiter or breaker refused the call
  timed_out = 7,         ///< the operation did not finish within its deadline
  parse_error = 8,       ///< input text or bytes are malformed
};

/// The category of musicbot::core::error.
class error_category final : public std::error_category {
 public:
  /// "musicbot.core".
  [[nodiscard]] const char* name() const noexcept override { return "musicbot.core"; }
  /// A short English description of `value`.
  [[nodiscard]] std::string message(int value) const override {
    switch (static_cast<error>(value)) {
      case error::ok: return "success";
      case error::invalid_argument: return "invalid argument";
      case error::out_of_range: return "out of range";
      case error::not_found: return "not found";
      case error::capacity_exceeded: return "capacity exceeded";
      case error::duplicate: return "duplicate";
      case error::rejected: return "rejected";
      case error::timed_out: return "timed out";
      case error::parse_error: return "parse error";
    }
    return "unknown musicbot.core error";
  }
};

/// The single instance of the core error category.
inline const std::error_category& core_category() noexcept {
  static const error_category instance;
  return instance;
}

/// Makes a `std::error_code` from a core error (found by ADL).
inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), core_category()};
}

}  // namespace musicbot::core

template <>
struct std::is_error_code_enum<musicbot::core::error> : std::true_type {};
