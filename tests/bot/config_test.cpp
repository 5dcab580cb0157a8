#include "config.hpp"

#include <musicbot_test/process.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <map>

namespace {

using namespace musicbot::bot;

env_lookup no_env() {
  return [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
}

env_lookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

constexpr const char* valid = R"(
[discord]
token = "Bot.secret-discord-token"
application_id = 1173917793654013952

[[lavalink.nodes]]
name = "eu-1"
url = "http://127.0.0.1:2333"
password = "youshallnotpass"
region = "eu"

[music]
default_volume = 80
search_prefixes = ["ytsearch:", "scsearch:"]
)";

bool has_problem(const config_load_result& r, const std::string& key) {
  for (const auto& p : r.problems) {
    if (p.key == key) return true;
  }
  return false;
}

TEST(BotConfig, ValidFileLoads) {
  const auto r = load_config(valid, no_env());
  ASSERT_TRUE(r.ok()) << describe(r.problems);
  EXPECT_EQ(r.config.discord.token.reveal(), "Bot.secret-discord-token");
  EXPECT_EQ(r.config.discord.application_id, 1173917793654013952ULL);
  ASSERT_EQ(r.config.lavalink_nodes.size(), 1U);
  EXPECT_EQ(r.config.lavalink_nodes[0].region, "eu");
  EXPECT_EQ(r.config.music.default_volume, 80);
  EXPECT_EQ(r.config.store.backend, "sqlite");  // embedded default
}

TEST(BotConfig, EveryProblemIsReportedWithItsKey) {
  const auto r = load_config(R"(
[discord]
token = "x"
shard_first = 3
shard_last = 1
colour = "blue"

[music]
default_volume = 250
idle_disconnect_seconds = "soon"

[store]
backend = "mysql"

[observability]
log_level = "loud"

[nonsense]
a = 1

[[lavalink.nodes]]
name = "a"
url = "ftp://x"
password = "p"
extra = 1
)",
                             no_env());
  EXPECT_FALSE(r.ok());
  for (const char* key : {"discord.colour", "music.default_volume", "music.idle_disconnect_seconds", "store.backend",
                          "observability.log_level", "nonsense.a", "lavalink.nodes[0].url", "lavalink.nodes[0].extra",
                          "discord.shard_last"}) {
    EXPECT_TRUE(has_problem(r, key)) << key << "\n" << describe(r.problems);
  }
  EXPECT_GE(r.problems.size(), 9U);
}

TEST(BotConfig, EnvironmentOverridesFile) {
  const auto r = load_config(valid, env_of({{"MUSICBOT_MUSIC_DEFAULT_VOLUME", "55"},
                                            {"MUSICBOT_DISCORD_TOKEN", "from-env"},
                                            {"MUSICBOT_LAVALINK_EU_1_PASSWORD", "env-pass"},
                                            {"MUSICBOT_MUSIC_SEARCH_PREFIXES", "scsearch:"}}));
  ASSERT_TRUE(r.ok()) << describe(r.problems);
  EXPECT_EQ(r.config.music.default_volume, 55);
  EXPECT_EQ(r.config.discord.token.reveal(), "from-env");
  EXPECT_EQ(r.config.lavalink_nodes[0].password.reveal(), "env-pass");
  EXPECT_EQ(r.config.music.search_prefixes, std::vector<std::string>{"scsearch:"});
}

TEST(BotConfig, InvalidEnvironmentValueNamesTheVariable) {
  const auto r = load_config(valid, env_of({{"MUSICBOT_MUSIC_DEFAULT_VOLUME", "loud"}}));
  EXPECT_TRUE(has_problem(r, "MUSICBOT_MUSIC_DEFAULT_VOLUME")) << describe(r.problems);
}

TEST(BotConfig, SecretsFromFiles) {
  musicbot_test::temp_dir dir;
  const auto path = dir.path() + "/token";
  std::ofstream(path) << "file-token\n";
  const auto r = load_config("[discord]\ntoken_file = \"" + path +
                                 "\"\n[[lavalink.nodes]]\nname=\"a\"\nurl=\"http://127.0.0.1:1\"\npassword=\"p\"\n",
                             no_env());
  ASSERT_TRUE(r.ok()) << describe(r.problems);
  EXPECT_EQ(r.config.discord.token.reveal(), "file-token");
  const auto missing = load_config("[discord]\ntoken_file = \"/nonexistent/token\"\n", no_env());
  EXPECT_TRUE(has_problem(missing, "discord.token_file"));
}

TEST(BotConfig, RequiredValuesAndSyntaxErrors) {
  const auto empty = load_config("", no_env());
  EXPECT_TRUE(has_problem(empty, "discord.token"));
  EXPECT_TRUE(has_problem(empty, "lavalink.nodes"));
  const auto broken = load_config("[discord\ntoken=", no_env(), "bot.toml");
  ASSERT_EQ(broken.problems.size(), 1U);
  EXPECT_NE(broken.problems[0].key.find("bot.toml:1"), std::string::npos) << broken.problems[0].key;
  const auto pg = load_config(std::string(valid) + "[store]\nbackend = \"postgres\"\n", no_env());
  EXPECT_TRUE(has_problem(pg, "store.postgres_dsn"));
}

TEST(BotConfig, ProblemsNeverEchoSecrets) {
  const auto r = load_config(R"(
[discord]
token = "Bot.super-secret-value"
[redis]
url = "http://user:hunter2-password@host"
)",
                             no_env());
  const auto text = describe(r.problems);
  EXPECT_TRUE(has_problem(r, "redis.url"));
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
  EXPECT_EQ(text.find("super-secret"), std::string::npos) << text;
}

TEST(BotConfig, DuplicateNodeNamesRejected) {
  const auto r = load_config(std::string(valid) + "[[lavalink.nodes]]\nname=\"eu-1\"\nurl=\"http://127.0.0.1:2\"\npassword=\"p\"\n",
                             no_env());
  EXPECT_TRUE(has_problem(r, "lavalink.nodes[1].name")) << describe(r.problems);
}

}  // namespace

namespace {

TEST(BotConfig, EnvironmentSecretWinsOverSecretFile) {
  const auto r = musicbot::bot::load_config(
      "[discord]\ntoken_file = \"/nonexistent/token\"\n[[lavalink.nodes]]\nname=\"eu-1\"\nurl=\"http://127.0.0.1:1\"\n"
      "password_file=\"/nonexistent/pw\"\n",
      env_of({{"MUSICBOT_DISCORD_TOKEN", "env-token"}, {"MUSICBOT_LAVALINK_EU_1_PASSWORD", "env-pw"}}));
  ASSERT_TRUE(r.ok()) << musicbot::bot::describe(r.problems);
  EXPECT_EQ(r.config.discord.token.reveal(), "env-token");
  EXPECT_EQ(r.config.lavalink_nodes[0].password.reveal(), "env-pw");
}

}  // namespace

namespace {

TEST(BotConfig, ApiSectionDefaultsOff) {
  const auto r = load_config(valid, no_env());
  ASSERT_TRUE(r.ok()) << describe(r.problems);
  EXPECT_FALSE(r.config.api.enabled);
  EXPECT_EQ(r.config.api.host, "127.0.0.1");
  EXPECT_EQ(r.config.api.port, 8081);
  EXPECT_TRUE(r.config.api.allowed_origins.empty());
  EXPECT_EQ(r.config.api.token_ttl, std::chrono::hours(24 * 30));
}

TEST(BotConfig, ApiSectionValuesAndEnvironment) {
  const auto r = load_config(std::string(valid) + R"(
[api]
enabled = true
port = 8090
allowed_origins = ["https://dash.example.org", "http://127.0.0.1:8090"]
token_ttl_days = 7
public_url = "https://dash.example.org/"
)",
                             env_of({{"MUSICBOT_API_HOST", "0.0.0.0"}}));
  ASSERT_TRUE(r.ok()) << describe(r.problems);
  EXPECT_TRUE(r.config.api.enabled);
  EXPECT_EQ(r.config.api.host, "0.0.0.0");
  EXPECT_EQ(r.config.api.port, 8090);
  EXPECT_EQ(r.config.api.allowed_origins.size(), 2U);
  EXPECT_EQ(r.config.api.token_ttl, std::chrono::hours(24 * 7));

  const auto env = load_config(valid, env_of({{"MUSICBOT_API_ENABLED", "1"},
                                              {"MUSICBOT_API_ALLOWED_ORIGINS", "https://a.example,https://b.example:8443"}}));
  ASSERT_TRUE(env.ok()) << describe(env.problems);
  EXPECT_TRUE(env.config.api.enabled);
  EXPECT_EQ(env.config.api.allowed_origins.size(), 2U);
}

TEST(BotConfig, ApiSectionBadValuesNamedByKey) {
  const auto r = load_config(std::string(valid) + R"(
[api]
enabled = "yes"
host = ""
port = 70000
allowed_origins = ["*"]
token_ttl_days = 0
public_url = "ftp://dash.example.org"
bogus = 1
)",
                             no_env());
  for (const auto* key : {"api.enabled", "api.host", "api.port", "api.allowed_origins", "api.token_ttl_days",
                          "api.public_url", "api.bogus"}) {
    EXPECT_TRUE(has_problem(r, key)) << key << "\n" << describe(r.problems);
  }
  const auto path = load_config(std::string(valid) + "[api]\nallowed_origins = [\"https://dash.example.org/app\"]\n", no_env());
  EXPECT_TRUE(has_problem(path, "api.allowed_origins")) << describe(path.problems);
  const auto same_port = load_config(std::string(valid) + "[api]\nenabled = true\nport = 9464\n", no_env());
  EXPECT_TRUE(has_problem(same_port, "api.port")) << describe(same_port.problems);
  const auto bad_env = load_config(valid, env_of({{"MUSICBOT_API_ENABLED", "maybe"}}));
  EXPECT_TRUE(has_problem(bad_env, "MUSICBOT_API_ENABLED")) << describe(bad_env.problems);
}

}  // namespace

namespace {

TEST(BotConfig, RedisIdentifyCoordinationIsOptionalAndValidated) {
  const auto defaults = load_config(std::string(valid) + "[redis]\nurl = \"redis://127.0.0.1:6379\"\n", no_env());
  ASSERT_TRUE(defaults.ok()) << describe(defaults.problems);
  EXPECT_TRUE(defaults.config.redis.identify_coordination);
  const auto off = load_config(std::string(valid) + "[redis]\nidentify_coordination = false\n", no_env());
  ASSERT_TRUE(off.ok()) << describe(off.problems);
  EXPECT_FALSE(off.config.redis.identify_coordination);
  const auto bad = load_config(std::string(valid) + "[redis]\nidentify_coordination = \"no\"\n", no_env());
  EXPECT_TRUE(has_problem(bad, "redis.identify_coordination")) << describe(bad.problems);
  const auto bad_env = load_config(valid, env_of({{"MUSICBOT_REDIS_IDENTIFY_COORDINATION", "sometimes"}}));
  EXPECT_TRUE(has_problem(bad_env, "MUSICBOT_REDIS_IDENTIFY_COORDINATION")) << describe(bad_env.problems);
}

}  // namespace
