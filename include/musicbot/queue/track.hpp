#pragma once
/// @file
/// `musicbot::queue::track`: one playable item as the queue sees it.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace musicbot::queue {

/// A track in a guild's queue: the Lavalink-encoded track plus the metadata
/// the bot displays, and who asked for it and when.
///
/// @par Thread safety
/// A plain value type.
struct track {
  std::string encoded;                     ///< Lavalink's base64 encoded track (what the player plays)
  std::string identifier;                  ///< source-specific id (e.g. a YouTube video id)
  std::string title;                       ///< display title
  std::string author;                      ///< display author / channel
  std::chrono::milliseconds length{0};     ///< duration; 0 for streams
  bool is_stream = false;                  ///< live stream (has no meaningful length)
  std::string uri;                         ///< link to the track page, may be empty
  std::string source;                      ///< source name (e.g. "youtube", "soundcloud")
  std::string artwork_url;                 ///< cover image, may be empty
  std::uint64_t requester_id = 0;          ///< Discord user id of who queued it (0 = autoplay / system)
  std::chrono::sys_time<std::chrono::milliseconds> added_at{};  ///< when it was queued

  /// The key used by de-duplication: the encoded track if present, else the
  /// URI, else source + identifier.
  [[nodiscard]] std::string dedup_key() const {
    if (!encoded.empty()) return encoded;
    if (!uri.empty()) return uri;
    return source + ":" + identifier;
  }

  /// Member-wise equality.
  friend bool operator==(const track&, const track&) = default;
};

}  // namespace musicbot::queue
