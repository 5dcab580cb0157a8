#pragma once
/// @file
/// `musicbot::store::sqlite_store`: the embedded default backend.

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

/// Configuration of a `sqlite_store`.
struct sqlite_config {
  /// Database file, or `":memory:"` for a private in-memory database.
  std::string path = ":memory:";
  /// How long a statement waits for a lock held by another process.
  std::chrono::milliseconds busy_timeout{5000};
  /// `PRAGMA synchronous=FULL` (default; a commit survives power loss) or
  /// `NORMAL` (a commit survives a crash of the process, not of the machine).
  bool synchronous_full = true;
  /// Operations waiting for the writer thread before new ones are refused
  /// with `overloaded`.
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

/// Repositories on SQLite: one connection in WAL mode, prepared statements,
/// every blocking SQLite call on one dedicated writer thread owned by the
/// store (the only thread musicbot::store creates: SQLite has no
/// asynchronous API); results are posted back to each handler's associated
/// executor (or the store's executor). Operations run in submission order.
///
/// @par Thread safety
/// The initiating functions may be called from any thread. Destroy the
/// store before the executors its handlers use: the destructor finishes the
/// queued operations (their handlers are posted) and joins the thread.
class sqlite_store final : public database {
 public:
  /// Creates the store; nothing is opened before `async_start`.
  sqlite_store(boost::asio::any_io_executor executor, sqlite_config config);
  /// Finishes queued operations and joins the writer thread.
  ~sqlite_store() override;
  sqlite_store(const sqlite_store&) = delete;             ///< not copyable
  sqlite_store& operator=(const sqlite_store&) = delete;  ///< not copyable

  [[nodiscard]] int current_schema_version() const noexcept override;
  [[nodiscard]] boost::asio::any_io_executor get_executor() const override;

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
  std::unique_ptr<impl> impl_;
};

}  // namespace musicbot::store
