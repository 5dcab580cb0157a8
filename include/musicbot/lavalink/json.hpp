#pragma once
/// @file
/// Parsing (simdjson on-demand, no exceptions) and building (Boost.JSON) of
/// every Lavalink v4 payload in protocol.hpp.
///
/// Parsers accept fields in any order, ignore unknown fields, keep unknown
/// ops/events/load types raw, and return an error code (never throw) on
/// malformed input: `invalid_json`, `missing_field`, `wrong_type`.

#include <musicbot/lavalink/error.hpp>
#include <musicbot/lavalink/protocol.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace musicbot::lavalink {

namespace detail {
struct parser_state;
}  // namespace detail

/// A reusable WebSocket message parser: keeps its simdjson buffers between
/// calls, so parsing a stream of messages does not allocate per message
/// beyond the resulting strings.
///
/// @par Thread safety
/// One object per thread (or per connection).
class message_parser {
 public:
  /// A parser with empty buffers.
  message_parser();
  /// Releases the buffers.
  ~message_parser();
  message_parser(const message_parser&) = delete;             ///< Not copyable.
  message_parser& operator=(const message_parser&) = delete;  ///< Not copyable.
  message_parser(message_parser&&) noexcept;                  ///< Movable.
  message_parser& operator=(message_parser&&) noexcept;       ///< Movable.

  /// Parses one WebSocket text message. Unknown ops and events are returned
  /// as unknown_op / unknown_event holding the text verbatim.
  [[nodiscard]] boost::system::result<message> parse(std::string_view text);

 private:
  std::unique_ptr<detail::parser_state> state_;
};

/// Parses a WebSocket message with a thread-local parser.
[[nodiscard]] boost::system::result<message> parse_message(std::string_view text);
/// Parses a `GET /v4/loadtracks` response; `data` may be `{}` or `null` for `empty`.
[[nodiscard]] boost::system::result<load_result> parse_load_result(std::string_view text);
/// Parses a track object (`GET /v4/decodetrack`).
[[nodiscard]] boost::system::result<track> parse_track(std::string_view text);
/// Parses an array of tracks (`POST /v4/decodetracks`).
[[nodiscard]] boost::system::result<std::vector<track>> parse_tracks(std::string_view text);
/// Parses a player object.
[[nodiscard]] boost::system::result<player> parse_player(std::string_view text);
/// Parses an array of players (`GET /v4/sessions/{id}/players`).
[[nodiscard]] boost::system::result<std::vector<player>> parse_players(std::string_view text);
/// Parses a player update request body (used by the fake node).
[[nodiscard]] boost::system::result<player_update> parse_player_update(std::string_view text);
/// Parses a filters object.
[[nodiscard]] boost::system::result<filters> parse_filters(std::string_view text);
/// Parses a session object (`PATCH /v4/sessions/{id}` response).
[[nodiscard]] boost::system::result<session_info> parse_session_info(std::string_view text);
/// Parses a session update request body (used by the fake node).
[[nodiscard]] boost::system::result<session_update> parse_session_update(std::string_view text);
/// Parses `GET /v4/info`.
[[nodiscard]] boost::system::result<node_info> parse_node_info(std::string_view text);
/// Parses `GET /v4/stats` (or a `stats` op's figures).
[[nodiscard]] boost::system::result<node_stats> parse_node_stats(std::string_view text);
/// Parses an error response body.
[[nodiscard]] boost::system::result<rest_error> parse_rest_error(std::string_view text);
/// Parses `GET /v4/routeplanner/status`.
[[nodiscard]] boost::system::result<route_planner_status> parse_route_planner_status(
    std::string_view text);

/// JSON of track metadata.
[[nodiscard]] boost::json::object to_json(const track_info& info);
/// JSON of a track (pluginInfo and userData re-emitted from their raw text).
[[nodiscard]] boost::json::object to_json(const track& t);
/// JSON of a player state.
[[nodiscard]] boost::json::object to_json(const player_state& state);
/// JSON of node statistics (without `op`).
[[nodiscard]] boost::json::object to_json(const node_stats& stats);
/// JSON of an exception.
[[nodiscard]] boost::json::object to_json(const exception_info& ex);
/// JSON of a filter set; absent filters are omitted.
[[nodiscard]] boost::json::object to_json(const filters& f);
/// JSON of a voice state; `channelId` is omitted when unset.
[[nodiscard]] boost::json::object to_json(const voice_state& voice);
/// JSON of a player.
[[nodiscard]] boost::json::object to_json(const player& p);
/// JSON of a load result.
[[nodiscard]] boost::json::object to_json(const load_result& result);
/// JSON of a WebSocket message; unknown ops/events re-emit their raw text.
[[nodiscard]] boost::json::value to_json(const message& msg);
/// JSON of a session.
[[nodiscard]] boost::json::object to_json(const session_info& session);
/// JSON of a session update; only set fields.
[[nodiscard]] boost::json::object to_json(const session_update& update);
/// JSON of node info.
[[nodiscard]] boost::json::object to_json(const node_info& info);
/// JSON of an error body.
[[nodiscard]] boost::json::object to_json(const rest_error& err);

/// JSON of a player update: absent fields omitted, null fields as `null`.
/// @return the object, or `exclusive_fields` (encoded and identifier both
/// set), `missing_channel_id` (voice without channelId, which Lavalink >= 4.2
/// rejects), `invalid_value` (volume outside 0..1000, negative position).
[[nodiscard]] boost::system::result<boost::json::object> to_json(const player_update& update);

/// Parses raw JSON text (plugin info, user data) into a Boost.JSON value;
/// invalid or empty text gives an empty object.
[[nodiscard]] boost::json::value raw_to_json(std::string_view raw);

}  // namespace musicbot::lavalink
