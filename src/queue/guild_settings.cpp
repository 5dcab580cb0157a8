#include <musicbot/queue/guild_settings.hpp>

#include <algorithm>

namespace musicbot::queue {

core::result<void> validate(const guild_settings& s) {
  if (s.volume < guild_settings::min_volume || s.volume > guild_settings::max_volume) return error::invalid_volume;
  if (s.autoplay && s.loop != loop_mode::off) return error::loop_autoplay_conflict;
  if (s.max_queue_length == 0 || s.max_queue_length > queue_limits::hard_max_length) return error::invalid_limit;
  if (s.max_per_user > queue_limits::hard_max_length) return error::invalid_limit;
  switch (s.loop) {
    case loop_mode::off:
    case loop_mode::track:
    case loop_mode::queue: break;
    default: return error::invalid_argument;
  }
  return {};
}

core::result<void> set_volume(guild_settings& s, int volume) {
  if (volume < guild_settings::min_volume || volume > guild_settings::max_volume) return error::invalid_volume;
  s.volume = volume;
  return {};
}

core::result<void> set_loop(guild_settings& s, loop_mode mode) {
  if (mode != loop_mode::off && mode != loop_mode::track && mode != loop_mode::queue) return error::invalid_argument;
  if (mode != loop_mode::off && s.autoplay) return error::loop_autoplay_conflict;
  s.loop = mode;
  return {};
}

core::result<void> set_autoplay(guild_settings& s, bool enabled) {
  if (enabled && s.loop != loop_mode::off) return error::loop_autoplay_conflict;
  s.autoplay = enabled;
  return {};
}

core::result<void> set_queue_limits(guild_settings& s, std::size_t max_length, std::size_t max_per_user) {
  if (max_length == 0 || max_length > queue_limits::hard_max_length) return error::invalid_limit;
  if (max_per_user > queue_limits::hard_max_length) return error::invalid_limit;
  s.max_queue_length = max_length;
  s.max_per_user = max_per_user;
  return {};
}

queue_limits limits_of(const guild_settings& s, queue_limits base) {
  base.max_length = std::clamp<std::size_t>(s.max_queue_length, 1, queue_limits::hard_max_length);
  base.max_per_user = std::min(s.max_per_user, queue_limits::hard_max_length);
  return base;
}

control_decision can_control(const member_info& member, const guild_settings& settings,
                             const voice_state& voice) noexcept {
  if (member.is_admin) return {true, control_reason::admin};
  if (voice.bot_channel_id && voice.member_channel_id != voice.bot_channel_id) {
    return {false, control_reason::not_in_voice_channel};
  }
  if (!settings.dj_role_id) return {true, control_reason::no_dj_role};
  if (std::find(member.role_ids.begin(), member.role_ids.end(), *settings.dj_role_id) != member.role_ids.end()) {
    return {true, control_reason::has_dj_role};
  }
  if (voice.bot_channel_id && voice.humans_in_bot_channel == 1) return {true, control_reason::alone_with_bot};
  return {false, control_reason::not_dj};
}

}  // namespace musicbot::queue
