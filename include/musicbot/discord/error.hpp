#pragma once
/// @file
/// Error codes of musicbot::discord as a `boost::system` category.

#include <boost/system/error_code.hpp>

#include <string>
#include <type_traits>

namespace musicbot::discord {

/// Errors reported by the Discord component. Values are stable; never reorder.
enum class error {
  ok = 0,
  message_too_large = 1,          ///< an inbound gateway message exceeds the configured cap
  inflate_failed = 2,             ///< the zlib-stream data is corrupt
  stream_broken = 3,              ///< the inflate context failed earlier; the connection must be replaced
  invalid_json = 4,               ///< a payload is not valid JSON
  invalid_payload = 5,            ///< valid JSON without the required fields or types
  authentication_failed = 6,      ///< gateway close 4004: the token is wrong (fatal)
  invalid_shard = 7,              ///< gateway close 4010 (fatal)
  sharding_required = 8,          ///< gateway close 4011 (fatal)
  invalid_api_version = 9,        ///< gateway close 4012 (fatal)
  invalid_intents = 10,           ///< gateway close 4013 (fatal)
  disallowed_intents = 11,        ///< gateway close 4014: privileged intent not enabled (fatal)
  zombie_connection = 12,         ///< no heartbeat ACK arrived between two heartbeats
  rate_limited = 13,              ///< a limit refused the request (see the decision for when to retry)
  invalid_request_guard = 14,     ///< too many 401/403/429 recently; requests are held back to avoid a ban
  identify_budget_exhausted = 15, ///< the daily session start limit is used up
  interaction_expired = 16,       ///< the interaction token is older than 15 minutes
  already_acknowledged = 17,      ///< the interaction already got its initial response
  custom_id_too_long = 18,        ///< a component custom_id is longer than 100 characters
  invalid_command = 19,           ///< an application command definition breaks Discord's rules
  http_error = 20,                ///< the REST API answered with a non-2xx status
  payload_too_large = 21,         ///< an outbound gateway payload exceeds 4096 bytes
  timeout = 22,                   ///< a network wait exceeded its deadline
  shard_stopped = 23,             ///< the shard was stopped (by the user or by a fatal close code)
  not_connected = 24,             ///< the shard has no ready session to send on
};

/// The category of musicbot::discord::error (name "musicbot.discord").
[[nodiscard]] const boost::system::error_category& discord_category() noexcept;

/// Makes an error code from a Discord error (found by ADL).
[[nodiscard]] inline boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), discord_category()};
}

}  // namespace musicbot::discord

/// Lets musicbot::discord::error convert to boost::system::error_code.
template <>
struct boost::system::is_error_code_enum<musicbot::discord::error> : std::true_type {};
