#pragma once
/// @file
/// Errors of the control API's own operations (token issue and revocation,
/// server start-up).

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace musicbot::api {

/// What a control_server operation can refuse or fail with.
enum class error {
  invalid_ttl = 1,     ///< a token lifetime that is negative or above control_options::max_token_ttl
  invalid_label,       ///< a token label that is too long or has control characters
  too_many_tokens,     ///< the guild already has control_options::max_tokens_per_guild live tokens
  invalid_guild,       ///< a guild or user id of 0
  random_failed,       ///< the CSPRNG could not produce the token's bytes
  stopped,             ///< the server was stopped
};

/// The category of musicbot::api::error (name "musicbot.api").
[[nodiscard]] const boost::system::error_category& api_category() noexcept;

/// Makes an error code from an api error (found by ADL).
[[nodiscard]] inline boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), api_category()};
}

}  // namespace musicbot::api

/// Lets musicbot::api::error convert to boost::system::error_code.
template <>
struct boost::system::is_error_code_enum<musicbot::api::error> : std::true_type {};
