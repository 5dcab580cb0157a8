#pragma once
/// @file
/// Errors of the music use cases, mapped by the bot (and the control API)
/// to user-facing replies.

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace musicbot::music {

/// What a music use case can refuse or fail with.
enum class error {
  invalid_query = 1,      ///< empty, too long, or a URL / prefix that is not allowed
  no_results,             ///< the search or URL found nothing
  load_failed,            ///< Lavalink could not load the query
  nothing_playing,        ///< the command needs a current track
  queue_full,             ///< the queue (or the user's share of it) is full
  out_of_range,           ///< a queue position or seek target is outside the queue / track
  invalid_value,          ///< volume, loop mode or setting outside its domain
  not_seekable,           ///< the current track is a stream or not seekable
  too_many_sessions,      ///< the session cap is reached
  player_unavailable,     ///< no Lavalink node could take the player
  persistence_failed,     ///< the change applied but could not be written to the store
  too_many_subscribers,   ///< the session manager's event subscriber cap is reached
};

/// The category of musicbot::music::error (name "musicbot.music").
[[nodiscard]] const boost::system::error_category& music_category() noexcept;

/// Makes an error code from a music error (found by ADL).
[[nodiscard]] inline boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), music_category()};
}

}  // namespace musicbot::music

template <>
struct boost::system::is_error_code_enum<musicbot::music::error> : std::true_type {};
