#include "musicbot/discord/voice.hpp"

namespace musicbot::discord {

void voice_state_tracker::feed(const gateway_payload& payload) {
  if (const auto* vs = std::get_if<voice_state>(&payload.event)) on_voice_state(*vs);
  else if (const auto* srv = std::get_if<voice_server_update_event>(&payload.event)) on_voice_server(*srv);
  else if (const auto* gd = std::get_if<guild_delete_event>(&payload.event)) {
    if (!gd->unavailable) forget(gd->id);
  } else if (const auto* r = std::get_if<ready_event>(&payload.event)) set_bot_user(r->user_id);
}

void voice_state_tracker::on_voice_state(const voice_state& state) {
  if (state.user_id != bot_user_id_ || !state.guild_id) return;
  const snowflake guild = *state.guild_id;
  if (!state.channel_id) {
    if (guilds_.erase(guild) > 0 && on_update_) {
      voice_update u;
      u.what = voice_update::kind::disconnected;
      u.guild_id = guild;
      on_update_(u);
    }
    return;
  }
  entry& e = guilds_[guild];
  e.channel_id = state.channel_id;
  e.session_id = state.session_id;
  e.has_state = true;
  emit_if_ready(guild, e);
}

void voice_state_tracker::on_voice_server(const voice_server_update_event& server) {
  entry& e = guilds_[server.guild_id];
  e.token = server.token;
  e.endpoint = server.endpoint;
  e.has_server = true;
  if (!server.endpoint) {
    if (on_update_) {
      voice_update u;
      u.what = voice_update::kind::server_lost;
      u.guild_id = server.guild_id;
      u.channel_id = e.channel_id;
      u.session_id = e.session_id;
      on_update_(u);
    }
    return;
  }
  emit_if_ready(server.guild_id, e);
}

void voice_state_tracker::emit_if_ready(snowflake guild_id, const entry& e) {
  if (!e.has_state || !e.has_server || !e.endpoint || !e.channel_id || !on_update_) return;
  on_update_(*current(guild_id));
}

void voice_state_tracker::forget(snowflake guild_id) {
  if (guilds_.erase(guild_id) > 0 && on_update_) {
    voice_update u;
    u.what = voice_update::kind::disconnected;
    u.guild_id = guild_id;
    on_update_(u);
  }
}

std::optional<voice_update> voice_state_tracker::current(snowflake guild_id) const {
  auto it = guilds_.find(guild_id);
  if (it == guilds_.end()) return std::nullopt;
  const entry& e = it->second;
  if (!e.has_state || !e.has_server || !e.endpoint || !e.channel_id) return std::nullopt;
  voice_update u;
  u.what = voice_update::kind::ready;
  u.guild_id = guild_id;
  u.channel_id = e.channel_id;
  u.session_id = e.session_id;
  u.token = e.token;
  u.endpoint = *e.endpoint;
  return u;
}

}  // namespace musicbot::discord
