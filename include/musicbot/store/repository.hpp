#pragma once
/// @file
/// The repository interfaces of musicbot::store and `database`, the type
/// every backend (SQLite, PostgreSQL) implements.
///
/// Every operation is an Asio asynchronous operation: the last argument is
/// a completion token (a callback, `asio::use_awaitable`, `asio::deferred`,
/// ...) and the completion signature is `void(error_code, T)` (or
/// `void(error_code)` for writes that return nothing). Handlers are invoked
/// through their associated executor, or the store's executor if they have
/// none — never inline from the initiating function.

#include <musicbot/queue/guild_settings.hpp>
#include <musicbot/queue/music_queue.hpp>
#include <musicbot/store/error.hpp>
#include <musicbot/store/records.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace musicbot::store {

/// `boost::system::error_code`.
using error_code = boost::system::error_code;

/// A type-erased completion handler `void(error_code, T)`.
template <class T>
using handler = boost::asio::any_completion_handler<void(error_code, T)>;
/// A type-erased completion handler `void(error_code)`.
using void_handler = boost::asio::any_completion_handler<void(error_code)>;

/// Guild settings, one row per guild.
class settings_repository {
 public:
  virtual ~settings_repository() = default;

  /// Loads a guild's settings; `std::nullopt` if none were ever saved.
  /// Signature: `void(error_code, std::optional<queue::guild_settings>)`.
  template <class CompletionToken>
  auto async_load_settings(std::uint64_t guild_id, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, std::optional<queue::guild_settings>)>(
        [this](auto h, std::uint64_t g) { do_load_settings(g, std::move(h)); }, token, guild_id);
  }
  /// Inserts or replaces a guild's settings. Settings that fail
  /// `queue::validate` are refused with `invalid_argument`.
  /// Signature: `void(error_code)`.
  template <class CompletionToken>
  auto async_save_settings(queue::guild_settings settings, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(error_code)>(
        [this](auto h, queue::guild_settings s) { do_save_settings(std::move(s), std::move(h)); }, token,
        std::move(settings));
  }

 protected:
  /// Backend hook of async_load_settings().
  virtual void do_load_settings(std::uint64_t guild_id, handler<std::optional<queue::guild_settings>> h) = 0;
  /// Backend hook of async_save_settings().
  virtual void do_save_settings(queue::guild_settings settings, void_handler h) = 0;
};

/// Guild queues. Replacing a queue writes the whole state (current track,
/// position, upcoming tracks, loop mode) in one transaction: a reader sees
/// the old version or the new one, never a mix, and after a crash exactly
/// the last committed version.
class queue_repository {
 public:
  virtual ~queue_repository() = default;

  /// Loads a guild's queue; `std::nullopt` if none is stored.
  /// Signature: `void(error_code, std::optional<stored_queue>)`.
  template <class CompletionToken>
  auto async_load_queue(std::uint64_t guild_id, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, std::optional<stored_queue>)>(
        [this](auto h, std::uint64_t g) { do_load_queue(g, std::move(h)); }, token, guild_id);
  }
  /// Atomically replaces a guild's queue; completes with the new version.
  /// Error `value_too_large` if the state holds more tracks than the
  /// backend's `max_queue_tracks`. Signature: `void(error_code, std::uint64_t)`.
  template <class CompletionToken>
  auto async_replace_queue(std::uint64_t guild_id, queue::queue_state state, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, std::uint64_t)>(
        [this](auto h, std::uint64_t g, queue::queue_state s) { do_replace_queue(g, std::move(s), std::move(h)); },
        token, guild_id, std::move(state));
  }
  /// Atomically appends tracks to the upcoming list (creating an empty
  /// queue first if none exists); completes with the new version. Error
  /// `value_too_large` if the result would exceed `max_queue_tracks`.
  /// Signature: `void(error_code, std::uint64_t)`.
  template <class CompletionToken>
  auto async_append_tracks(std::uint64_t guild_id, std::vector<queue::track> tracks, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, std::uint64_t)>(
        [this](auto h, std::uint64_t g, std::vector<queue::track> t) {
          do_append_tracks(g, std::move(t), std::move(h));
        },
        token, guild_id, std::move(tracks));
  }
  /// Deletes a guild's queue; completes with whether one existed.
  /// Signature: `void(error_code, bool)`.
  template <class CompletionToken>
  auto async_delete_queue(std::uint64_t guild_id, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, bool)>(
        [this](auto h, std::uint64_t g) { do_delete_queue(g, std::move(h)); }, token, guild_id);
  }
  /// The guilds that have a stored queue (to resume playback after a
  /// restart), in ascending order. Signature:
  /// `void(error_code, std::vector<std::uint64_t>)`.
  template <class CompletionToken>
  auto async_list_queues(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, std::vector<std::uint64_t>)>(
        [this](auto h) { do_list_queues(std::move(h)); }, token);
  }

 protected:
  /// Backend hook of async_load_queue().
  virtual void do_load_queue(std::uint64_t guild_id, handler<std::optional<stored_queue>> h) = 0;
  /// Backend hook of async_replace_queue().
  virtual void do_replace_queue(std::uint64_t guild_id, queue::queue_state state, handler<std::uint64_t> h) = 0;
  /// Backend hook of async_append_tracks().
  virtual void do_append_tracks(std::uint64_t guild_id, std::vector<queue::track> tracks,
                                handler<std::uint64_t> h) = 0;
  /// Backend hook of async_delete_queue().
  virtual void do_delete_queue(std::uint64_t guild_id, handler<bool> h) = 0;
  /// Backend hook of async_list_queues().
  virtual void do_list_queues(handler<std::vector<std::uint64_t>> h) = 0;
};

/// The audit log of commands, with bounded retention (`audit_retention`).
class audit_repository {
 public:
  virtual ~audit_repository() = default;

  /// Appends an entry (its `id` is ignored); completes with the new id.
  /// Error `value_too_large` past `audit_limits`. Signature:
  /// `void(error_code, std::int64_t)`.
  template <class CompletionToken>
  auto async_record_audit(audit_entry entry, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, std::int64_t)>(
        [this](auto h, audit_entry e) { do_record_audit(std::move(e), std::move(h)); }, token, std::move(entry));
  }
  /// The newest `limit` entries of a guild (at most 1,000), newest first.
  /// Signature: `void(error_code, std::vector<audit_entry>)`.
  template <class CompletionToken>
  auto async_recent_audit(std::uint64_t guild_id, std::size_t limit, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, std::vector<audit_entry>)>(
        [this](auto h, std::uint64_t g, std::size_t n) { do_recent_audit(g, n, std::move(h)); }, token, guild_id,
        limit);
  }
  /// Applies the retention policy relative to `now`; completes with the
  /// number of deleted entries. Signature: `void(error_code, std::uint64_t)`.
  template <class CompletionToken>
  auto async_prune_audit(timestamp now, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, std::uint64_t)>(
        [this](auto h, timestamp t) { do_prune_audit(t, std::move(h)); }, token, now);
  }

 protected:
  /// Backend hook of async_record_audit().
  virtual void do_record_audit(audit_entry entry, handler<std::int64_t> h) = 0;
  /// Backend hook of async_recent_audit().
  virtual void do_recent_audit(std::uint64_t guild_id, std::size_t limit, handler<std::vector<audit_entry>> h) = 0;
  /// Backend hook of async_prune_audit().
  virtual void do_prune_audit(timestamp now, handler<std::uint64_t> h) = 0;
};

/// Feature flags: a global value per name, optionally overridden per guild.
class flag_repository {
 public:
  virtual ~flag_repository() = default;

  /// Sets a flag (`guild_id` 0 = global). Error `invalid_argument` for a
  /// name failing `valid_flag_name`. Signature: `void(error_code)`.
  template <class CompletionToken>
  auto async_set_flag(feature_flag flag, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(error_code)>(
        [this](auto h, feature_flag f) { do_set_flag(std::move(f), std::move(h)); }, token, std::move(flag));
  }
  /// The effective value of a flag for a guild: its override, else the
  /// global value, else `std::nullopt`. Signature:
  /// `void(error_code, std::optional<bool>)`.
  template <class CompletionToken>
  auto async_get_flag(std::string name, std::uint64_t guild_id, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, std::optional<bool>)>(
        [this](auto h, std::string n, std::uint64_t g) { do_get_flag(std::move(n), g, std::move(h)); }, token,
        std::move(name), guild_id);
  }
  /// Removes a flag value (global or one override); completes with whether
  /// it existed. Signature: `void(error_code, bool)`.
  template <class CompletionToken>
  auto async_delete_flag(std::string name, std::uint64_t guild_id, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, bool)>(
        [this](auto h, std::string n, std::uint64_t g) { do_delete_flag(std::move(n), g, std::move(h)); }, token,
        std::move(name), guild_id);
  }
  /// Every stored flag value (global and overrides), ordered by name then
  /// guild. Signature: `void(error_code, std::vector<feature_flag>)`.
  template <class CompletionToken>
  auto async_list_flags(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, std::vector<feature_flag>)>(
        [this](auto h) { do_list_flags(std::move(h)); }, token);
  }

 protected:
  /// Backend hook of async_set_flag().
  virtual void do_set_flag(feature_flag flag, void_handler h) = 0;
  /// Backend hook of async_get_flag().
  virtual void do_get_flag(std::string name, std::uint64_t guild_id, handler<std::optional<bool>> h) = 0;
  /// Backend hook of async_delete_flag().
  virtual void do_delete_flag(std::string name, std::uint64_t guild_id, handler<bool> h) = 0;
  /// Backend hook of async_list_flags().
  virtual void do_list_flags(handler<std::vector<feature_flag>> h) = 0;
};

/// API tokens of the control API (schema version 2). Tokens are stored by
/// the SHA-256 of their secret only; each is scoped to one guild, expires,
/// and can be revoked. A guild holds at most the backend's
/// `max_tokens_per_guild` live (not revoked, not expired) tokens.
class api_token_repository {
 public:
  virtual ~api_token_repository() = default;

  /// Stores a new token. Creating first deletes the guild's dead (revoked or
  /// expired) tokens, so a guild never holds more rows than the limit.
  /// Errors: `invalid_argument` (id not `valid_api_token_id`, hash not
  /// `valid_token_hash`, label not `valid_token_label`, guild or creator 0,
  /// `expires_at` not after `created_at`), `already_exists` (id or hash
  /// taken), `limit_reached` (the guild has `max_tokens_per_guild` live
  /// tokens). Signature: `void(error_code)`.
  template <class CompletionToken>
  auto async_create_api_token(api_token_record token_record, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(error_code)>(
        [this](auto h, api_token_record r) { do_create_api_token(std::move(r), std::move(h)); }, token,
        std::move(token_record));
  }
  /// The token whose hash is `hash`, whatever its state (check
  /// `api_token_record::usable`); `std::nullopt` if none. Error
  /// `invalid_argument` for a hash failing `valid_token_hash`.
  /// Signature: `void(error_code, std::optional<api_token_record>)`.
  template <class CompletionToken>
  auto async_find_api_token_by_hash(std::string hash, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, std::optional<api_token_record>)>(
        [this](auto h, std::string x) { do_find_api_token_by_hash(std::move(x), std::move(h)); }, token,
        std::move(hash));
  }
  /// Revokes the guild's token `id` (idempotent); completes with whether the
  /// guild has such a token. Error `invalid_argument` for an invalid id.
  /// Signature: `void(error_code, bool)`.
  template <class CompletionToken>
  auto async_revoke_api_token(std::uint64_t guild_id, std::string id, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, bool)>(
        [this](auto h, std::uint64_t g, std::string i) { do_revoke_api_token(g, std::move(i), std::move(h)); },
        token, guild_id, std::move(id));
  }
  /// The guild's tokens (revoked and expired ones too, until pruned),
  /// oldest first. Signature: `void(error_code, std::vector<api_token_record>)`.
  template <class CompletionToken>
  auto async_list_api_tokens(std::uint64_t guild_id, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, std::vector<api_token_record>)>(
        [this](auto h, std::uint64_t g) { do_list_api_tokens(g, std::move(h)); }, token, guild_id);
  }
  /// Deletes every token expired at `now` or revoked; completes with the
  /// number deleted. Signature: `void(error_code, std::uint64_t)`.
  template <class CompletionToken>
  auto async_prune_api_tokens(timestamp now, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, std::uint64_t)>(
        [this](auto h, timestamp t) { do_prune_api_tokens(t, std::move(h)); }, token, now);
  }

 protected:
  /// Backend hook of async_create_api_token().
  virtual void do_create_api_token(api_token_record token_record, void_handler h) = 0;
  /// Backend hook of async_find_api_token_by_hash().
  virtual void do_find_api_token_by_hash(std::string hash, handler<std::optional<api_token_record>> h) = 0;
  /// Backend hook of async_revoke_api_token().
  virtual void do_revoke_api_token(std::uint64_t guild_id, std::string id, handler<bool> h) = 0;
  /// Backend hook of async_list_api_tokens().
  virtual void do_list_api_tokens(std::uint64_t guild_id, handler<std::vector<api_token_record>> h) = 0;
  /// Backend hook of async_prune_api_tokens().
  virtual void do_prune_api_tokens(timestamp now, handler<std::uint64_t> h) = 0;
};

/// The voice channel the bot is in, per guild (schema version 2), so a
/// restarted bot rejoins where it was and resumes playback.
class voice_repository {
 public:
  virtual ~voice_repository() = default;

  /// Saves the guild's voice channel; `channel_id` 0 deletes it (the bot
  /// left). Error `invalid_argument` for guild 0. Signature: `void(error_code)`.
  template <class CompletionToken>
  auto async_save_voice_channel(std::uint64_t guild_id, std::uint64_t channel_id, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(error_code)>(
        [this](auto h, std::uint64_t g, std::uint64_t c) { do_save_voice_channel(g, c, std::move(h)); }, token,
        guild_id, channel_id);
  }
  /// Every saved voice channel, ordered by guild.
  /// Signature: `void(error_code, std::vector<voice_channel_record>)`.
  template <class CompletionToken>
  auto async_list_voice_channels(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, std::vector<voice_channel_record>)>(
        [this](auto h) { do_list_voice_channels(std::move(h)); }, token);
  }

 protected:
  /// Backend hook of async_save_voice_channel().
  virtual void do_save_voice_channel(std::uint64_t guild_id, std::uint64_t channel_id, void_handler h) = 0;
  /// Backend hook of async_list_voice_channels().
  virtual void do_list_voice_channels(handler<std::vector<voice_channel_record>> h) = 0;
};

/// A complete store: all six repositories plus start-up (connect and
/// migrate). Both backends derive from it, so code (and the test suite) is
/// written once against `database&`.
class database : public settings_repository,
                 public queue_repository,
                 public audit_repository,
                 public flag_repository,
                 public api_token_repository,
                 public voice_repository {
 public:
  /// The schema version this build writes and understands (1: settings,
  /// queues, audit log, flags; 2: API tokens, voice channels). Databases at
  /// an older version are migrated in place by async_start().
  static constexpr int schema_version = 2;

  /// Opens / connects and applies pending migrations (in one transaction
  /// each, recorded in `schema_version`). Fails with `schema_too_new` if
  /// the database was migrated by a newer build. Every other operation
  /// fails with `not_started` until this completes successfully.
  /// Signature: `void(error_code)`.
  template <class CompletionToken>
  auto async_start(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(error_code)>(
        [this](auto h) { do_start(std::move(h)); }, token);
  }
  /// The schema version found in the database after start-up (0 before).
  [[nodiscard]] virtual int current_schema_version() const noexcept = 0;
  /// The executor handlers without an associated executor run on.
  [[nodiscard]] virtual boost::asio::any_io_executor get_executor() const = 0;

 protected:
  /// Backend hook of async_start().
  virtual void do_start(void_handler h) = 0;
};

}  // namespace musicbot::store
