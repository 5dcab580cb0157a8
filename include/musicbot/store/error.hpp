#pragma once
/// @file
/// Error codes of musicbot::store (`boost::system::error_code` category
/// "musicbot.store").

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace musicbot::store {

/// Errors reported by the repositories and their backends. Values are
/// stable; never reorder.
enum class error {
  ok = 0,
  not_started = 1,         ///< `async_start` has not completed successfully
  closed = 2,              ///< the store is shutting down or closed
  overloaded = 3,          ///< too many operations are pending (bounded queue)
  invalid_argument = 4,    ///< a value breaks a documented rule (settings, flag name)
  value_too_large = 5,     ///< a queue or text is above its configured maximum
  schema_too_new = 6,      ///< the database was migrated by a newer version; refusing to run
  migration_failed = 7,    ///< applying a migration failed (rolled back)
  corrupt_data = 8,        ///< a stored row cannot be decoded (e.g. track count mismatch)
  backend_error = 9,       ///< the database reported an error (details in the log, never secrets)
  busy = 10,               ///< the database stayed locked beyond the busy timeout
  connection_failed = 11,  ///< could not connect to the database server
  connection_lost = 12,    ///< the connection broke while the operation was in flight
  timed_out = 13,          ///< the operation did not complete within its timeout
  pool_exhausted = 14,     ///< no pooled connection became free within the acquire timeout
  already_exists = 15,     ///< a record with that unique key (e.g. API token id) exists
  limit_reached = 16,      ///< a per-guild limit (e.g. live API tokens) is reached
};

/// The store error category ("musicbot.store"); its messages are short English descriptions.
[[nodiscard]] const boost::system::error_category& store_category() noexcept;

/// Makes an error code from a store error (found by ADL).
inline boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), store_category()};
}

}  // namespace musicbot::store

template <>
struct boost::system::is_error_code_enum<musicbot::store::error> : std::true_type {};
