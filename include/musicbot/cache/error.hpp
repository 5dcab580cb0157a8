#pragma once
/// @file
/// Error codes of the cache component.

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace musicbot::cache {

/// Errors reported by the cache (category "musicbot.cache").
enum class error {
  not_found = 1,     ///< The loader reported no value (possibly a cached negative result).
  timeout,           ///< The hard timeout passed before a value was available.
  cancelled,         ///< The caller cancelled its wait.
  loader_failed,     ///< The loader failed and no stale value was usable.
  l2_unavailable,    ///< The L2 store failed or its breaker is open.
  decode_failed,     ///< An L2 payload could not be decoded by the codec.
  closed,            ///< The cache was shut down.
  overloaded,        ///< Too many different keys are being loaded at once.
};

/// The error category of musicbot::cache::error.
[[nodiscard]] const boost::system::error_category& cache_category() noexcept;

/// Makes an error_code from a cache error (found by ADL).
[[nodiscard]] inline boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), cache_category()};
}

}  // namespace musicbot::cache

namespace boost::system {
/// Lets musicbot::cache::error convert to boost::system::error_code.
template <>
struct is_error_code_enum<musicbot::cache::error> : std::true_type {};
}  // namespace boost::system
