#pragma once
/// @file
/// `musicbot::store::postgres_store`: the scaled-out backend (several bot
/// processes share one PostgreSQL database).

#include <musicbot/core/secret.hpp>
#include <musicbot/queue/music_queue.hpp>
#include <musicbot/store/repository.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace spdlog {
class logger;
}

namespace musicbot::store {

/// Configuration of a `postgres_store`.
struct postgres_config {
  /// libpq connection string or URI (`host=... port=... dbname=... user=...`
  /// or `postgresql://...`). Held as a secret because a DSN may embed a
  /// password; it is never logged.
  core::secret dsn;
  /// Password, if not in the DSN (overrides it when set).
  core::secret password;
  std::size_t pool_min = 1;  ///< connections opened by `async_start`
  std::size_t pool_max = 8;  ///< upper bound on open connections
  /// Bound on establishing one connection (TCP + startup + authentication).
  std::chrono::milliseconds connect_timeout{5000};
  /// Bound on waiting for a free pooled connection (including reconnects).
  std::chrono::milliseconds acquire_timeout{5000};
  /// Client-side bound on one round trip; on expiry the connection is
  /// dropped and the operation fails with `timed_out`.
  std::chrono::milliseconds query_timeout{10000};
  /// Server-side `statement_timeout` set on every connection (0 = none).
  std::chrono::milliseconds statement_timeout{5000};
  /// An idle connection unused for longer than this is checked with a
  /// round trip (`SELECT 1`) before it is handed out.
  std::chrono::milliseconds health_check_idle{30000};
  std::chrono::milliseconds reconnect_backoff_min{50};    ///< first delay after a failed connect
  std::chrono::milliseconds reconnect_backoff_max{2000};  ///< delay cap (doubling in between)
  /// Operations in flight (waiting or running) before new ones are
  /// refused with `overloaded`.
  std::size_t max_pending = 10'000;
  /// Upper bound on the tracks of one stored queue (current + upcoming),
  /// checked on writes (`value_too_large`). A queue written while the bound
  /// was larger still loads.
  std::size_t max_queue_tracks = queue::queue_limits::hard_max_length + 1;
  /// Audit log retention.
  audit_retention retention{};
  /// Live (not revoked, not expired) API tokens a guild may hold; creating
  /// one more fails with `limit_reached`.
  std::size_t max_tokens_per_guild = 25;
  /// Wall clock for `updated_at` and audit retention (injectable for tests).
  std::function<timestamp()> clock;
  /// Logger; by default a logger named "musicbot.store".
  std::shared_ptr<spdlog::logger> logger;
};

/// Repositories on PostgreSQL through libpq in non-blocking mode, driven by
/// Asio: each connection's socket is waited on with `async_wait`, so no
/// thread is used per query (no thread at all: everything runs on a strand
/// of the executor you pass). Connections are pooled (min/max, health
/// check, reconnect with exponential backoff); statements are prepared once
/// per connection; queue replacement and append are single calls of
/// server-side functions, so each is one transaction and one round trip.
///
/// Errors: a connection that breaks while an operation is in flight fails
/// that operation with `connection_lost` (or `timed_out`); the connection
/// is discarded and later operations reconnect. Read-only operations are
/// retried once on a fresh connection when the pooled one turns out dead.
///
/// @par Thread safety
/// The initiating functions may be called from any thread. The store must
/// outlive no executor it uses; destroying it closes idle connections and
/// makes in-flight operations complete (with their result or an error).
class postgres_store final : public database {
 public:
  /// Creates the store; nothing is connected before `async_start`.
  /// Throws `std::invalid_argument` if pool_max is 0 or below pool_min.
  postgres_store(boost::asio::any_io_executor executor, postgres_config config);
  /// Closes the pool.
  ~postgres_store() override;
  postgres_store(const postgres_store&) = delete;             ///< not copyable
  postgres_store& operator=(const postgres_store&) = delete;  ///< not copyable

  [[nodiscard]] int current_schema_version() const noexcept override;
  [[nodiscard]] boost::asio::any_io_executor get_executor() const override;

  /// Pool statistics (for metrics and health).
  struct pool_stats {
    std::size_t open = 0;              ///< connections open or being opened
    std::size_t idle = 0;              ///< connections waiting in the pool
    std::size_t waiting = 0;           ///< operations waiting for a connection
    std::uint64_t connects = 0;        ///< successful connects so far
    std::uint64_t connect_failures = 0;///< failed connects so far
    std::uint64_t discarded = 0;       ///< connections dropped as broken
  };
  /// A snapshot of the pool statistics (approximate while operations run).
  [[nodiscard]] pool_stats stats() const;

 private:
  void do_start(void_handler h) override;
  void do_load_settings(std::uint64_t guild_id, handler<std::optional<queue::guild_settings>> h) override;
  void do_save_settings(queue::guild_settings settings, void_handler h) override;
  void do_load_queue(std::uint64_t guild_id, handler<std::optional<stored_queue>> h) override;
  void do_replace_queue(std::uint64_t guild_id, queue::queue_state state, handler<std::uint64_t> h) override;
  void do_append_tracks(std::uint64_t guild_id, std::vector<queue::track> tracks, handler<std::uint64_t> h) override;
  void do_delete_queue(std::uint64_t guild_id, handler<bool> h) override;
  void do_list_queues(handler<std::vector<std::uint64_t>> h) override;
  void do_record_audit(audit_entry entry, handler<std::int64_t> h) override;
  void do_recent_audit(std::uint64_t guild_id, std::size_t limit, handler<std::vector<audit_entry>> h) override;
  void do_prune_audit(timestamp now, handler<std::uint64_t> h) override;
  void do_set_flag(feature_flag flag, void_handler h) override;
  void do_get_flag(std::string name, std::uint64_t guild_id, handler<std::optional<bool>> h) override;
  void do_delete_flag(std::string name, std::uint64_t guild_id, handler<bool> h) override;
  void do_list_flags(handler<std::vector<feature_flag>> h) override;
  void do_create_api_token(api_token_record token_record, void_handler h) override;
  void do_find_api_token_by_hash(std::string hash, handler<std::optional<api_token_record>> h) override;
  void do_revoke_api_token(std::uint64_t guild_id, std::string id, handler<bool> h) override;
  void do_list_api_tokens(std::uint64_t guild_id, handler<std::vector<api_token_record>> h) override;
  void do_prune_api_tokens(timestamp now, handler<std::uint64_t> h) override;
  void do_save_voice_channel(std::uint64_t guild_id, std::uint64_t channel_id, void_handler h) override;
  void do_list_voice_channels(handler<std::vector<voice_channel_record>> h) override;

  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace musicbot::store
