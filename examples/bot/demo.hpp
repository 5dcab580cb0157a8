#pragma once
// `musicbot --demo`: the real bot against the testing kit's fake Discord and
// two fake Lavalink nodes, in-process, with simulated guilds and users.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace musicbot::bot {

struct demo_options {
  std::chrono::seconds duration{30};
  std::uint32_t guilds = 24;
  std::uint32_t users_per_guild = 4;
  std::uint32_t shards = 2;
  double commands_per_second = 40.0;
  std::uint64_t seed = 42;
  bool progress = true;  // live progress line on stderr
  bool verbose = false;  // bot logs at info level, sample replies in the summary
  // --api-port P: the control API and dashboard on 127.0.0.1:P (0: any free port).
  std::optional<std::uint16_t> api_port;
  // --dashboard-token-file F: once the API listens, a token for a dedicated
  // "dashboard guild" (simulated users never touch it; one playing track and
  // queued ones, looping) is written to F (mode 0600) as JSON
  // {"guild_id":"...","token":"...","url":"http://127.0.0.1:P/"}.
  std::string dashboard_token_file;
};

// Runs the demo; returns the process exit code (0 when the bot served
// commands, failed over and shut down cleanly).
int run_demo(const demo_options& options);

}  // namespace musicbot::bot
