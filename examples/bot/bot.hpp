#pragma once
// The reference bot: Discord gateway + REST, Lavalink node pool, store,
// music sessions, rate limits, metrics and health, assembled.

#include "config.hpp"

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
};

// Counters the demo prints; all updated on the io_context thread.
struct bot_stats {
  std::uint64_t commands = 0;
  std::uint64_t ok = 0;
  std::uint64_t refused = 0;       // validation, DJ policy, not in voice
  std::uint64_t rate_limited = 0;
  std::uint64_t failed = 0;        // errors (node down, store)
  std::uint64_t players_moved = 0;
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

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace musicbot::bot
