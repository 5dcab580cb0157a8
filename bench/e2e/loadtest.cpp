// musicbot_loadtest — the reference bot under end-to-end load.
//
// Starts the testing kit's fake Discord (N guilds over S shards) and two fake
// Lavalink nodes in this process, the `musicbot` executable as a separate
// process configured against them (SQLite store, local limits: the embedded
// default), then U simulated users, each in their own guild and voice
// channel, issue slash commands in a closed loop (send, wait for the reply,
// think 1.5–2.5 s) for D seconds.
//
// Reported:
//  - latency from the INTERACTION_CREATE dispatch to the bot's first
//    response arriving at the fake REST API (this includes the gateway hop
//    and the REST hop, so it is an upper bound of the bot's own time);
//  - for /play in a guild where nothing played, the time until the fake
//    Lavalink node holds the player's new track (command → audio starts);
//  - throughput; the bot process's peak RSS (VmHWM) and CPU time.
//
// Every wait is bounded; the bot is always stopped at the end.
//
//   musicbot_loadtest [--guilds 10000] [--shards 8] [--users 1000]
//                     [--duration 60] [--bot PATH] [--min-replies N]

#include <musicbot/testing/fake_discord.hpp>
#include <musicbot/testing/fake_lavalink.hpp>
#include <musicbot/testing/tracks.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct options {
  std::uint32_t guilds = 10'000;
  std::uint32_t shards = 8;
  std::uint32_t users = 1'000;
  std::chrono::seconds duration{60};
  std::string bot = MUSICBOT_BOT_EXECUTABLE;
  std::uint64_t min_replies = 0;  // fail (exit 1) below this many replies
};

bool parse_u32(const char* text, std::uint32_t& out, std::uint32_t lo, std::uint32_t hi) {
  std::uint32_t v = 0;
  const auto* end = text + std::strlen(text);
  const auto [p, ec] = std::from_chars(text, end, v);
  if (ec != std::errc{} || p != end || v < lo || v > hi) return false;
  out = v;
  return true;
}

bool parse_args(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    std::uint32_t n = 0;
    bool ok = v != nullptr;
    if (a == "--guilds") {
      ok = ok && parse_u32(v, o.guilds, 1, 250'000);
    } else if (a == "--shards") {
      ok = ok && parse_u32(v, o.shards, 1, 64);
    } else if (a == "--users") {
      ok = ok && parse_u32(v, o.users, 1, 20'000);
    } else if (a == "--duration") {
      ok = ok && parse_u32(v, n, 1, 3600);
      o.duration = std::chrono::seconds(n);
    } else if (a == "--min-replies") {
      ok = ok && parse_u32(v, n, 0, 100'000'000);
      o.min_replies = n;
    } else if (a == "--bot") {
      if (ok) o.bot = v;
    } else {
      std::fprintf(stderr, "musicbot_loadtest: unknown option %s\n", a.c_str());
      return false;
    }
    if (!ok) {
      std::fprintf(stderr, "musicbot_loadtest: %s needs a value in range\n", a.c_str());
      return false;
    }
    ++i;
  }
  if (o.users > o.guilds) {
    std::fprintf(stderr, "musicbot_loadtest: --users must be <= --guilds (one user per guild)\n");
    return false;
  }
  return true;
}

std::vector<musicbot::lavalink::track> catalog() {
  const char* titles[] = {"Northern Lights", "Glass Rivers", "Slow Motion", "Neon Rain",
                          "Open Road",       "Paper Planes", "Lighthouse",  "Afterglow"};
  std::vector<musicbot::lavalink::track> out;
  std::uint32_t n = 0;
  for (const char* title : titles) {
    out.push_back(musicbot::testing::make_track(title, "Load Test", std::chrono::minutes(4), "load" + std::to_string(n++)));
  }
  return out;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

// The bot as a child process with its output in a log file.
class bot_process {
 public:
  bot_process(const std::string& exe, const std::string& config, const std::string& log) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::close(fd);
      }
      ::execl(exe.c_str(), exe.c_str(), "--config", config.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  bot_process(const bot_process&) = delete;
  bot_process& operator=(const bot_process&) = delete;
  ~bot_process() { stop(); }

  [[nodiscard]] bool started() const noexcept { return pid_ > 0; }
  [[nodiscard]] bool running() const {
    if (pid_ <= 0) return false;
    int status = 0;
    return ::waitpid(pid_, &status, WNOHANG) == 0;
  }

  // Peak resident set (KiB) from /proc.
  [[nodiscard]] std::uint64_t peak_rss_kib() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("VmHWM:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
    }
    return 0;
  }
  // User + system CPU seconds so far.
  [[nodiscard]] double cpu_seconds() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), {});
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return 0.0;
    std::istringstream fields(stat.substr(close + 2));
    std::string f;
    double user = 0;
    double sys = 0;
    for (int i = 3; fields >> f; ++i) {  // field 3 is the state
      if (i == 14) user = std::strtod(f.c_str(), nullptr);
      if (i == 15) {
        sys = std::strtod(f.c_str(), nullptr);
        break;
      }
    }
    return (user + sys) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }

  // SIGTERM, then SIGKILL after a bounded grace.
  int stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 200; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(50ms);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return -1;
  }

 private:
  pid_t pid_ = -1;
};

struct user_state {
  std::uint64_t guild = 0;
  std::uint64_t user = 0;
  std::uint32_t shard = 0;
  std::string pending_token;          // empty: thinking
  clock_type::time_point sent_at{};
  bool play_into_silence = false;     // the pending command is a /play while nothing played
  bool awaiting_track = false;        // waiting for the node to hold a player track
  clock_type::time_point play_at{};
  std::unique_ptr<asio::steady_timer> think;
};

}  // namespace

int main(int argc, char** argv) {
  options opt;
  if (!parse_args(argc, argv, opt)) return 2;
  spdlog::set_level(spdlog::level::err);
  asio::io_context ioc;

  const auto dir = std::filesystem::temp_directory_path() / ("musicbot-loadtest-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);

  std::vector<std::unique_ptr<musicbot::testing::fake_lavalink>> nodes;
  std::vector<std::uint16_t> node_ports;
  for (int n = 0; n < 2; ++n) {
    nodes.push_back(std::make_unique<musicbot::testing::fake_lavalink>(ioc.get_executor()));
    for (const auto& t : catalog()) nodes.back()->add_track(t);
    auto port = nodes.back()->start();
    if (!port) {
      std::fprintf(stderr, "musicbot_loadtest: fake Lavalink: %s\n", port.error().message().c_str());
      return 1;
    }
    node_ports.push_back(*port);
  }
  musicbot::testing::fake_discord_options dopt;
  dopt.shards = opt.shards;
  dopt.guilds = opt.guilds;
  dopt.max_concurrency = opt.shards;
  dopt.max_recorded = 4096;
  musicbot::testing::fake_discord discord(ioc.get_executor(), dopt);
  if (auto port = discord.start(); !port) {
    std::fprintf(stderr, "musicbot_loadtest: fake Discord: %s\n", port.error().message().c_str());
    return 1;
  }

  const auto config_path = (dir / "musicbot.toml").string();
  {
    std::ofstream f(config_path);
    f << "[discord]\ntoken = \"" << dopt.token << "\"\napplication_id = " << dopt.bot_user_id << "\n"
      << "rest_url = \"" << discord.api_base() << "\"\ngateway_url = \"" << discord.gateway_url() << "\"\n"
      << "shard_count = " << opt.shards << "\n";
    for (std::size_t n = 0; n < node_ports.size(); ++n) {
      f << "[[lavalink.nodes]]\nname = \"node-" << n + 1 << "\"\nurl = \"http://127.0.0.1:" << node_ports[n]
        << "\"\npassword = \"youshallnotpass\"\n";
    }
    f << "[store]\nbackend = \"sqlite\"\nsqlite_path = \"" << (dir / "load.db").string() << "\"\n"
      << "[observability]\nport = 0\nlog_level = \"warn\"\n";
  }
  const auto log_path = (dir / "musicbot.log").string();
  bot_process bot(opt.bot, config_path, log_path);
  if (!bot.started()) {
    std::fprintf(stderr, "musicbot_loadtest: cannot start %s\n", opt.bot.c_str());
    return 1;
  }

  auto pump_until = [&](auto cond, std::chrono::milliseconds timeout) {
    const auto deadline = clock_type::now() + timeout;
    while (!cond()) {
      if (clock_type::now() > deadline || !bot.running()) return false;
      ioc.run_for(5ms);
    }
    return true;
  };
  auto fail = [&](const char* what) {
    std::fprintf(stderr, "musicbot_loadtest: %s; the bot's log (%s) ends with:\n", what, log_path.c_str());
    std::ifstream in(log_path);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    std::fprintf(stderr, "%s\n", text.substr(text.size() > 4000 ? text.size() - 4000 : 0).c_str());
    return 1;
  };

  const auto startup_began = clock_type::now();
  const bool ready = pump_until(
      [&] {
        for (std::uint32_t s = 0; s < opt.shards; ++s) {
          if (!discord.shard_connected(s)) return false;
        }
        return nodes[0]->connected_clients() + nodes[1]->connected_clients() == 2;
      },
      std::chrono::seconds(120));
  if (!ready) return fail("the bot did not connect every shard and node within 120 s");
  const auto startup = std::chrono::duration<double>(clock_type::now() - startup_began).count();

  // One user per guild, spread over every shard.
  std::vector<std::vector<std::uint64_t>> by_shard(opt.shards);
  for (std::uint32_t s = 0; s < opt.shards; ++s) by_shard[s] = discord.guild_ids(s, opt.shards);
  std::vector<user_state> users(opt.users);
  for (std::uint32_t i = 0; i < opt.users; ++i) {
    const auto shard = i % opt.shards;
    const auto& gs = by_shard[shard];
    auto& u = users[i];
    u.shard = shard;
    u.guild = gs[(i / opt.shards) % gs.size()];
    u.user = 800'000'000'000'000'000ULL + i;
    u.think = std::make_unique<asio::steady_timer>(ioc);
    discord.dispatch(shard, "VOICE_STATE_UPDATE",
                     R"({"guild_id":")" + std::to_string(u.guild) + R"(","channel_id":")" + std::to_string(u.guild + 1) +
                         R"(","user_id":")" + std::to_string(u.user) + R"(","session_id":"s)" + std::to_string(u.user) +
                         R"(","deaf":false,"mute":false,"self_deaf":false,"self_mute":false,"self_video":false,"suppress":false,"member":{"user":{"id":")" +
                         std::to_string(u.user) + R"("},"roles":[]}})");
  }
  pump_until([] { return false; }, 500ms);  // voice states land before the first command

  std::mt19937_64 rng(42);
  std::uint64_t next_id = 0;
  std::uint64_t sent = 0;
  std::uint64_t replies = 0;
  std::uint64_t rate_limited = 0;
  std::vector<double> reply_ms;
  std::vector<double> audio_ms;
  std::unordered_map<std::string, std::size_t> waiting;  // interaction token -> user index
  bool running = true;

  auto send = [&](std::size_t index) {
    auto& u = users[index];
    const auto roll = std::uniform_int_distribution<int>(0, 99)(rng);
    std::string name;
    std::string opts;
    const char* queries[] = {"Northern Lights", "Glass Rivers", "Neon Rain", "Open Road"};
    if (roll < 35) {
      name = "play";
      opts = R"({"name":"query","type":3,"value":")" + std::string(queries[roll % 4]) + R"("})";
    } else if (roll < 50) {
      name = "queue";
    } else if (roll < 65) {
      name = "nowplaying";
    } else if (roll < 75) {
      name = "skip";
    } else if (roll < 80) {
      name = "pause";
    } else if (roll < 85) {
      name = "resume";
    } else if (roll < 90) {
      name = "volume";
      opts = R"({"name":"level","type":4,"value":)" + std::to_string(50 + roll) + "}";
    } else if (roll < 95) {
      name = "shuffle";
    } else {
      name = "loop";
      opts = R"({"name":"mode","type":3,"value":"queue"})";
    }
    const auto id = 1'600'000'000'000'000'000ULL + ++next_id;
    u.pending_token = "load-" + std::to_string(id);
    u.sent_at = clock_type::now();
    if (name == "play" && !u.awaiting_track) {
      const auto player = nodes[0]->player(std::to_string(u.guild));
      const auto player2 = nodes[1]->player(std::to_string(u.guild));
      u.play_into_silence = !(player && player->track) && !(player2 && player2->track);
    } else {
      u.play_into_silence = false;
    }
    waiting.emplace(u.pending_token, index);
    ++sent;
    discord.dispatch(u.shard, "INTERACTION_CREATE",
                     R"({"id":")" + std::to_string(id) + R"(","application_id":")" + std::to_string(dopt.bot_user_id) +
                         R"(","type":2,"token":")" + u.pending_token + R"(","guild_id":")" + std::to_string(u.guild) +
                         R"(","channel_id":")" + std::to_string(u.guild + 2) + R"(","member":{"user":{"id":")" +
                         std::to_string(u.user) + R"("},"roles":[],"permissions":"0"},"data":{"id":"1","name":")" + name +
                         R"(","type":1,"options":[)" + opts + "]}}");
  };

  std::function<void(std::size_t)> think = [&](std::size_t index) {
    auto& u = users[index];
    const auto pause = std::chrono::milliseconds(std::uniform_int_distribution<int>(1500, 2500)(rng));
    u.think->expires_after(pause);
    u.think->async_wait([&, index](boost::system::error_code ec) {
      if (!ec && running) send(index);
    });
  };

  // Start the users staggered over the first think period.
  for (std::size_t i = 0; i < users.size(); ++i) {
    users[i].think->expires_after(std::chrono::milliseconds(static_cast<std::int64_t>(i * 2000 / users.size())));
    users[i].think->async_wait([&, i](boost::system::error_code ec) {
      if (!ec && running) send(i);
    });
  }

  // Replies: scan what the fake REST API recorded since the last scan.
  auto last_seen = clock_type::now();
  std::uint64_t unanswered = 0;
  auto scan = [&] {
    const auto now = clock_type::now();
    auto newest = last_seen;
    for (const auto& r : discord.requests()) {
      if (r.at <= last_seen) continue;
      newest = std::max(newest, r.at);
      // Paths: /interactions/<id>/<token>/callback or /webhooks/<app>/<token>/...
      const auto pos = r.path.find("load-");
      if (pos == std::string::npos) continue;
      const auto end = r.path.find('/', pos);
      const auto token = r.path.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
      const auto it = waiting.find(token);
      if (it == waiting.end()) continue;  // a later edit of an answered command
      auto& u = users[it->second];
      reply_ms.push_back(std::chrono::duration<double, std::milli>(r.at - u.sent_at).count());
      ++replies;
      if (r.body.find("Slow down") != std::string::npos) ++rate_limited;
      if (u.play_into_silence) {
        u.awaiting_track = true;
        u.play_at = u.sent_at;
      }
      u.pending_token.clear();
      const auto index = it->second;
      waiting.erase(it);
      think(index);
    }
    last_seen = newest;
    // Commands that never got an answer within 10 s are given up (counted).
    for (auto it = waiting.begin(); it != waiting.end();) {
      auto& u = users[it->second];
      if (now - u.sent_at > 10s) {
        ++unanswered;
        u.pending_token.clear();
        const auto index = it->second;
        it = waiting.erase(it);
        think(index);
      } else {
        ++it;
      }
    }
    // Audio start: the node holds a track for the guild.
    for (auto& u : users) {
      if (!u.awaiting_track) continue;
      const auto key = std::to_string(u.guild);
      const auto p1 = nodes[0]->player(key);
      const auto p2 = nodes[1]->player(key);
      if ((p1 && p1->track) || (p2 && p2->track)) {
        audio_ms.push_back(std::chrono::duration<double, std::milli>(now - u.play_at).count());
        u.awaiting_track = false;
      } else if (now - u.play_at > 10s) {
        u.awaiting_track = false;
      }
    }
  };

  const auto cpu_before = bot.cpu_seconds();
  const auto began = clock_type::now();
  auto last_report = began;
  std::uint64_t last_replies = 0;
  while (clock_type::now() - began < opt.duration && bot.running()) {
    ioc.run_for(2ms);
    scan();
    if (clock_type::now() - last_report >= 5s) {
      last_report = clock_type::now();
      std::fprintf(stderr, "[%5.1fs] %6.0f replies/s, p99 %.2f ms so far\n",
                   std::chrono::duration<double>(last_report - began).count(),
                   static_cast<double>(replies - last_replies) / 5.0, percentile(reply_ms, 0.99));
      last_replies = replies;
    }
  }
  running = false;
  pump_until([&] { return waiting.empty(); }, 3s);
  scan();
  const auto elapsed = std::chrono::duration<double>(clock_type::now() - began).count();
  const bool alive = bot.running();
  const auto cpu = bot.cpu_seconds() - cpu_before;
  const auto rss_kib = bot.peak_rss_kib();
  for (auto& u : users) u.think->cancel();
  const int bot_exit = bot.stop();
  discord.stop();
  for (auto& n : nodes) n->stop();

  std::printf("musicbot_loadtest: %u guilds on %u shards, %u users, %.0f s (bot ready after %.1f s)\n", opt.guilds,
              opt.shards, opt.users, elapsed, startup);
  std::printf("  commands: %llu sent, %llu answered (%llu rate limited), %llu unanswered after 10 s\n",
              static_cast<unsigned long long>(sent), static_cast<unsigned long long>(replies),
              static_cast<unsigned long long>(rate_limited), static_cast<unsigned long long>(unanswered));
  std::printf("  dispatch -> response:      p50 %.2f ms  p95 %.2f ms  p99 %.2f ms  max %.2f ms\n",
              percentile(reply_ms, 0.5), percentile(reply_ms, 0.95), percentile(reply_ms, 0.99),
              percentile(reply_ms, 1.0));
  std::printf("  /play -> node has track:   p50 %.2f ms  p95 %.2f ms  p99 %.2f ms  (%zu samples)\n",
              percentile(audio_ms, 0.5), percentile(audio_ms, 0.95), percentile(audio_ms, 0.99), audio_ms.size());
  std::printf("  throughput %.0f commands/s; bot process: peak RSS %.1f MiB, CPU %.1f s (%.0f %% of one core)\n",
              static_cast<double>(replies) / elapsed, static_cast<double>(rss_kib) / 1024.0, cpu,
              100.0 * cpu / elapsed);
  std::printf("  bot exit status after SIGTERM: %d\n", bot_exit);

  int status = bot_exit == 0 ? 0 : 1;
  if (!alive) {
    status = fail("the bot died during the run");
  } else if (replies < opt.min_replies) {
    std::fprintf(stderr, "musicbot_loadtest: only %llu replies (expected at least %llu)\n",
                 static_cast<unsigned long long>(replies), static_cast<unsigned long long>(opt.min_replies));
    status = fail("too few replies");
  }
  std::error_code rm;
  std::filesystem::remove_all(dir, rm);
  return status;
}
