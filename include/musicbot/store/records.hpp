#pragma once
/// @file
/// Plain records the repositories read and write.

#include <musicbot/queue/music_queue.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace musicbot::store {

/// Milliseconds since the Unix epoch, the time unit of every stored record.
using timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

/// A queue as stored: its state plus the version the store assigned to the
/// commit that wrote it (strictly increasing per guild).
struct stored_queue {
  queue::queue_state state;  ///< current track, position, upcoming tracks, loop mode
  std::uint64_t version = 0; ///< commit counter of this guild's queue
  timestamp updated_at{};    ///< when that commit happened

  /// Member-wise equality.
  friend bool operator==(const stored_queue&, const stored_queue&) = default;
};

/// One line of the audit log: who ran which command, when, with what outcome.
struct audit_entry {
  std::int64_t id = 0;         ///< assigned by the store on insert
  std::uint64_t guild_id = 0;  ///< where
  std::uint64_t user_id = 0;   ///< who
  std::string command;         ///< what (e.g. "play"), at most `audit_limits::max_command` bytes
  std::string outcome;         ///< e.g. "ok", "denied", "error", at most `audit_limits::max_outcome` bytes
  std::string detail;          ///< free text, at most `audit_limits::max_detail` bytes
  timestamp at{};              ///< when

  /// Member-wise equality.
  friend bool operator==(const audit_entry&, const audit_entry&) = default;
};

/// Size limits of audit entries (longer values are refused with `value_too_large`).
struct audit_limits {
  static constexpr std::size_t max_command = 64;   ///< bytes of `audit_entry::command`
  static constexpr std::size_t max_outcome = 32;   ///< bytes of `audit_entry::outcome`
  static constexpr std::size_t max_detail = 1024;  ///< bytes of `audit_entry::detail`
};

/// How long audit entries are kept. Enforced on insert (every
/// `prune_every` inserts) and by `async_prune_audit`.
struct audit_retention {
  std::chrono::milliseconds max_age = std::chrono::hours(24 * 30);  ///< older entries are deleted
  std::uint64_t max_entries = 100'000;                              ///< only the newest this many are kept
  std::uint64_t prune_every = 256;                                  ///< inserts between automatic prunes
};

/// A feature flag, global (`guild_id == 0`) or a per-guild override.
struct feature_flag {
  std::string name;            ///< 1–64 characters of `a-z 0-9 _ . -`
  std::uint64_t guild_id = 0;  ///< 0 = global default
  bool enabled = false;        ///< the value

  /// Member-wise equality.
  friend bool operator==(const feature_flag&, const feature_flag&) = default;
};

/// Maximum length of a feature flag name.
inline constexpr std::size_t max_flag_name = 64;

/// True if `name` is a valid flag name (1–64 characters of `a-z 0-9 _ . -`).
[[nodiscard]] constexpr bool valid_flag_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > max_flag_name) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

/// An API token of the control API. The secret token itself is never
/// stored: only its SHA-256 (`hash`), looked up when a request presents it.
struct api_token_record {
  std::string id;               ///< public id (1–32 characters of `a-z 0-9`), unique; used to list and revoke
  std::uint64_t guild_id = 0;   ///< the one guild the token controls (non-zero)
  std::uint64_t created_by = 0; ///< user id of the admin who created it (non-zero)
  std::string hash;             ///< lowercase hex SHA-256 of the secret token (64 characters), unique
  std::string label;            ///< free text, at most `api_token_limits::max_label` bytes, no control characters
  timestamp created_at{};       ///< when it was created
  timestamp expires_at{};       ///< when it stops working (after `created_at`)
  bool revoked = false;         ///< revoked by an admin

  /// True if the token may be used at `now`: not revoked and not expired.
  [[nodiscard]] bool usable(timestamp now) const noexcept { return !revoked && now < expires_at; }

  /// Member-wise equality.
  friend bool operator==(const api_token_record&, const api_token_record&) = default;
};

/// Limits of API token records (violations are refused with `invalid_argument`).
struct api_token_limits {
  static constexpr std::size_t max_id = 32;        ///< characters of `api_token_record::id`
  static constexpr std::size_t hash_length = 64;   ///< characters of `api_token_record::hash`
  static constexpr std::size_t max_label = 64;     ///< bytes of `api_token_record::label`
};

/// True if `id` is a valid API token id (1–32 characters of `a-z 0-9`).
[[nodiscard]] constexpr bool valid_api_token_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > api_token_limits::max_id) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

/// True if `hash` is a lowercase hex SHA-256 (exactly 64 characters of `0-9 a-f`).
[[nodiscard]] constexpr bool valid_token_hash(std::string_view hash) noexcept {
  if (hash.size() != api_token_limits::hash_length) return false;
  for (char c : hash) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

/// True if `label` fits `api_token_limits::max_label` bytes and holds no
/// ASCII control characters.
[[nodiscard]] constexpr bool valid_token_label(std::string_view label) noexcept {
  if (label.size() > api_token_limits::max_label) return false;
  for (char c : label) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

/// The voice channel the bot was last in for a guild (to rejoin after a restart).
struct voice_channel_record {
  std::uint64_t guild_id = 0;    ///< the guild
  std::uint64_t channel_id = 0;  ///< its voice channel
  timestamp updated_at{};        ///< when it was saved

  /// Member-wise equality.
  friend bool operator==(const voice_channel_record&, const voice_channel_record&) = default;
};

}  // namespace musicbot::store
