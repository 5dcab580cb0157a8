#pragma once
/// @file
/// `musicbot::queue::guild_settings` and the rules that govern them:
/// volume range, the autoplay/loop exclusion, and who may control playback.

#include <musicbot/core/result.hpp>
#include <musicbot/queue/error.hpp>
#include <musicbot/queue/loop_mode.hpp>
#include <musicbot/queue/music_queue.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace musicbot::queue {

/// Per-guild configuration, persisted by the store.
///
/// Rules (enforced by the setters below and by `validate()`):
/// - volume is 0–200 (100 = unchanged);
/// - autoplay and loop exclude each other, in both directions: enabling
///   autoplay while loop is not `off` fails with `loop_autoplay_conflict`,
///   and so does setting a loop mode other than `off` while autoplay is on.
///   Nothing is switched off silently; the user turns one off first.
/// - max_queue_length is 1..queue_limits::hard_max_length; max_per_user at
///   most that (0 = unlimited).
struct guild_settings {
  static constexpr int min_volume = 0;    ///< lowest accepted volume
  static constexpr int max_volume = 200;  ///< highest accepted volume

  std::uint64_t guild_id = 0;                         ///< the guild
  int volume = 100;                                   ///< player volume, 0–200
  loop_mode loop = loop_mode::off;                    ///< loop mode
  bool autoplay = false;                              ///< queue related tracks when the queue runs out
  bool automix = false;                               ///< crossfade / mix between tracks
  std::optional<std::uint64_t> dj_role_id;            ///< role required for DJ commands, if any
  std::optional<std::uint64_t> announce_channel_id;   ///< where "now playing" is announced, if anywhere
  std::size_t max_queue_length = 1'000;               ///< queue maximum length
  std::size_t max_per_user = 0;                       ///< per-user queue maximum (0 = unlimited)

  /// Member-wise equality.
  friend bool operator==(const guild_settings&, const guild_settings&) = default;
};

/// Checks every rule; returns the first violation.
[[nodiscard]] core::result<void> validate(const guild_settings& settings);
/// Sets the volume. Error: `invalid_volume` outside 0–200.
core::result<void> set_volume(guild_settings& settings, int volume);
/// Sets the loop mode. Error: `loop_autoplay_conflict` if `mode` is not
/// `off` while autoplay is on.
core::result<void> set_loop(guild_settings& settings, loop_mode mode);
/// Turns autoplay on or off. Error: `loop_autoplay_conflict` when enabling
/// it while loop is not `off`.
core::result<void> set_autoplay(guild_settings& settings, bool enabled);
/// Sets the queue limits. Error: `invalid_limit`.
core::result<void> set_queue_limits(guild_settings& settings, std::size_t max_length, std::size_t max_per_user);
/// The queue limits these settings imply (history and de-duplication as in `base`).
[[nodiscard]] queue_limits limits_of(const guild_settings& settings, queue_limits base = {});

/// What `can_control` needs to know about the member running a command.
struct member_info {
  std::uint64_t user_id = 0;               ///< the member
  std::vector<std::uint64_t> role_ids;     ///< their roles
  bool is_admin = false;                   ///< has Administrator or Manage Guild
};

/// Voice state around the command: where the bot and the member are.
struct voice_state {
  std::optional<std::uint64_t> bot_channel_id;     ///< the bot's voice channel, if connected
  std::optional<std::uint64_t> member_channel_id;  ///< the member's voice channel, if any
  std::size_t humans_in_bot_channel = 0;           ///< non-bot members in the bot's channel (including the member)
};

/// Why a member may or may not control playback.
enum class control_reason {
  admin,                 ///< allowed: administrators always may
  no_dj_role,            ///< allowed: no DJ role is configured
  has_dj_role,           ///< allowed: the member has the DJ role
  alone_with_bot,        ///< allowed: the member is the only listener
  not_in_voice_channel,  ///< denied: the bot plays in a channel the member is not in
  not_dj,                ///< denied: a DJ role is set and the member lacks it
};

/// The decision of `can_control` (a value, not an exception).
struct control_decision {
  bool allowed = false;                          ///< may the command run
  control_reason reason = control_reason::not_dj;  ///< why

  /// Same as `allowed`.
  explicit operator bool() const noexcept { return allowed; }
};

/// The DJ policy the bot applies to every command that changes playback.
///
/// In order: admins are always allowed; while the bot is in a voice channel
/// a member who is not in that channel is denied; with no DJ role set
/// everyone else is allowed; with one set, members with the role are
/// allowed, and so is a member alone with the bot; everyone else is denied.
[[nodiscard]] control_decision can_control(const member_info& member, const guild_settings& settings,
                                           const voice_state& voice) noexcept;

}  // namespace musicbot::queue
