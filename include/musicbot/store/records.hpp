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

}  // namespace musicbot::store
