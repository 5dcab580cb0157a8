#pragma once
/// @file
/// Error codes of musicbot::lavalink, as a `boost::system::error_code` category.

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace musicbot::lavalink {

/// Errors reported by the Lavalink client. Values are stable; never reorder.
enum class error {
  ok = 0,
  invalid_base64 = 1,          ///< an encoded track is not valid base64
  track_truncated = 2,         ///< an encoded track ends before a field it declares
  unsupported_track_version = 3, ///< an encoded track has an unknown message version
  invalid_track_string = 4,    ///< a string in an encoded track is not valid modified UTF-8
  track_size_mismatch = 5,     ///< the header's message size disagrees with the data
  invalid_json = 6,            ///< a payload is not valid JSON
  missing_field = 7,           ///< a required JSON field is absent
  wrong_type = 8,              ///< a JSON field has an unexpected type
  invalid_value = 9,           ///< a field's value is outside its domain
  missing_channel_id = 10,     ///< a voice update lacks `channelId`, required by Lavalink >= 4.2
  exclusive_fields = 11,       ///< `track.encoded` and `track.identifier` were both set
  http_status = 12,            ///< the node answered with an HTTP error status (see rest_error)
  not_connected = 13,          ///< the node has no live session
  no_node_available = 14,      ///< no node in the pool can take a player
  breaker_open = 15,           ///< the node's circuit breaker refused the call
  player_not_found = 16,       ///< no player exists for the guild
  timed_out = 17,              ///< the operation did not finish within its deadline
  session_not_resumed = 18,    ///< the node started a new session instead of resuming
};

/// The category of musicbot::lavalink::error ("musicbot.lavalink").
const boost::system::error_category& lavalink_category() noexcept;

/// Makes an error code from a Lavalink error (found by ADL).
inline boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), lavalink_category()};
}

}  // namespace musicbot::lavalink

/// Lets musicbot::lavalink::error convert to boost::system::error_code.
template <>
struct boost::system::is_error_code_enum<musicbot::lavalink::error> : std::true_type {};
