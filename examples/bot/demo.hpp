#pragma once
// `musicbot --demo`: the real bot against the testing kit's fake Discord and
// two fake Lavalink nodes, in-process, with simulated guilds and users.

#include <chrono>
#include <cstdint>

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
};

// Runs the demo; returns the process exit code (0 when the bot served
// commands, failed over and shut down cleanly).
int run_demo(const demo_options& options);

}  // namespace musicbot::bot
