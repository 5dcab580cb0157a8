#pragma once
// The reference bot: Discord gateway + REST, Lavalink node pool, store,
// music sessions, rate limits, metrics and health, assembled.

#include "config.hpp"

#include <musicbot/core/secret.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace musicbot::bot {

// What the demo (or a test) changes about where the bot connects.
struct runtime_options {
  std::string discord_rest_url;     // overrides config (fake Discord)
  std::string discord_gateway_url;  // overrides config
  bool register_commands = true;    // bulk-overwrite global commands at start
  // At most one now-playing announcement per guild per interval (tests shorten it).
  std::chrono::milliseconds announce_interval{5000};
  // Gap between two identifies of one concurrency bucket when they are
  // coordinated through Redis: Discord's 5 s plus a margin, because Discord
  // measures the gap when the IDENTIFYs arrive, not when they were granted
  // (tests against the fake shorten it).
  std::chrono::milliseconds identify_window{5500};
};

// Counters the demo prints; all updated on the io_context thread.
struct bot_stats {
  std::uint64_t commands = 0;
  std::uint64_t ok = 0;
  std::uint64_t refused = 0;       // validation, DJ policy, not in voice
  std::uint64_t rate_limited = 0;
  std::uint64_t failed = 0;        // errors (node down, store)
  std::uint64_t players_moved = 0;
  std::uint64_t settings_loads = 0;          // guild settings read from the store (cache misses)
  std::uint64_t queue_view_renders = 0;      // queue pages built from a session (cache misses)
  std::uint64_t announcements = 0;           // now-playing messages sent
  std::uint64_t announcements_coalesced = 0; // now-playing events replaced by a newer one
  std::vector<double> latency_ms;  // interaction received -> response sent (bounded ring)
  std::size_t latency_next = 0;
};

class music_bot {
 public:
  music_bot(boost::asio::io_context& ioc, bot_config config, runtime_options runtime = {});
  ~music_bot();
  music_bot(const music_bot&) = delete;
  music_bot& operator=(const music_bot&) = delete;

  // Opens the store, restores sessions, connects Lavalink nodes and Discord
  // shards, starts the observability server.
  void start(std::function<void(boost::system::error_code)> done);
  // Graceful shutdown: stop taking commands, persist every queue, close the
  // gateway resumably, stop nodes; `done` runs within the configured deadline.
  void shutdown(std::function<void()> done);

  [[nodiscard]] const bot_stats& stats() const noexcept;
  [[nodiscard]] std::size_t active_sessions() const noexcept;
  [[nodiscard]] std::size_t connected_nodes() const noexcept;
  [[nodiscard]] std::uint16_t observability_port() const noexcept;
  // The control API's port once it listens (0: disabled or not started).
  [[nodiscard]] std::uint16_t api_port() const noexcept;

  // Demo and test support: the bot joins `channel` of `guild` and plays
  // `queries` in order (the first starts, the rest queue), as `user` would;
  // with `loop_queue` the queue then loops so it never runs out.
  void prefill(std::uint64_t guild, std::uint64_t user, std::uint64_t channel, std::vector<std::string> queries,
               bool loop_queue, std::function<void(boost::system::error_code)> done);
  // Issues a control-API token for `guild` (what /dashboard token does);
  // error when the API is disabled. The token is only in `token`.
  void issue_dashboard_token(std::uint64_t guild, std::uint64_t user, std::chrono::seconds ttl, std::string label,
                             std::function<void(boost::system::error_code, std::string id, core::secret token)> done);

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace musicbot::bot
