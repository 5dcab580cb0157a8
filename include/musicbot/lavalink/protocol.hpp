#pragma once
/// @file
/// The Lavalink v4 protocol as plain structs: WebSocket messages (ops and
/// events) and REST payloads. Unknown ops, events and load types are kept
/// as raw JSON text, never dropped. Parsing is in json.hpp.

#include <musicbot/lavalink/filters.hpp>
#include <musicbot/lavalink/omissible.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace musicbot::lavalink {

/// Track metadata as the node reports it.
struct track_info {
  std::string identifier;                  ///< source-specific identifier
  bool is_seekable = false;                ///< whether seeking is possible
  std::string author;                      ///< author
  std::int64_t length_ms = 0;              ///< length in milliseconds
  bool is_stream = false;                  ///< true for live streams
  std::int64_t position_ms = 0;            ///< current position in milliseconds
  std::string title;                       ///< title
  std::optional<std::string> uri;          ///< URI, if any
  std::optional<std::string> artwork_url;  ///< artwork URL, if any
  std::optional<std::string> isrc;         ///< ISRC, if any
  std::string source_name;                 ///< source manager name
  /// Field-wise equality.
  friend bool operator==(const track_info&, const track_info&) = default;
};

/// A playable track: its encoded form plus metadata.
struct track {
  std::string encoded;            ///< base64 track (see track_codec.hpp)
  track_info info;                ///< metadata
  std::string plugin_info = "{}"; ///< raw JSON object from plugins
  std::string user_data = "{}";   ///< raw JSON object the client attached
  /// Field-wise equality.
  friend bool operator==(const track&, const track&) = default;
};

/// A player's playback state, reported by `playerUpdate`.
struct player_state {
  std::int64_t time = 0;         ///< node's unix time in milliseconds
  std::int64_t position_ms = 0;  ///< position in the track in milliseconds
  bool connected = false;        ///< whether the node is connected to the voice gateway
  std::int64_t ping = -1;        ///< voice gateway ping in milliseconds, -1 if not connected
  /// Field-wise equality.
  friend bool operator==(const player_state&, const player_state&) = default;
};

/// Memory figures of a node, in bytes.
struct memory_stats {
  std::int64_t free = 0;        ///< free memory
  std::int64_t used = 0;        ///< used memory
  std::int64_t allocated = 0;   ///< allocated memory
  std::int64_t reservable = 0;  ///< reservable memory
  /// Field-wise equality.
  friend bool operator==(const memory_stats&, const memory_stats&) = default;
};

/// CPU figures of a node.
struct cpu_stats {
  std::int64_t cores = 0;       ///< number of cores
  double system_load = 0.0;     ///< system load, 0..1
  double lavalink_load = 0.0;   ///< Lavalink's load, 0..1
  /// Field-wise equality.
  friend bool operator==(const cpu_stats&, const cpu_stats&) = default;
};

/// Audio frame figures of a node over the last minute.
struct frame_stats {
  std::int64_t sent = 0;     ///< frames sent to Discord
  std::int64_t nulled = 0;   ///< frames that were nulled
  std::int64_t deficit = 0;  ///< expected minus sent frames (may be negative)
  /// Field-wise equality.
  friend bool operator==(const frame_stats&, const frame_stats&) = default;
};

/// A node's statistics (the `stats` op and `GET /v4/stats`).
struct node_stats {
  std::int64_t players = 0;          ///< players on the node
  std::int64_t playing_players = 0;  ///< players currently playing
  std::int64_t uptime_ms = 0;        ///< uptime in milliseconds
  memory_stats memory;               ///< memory figures
  cpu_stats cpu;                     ///< CPU figures
  std::optional<frame_stats> frames; ///< frame figures; absent when no player plays
  /// Field-wise equality.
  friend bool operator==(const node_stats&, const node_stats&) = default;
};

/// How bad a track exception is.
enum class severity {
  common,      ///< expected, e.g. a region-blocked video
  suspicious,  ///< unexpected but maybe not a bug
  fault,       ///< a probable bug or an outage
  unknown,     ///< a value this client does not know
};

/// An exception reported by the node (track loading or playback).
struct exception_info {
  std::optional<std::string> message;            ///< message, if any
  lavalink::severity severity = severity::common; ///< severity
  std::string cause;                             ///< cause
  std::optional<std::string> cause_stack_trace;  ///< cause's stack trace, if sent
  /// Field-wise equality.
  friend bool operator==(const exception_info&, const exception_info&) = default;
};

/// Why a track ended.
enum class track_end_reason {
  finished,     ///< it played to its end
  load_failed,  ///< it failed to load
  stopped,      ///< the player was stopped
  replaced,     ///< another track replaced it
  cleanup,      ///< the player was cleaned up
  unknown,      ///< a value this client does not know
};

/// Whether the next track should start after an end with `reason`
/// (true only for finished and load_failed).
[[nodiscard]] constexpr bool may_start_next(track_end_reason reason) noexcept {
  return reason == track_end_reason::finished || reason == track_end_reason::load_failed;
}

/// The `ready` op: the node accepted the connection.
struct ready_op {
  bool resumed = false;    ///< whether a previous session was resumed
  std::string session_id;  ///< the session id, for REST and resuming
  /// Field-wise equality.
  friend bool operator==(const ready_op&, const ready_op&) = default;
};

/// The `playerUpdate` op.
struct player_update_op {
  std::string guild_id;  ///< guild of the player
  player_state state;    ///< its state
  /// Field-wise equality.
  friend bool operator==(const player_update_op&, const player_update_op&) = default;
};

/// The `stats` op.
struct stats_op {
  node_stats stats;  ///< the figures
  /// Field-wise equality.
  friend bool operator==(const stats_op&, const stats_op&) = default;
};

/// `TrackStartEvent`.
struct track_start_event {
  std::string guild_id;  ///< guild of the player
  lavalink::track track; ///< the track that started
  /// Field-wise equality.
  friend bool operator==(const track_start_event&, const track_start_event&) = default;
};

/// `TrackEndEvent`.
struct track_end_event {
  std::string guild_id;     ///< guild of the player
  lavalink::track track;    ///< the track that ended
  track_end_reason reason = track_end_reason::finished; ///< why it ended
  std::string reason_text;  ///< the reason as sent (for unknown values)
  /// True if the next track should start (finished or loadFailed).
  [[nodiscard]] bool may_start_next() const noexcept { return lavalink::may_start_next(reason); }
  /// Field-wise equality.
  friend bool operator==(const track_end_event&, const track_end_event&) = default;
};

/// `TrackExceptionEvent`.
struct track_exception_event {
  std::string guild_id;      ///< guild of the player
  lavalink::track track;     ///< the track that failed
  exception_info exception;  ///< what went wrong
  /// Field-wise equality.
  friend bool operator==(const track_exception_event&, const track_exception_event&) = default;
};

/// `TrackStuckEvent`.
struct track_stuck_event {
  std::string guild_id;           ///< guild of the player
  lavalink::track track;          ///< the stuck track
  std::int64_t threshold_ms = 0;  ///< the threshold that was exceeded
  /// Field-wise equality.
  friend bool operator==(const track_stuck_event&, const track_stuck_event&) = default;
};

/// `WebSocketClosedEvent`: Discord closed the node's voice connection.
struct websocket_closed_event {
  std::string guild_id;   ///< guild of the player
  std::int64_t code = 0;  ///< Discord close code
  std::string reason;     ///< close reason
  bool by_remote = false; ///< whether Discord closed it
  /// Field-wise equality.
  friend bool operator==(const websocket_closed_event&, const websocket_closed_event&) = default;
};

/// An `event` op of a type this client does not know (e.g. a plugin's).
struct unknown_event {
  std::string type;      ///< the event's `type`
  std::string guild_id;  ///< its `guildId`, if it had one
  std::string raw;       ///< the whole message, verbatim
  /// Field-wise equality.
  friend bool operator==(const unknown_event&, const unknown_event&) = default;
};

/// An op this client does not know.
struct unknown_op {
  std::string op;   ///< the `op` value
  std::string raw;  ///< the whole message, verbatim
  /// Field-wise equality.
  friend bool operator==(const unknown_op&, const unknown_op&) = default;
};

/// Any message the node sends over the WebSocket.
using message = std::variant<ready_op, player_update_op, stats_op, track_start_event,
                             track_end_event, track_exception_event, track_stuck_event,
                             websocket_closed_event, unknown_event, unknown_op>;

/// Discord voice connection data of a player. Lavalink >= 4.2 requires
/// `channel_id` to connect (DAVE).
struct voice_state {
  std::string token;                      ///< voice server token
  std::string endpoint;                   ///< voice server endpoint
  std::string session_id;                 ///< the bot's voice session id
  std::optional<std::string> channel_id;  ///< voice channel id (required by >= 4.2)
  /// Field-wise equality.
  friend bool operator==(const voice_state&, const voice_state&) = default;
};

/// A player as the node reports it (`GET .../players/{guildId}`).
struct player {
  std::string guild_id;                   ///< guild of the player
  std::optional<lavalink::track> track;   ///< current track, if any
  std::int64_t volume = 100;              ///< volume, 0..1000 (percent)
  bool paused = false;                    ///< whether paused
  player_state state;                     ///< playback state
  voice_state voice;                      ///< voice connection data
  lavalink::filters filters;              ///< applied filters
  /// Field-wise equality.
  friend bool operator==(const player&, const player&) = default;
};

/// The `track` object of a player update.
struct track_update {
  /// Encoded track: a value plays it, null stops playback, absent leaves it.
  omissible<std::string> encoded;
  /// Identifier to resolve and play (exclusive with `encoded`).
  std::optional<std::string> identifier;
  /// Raw JSON object attached to the track, if any.
  std::optional<std::string> user_data;
  /// Field-wise equality.
  friend bool operator==(const track_update&, const track_update&) = default;
};

/// A partial player update (`PATCH .../players/{guildId}`): only what is set
/// is sent; absent fields leave the player as it is.
struct player_update {
  std::optional<track_update> track;       ///< track change
  std::optional<std::int64_t> position_ms; ///< seek position
  omissible<std::int64_t> end_time_ms;     ///< end time: value sets, null clears
  std::optional<std::int64_t> volume;      ///< volume, 0..1000
  std::optional<bool> paused;              ///< pause state
  std::optional<lavalink::filters> filters; ///< replaces all filters
  std::optional<voice_state> voice;        ///< voice connection data
  /// Field-wise equality.
  friend bool operator==(const player_update&, const player_update&) = default;
};

/// Session resuming configuration.
struct session_info {
  bool resuming = false;        ///< whether resuming is enabled
  std::int64_t timeout_s = 60;  ///< resume window in seconds
  /// Field-wise equality.
  friend bool operator==(const session_info&, const session_info&) = default;
};

/// A partial session update (`PATCH /v4/sessions/{sessionId}`).
struct session_update {
  std::optional<bool> resuming;          ///< enable or disable resuming
  std::optional<std::int64_t> timeout_s; ///< resume window in seconds
  /// Field-wise equality.
  friend bool operator==(const session_update&, const session_update&) = default;
};

/// Kind of a load result.
enum class load_type {
  track,     ///< one track
  playlist,  ///< a playlist
  search,    ///< search results
  empty,     ///< nothing matched
  error,     ///< loading failed
  unknown,   ///< a load type this client does not know (raw data kept)
};

/// Playlist metadata.
struct playlist_info {
  std::string name;                 ///< playlist name
  std::int64_t selected_track = -1; ///< selected track index, -1 for none
  /// Field-wise equality.
  friend bool operator==(const playlist_info&, const playlist_info&) = default;
};

/// A loaded playlist.
struct playlist {
  playlist_info info;              ///< metadata
  std::string plugin_info = "{}";  ///< raw JSON object from plugins
  std::vector<track> tracks;       ///< its tracks
  /// Field-wise equality.
  friend bool operator==(const playlist&, const playlist&) = default;
};

/// Result of `GET /v4/loadtracks`.
struct load_result {
  load_type type = load_type::empty;  ///< kind of result
  std::string type_name;              ///< `loadType` as sent (for unknown kinds)
  /// Data by kind: track, playlist, search results, exception, or (for
  /// `empty`) monostate; for an unknown kind the raw `data` JSON text.
  std::variant<std::monostate, lavalink::track, lavalink::playlist, std::vector<lavalink::track>,
               exception_info, std::string>
      data;
  /// Field-wise equality.
  friend bool operator==(const load_result&, const load_result&) = default;
};

/// Version figures of a node.
struct version_info {
  std::string semver;                      ///< full version
  std::int64_t major = 0;                  ///< major
  std::int64_t minor = 0;                  ///< minor
  std::int64_t patch = 0;                  ///< patch
  std::optional<std::string> pre_release;  ///< pre-release tag
  std::optional<std::string> build;        ///< build metadata
  /// Field-wise equality.
  friend bool operator==(const version_info&, const version_info&) = default;
};

/// A plugin loaded by a node.
struct plugin_info {
  std::string name;     ///< plugin name
  std::string version;  ///< plugin version
  /// Field-wise equality.
  friend bool operator==(const plugin_info&, const plugin_info&) = default;
};

/// Result of `GET /v4/info`.
struct node_info {
  version_info version;                      ///< Lavalink version
  std::int64_t build_time = 0;               ///< build time, unix ms
  std::string git_branch;                    ///< git branch
  std::string git_commit;                    ///< git commit
  std::int64_t git_commit_time = 0;          ///< commit time, unix ms
  std::string jvm;                           ///< JVM version
  std::string lavaplayer;                    ///< Lavaplayer version
  std::vector<std::string> source_managers;  ///< enabled source managers
  std::vector<std::string> filters;          ///< enabled filters
  std::vector<lavalink::plugin_info> plugins; ///< loaded plugins
  /// Field-wise equality.
  friend bool operator==(const node_info&, const node_info&) = default;
};

/// Error body of a failed REST call.
struct rest_error {
  std::int64_t timestamp = 0;        ///< unix ms
  std::int64_t status = 0;           ///< HTTP status
  std::string error;                 ///< status text
  std::optional<std::string> trace;  ///< stack trace (with `?trace=true`)
  std::string message;               ///< what went wrong
  std::string path;                  ///< request path
  /// Field-wise equality.
  friend bool operator==(const rest_error&, const rest_error&) = default;
};

/// Result of `GET /v4/routeplanner/status`.
struct route_planner_status {
  std::optional<std::string> class_name;  ///< planner class, null when none is configured
  std::string details;                    ///< raw JSON of `details` ("null" when none)
  /// Field-wise equality.
  friend bool operator==(const route_planner_status&, const route_planner_status&) = default;
};

/// `loadType` name of a kind ("track", ..., "" for unknown).
[[nodiscard]] std::string_view to_string(load_type type) noexcept;
/// Wire name of an end reason ("finished", "loadFailed", ...).
[[nodiscard]] std::string_view to_string(track_end_reason reason) noexcept;
/// Wire name of a severity ("common", "suspicious", "fault").
[[nodiscard]] std::string_view to_string(lavalink::severity value) noexcept;

}  // namespace musicbot::lavalink
