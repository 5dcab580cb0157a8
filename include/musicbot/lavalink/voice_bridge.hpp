#pragma once
/// @file
/// Joins Discord's voice state and voice server updates into the `voice`
/// object a Lavalink player needs.

#include <musicbot/lavalink/protocol.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace musicbot::lavalink {

/// What the caller should do after feeding an update to the voice_bridge.
enum class voice_action {
  none,        ///< nothing yet (incomplete, unchanged, or another user's state)
  send,        ///< send `voice` to the guild's player (complete and changed)
  disconnect,  ///< the bot left the voice channel: destroy the guild's player
};

/// The outcome of one update.
struct voice_decision {
  voice_action action = voice_action::none; ///< what to do
  std::optional<voice_state> voice;         ///< the complete voice state when action is send
};

/// Per-guild voice connection data, assembled from Discord events.
///
/// Discord sends VOICE_STATE_UPDATE (session id, channel id) and
/// VOICE_SERVER_UPDATE (token, endpoint) separately and in any order; a
/// Lavalink >= 4.2 player needs all four (`channelId` included). The bridge
/// reports `send` exactly when the state becomes complete or changes
/// (new token/endpoint after a server move, new channel after a move), waits
/// while Discord reallocates a voice server (endpoint null), and reports
/// `disconnect` when the bot leaves the channel.
///
/// After a Discord gateway reconnect every voice connection must be sent
/// again: call invalidate_sent() and then resend current() for each guild.
///
/// @par Thread safety
/// Not thread-safe; use from one executor.
class voice_bridge {
 public:
  /// A bridge for the bot user `bot_user_id`; at most `max_guilds` guilds
  /// are tracked (further guilds are ignored: action none).
  explicit voice_bridge(std::string bot_user_id, std::size_t max_guilds = 250'000);

  /// Feeds a VOICE_STATE_UPDATE. States of other users are ignored.
  /// `channel_id` null means the user left voice.
  voice_decision on_voice_state(std::string_view guild_id, std::string_view user_id,
                                std::string_view session_id,
                                std::optional<std::string_view> channel_id);

  /// Feeds a VOICE_SERVER_UPDATE. `endpoint` null means Discord is
  /// reallocating the voice server: wait for the next update.
  voice_decision on_voice_server(std::string_view guild_id, std::string_view token,
                                 std::optional<std::string_view> endpoint);

  /// The guild's complete voice state, if it has one (for rebuilding a
  /// player on another node).
  [[nodiscard]] std::optional<voice_state> current(std::string_view guild_id) const;

  /// Forgets a guild (player destroyed).
  void forget(std::string_view guild_id);

  /// Marks every guild as not yet sent, so the next complete update is
  /// reported again (after a Discord reconnect).
  void invalidate_sent() noexcept;

  /// Number of guilds tracked.
  [[nodiscard]] std::size_t size() const noexcept { return guilds_.size(); }

 private:
  struct guild_voice {
    std::string session_id;
    std::string channel_id;
    std::string token;
    std::optional<std::string> endpoint;
    std::optional<voice_state> sent;
  };
  voice_decision decide(guild_voice& g);
  guild_voice* find_or_add(std::string_view guild_id);

  std::string bot_user_id_;
  std::size_t max_guilds_;
  std::unordered_map<std::string, guild_voice> guilds_;
};

}  // namespace musicbot::lavalink
