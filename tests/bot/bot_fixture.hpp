#pragma once
// The reference bot in-process against the testing kit's fake Discord and a
// fake Lavalink node, driven by dispatching gateway events and inspecting the
// REST requests the bot makes.

#include "bot.hpp"

#include <musicbot/testing/fake_discord.hpp>
#include <musicbot/testing/fake_lavalink.hpp>
#include <musicbot/testing/tracks.hpp>
#include <musicbot_test/process.hpp>
#include <musicbot_test/run_until.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace musicbot_bot_test {

namespace asio = boost::asio;

inline constexpr const char* catalog_titles[] = {"Northern Lights", "Glass Rivers", "Slow Motion", "Neon Rain",
                                                 "Open Road",       "Paper Planes", "Lighthouse",  "Afterglow"};
inline constexpr const char* catalog_artists[] = {"Aurora Lane", "Kite Theory", "Solar Drift", "Echo Parade"};

inline std::vector<musicbot::lavalink::track> catalog() {
  std::vector<musicbot::lavalink::track> out;
  std::uint32_t n = 0;
  for (const char* artist : catalog_artists) {
    for (const char* title : catalog_titles) {
      out.push_back(musicbot::testing::make_track(title, artist, std::chrono::minutes(3), "t" + std::to_string(n++)));
    }
  }
  return out;
}

inline std::string option_json(const std::string& name, int type, const std::string& value_json) {
  return R"({"name":")" + name + R"(","type":)" + std::to_string(type) + R"(,"value":)" + value_json + "}";
}
inline std::string quoted(const std::string& s) { return "\"" + s + "\""; }

constexpr std::uint64_t manage_guild = 0x20;

class bot_fixture {
 public:
  // `guilds` guilds on one shard; identifies are allowed 10 ms apart, so
  // restarts identify again at once.
  explicit bot_fixture(std::uint32_t guilds = 2) : bot_fixture(one_shard(guilds)) {}

  // A fake Discord with `dopt` (shards, identify concurrency); the bot runs
  // every shard of it (config.discord.shard_first/last pick a range).
  explicit bot_fixture(musicbot::testing::fake_discord_options dopt) {
    musicbot::testing::fake_lavalink_options lo;
    lo.time_scale = 1.0;
    node_ = std::make_unique<musicbot::testing::fake_lavalink>(ioc.get_executor(), lo);
    for (const auto& t : catalog()) node_->add_track(t);
    node_port_ = node_->start().value();
    discord = std::make_unique<musicbot::testing::fake_discord>(ioc.get_executor(), dopt);
    discord->start().value();
    app_id_ = dopt.bot_user_id;
    guild_ids = discord->guild_ids(0, dopt.shards);

    config.discord.token = musicbot::core::secret(dopt.token);
    config.discord.application_id = dopt.bot_user_id;
    config.discord.shard_count = dopt.shards;
    config.lavalink_nodes.push_back({"node-1", "http://127.0.0.1:" + std::to_string(node_port_),
                                     musicbot::core::secret(std::string("youshallnotpass")), "eu"});
    config.store.sqlite_path = dir.path() + "/bot.db";
    config.observability.port = 0;
    config.limits.user_commands = 1000;
    config.limits.guild_commands = 10000;
    runtime.discord_rest_url = discord->api_base();
    runtime.discord_gateway_url = discord->gateway_url();
    runtime.register_commands = false;
    runtime.announce_interval = std::chrono::milliseconds(300);
  }

  ~bot_fixture() {
    stop_bot();
    if (discord) discord->stop();
    if (node_) node_->stop();
    for (auto& n : extra_nodes_) n->stop();
    ioc.restart();
    ioc.run_for(std::chrono::milliseconds(50));
  }

  // Starts the bot and waits until its shard is identified and READY.
  void start_bot() {
    const auto identifies = discord->identifies().size();
    bot = std::make_unique<musicbot::bot::music_bot>(ioc, config, runtime);
    std::optional<boost::system::error_code> started;
    bot->start([&](boost::system::error_code ec) { started = ec; });
    ASSERT_TRUE(musicbot_test::run_until(ioc, [&] { return started.has_value(); }, std::chrono::seconds(10)));
    ASSERT_FALSE(*started) << started->message();
    ASSERT_TRUE(musicbot_test::run_until(ioc, [&] { return discord->identifies().size() > identifies; }));
    musicbot_test::run_until(ioc, [] { return false; }, std::chrono::milliseconds(100));  // READY + GUILD_CREATEs
  }

  // Graceful shutdown (persists queues), as SIGTERM does.
  void stop_bot() {
    if (!bot) return;
    bool done = false;
    bot->shutdown([&] { done = true; });
    musicbot_test::run_until(ioc, [&] { return done; }, std::chrono::seconds(15));
    bot.reset();
    ioc.restart();
    ioc.run_for(std::chrono::milliseconds(20));
  }

  void join_voice(std::uint64_t guild, std::uint64_t user, std::uint64_t channel) {
    const std::string d = R"({"guild_id":")" + std::to_string(guild) + R"(","channel_id":")" + std::to_string(channel) +
                          R"(","user_id":")" + std::to_string(user) + R"(","session_id":"s)" + std::to_string(user) +
                          R"(","deaf":false,"mute":false,"self_deaf":false,"self_mute":false,"self_video":false,"suppress":false,"member":{"user":{"id":")" +
                          std::to_string(user) + R"("},"roles":[]}})";
    discord->dispatch(0, "VOICE_STATE_UPDATE", d);
    musicbot_test::run_until(ioc, [] { return false; }, std::chrono::milliseconds(20));
  }

  // Dispatches a slash command; returns the interaction id.
  std::uint64_t command(std::uint64_t guild, std::uint64_t user, const std::string& name,
                        const std::vector<std::string>& options = {}, std::uint64_t permissions = 0) {
    std::string opts;
    for (const auto& o : options) opts += (opts.empty() ? "" : ",") + o;
    const auto id = next_id();
    dispatch_interaction(id, guild, user, permissions,
                         R"("type":2,"data":{"id":"1","name":")" + name + R"(","type":1,"options":[)" + opts + "]}");
    return id;
  }

  // Dispatches a button press on message `message_id`; returns the interaction id.
  std::uint64_t button(std::uint64_t guild, std::uint64_t user, const std::string& custom_id,
                       std::uint64_t message_id = 1'300'000'000'000'000'001ULL) {
    const auto id = next_id();
    dispatch_interaction(id, guild, user, 0,
                         R"("type":3,"message":{"id":")" + std::to_string(message_id) + R"(","channel_id":")" +
                             std::to_string(guild + 2) + R"("},"data":{"custom_id":")" + custom_id +
                             R"(","component_type":2})");
    return id;
  }

  // The callback the bot sent for interaction `id`, parsed (waits up to 5 s).
  std::optional<boost::json::value> response_to(std::uint64_t id) {
    const std::string needle = "/interactions/" + std::to_string(id) + "/";
    std::optional<boost::json::value> out;
    musicbot_test::run_until(ioc, [&] {
      for (const auto& r : discord->requests()) {
        if (r.method == "POST" && r.path.find(needle) == 0) {
          out = boost::json::parse(r.body);
          return true;
        }
      }
      return false;
    });
    return out;
  }

  // The text of the response to `id` ("" if none).
  std::string reply_text(std::uint64_t id) {
    const auto r = response_to(id);
    if (!r) return "";
    const auto* data = r->as_object().if_contains("data");
    if (data == nullptr) return "";
    const auto* content = data->as_object().if_contains("content");
    return content != nullptr && content->is_string() ? std::string(content->get_string()) : std::string();
  }

  std::vector<musicbot::testing::fake_rest_request> requests_to(const std::string& path_prefix) const {
    std::vector<musicbot::testing::fake_rest_request> out;
    for (auto& r : discord->requests()) {
      if (r.path.rfind(path_prefix, 0) == 0) out.push_back(r);
    }
    return out;
  }

  // Gateway op 4 (voice state update) payloads the bot sent for `guild`, from `from` on.
  std::vector<std::string> voice_updates_for(std::uint64_t guild, std::size_t from = 0) const {
    std::vector<std::string> out;
    const auto all = discord->received();
    for (std::size_t n = from; n < all.size(); ++n) {
      if (all[n].op == 4 && all[n].json.find("\"guild_id\":\"" + std::to_string(guild) + "\"") != std::string::npos) {
        out.push_back(all[n].json);
      }
    }
    return out;
  }

  // Another fake Lavalink node with the same catalog, added to the config
  // (call before start_bot()).
  musicbot::testing::fake_lavalink& add_node() {
    auto n = std::make_unique<musicbot::testing::fake_lavalink>(ioc.get_executor());
    for (const auto& t : catalog()) n->add_track(t);
    const auto port = n->start().value();
    config.lavalink_nodes.push_back({"node-" + std::to_string(extra_nodes_.size() + 2),
                                     "http://127.0.0.1:" + std::to_string(port),
                                     musicbot::core::secret(std::string("youshallnotpass")), "eu"});
    extra_nodes_.push_back(std::move(n));
    return *extra_nodes_.back();
  }
  // Node `n` (0: the one every fixture has, then those of add_node()).
  musicbot::testing::fake_lavalink& node(std::size_t n = 0) { return n == 0 ? *node_ : *extra_nodes_.at(n - 1); }

  void run_for(std::chrono::milliseconds d) { musicbot_test::run_until(ioc, [] { return false; }, d); }

  asio::io_context ioc;
  musicbot_test::temp_dir dir{"musicbot-bot-test"};
  std::unique_ptr<musicbot::testing::fake_discord> discord;
  std::vector<std::uint64_t> guild_ids;
  musicbot::bot::bot_config config;
  musicbot::bot::runtime_options runtime;
  std::unique_ptr<musicbot::bot::music_bot> bot;

 private:
  static musicbot::testing::fake_discord_options one_shard(std::uint32_t guilds) {
    musicbot::testing::fake_discord_options dopt;
    dopt.guilds = guilds;
    dopt.shards = 1;
    dopt.identify_window = std::chrono::milliseconds(10);
    return dopt;
  }

  std::uint64_t next_id() { return 1'400'000'000'000'000'000ULL + ++sent_; }

  void dispatch_interaction(std::uint64_t id, std::uint64_t guild, std::uint64_t user, std::uint64_t permissions,
                            const std::string& rest) {
    const std::string d = R"({"id":")" + std::to_string(id) + R"(","application_id":")" + std::to_string(app_id_) +
                          R"(","token":"tok-)" + std::to_string(id) + R"(","guild_id":")" + std::to_string(guild) +
                          R"(","channel_id":")" + std::to_string(guild + 2) + R"(","member":{"user":{"id":")" +
                          std::to_string(user) + R"("},"roles":[],"permissions":")" + std::to_string(permissions) +
                          R"("},)" + rest + "}";
    discord->dispatch(0, "INTERACTION_CREATE", d);
  }

  std::unique_ptr<musicbot::testing::fake_lavalink> node_;
  std::uint16_t node_port_ = 0;
  std::vector<std::unique_ptr<musicbot::testing::fake_lavalink>> extra_nodes_;
  std::uint64_t app_id_ = 0;
  std::uint64_t sent_ = 0;
};

}  // namespace musicbot_bot_test
