#pragma once
/// @file
/// Tracks for the fakes' catalogs (fake_lavalink::add_track) and for tests:
/// a real encoded track string plus the metadata a Lavalink node reports.

#include "musicbot/lavalink/protocol.hpp"
#include "musicbot/lavalink/track_codec.hpp"

#include <chrono>
#include <string>

namespace musicbot::testing {

/// The track Lavalink would return for `decoded`: `encoded` is
/// encode_track(decoded) and `info` carries the same metadata (seekable
/// unless it is a stream; the position is not part of a loaded track).
///
/// @throws boost::system::system_error when `decoded` cannot be encoded
/// (e.g. a string longer than 65,535 bytes): a test fixture's own mistake.
[[nodiscard]] lavalink::track make_track(const lavalink::decoded_track& decoded);

/// A seekable HTTP track with this title, author, length and identifier,
/// at `https://media.example.org/tracks/<identifier>` (source "http").
/// Identifiers should be unique within a catalog.
///
/// Example: `node.add_track(make_track("Northern Lights", "Aurora Lane", std::chrono::minutes(3), "t0"));`
[[nodiscard]] lavalink::track make_track(std::string title, std::string author, std::chrono::milliseconds length,
                                         std::string identifier);

}  // namespace musicbot::testing
