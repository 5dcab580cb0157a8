#pragma once
/// @file
/// Gateway shards and the shard manager: connection, zlib-stream, HELLO,
/// heartbeats with zombie detection, IDENTIFY/RESUME, op 7/op 9, the
/// close-code policy, reconnects with backoff, voice state updates.

#include "musicbot/core/secret.hpp"
#include "musicbot/discord/gateway_commands.hpp"
#include "musicbot/discord/gateway_payload.hpp"
#include "musicbot/discord/identify.hpp"
#include "musicbot/discord/sharding.hpp"
#include "musicbot/discord/voice.hpp"
#include "musicbot/net/backoff.hpp"
#include "musicbot/net/tls.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spdlog {
class logger;
}  // namespace spdlog

namespace musicbot::discord {

class rest_client;

/// Life cycle of a shard.
enum class shard_state {
  idle,          ///< not started
  connecting,    ///< opening the WebSocket
  identifying,   ///< waiting for the identify slot / READY
  resuming,      ///< RESUME sent, waiting for RESUMED
  ready,         ///< receiving events
  reconnecting,  ///< waiting before the next connection
  stopped,       ///< stopped by the user or by a fatal close code (see last_error)
};

/// "idle", "connecting", ...
[[nodiscard]] std::string_view to_string(shard_state state) noexcept;

/// What is needed to resume a session (also across a process restart).
struct shard_session {
  std::string session_id;          ///< from READY
  std::string resume_gateway_url;  ///< from READY
  std::int64_t sequence = 0;       ///< last sequence number received
};

/// Settings of one shard.
struct gateway_options {
  core::secret token;                               ///< the bot token (never logged)
  std::string gateway_url = "wss://gateway.discord.gg";  ///< from GET /gateway/bot (ws:// for the fake)
  std::uint32_t shard_id = 0;                       ///< this shard
  std::uint32_t shard_count = 1;                    ///< total shards
  std::uint32_t intents = intents::music_bot_default;  ///< 129 by default
  bool compress = true;                             ///< `compress=zlib-stream`
  /// Cap on one inbound gateway message, in bytes, applied to the WebSocket
  /// message, to the compressed bytes buffered until the zlib-stream suffix
  /// and to the inflated JSON. The default (16 MiB) leaves ample room: READY
  /// grows by ~45 bytes per guild (~115 KiB at 2,500 guilds, the most a
  /// shard may hold) and a very large GUILD_CREATE is a few MiB. A message
  /// over the cap is never skipped silently: it is logged as an error,
  /// counted in shard_status::oversized, recorded as
  /// error::message_too_large and the shard reconnects (Discord replays the
  /// message on resume). After 3 such messages in a row with no READY or
  /// RESUMED in between, the shard stops with error::message_too_large
  /// instead of spending its daily identify budget: raise the cap.
  std::size_t max_message_size = std::size_t{16} << 20;
  std::chrono::milliseconds connect_timeout{10'000};     ///< WebSocket connect + upgrade
  std::chrono::milliseconds hello_timeout{20'000};       ///< HELLO must arrive within this
  net::backoff_options reconnect_backoff{std::chrono::milliseconds(1000), std::chrono::milliseconds(60'000),
                                         net::jitter::full, 0};  ///< between reconnects
  std::chrono::milliseconds invalid_session_min_wait{1000};  ///< op 9 (false): random wait before re-identify...
  std::chrono::milliseconds invalid_session_max_wait{5000};  ///< ...up to this
  std::optional<presence> initial_presence;          ///< presence in IDENTIFY
  std::optional<shard_session> resume_from;          ///< resume this session on the first connection
  net::tls_options tls;                              ///< certificate verification for wss
  std::shared_ptr<spdlog::logger> logger;            ///< default "musicbot.discord"
};

/// A shard's state for health checks and metrics.
struct shard_status {
  std::uint32_t shard_id = 0;                        ///< shard
  shard_state state = shard_state::idle;             ///< state
  std::optional<std::chrono::milliseconds> latency;  ///< last heartbeat round trip
  boost::system::error_code last_error;              ///< why it last disconnected or stopped
  std::uint64_t identifies = 0;                      ///< READYs received
  std::uint64_t resumes = 0;                         ///< RESUMEDs received
  std::uint64_t reconnects = 0;                      ///< connections after the first
  std::uint64_t zombies = 0;                         ///< zombie connections detected
  std::uint64_t events = 0;                          ///< dispatches received
  std::uint64_t malformed = 0;                       ///< payloads that were not valid gateway JSON
  std::uint64_t oversized = 0;                       ///< messages over gateway_options::max_message_size
  std::uint64_t budget_waits = 0;                    ///< times the daily identify budget was exhausted
  /// Set while the shard waits for the daily identify budget
  /// (`session_start_limit`) to reset: it identifies again at this time.
  std::optional<std::chrono::steady_clock::time_point> identify_budget_wait_until;
};

/// One gateway connection (one shard), reconnecting until stopped.
///
/// Events (dispatches, typed or raw) go to the event handler in order, on
/// the executor. The handler must not block. State changes go to the state
/// handler.
///
/// @par Thread safety
/// Use from one executor (the io_context's thread or a strand).
class gateway_shard {
 public:
  using executor_type = boost::asio::any_io_executor;  ///< The executor type.
  using event_handler = std::function<void(const gateway_payload&)>;  ///< Receives dispatches.
  using state_handler = std::function<void(shard_state, boost::system::error_code)>;  ///< Receives state changes.

  /// A stopped shard; `coordinator` grants identify slots (shared by shards).
  gateway_shard(executor_type executor, gateway_options options, std::shared_ptr<identify_coordinator> coordinator);
  /// Stops without a close handshake.
  ~gateway_shard();
  gateway_shard(const gateway_shard&) = delete;             ///< Not copyable.
  gateway_shard& operator=(const gateway_shard&) = delete;  ///< Not copyable.

  /// Sets the dispatch handler (before start()).
  void set_event_handler(event_handler handler);
  /// Sets the state handler (before start()).
  void set_state_handler(state_handler handler);

  /// Connects and keeps the shard connected until stop() or a fatal close code.
  void start();
  /// Closes the connection: with a resumable code (4900) when
  /// `keep_session` (a restart may resume it), else with 1000.
  void stop(bool keep_session = true);

  /// Sends a payload (JSON text, at most 4096 bytes) through the outbound
  /// limiter. Completion signature: `void(error_code)`; errors:
  /// error::not_connected, error::payload_too_large, error::shard_stopped.
  template <class CompletionToken>
  auto async_send(std::string payload, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
        [this](auto h, std::string p) { initiate_send(std::move(p), std::move(h)); }, token, std::move(payload));
  }

  /// op 4: joins or moves to `channel_id`, or leaves when it is empty.
  /// Completion signature: `void(error_code)`.
  template <class CompletionToken>
  auto async_update_voice_state(snowflake guild_id, std::optional<snowflake> channel_id, bool self_mute,
                                bool self_deaf, CompletionToken&& token) {
    return async_send(build_voice_state_update(guild_id, channel_id, self_mute, self_deaf),
                      std::forward<CompletionToken>(token));
  }

  /// The shard's id.
  [[nodiscard]] std::uint32_t id() const noexcept;
  /// Health and metrics figures.
  [[nodiscard]] shard_status status() const;
  /// The session to resume, if any.
  [[nodiscard]] std::optional<shard_session> session() const;

 private:
  void initiate_send(std::string payload, boost::asio::any_completion_handler<void(boost::system::error_code)> h);
  struct impl;
  std::shared_ptr<impl> impl_;
};

/// Settings of a shard_manager.
struct shard_manager_options {
  gateway_options gateway;                     ///< template for every shard (shard id/count are filled in)
  std::optional<std::uint32_t> shard_count;    ///< fixed count; empty = Discord's recommendation
  std::optional<shard_range> range;            ///< shards this process runs; empty = all
  std::optional<std::string> gateway_url;      ///< overrides the URL from GET /gateway/bot
};

/// Runs the shards of one process: fetches `GET /gateway/bot`, creates the
/// shards of its range, starts them through the identify coordinator, routes
/// voice state updates to the guild's shard and joins voice events into
/// voice_update for the Lavalink bridge.
///
/// @par Thread safety
/// Use from one executor.
class shard_manager {
 public:
  using executor_type = boost::asio::any_io_executor;  ///< The executor type.
  /// Receives every dispatch with the shard it came from.
  using event_handler = std::function<void(std::uint32_t shard_id, const gateway_payload&)>;

  /// A manager using `rest` for `GET /gateway/bot`; `coordinator` may be
  /// shared between processes (default: a local_identify_coordinator).
  shard_manager(executor_type executor, shard_manager_options options, rest_client& rest,
                std::shared_ptr<identify_coordinator> coordinator = nullptr);
  /// Stops the shards.
  ~shard_manager();
  shard_manager(const shard_manager&) = delete;             ///< Not copyable.
  shard_manager& operator=(const shard_manager&) = delete;  ///< Not copyable.

  /// Sets the dispatch handler (before async_start()).
  void set_event_handler(event_handler handler);
  /// Sets the voice handler (before async_start()).
  void set_voice_handler(voice_state_tracker::handler handler);
  /// Sets a handler for shard state changes (before async_start()).
  void set_state_handler(std::function<void(std::uint32_t, shard_state, boost::system::error_code)> handler);

  /// Fetches the gateway info and starts the shards.
  /// Completion signature: `void(error_code)` (after the shards were started,
  /// not after they are ready).
  template <class CompletionToken>
  auto async_start(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
        [this](auto h) { initiate_start(std::move(h)); }, token);
  }

  /// Stops every shard (resumable close by default).
  void stop(bool keep_sessions = true);

  /// op 4 on the shard of `guild_id`. Completion signature: `void(error_code)`.
  template <class CompletionToken>
  auto async_update_voice_state(snowflake guild_id, std::optional<snowflake> channel_id, bool self_mute,
                                bool self_deaf, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
        [this, guild_id, channel_id, self_mute, self_deaf](auto h) {
          initiate_voice(guild_id, channel_id, self_mute, self_deaf, std::move(h));
        },
        token);
  }

  /// The shard that owns `guild_id`, or nullptr if another process runs it.
  [[nodiscard]] gateway_shard* shard_for_guild(snowflake guild_id) noexcept;
  /// The total shard count (after async_start()).
  [[nodiscard]] std::uint32_t shard_count() const noexcept;
  /// Status of every local shard.
  [[nodiscard]] std::vector<shard_status> status() const;
  /// The voice state tracker (current voice info per guild).
  [[nodiscard]] const voice_state_tracker& voice() const noexcept;

 private:
  void initiate_start(boost::asio::any_completion_handler<void(boost::system::error_code)> handler);
  void initiate_voice(snowflake guild_id, std::optional<snowflake> channel_id, bool self_mute, bool self_deaf,
                      boost::asio::any_completion_handler<void(boost::system::error_code)> handler);
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace musicbot::discord
