#pragma once
/// @file
/// Gateway payloads: the envelope, the typed events a music bot needs, and a
/// simdjson (on-demand) parser. Every other dispatch is delivered raw.

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace musicbot::discord {

/// A Discord id (snowflake). Ids travel as JSON strings; they are stored as numbers.
using snowflake = std::uint64_t;

/// Gateway opcodes.
enum class opcode : int {
  dispatch = 0,               ///< an event (`t` names it)
  heartbeat = 1,              ///< client heartbeat, or a server request for one
  identify = 2,               ///< start a new session
  presence_update = 3,        ///< update the bot's presence
  voice_state_update = 4,     ///< join, move or leave a voice channel
  resume = 6,                 ///< resume a dropped session
  reconnect = 7,              ///< the server asks the client to reconnect and resume
  request_guild_members = 8,  ///< request guild members
  invalid_session = 9,        ///< the session is invalid (`d` says if it is resumable)
  hello = 10,                 ///< first message: the heartbeat interval
  heartbeat_ack = 11,         ///< the server received a heartbeat
};

/// op 10: the heartbeat interval to use.
struct hello_event {
  std::chrono::milliseconds heartbeat_interval{0};  ///< time between heartbeats
};

/// op 1 from the server: send a heartbeat now.
struct heartbeat_request {};
/// op 11: the last heartbeat arrived.
struct heartbeat_ack_event {};
/// op 7: reconnect and resume.
struct reconnect_event {};
/// op 9: the session is invalid.
struct invalid_session_event {
  bool resumable = false;  ///< `d`: true if a RESUME may still work
};

/// READY: a new session started.
struct ready_event {
  int api_version = 0;                             ///< `v`
  snowflake user_id = 0;                           ///< the bot user's id
  std::string username;                            ///< the bot user's name
  snowflake application_id = 0;                    ///< `application.id`
  std::string session_id;                          ///< needed to resume
  std::string resume_gateway_url;                  ///< where to resume (not the Get Gateway URL)
  std::optional<std::array<std::uint32_t, 2>> shard;  ///< `[shard_id, num_shards]`
  std::vector<snowflake> guild_ids;                ///< the (unavailable) guilds of this shard
};

/// RESUMED: the replay of missed events is complete. Its `d` is undocumented.
struct resumed_event {};

/// A user's voice state (VOICE_STATE_UPDATE `d`, or an entry of GUILD_CREATE `voice_states`).
struct voice_state {
  std::optional<snowflake> guild_id;    ///< absent inside GUILD_CREATE
  std::optional<snowflake> channel_id;  ///< null when the user left voice
  snowflake user_id = 0;                ///< whose state
  std::string session_id;               ///< voice session id (Lavalink needs the bot's)
  bool deaf = false;                    ///< deafened by the server
  bool mute = false;                    ///< muted by the server
  bool self_deaf = false;               ///< deafened by the user
  bool self_mute = false;               ///< muted by the user
  bool self_video = false;              ///< camera on
  bool suppress = false;                ///< suppressed (stage channels)
};

/// GUILD_CREATE: the guild's fields a music bot uses; the rest stays in the raw `d`.
struct guild_create_event {
  snowflake id = 0;                          ///< guild id
  std::string name;                          ///< guild name
  bool unavailable = false;                  ///< true during an outage
  std::optional<std::uint64_t> member_count; ///< when present
  std::vector<voice_state> voice_states;     ///< who is in voice (guild_id filled in from `id`)
};

/// GUILD_DELETE: the bot left the guild, or the guild became unavailable.
struct guild_delete_event {
  snowflake id = 0;          ///< guild id
  bool unavailable = false;  ///< true: outage; false: the bot was removed
};

/// VOICE_SERVER_UPDATE: the voice server to connect to.
struct voice_server_update_event {
  std::string token;                    ///< voice token
  snowflake guild_id = 0;               ///< guild id
  std::optional<std::string> endpoint;  ///< host:port without scheme; null while reallocating
};

/// One option value of a command interaction.
struct interaction_option {
  std::string name;                     ///< option name
  int type = 0;                         ///< application command option type (3 string, 4 integer, ...)
  std::variant<std::monostate, std::string, std::int64_t, double, bool> value;  ///< the value, if any
  bool focused = false;                 ///< the option being autocompleted
  std::vector<interaction_option> options;  ///< nested options of a subcommand (group)
};

/// Interaction types.
enum class interaction_type : int {
  ping = 1,                              ///< ping (HTTP interactions only)
  application_command = 2,               ///< a slash command
  message_component = 3,                 ///< a button or select menu
  application_command_autocomplete = 4,  ///< autocomplete request
  modal_submit = 5,                      ///< a modal was submitted
};

/// INTERACTION_CREATE: a slash command, component press, autocomplete or modal.
struct interaction {
  snowflake id = 0;                      ///< interaction id (callback URL)
  snowflake application_id = 0;          ///< application id (follow-up URL)
  interaction_type type = interaction_type::ping;  ///< kind
  std::string token;                     ///< interaction token (15 min)
  std::optional<snowflake> guild_id;     ///< guild, unless in a DM
  std::optional<snowflake> channel_id;   ///< channel
  snowflake user_id = 0;                 ///< invoking user (`member.user` or `user`)
  std::string locale;                    ///< invoking user's locale
  std::uint64_t member_permissions = 0;  ///< `member.permissions`
  std::uint64_t app_permissions = 0;     ///< `app_permissions`
  std::optional<snowflake> command_id;   ///< command interactions: `data.id`
  std::string command_name;              ///< command interactions: `data.name`
  std::vector<interaction_option> options;  ///< command interactions: `data.options`
  std::string custom_id;                 ///< component/modal interactions: `data.custom_id`
  int component_type = 0;                ///< component interactions: `data.component_type`
  std::vector<std::string> values;       ///< select menus: chosen values
  std::optional<snowflake> message_id;   ///< component interactions: the message's id
};

/// Any dispatch without a typed model; read `gateway_payload::d`.
struct raw_dispatch {};

/// A parsed event. `std::monostate` means an opcode this library does not model.
using gateway_event =
    std::variant<std::monostate, hello_event, heartbeat_request, heartbeat_ack_event, reconnect_event,
                 invalid_session_event, ready_event, resumed_event, guild_create_event, guild_delete_event,
                 voice_state, voice_server_update_event, interaction, raw_dispatch>;

/// A gateway message: the envelope plus the typed event.
struct gateway_payload {
  int op = -1;                    ///< opcode
  std::optional<std::int64_t> s;  ///< sequence number (dispatches only)
  std::string t;                  ///< event name (dispatches only; empty otherwise)
  std::string d;                  ///< `d` as raw JSON text (empty when absent)
  gateway_event event;            ///< typed event, or raw_dispatch
  /// Set when a known dispatch did not match its model: the event is then
  /// delivered as raw_dispatch (nothing is lost) and this says why.
  boost::system::error_code typed_error;
};

/// Parses gateway JSON into gateway_payload with simdjson's on-demand API.
/// Reuse one parser per connection: its buffers are kept between calls.
/// Never throws on bad input; malformed envelopes return an error.
///
/// @par Thread safety
/// Not thread-safe; one parser per connection or thread.
class gateway_parser {
 public:
  /// A parser for messages up to `max_size` bytes.
  explicit gateway_parser(std::size_t max_size = std::size_t{16} << 20);
  /// Frees the parser.
  ~gateway_parser();
  gateway_parser(const gateway_parser&) = delete;             ///< Not copyable.
  gateway_parser& operator=(const gateway_parser&) = delete;  ///< Not copyable.
  /// Moves the parser.
  gateway_parser(gateway_parser&&) noexcept;
  /// Moves the parser.
  gateway_parser& operator=(gateway_parser&&) noexcept;

  /// Parses `json`. When `readable` ≥ `json.size() + json_padding` (for
  /// example a view returned by zlib_stream_inflater::feed), the text is read
  /// in place; otherwise it is first copied into an internal padded buffer.
  [[nodiscard]] boost::system::result<gateway_payload> parse(std::string_view json, std::size_t readable = 0);
  /// Same, reusing `out`'s storage (the hot path).
  [[nodiscard]] boost::system::error_code parse_into(std::string_view json, gateway_payload& out,
                                                     std::size_t readable = 0);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Parses a snowflake string ("41771983423143937"); nullopt if it is not one.
[[nodiscard]] std::optional<snowflake> parse_snowflake(std::string_view text) noexcept;

}  // namespace musicbot::discord
