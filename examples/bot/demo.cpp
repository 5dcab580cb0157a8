#include "demo.hpp"

#include "bot.hpp"

#include <musicbot/testing/fake_discord.hpp>
#include <musicbot/testing/fake_lavalink.hpp>
#include <musicbot/testing/tracks.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string>
#include <vector>

namespace musicbot::bot {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// A small built-in catalog so the demo needs no files.
constexpr const char* artists[] = {"Aurora Lane", "The Midnight Owls", "Kite Theory", "Solar Drift", "Nova Static",
                                   "Paper Harbor", "Velvet Tides", "Echo Parade"};
constexpr const char* titles[] = {"Northern Lights", "Glass Rivers", "Slow Motion", "Neon Rain", "Open Road",
                                  "Paper Planes", "Lighthouse", "Afterglow"};

std::vector<lavalink::track> demo_catalog() {
  std::vector<lavalink::track> out;
  std::uint32_t n = 0;
  for (const char* artist : artists) {
    for (const char* title : titles) {
      const auto length = std::chrono::milliseconds(150'000 + static_cast<std::int64_t>((n * 7919) % 120'000));
      out.push_back(testing::make_track(title, artist, length, "demo" + std::to_string(n)));
      ++n;
    }
  }
  return out;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const auto idx = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  return v[idx];
}

struct simulated_user {
  std::uint64_t guild;
  std::uint64_t user;
  std::uint32_t shard;
};

std::string option_json(const std::string& name, int type, const std::string& value_json) {
  return R"({"name":")" + name + R"(","type":)" + std::to_string(type) + R"(,"value":)" + value_json + "}";
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

class traffic {
 public:
  traffic(testing::fake_discord& discord, std::uint64_t app_id, std::uint64_t seed)
      : discord_(discord), app_id_(app_id), rng_(seed) {}

  void add(simulated_user u) { users_.push_back(u); }

  void join_voice() {
    for (const auto& u : users_) {
      const std::string d = R"({"guild_id":")" + std::to_string(u.guild) + R"(","channel_id":")" +
                            std::to_string(u.guild + 1) + R"(","user_id":")" + std::to_string(u.user) +
                            R"(","session_id":"s)" + std::to_string(u.user) +
                            R"(","deaf":false,"mute":false,"self_deaf":false,"self_mute":false,"self_video":false,"suppress":false,"member":{"user":{"id":")" +
                            std::to_string(u.user) + R"("},"roles":[]}})";
      discord_.dispatch(u.shard, "VOICE_STATE_UPDATE", d);
    }
  }

  // One simulated command; returns its name for the summary.
  void issue() {
    auto& u = users_[pick(users_.size())];
    const auto roll = pick(100);
    if (roll < 34) return send(u, "play", {option_json("query", 3, quoted(std::string(titles[pick(8)])))});
    if (roll < 42) return send(u, "queue", {});
    if (roll < 50) return send(u, "nowplaying", {});
    if (roll < 58) return send(u, "skip", {});
    if (roll < 63) return send(u, "pause", {});
    if (roll < 68) return send(u, "resume", {});
    if (roll < 72) return send(u, "volume", {option_json("level", 4, std::to_string(40 + pick(120)))});
    if (roll < 75) return send(u, "loop", {option_json("mode", 3, quoted(pick(2) == 0 ? "off" : "queue"))});
    if (roll < 78) return send(u, "shuffle", {});
    if (roll < 81) return send(u, "move", {option_json("from", 4, "2"), option_json("to", 4, "1")});
    if (roll < 83) return send(u, "seek", {option_json("time", 3, quoted("0:30"))});
    if (roll < 84) return send(u, "remove", {option_json("position", 4, "1")});
    if (roll < 85) return send(u, "settings", {R"({"name":"show","type":1,"options":[]})"});
    if (roll < 86) {  // only each guild's first user is a server manager: the others are refused
      return send(u, "settings", {R"({"name":"set","type":1,"options":[)" + option_json("default_volume", 4, "80") + "]}"});
    }
    if (roll < 93) {  // bad input: every one must get a clear refusal
      switch (pick(4)) {
        case 0: return send(u, "play", {option_json("query", 3, quoted("http://127.0.0.1:8080/admin"))});
        case 1: return send(u, "volume", {option_json("level", 4, "999")});
        case 2: return send(u, "seek", {option_json("time", 3, quoted("soon"))});
        default: return send(u, "play", {option_json("query", 3, quoted("evilsearch:anything"))});
      }
    }
    for (int n = 0; n < 8; ++n) send(u, "play", {option_json("query", 3, quoted(std::string(artists[pick(8)])))});  // a burst
  }

  std::uint64_t sent() const noexcept { return sent_; }

 private:
  std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }

  void send(const simulated_user& u, const std::string& name, const std::vector<std::string>& options) {
    ++sent_;
    const auto id = 1'400'000'000'000'000'000ULL + sent_;
    std::string opts;
    for (const auto& o : options) opts += (opts.empty() ? "" : ",") + o;
    const std::string d = R"({"id":")" + std::to_string(id) + R"(","application_id":")" + std::to_string(app_id_) +
                          R"(","type":2,"token":"demo-token-)" + std::to_string(id) + R"(","guild_id":")" +
                          std::to_string(u.guild) + R"(","channel_id":")" + std::to_string(u.guild + 2) +
                          R"(","member":{"user":{"id":")" + std::to_string(u.user) + R"("},"roles":[],"permissions":")" +
                          (u.user % 100 == 0 ? "32" : "0") + R"("},"data":{"id":"1","name":")" + name +
                          R"(","type":1,"options":[)" + opts + "]}}";
    discord_.dispatch(u.shard, "INTERACTION_CREATE", d);
  }

  testing::fake_discord& discord_;
  std::uint64_t app_id_;
  std::mt19937_64 rng_;
  std::vector<simulated_user> users_;
  std::uint64_t sent_ = 0;
};

// Writes `content` to `path` readable by the owner only, atomically (a
// reader polling for the file never sees it half written).
bool write_private_file(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = ::fchmod(fd, 0600) == 0;
  std::size_t written = 0;
  while (ok && written < content.size()) {
    const auto n = ::write(fd, content.data() + written, content.size() - written);
    if (n <= 0) ok = false;
    else written += static_cast<std::size_t>(n);
  }
  ok = ::fsync(fd) == 0 && ok;
  ok = ::close(fd) == 0 && ok;
  if (ok) ok = std::rename(tmp.c_str(), path.c_str()) == 0;
  if (!ok) ::unlink(tmp.c_str());
  return ok;
}

std::string voice_state_json(std::uint64_t guild, std::uint64_t channel, std::uint64_t user) {
  return R"({"guild_id":")" + std::to_string(guild) + R"(","channel_id":")" + std::to_string(channel) +
         R"(","user_id":")" + std::to_string(user) + R"(","session_id":"s)" + std::to_string(user) +
         R"(","deaf":false,"mute":false,"self_deaf":false,"self_mute":false,"self_video":false,"suppress":false,"member":{"user":{"id":")" +
         std::to_string(user) + R"("},"roles":[]}})";
}

}  // namespace

int run_demo(const demo_options& options) {
  asio::io_context ioc;
  spdlog::set_level(options.verbose ? spdlog::level::info : spdlog::level::err);  // the progress line is the demo's output

  // Two fake Lavalink nodes with the built-in catalog, playing 20x faster.
  std::vector<std::unique_ptr<testing::fake_lavalink>> nodes;
  bot_config config;
  const auto catalog = demo_catalog();
  for (int n = 0; n < 2; ++n) {
    testing::fake_lavalink_options fo;
    fo.time_scale = 20.0;
    fo.player_update_interval = std::chrono::seconds(1);
    nodes.push_back(std::make_unique<testing::fake_lavalink>(ioc.get_executor(), fo));
    for (const auto& t : catalog) nodes.back()->add_track(t);
    const auto port = nodes.back()->start();
    if (!port) {
      std::fprintf(stderr, "demo: cannot start a fake Lavalink node: %s\n", port.error().message().c_str());
      return 1;
    }
    config.lavalink_nodes.push_back({"node-" + std::to_string(n + 1), "http://127.0.0.1:" + std::to_string(*port),
                                     core::secret(std::string("youshallnotpass")), n == 0 ? "eu" : "us"});
  }

  testing::fake_discord_options dopt;
  dopt.shards = options.shards;
  dopt.guilds = options.guilds + (options.api_port ? 1U : 0U);  // + the dashboard guild
  dopt.max_concurrency = options.shards;
  testing::fake_discord discord(ioc.get_executor(), dopt);
  if (auto port = discord.start(); !port) {
    std::fprintf(stderr, "demo: cannot start the fake Discord: %s\n", port.error().message().c_str());
    return 1;
  }

  const auto dir = std::filesystem::temp_directory_path() / ("musicbot-demo-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  config.discord.token = core::secret(dopt.token);
  config.discord.application_id = dopt.bot_user_id;
  config.discord.shard_count = options.shards;
  config.store.sqlite_path = (dir / "demo.db").string();
  config.observability.port = 0;  // any free port; printed below
  config.music.idle_disconnect = std::chrono::seconds(120);
  if (options.api_port) {
    config.api.enabled = true;
    config.api.host = "127.0.0.1";
    config.api.port = *options.api_port;
  }

  runtime_options rt;
  rt.discord_rest_url = discord.api_base();
  rt.discord_gateway_url = discord.gateway_url();
  music_bot bot(ioc, config, rt);

  traffic sim(discord, dopt.bot_user_id, options.seed);
  // The dashboard guild (with --api-port): shard 0's last guild, left alone by the simulated users.
  std::uint64_t dashboard_guild = 0;
  if (options.api_port && !discord.guild_ids(0, options.shards).empty()) dashboard_guild = discord.guild_ids(0, options.shards).back();
  for (std::uint32_t s = 0; s < options.shards; ++s) {
    for (const auto g : discord.guild_ids(s, options.shards)) {
      if (g == dashboard_guild) continue;
      for (std::uint32_t u = 0; u < options.users_per_guild; ++u) sim.add({g, 500'000'000'000'000'000ULL + g % 1'000'000 * 100 + u, s});
    }
  }

  int exit_code = 0;
  bool started = false;
  bool killed_node = false;
  const auto begin = std::chrono::steady_clock::now();
  asio::steady_timer ticker(ioc);
  asio::steady_timer reporter(ioc);
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  const auto interval = std::chrono::duration<double>(1.0 / std::max(1.0, options.commands_per_second));
  std::uint64_t last_commands = 0;

  auto finish = [&](const char* why) {
    ticker.cancel();
    reporter.cancel();
    signals.cancel();
    bot.shutdown([&, why] {
      const auto& st = bot.stats();
      const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
      std::fprintf(stderr, "\n");
      std::printf("musicbot demo finished (%s) after %.1f s\n", why, secs);
      std::printf("  commands: %llu received, %llu ok, %llu refused (bad input / policy), %llu rate limited, %llu failed\n",
                  static_cast<unsigned long long>(st.commands), static_cast<unsigned long long>(st.ok),
                  static_cast<unsigned long long>(st.refused), static_cast<unsigned long long>(st.rate_limited),
                  static_cast<unsigned long long>(st.failed));
      std::printf("  latency (interaction received -> response sent): p50 %.2f ms, p95 %.2f ms, p99 %.2f ms over %zu replies\n",
                  percentile(st.latency_ms, 0.50), percentile(st.latency_ms, 0.95), percentile(st.latency_ms, 0.99),
                  st.latency_ms.size());
      rusage usage{};
      ::getrusage(RUSAGE_SELF, &usage);
      const auto cpu = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
      std::printf("  throughput %.0f commands/s; process peak RSS %.1f MiB, CPU %.1f s user + %.1f s system "
                  "(bot, fake Discord and fake nodes together)\n",
                  static_cast<double>(st.commands) / secs, static_cast<double>(usage.ru_maxrss) / 1024.0,
                  cpu(usage.ru_utime), cpu(usage.ru_stime));
      std::printf("  players moved to another node after node-1 died: %llu\n",
                  static_cast<unsigned long long>(st.players_moved));
      std::printf("  caches: guild settings read from the store %llu times, queue pages built %llu times\n",
                  static_cast<unsigned long long>(st.settings_loads), static_cast<unsigned long long>(st.queue_view_renders));
      std::printf("  queues persisted in %s\n", config.store.sqlite_path.c_str());
      if (options.verbose) {
        // One sample of each kind of reply (the text up to its first digit).
        std::vector<std::string> kinds;
        for (const auto& r : discord.requests()) {
          if (r.path.find("/callback") == std::string::npos || kinds.size() >= 40) continue;
          const auto kind = r.body.substr(0, std::min(r.body.find_first_of("0123456789", 40), r.body.size()));
          if (std::find(kinds.begin(), kinds.end(), kind) != kinds.end()) continue;
          kinds.push_back(kind);
          std::printf("  reply %u: %s\n", r.status, r.body.substr(0, 160).c_str());
        }
      }
      if (st.ok == 0 || st.latency_ms.empty()) {
        std::printf("  FAILED: no command succeeded\n");
        exit_code = 1;
      }
      if (killed_node && bot.active_sessions() > 0 && st.players_moved == 0) {
        std::printf("  FAILED: node-1 died but no player moved to node-2\n");
        exit_code = 1;
      }
      discord.stop();
      for (auto& n : nodes) n->stop();
      ioc.stop();
    });
  };

  std::function<void()> tick = [&] {
    sim.issue();
    ticker.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval));
    ticker.async_wait([&](error_code ec) {
      if (!ec) tick();
    });
  };

  std::function<void()> report = [&] {
    // Components create their loggers lazily; keep them all quiet unless
    // --verbose so the progress line stays readable.
    spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) {
      l->set_level(options.verbose ? spdlog::level::info : spdlog::level::err);
    });
    const auto elapsed = std::chrono::steady_clock::now() - begin;
    const auto& st = bot.stats();
    if (!killed_node && elapsed >= options.duration / 2) {
      killed_node = true;
      nodes[0]->stop();  // halfway: node-1 dies; its players fail over to node-2
      std::fprintf(stderr, "\n[demo] node-1 killed: players fail over to node-2\n");
    }
    if (options.progress) {
      const auto recent = std::vector<double>(st.latency_ms.end() - std::min<std::ptrdiff_t>(2000, static_cast<std::ptrdiff_t>(st.latency_ms.size())), st.latency_ms.end());
      std::fprintf(stderr, "\r[%5.1fs] %4llu cmd/s  p50 %6.2f ms  p99 %7.2f ms  sessions %3zu  nodes %zu/2  moved %llu   ",
                   std::chrono::duration<double>(elapsed).count(),
                   static_cast<unsigned long long>(st.commands - last_commands), percentile(recent, 0.5),
                   percentile(recent, 0.99), bot.active_sessions(), bot.connected_nodes(),
                   static_cast<unsigned long long>(st.players_moved));
    }
    last_commands = st.commands;
    if (elapsed >= options.duration) return finish("time is up");
    reporter.expires_after(std::chrono::seconds(1));
    reporter.async_wait([&](error_code ec) {
      if (!ec) report();
    });
  };

  signals.async_wait([&](error_code ec, int) {
    if (!ec) finish("interrupted");
  });

  // --api-port: one playing track and queued ones (looping) in the dashboard
  // guild, the bot in its voice channel, then the token file.
  auto setup_dashboard = [&] {
    if (!options.api_port) return;
    if (bot.api_port() == 0 || dashboard_guild == 0) {
      std::fprintf(stderr, "demo: the control API did not start (port %u in use?)\n", static_cast<unsigned>(*options.api_port));
      exit_code = 1;
      return finish("the control API did not start");
    }
    const std::uint64_t user = 600'000'000'000'000'001ULL;
    const auto channel = dashboard_guild + 1;
    const std::string url = "http://127.0.0.1:" + std::to_string(bot.api_port()) + "/";
    discord.dispatch(0, "VOICE_STATE_UPDATE", voice_state_json(dashboard_guild, channel, user));
    std::vector<std::string> queries;
    for (const char* title : titles) queries.emplace_back(title);
    queries.resize(6);  // one playing + five queued
    bot.prefill(dashboard_guild, user, channel, std::move(queries), true, [&, user, url](error_code ec) {
      if (ec) std::fprintf(stderr, "demo: preparing the dashboard guild: %s\n", ec.message().c_str());
      if (options.dashboard_token_file.empty()) {
        std::printf("dashboard: %s (guild %llu; create a token with /dashboard token)\n", url.c_str(),
                    static_cast<unsigned long long>(dashboard_guild));
        std::fflush(stdout);
        return;
      }
      bot.issue_dashboard_token(dashboard_guild, user, std::chrono::hours(24), "demo dashboard",
                                [&, url](error_code iec, std::string, core::secret token) {
                                  if (iec) {
                                    std::fprintf(stderr, "demo: issuing the dashboard token: %s\n", iec.message().c_str());
                                    exit_code = 1;
                                    return;
                                  }
                                  boost::json::object o;
                                  o["guild_id"] = std::to_string(dashboard_guild);
                                  o["token"] = token.reveal();
                                  o["url"] = url;
                                  if (!write_private_file(options.dashboard_token_file, boost::json::serialize(o))) {
                                    std::fprintf(stderr, "demo: cannot write %s\n", options.dashboard_token_file.c_str());
                                    exit_code = 1;
                                    return;
                                  }
                                  std::printf("dashboard: %s (token for guild %llu written to %s)\n", url.c_str(),
                                              static_cast<unsigned long long>(dashboard_guild),
                                              options.dashboard_token_file.c_str());
                                  std::fflush(stdout);
                                });
    });
  };

  bot.start([&](error_code ec) {
    if (ec) {
      std::fprintf(stderr, "demo: the bot did not start: %s\n", ec.message().c_str());
      exit_code = 1;
      ioc.stop();
      return;
    }
    started = true;
    std::printf("musicbot demo: fake Discord %s (%u shards, %u guilds), Lavalink node-1 and node-2, metrics at http://127.0.0.1:%u/metrics\n",
                discord.gateway_url().c_str(), options.shards, options.guilds, bot.observability_port());
    std::fflush(stdout);
    // Users join voice once every shard has identified (a dispatch to a
    // shard with no session yet would be lost), then traffic starts.
    auto wait = std::make_shared<asio::steady_timer>(ioc);
    auto waited = std::make_shared<int>(0);
    auto when_ready = std::make_shared<std::function<void()>>();
    *when_ready = [&, wait, waited, when_ready] {
      if (discord.identifies().size() >= options.shards || ++*waited > 200) {
        sim.join_voice();
        setup_dashboard();
        tick();
        report();
        *when_ready = nullptr;  // break the self-reference
        return;
      }
      wait->expires_after(std::chrono::milliseconds(25));
      wait->async_wait([when_ready](error_code wait_ec) {
        if (!wait_ec && *when_ready) (*when_ready)();
      });
    };
    (*when_ready)();
  });

  // Bounded: the demo can never outlive its duration by more than a minute.
  asio::steady_timer watchdog(ioc, options.duration + std::chrono::seconds(60));
  watchdog.async_wait([&](error_code ec) {
    if (!ec) {
      std::fprintf(stderr, "demo: watchdog expired\n");
      exit_code = 1;
      ioc.stop();
    }
  });
  ioc.run();
  std::error_code rm;
  std::filesystem::remove_all(dir, rm);
  return started ? exit_code : 1;
}

}  // namespace musicbot::bot
