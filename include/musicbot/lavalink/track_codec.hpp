#pragma once
/// @file
/// Local decoding and encoding of Lavalink's base64 track format
/// (message versions 1 to 3), so a bot can read a track's title or length
/// without a round trip to a node and store tracks compactly.

#include <musicbot/lavalink/error.hpp>

#include <boost/system/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace musicbot::lavalink {

/// Every field an encoded track message carries.
///
/// Strings are UTF-8; on the wire they are Java's modified UTF-8 (NUL as two
/// bytes, non-BMP characters as surrogate pairs), converted both ways so that
/// `encode_track(decode_track(x)) == x` for any message a node produced.
struct decoded_track {
  std::uint8_t version = 3;               ///< message version (1, 2 or 3)
  std::string title;                      ///< track title
  std::string author;                     ///< track author
  std::int64_t length_ms = 0;             ///< length in milliseconds
  std::string identifier;                 ///< source-specific identifier
  bool is_stream = false;                 ///< true for live streams
  std::optional<std::string> uri;         ///< track URI (version >= 2)
  std::optional<std::string> artwork_url; ///< artwork URL (version >= 3)
  std::optional<std::string> isrc;        ///< ISRC (version >= 3)
  std::string source_name;                ///< source manager name, e.g. "youtube"
  std::string source_specific;            ///< opaque bytes the source manager appended
  std::int64_t position_ms = 0;           ///< start position in milliseconds

  /// Field-wise equality.
  friend bool operator==(const decoded_track&, const decoded_track&) = default;
};

/// Decodes a base64 track string.
///
/// Never reads out of bounds: every length is checked against the data.
/// @return the track, or `invalid_base64`, `track_truncated`,
/// `track_size_mismatch`, `unsupported_track_version`, `invalid_track_string`.
[[nodiscard]] boost::system::result<decoded_track> decode_track(std::string_view base64);

/// Encodes a track to its base64 form, using `track.version`, raised to the
/// lowest version that can carry the set fields (uri needs 2; artwork/isrc 3).
/// @return the text, or `invalid_value` if a string exceeds 65535 encoded
/// bytes or the message exceeds the 30-bit size field.
[[nodiscard]] boost::system::result<std::string> encode_track(const decoded_track& track);

/// Standard base64 (RFC 4648, padded) decoding into `out` (replaced).
/// Accepts missing padding; rejects any other character.
/// @return false if `text` is not valid base64.
[[nodiscard]] bool base64_decode(std::string_view text, std::vector<std::uint8_t>& out);

/// Standard padded base64 encoding.
[[nodiscard]] std::string base64_encode(const std::uint8_t* data, std::size_t size);

}  // namespace musicbot::lavalink
