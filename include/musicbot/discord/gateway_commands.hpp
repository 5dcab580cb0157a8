#pragma once
/// @file
/// Builders for what the client sends on the gateway: IDENTIFY, RESUME,
/// heartbeats, voice state updates (op 4) and presence updates.
/// The results hold the token where the payload needs it: never log them.

#include "musicbot/core/secret.hpp"
#include "musicbot/discord/gateway_payload.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace musicbot::discord {

/// Gateway intents (bit flags).
namespace intents {
inline constexpr std::uint32_t guilds = 1u << 0;               ///< GUILDS
inline constexpr std::uint32_t guild_members = 1u << 1;        ///< GUILD_MEMBERS (privileged)
inline constexpr std::uint32_t guild_presences = 1u << 8;      ///< GUILD_PRESENCES (privileged)
inline constexpr std::uint32_t guild_voice_states = 1u << 7;   ///< GUILD_VOICE_STATES
inline constexpr std::uint32_t guild_messages = 1u << 9;       ///< GUILD_MESSAGES
inline constexpr std::uint32_t message_content = 1u << 15;     ///< MESSAGE_CONTENT (privileged)
/// What a music bot needs: GUILDS | GUILD_VOICE_STATES = 129.
inline constexpr std::uint32_t music_bot_default = guilds | guild_voice_states;
}  // namespace intents

/// The largest payload the gateway accepts from a client (bigger → close 4002).
inline constexpr std::size_t max_outbound_payload = 4096;

/// The bot's presence.
struct presence {
  std::string status = "online";              ///< online, idle, dnd, invisible
  std::optional<std::string> activity_name;   ///< e.g. "/play"
  int activity_type = 2;                      ///< 0 playing, 2 listening, ...
  bool afk = false;                           ///< AFK flag
};

/// What IDENTIFY says.
struct identify_options {
  core::secret token;                                   ///< the bot token
  std::uint32_t intents = intents::music_bot_default;   ///< intents bitfield
  std::array<std::uint32_t, 2> shard{0, 1};             ///< `[shard_id, num_shards]`
  int large_threshold = 50;                             ///< 50..250
  std::string os = "linux";                             ///< `properties.os`
  std::string browser = "musicbot";                     ///< `properties.browser`
  std::string device = "musicbot";                      ///< `properties.device`
  std::optional<presence> initial_presence;             ///< presence at login
};

/// op 2 IDENTIFY (no payload compression: the transport is zlib-stream).
[[nodiscard]] std::string build_identify(const identify_options& options);
/// op 6 RESUME with the session id and the last sequence number seen.
[[nodiscard]] std::string build_resume(const core::secret& token, std::string_view session_id, std::int64_t seq);
/// op 1 HEARTBEAT with the last sequence (null if none arrived yet).
[[nodiscard]] std::string build_heartbeat(std::optional<std::int64_t> last_seq);
/// op 4 join/move (`channel_id` set) or leave (`channel_id` empty).
[[nodiscard]] std::string build_voice_state_update(snowflake guild_id, std::optional<snowflake> channel_id,
                                                   bool self_mute = false, bool self_deaf = true);
/// op 3 presence update.
[[nodiscard]] std::string build_presence_update(const presence& p);

}  // namespace musicbot::discord
