// musicbot — the reference bot.
//   musicbot --config bot.toml          run
//   musicbot --check-config --config F  validate and exit (non-zero on any problem)
//   musicbot --demo [--duration S]      offline demo against in-process fakes
#include "bot.hpp"
#include "config.hpp"
#include "demo.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <musicbot/trace/json_log_formatter.hpp>

#include <spdlog/spdlog.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: musicbot --config PATH            run the bot\n"
               "       musicbot --check-config --config PATH\n"
               "       musicbot --demo [--duration SECONDS] [--guilds N] [--shards N] [--users-per-guild N]\n"
               "                       [--rate COMMANDS_PER_SECOND] [--verbose] [--no-progress]\n"
               "                       [--api-port PORT] [--dashboard-token-file FILE]\n");
}

bool parse_number(std::string_view text, std::uint32_t& out, std::uint32_t min, std::uint32_t max) {
  std::uint32_t v = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < min || v > max) return false;
  out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  bool check = false;
  bool demo = false;
  musicbot::bot::demo_options demo_options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    auto value = [&](std::string_view name) -> std::string_view {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "musicbot: %.*s needs a value\n", static_cast<int>(name.size()), name.data());
        std::exit(2);
      }
      return argv[++i];
    };
    std::uint32_t n = 0;
    if (arg == "--config") {
      config_path = value(arg);
    } else if (arg == "--check-config") {
      check = true;
    } else if (arg == "--demo") {
      demo = true;
    } else if (arg == "--duration") {
      if (!parse_number(value(arg), n, 1, 3600)) return std::fprintf(stderr, "musicbot: --duration must be 1-3600\n"), 2;
      demo_options.duration = std::chrono::seconds(n);
    } else if (arg == "--guilds") {
      if (!parse_number(value(arg), n, 1, 10000)) return std::fprintf(stderr, "musicbot: --guilds must be 1-10000\n"), 2;
      demo_options.guilds = n;
    } else if (arg == "--shards") {
      if (!parse_number(value(arg), n, 1, 64)) return std::fprintf(stderr, "musicbot: --shards must be 1-64\n"), 2;
      demo_options.shards = n;
    } else if (arg == "--users-per-guild") {
      if (!parse_number(value(arg), n, 1, 100)) return std::fprintf(stderr, "musicbot: --users-per-guild must be 1-100\n"), 2;
      demo_options.users_per_guild = n;
    } else if (arg == "--rate") {
      if (!parse_number(value(arg), n, 1, 10000)) return std::fprintf(stderr, "musicbot: --rate must be 1-10000\n"), 2;
      demo_options.commands_per_second = n;
    } else if (arg == "--api-port") {
      if (!parse_number(value(arg), n, 0, 65535)) return std::fprintf(stderr, "musicbot: --api-port must be 0-65535\n"), 2;
      demo_options.api_port = static_cast<std::uint16_t>(n);
    } else if (arg == "--dashboard-token-file") {
      demo_options.dashboard_token_file = std::string(value(arg));
      if (demo_options.dashboard_token_file.empty()) return std::fprintf(stderr, "musicbot: --dashboard-token-file needs a path\n"), 2;
    } else if (arg == "--verbose") {
      demo_options.verbose = true;
    } else if (arg == "--no-progress") {
      demo_options.progress = false;
    } else if (arg == "--help" || arg == "-h") {
      usage();
      return 0;
    } else {
      std::fprintf(stderr, "musicbot: unknown argument '%.*s'\n", static_cast<int>(arg.size()), arg.data());
      usage();
      return 2;
    }
  }

  if (!demo && (demo_options.api_port || !demo_options.dashboard_token_file.empty())) {
    std::fprintf(stderr, "musicbot: --api-port and --dashboard-token-file are demo options (use [api] in the config)\n");
    return 2;
  }
  if (!demo_options.dashboard_token_file.empty() && !demo_options.api_port) {
    std::fprintf(stderr, "musicbot: --dashboard-token-file needs --api-port\n");
    return 2;
  }
  if (demo) return musicbot::bot::run_demo(demo_options);
  if (config_path.empty()) {
    usage();
    return 2;
  }
  auto loaded = musicbot::bot::load_config_file(config_path, musicbot::bot::process_env());
  if (!loaded.ok()) {
    std::fprintf(stderr, "musicbot: %zu configuration problem(s):\n%s", loaded.problems.size(),
                 musicbot::bot::describe(loaded.problems).c_str());
    return 1;
  }
  if (check) {
    std::printf("musicbot: %s is valid\n", config_path.c_str());
    return 0;
  }

  spdlog::set_level(spdlog::level::from_str(loaded.config.observability.log_level));
  if (loaded.config.observability.log_format == "json") {
    auto formatter = std::make_unique<musicbot::trace::json_log_formatter>();
    formatter->add_field("service", "musicbot");
    formatter->redact(loaded.config.discord.token);
    for (const auto& node : loaded.config.lavalink_nodes) formatter->redact(node.password);
    formatter->redact(loaded.config.store.postgres_dsn);
    formatter->redact(loaded.config.redis.url);
    spdlog::set_formatter(std::move(formatter));
  }
  boost::asio::io_context ioc;
  musicbot::bot::music_bot bot(ioc, std::move(loaded.config));
  int exit_code = 0;
  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (ec) return;
    spdlog::info("shutting down");
    bot.shutdown([&] { ioc.stop(); });
  });
  bot.start([&](boost::system::error_code ec) {
    if (ec) {
      spdlog::error("start failed: {}", ec.message());
      exit_code = 1;
      ioc.stop();
    }
  });
  ioc.run();
  return exit_code;
}
