#pragma once
// The reference bot's configuration: a TOML file, overridden by environment
// variables (MUSICBOT_<SECTION>_<KEY>), secrets from the environment or from
// files. Loading never stops at the first problem: every unknown key and
// every invalid value is reported, each naming its key.

#include <musicbot/core/secret.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace musicbot::bot {

struct lavalink_node_config {
  std::string name;
  std::string url;  // http(s)://host:port
  core::secret password;
  std::string region;
};

struct bot_config {
  struct discord_section {
    core::secret token;
    std::uint64_t application_id = 0;
    std::string rest_url = "https://discord.com/api/v10";
    std::string gateway_url;  // empty: ask GET /gateway/bot
    std::optional<std::uint32_t> shard_count;  // empty: "auto"
    std::uint32_t shard_first = 0;
    std::optional<std::uint32_t> shard_last;  // empty: the last shard
    std::uint32_t intents = 129;  // GUILDS | GUILD_VOICE_STATES
  } discord;

  std::vector<lavalink_node_config> lavalink_nodes;

  struct store_section {
    std::string backend = "sqlite";  // sqlite | postgres
    std::string sqlite_path = "musicbot.db";
    core::secret postgres_dsn;
    std::uint32_t pool_max = 8;
  } store;

  struct redis_section {
    core::secret url;  // empty: local limits and L1 cache only
    std::string key_prefix = "musicbot";
    std::uint32_t expected_replicas = 1;
    double fallback_fraction = 0.5;
    // Shards identify through Redis (identify buckets and the daily budget
    // shared by every process); false: per process only.
    bool identify_coordination = true;
  } redis;

  struct limits_section {
    std::uint32_t user_commands = 5;
    std::chrono::seconds user_window{10};
    std::uint32_t guild_commands = 30;
    std::chrono::seconds guild_window{10};
  } limits;

  struct music_section {
    int default_volume = 100;
    std::uint32_t max_queue_length = 1000;
    std::uint32_t max_per_user = 0;
    std::chrono::seconds idle_disconnect{300};
    std::uint32_t autoplay_history = 20;
    std::vector<std::string> search_prefixes{"ytsearch:", "scsearch:"};
  } music;

  struct observability_section {
    std::string listen_address = "127.0.0.1";
    std::uint16_t port = 9464;
    core::secret bearer_token;
    std::string log_format = "text";  // text | json
    std::string log_level = "info";
    double trace_sample_ratio = 0.0;
    std::string otlp_endpoint;  // empty: no export
  } observability;

  // The control API and web dashboard (musicbot::api), off by default.
  struct api_section {
    bool enabled = false;
    std::string host = "127.0.0.1";
    std::uint16_t port = 8081;
    std::vector<std::string> allowed_origins;  // CORS origins, e.g. "https://dash.example.org"; never "*"
    std::chrono::seconds token_ttl{std::chrono::hours(24 * 30)};  // default lifetime of /dashboard tokens
    std::string public_url;  // the dashboard URL shown to admins; empty: http://host:port/
  } api;

  std::chrono::seconds shutdown_deadline{10};
};

struct config_problem {
  std::string key;      // e.g. "music.default_volume" or "lavalink.nodes[1].url"
  std::string message;  // what is wrong and what is allowed
};

struct config_load_result {
  bot_config config;
  std::vector<config_problem> problems;
  [[nodiscard]] bool ok() const noexcept { return problems.empty(); }
};

// Looks up an environment variable (injectable for tests).
using env_lookup = std::function<std::optional<std::string>(const std::string&)>;

// The process environment.
env_lookup process_env();

// Parses `toml_text` (named `source` in messages), applies environment
// overrides, reads secret files, validates everything.
config_load_result load_config(std::string_view toml_text, const env_lookup& env,
                               std::string_view source = "config");

// Reads and loads a file; a missing or unreadable file is one problem.
config_load_result load_config_file(const std::string& path, const env_lookup& env);

// One line per problem, "key: message".
std::string describe(const std::vector<config_problem>& problems);

}  // namespace musicbot::bot
