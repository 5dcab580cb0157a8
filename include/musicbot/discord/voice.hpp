#pragma once
/// @file
/// Joins the two halves of a voice connection (VOICE_STATE_UPDATE with the
/// session id, VOICE_SERVER_UPDATE with token and endpoint) into what the
/// Lavalink voice bridge needs.

#include "musicbot/discord/gateway_payload.hpp"

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

namespace musicbot::discord {

/// What changed for the bot's voice connection in one guild.
struct voice_update {
  /// The kind of change.
  enum class kind {
    ready,         ///< complete info: hand it to Lavalink (`voice` in a player update)
    server_lost,   ///< endpoint null: the voice server is being reallocated; wait for the next ready
    disconnected,  ///< the bot left voice (channel null) or the guild went away
  };
  kind what = kind::ready;   ///< what happened
  snowflake guild_id = 0;    ///< guild
  std::optional<snowflake> channel_id;  ///< channel the bot is in
  std::string session_id;    ///< voice session id (from VOICE_STATE_UPDATE)
  std::string token;         ///< voice token (from VOICE_SERVER_UPDATE)
  std::string endpoint;      ///< host:port, no scheme (prepend wss:// yourself if you connect)
};

/// Tracks the bot's own voice state and voice server per guild and reports
/// a voice_update each time the pair is complete or becomes invalid.
///
/// A ready update is emitted every time either half changes while both are
/// known (a channel move brings a new token; the last update is the one to
/// use), so the bridge always forwards the latest pair. Entries are removed
/// when the bot leaves voice, so memory is bounded by the guilds the bot is
/// in voice in.
///
/// @par Thread safety
/// Not thread-safe.
class voice_state_tracker {
 public:
  /// Called with every change.
  using handler = std::function<void(const voice_update&)>;

  /// A tracker for the bot user `bot_user_id` (from READY; 0 = set later).
  explicit voice_state_tracker(snowflake bot_user_id = 0, handler on_update = {})
      : bot_user_id_(bot_user_id), on_update_(std::move(on_update)) {}

  /// Sets the bot's user id (from READY).
  void set_bot_user(snowflake id) noexcept { bot_user_id_ = id; }
  /// Sets the callback.
  void set_handler(handler h) { on_update_ = std::move(h); }

  /// Feeds a parsed payload; only the voice dispatches and GUILD_DELETE matter.
  void feed(const gateway_payload& payload);
  /// Feeds a VOICE_STATE_UPDATE.
  void on_voice_state(const voice_state& state);
  /// Feeds a VOICE_SERVER_UPDATE.
  void on_voice_server(const voice_server_update_event& server);
  /// Forgets a guild (GUILD_DELETE).
  void forget(snowflake guild_id);

  /// The complete info for `guild_id`, if the bot is connected there.
  [[nodiscard]] std::optional<voice_update> current(snowflake guild_id) const;
  /// Guilds with tracked state.
  [[nodiscard]] std::size_t size() const noexcept { return guilds_.size(); }

 private:
  struct entry {
    std::optional<snowflake> channel_id;
    std::string session_id;
    std::string token;
    std::optional<std::string> endpoint;
    bool has_state = false;
    bool has_server = false;
  };
  void emit_if_ready(snowflake guild_id, const entry& e);

  snowflake bot_user_id_;
  handler on_update_;
  std::unordered_map<snowflake, entry> guilds_;
};

}  // namespace musicbot::discord
