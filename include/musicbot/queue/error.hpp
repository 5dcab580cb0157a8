#pragma once
/// @file
/// Error codes of the queue component (domain model and input validation),
/// as a `std::error_code` category, so the std-only core layer needs nothing
/// else. `boost::system::error_code` converts from these codes.

#include <string>
#include <system_error>

namespace musicbot::queue {

/// Errors reported by the queue model, the guild settings rules and the
/// input validators. Values are stable; never reorder.
enum class error {
  ok = 0,
  out_of_range = 1,           ///< an index or range is outside the upcoming list
  queue_full = 2,             ///< the queue is at its maximum length
  user_limit_reached = 3,     ///< the requester already has the per-user maximum queued
  duplicate = 4,              ///< de-duplication is on and the track is already queued
  nothing_playing = 5,        ///< the operation needs a current track and there is none
  no_previous = 6,            ///< the history is empty
  invalid_volume = 7,         ///< volume outside 0–200
  loop_autoplay_conflict = 8, ///< autoplay and loop cannot be on together
  invalid_limit = 9,          ///< a queue limit is zero or above the hard cap
  invalid_snowflake = 10,     ///< not a Discord snowflake (digits only, fits 64 bits)
  snowflake_in_future = 11,   ///< the snowflake's timestamp is later than now + margin
  empty_query = 12,           ///< the search query is empty after cleaning
  query_too_long = 13,        ///< the search query exceeds the length limit
  prefix_not_allowed = 14,    ///< the search prefix is not in the allowlist
  invalid_utf8 = 15,          ///< the text is not valid UTF-8
  url_too_long = 16,          ///< the URL exceeds the length limit
  url_malformed = 17,         ///< the URL cannot be parsed unambiguously
  url_scheme_not_allowed = 18,///< the scheme is not http or https
  url_has_userinfo = 19,      ///< the URL carries `user:password@`
  url_host_forbidden = 20,    ///< the host is local, private, link-local or a metadata service
  invalid_argument = 21,      ///< another argument outside its documented domain
};

/// The category of musicbot::queue::error ("musicbot.queue").
class error_category final : public std::error_category {
 public:
  /// "musicbot.queue".
  [[nodiscard]] const char* name() const noexcept override { return "musicbot.queue"; }
  /// A short English description of `value`, fit to show to a user.
  [[nodiscard]] std::string message(int value) const override {
    switch (static_cast<error>(value)) {
      case error::ok: return "success";
      case error::out_of_range: return "position is out of range";
      case error::queue_full: return "the queue is full";
      case error::user_limit_reached: return "you already have the maximum number of tracks queued";
      case error::duplicate: return "that track is already in the queue";
      case error::nothing_playing: return "nothing is playing";
      case error::no_previous: return "there is no previous track";
      case error::invalid_volume: return "volume must be between 0 and 200";
      case error::loop_autoplay_conflict: return "autoplay and loop cannot be enabled together";
      case error::invalid_limit: return "invalid queue limit";
      case error::invalid_snowflake: return "not a valid Discord id";
      case error::snowflake_in_future: return "Discord id lies in the future";
      case error::empty_query: return "the search query is empty";
      case error::query_too_long: return "the search query is too long";
      case error::prefix_not_allowed: return "that search source is not allowed";
      case error::invalid_utf8: return "text is not valid UTF-8";
      case error::url_too_long: return "the URL is too long";
      case error::url_malformed: return "the URL is malformed";
      case error::url_scheme_not_allowed: return "only http and https URLs are allowed";
      case error::url_has_userinfo: return "URLs with credentials are not allowed";
      case error::url_host_forbidden: return "that host is not allowed";
      case error::invalid_argument: return "invalid argument";
    }
    return "unknown musicbot.queue error";
  }
};

/// The single instance of the queue error category.
inline const std::error_category& queue_category() noexcept {
  static const error_category instance;
  return instance;
}

/// Makes a `std::error_code` from a queue error (found by ADL).
inline std::error_code make_error_code(error e) noexcept { return {static_cast<int>(e), queue_category()}; }

}  // namespace musicbot::queue

template <>
struct std::is_error_code_enum<musicbot::queue::error> : std::true_type {};
