// musicbot-fake-lavalink: the fake Lavalink v4 node as a standalone server,
// so bots in any language can be tested against it.
#include <musicbot/testing/fake_lavalink.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void usage() {
  std::fputs(
      "usage: musicbot-fake-lavalink [options]\n"
      "  --host ADDR              address to bind (default 127.0.0.1)\n"
      "  --port N                 port (default 2333; 0 = any free port)\n"
      "  --password TEXT          expected Authorization (default youshallnotpass)\n"
      "  --tracks FILE            catalog: JSON array of tracks or {\"encoded\": ...} objects\n"
      "  --time-scale X           playback speed multiplier (default 1)\n"
      "  --player-update-ms N     playerUpdate period (default 5000)\n"
      "  --stats-ms N             stats period (default 60000)\n"
      "  --duration S             exit after S seconds (default: run until SIGINT/SIGTERM)\n"
      "  fault injection:\n"
      "  --fail-rest STATUS       answer every REST call with STATUS\n"
      "  --fail-rest-count N      ... only the first N calls\n"
      "  --rest-delay-ms N        delay every REST answer\n"
      "  --refuse                 refuse WebSocket connections (503)\n"
      "  --drop-after-ms N        drop all WebSockets after N ms (clients should resume)\n"
      "  --silent-after-ms N      stop sending WebSocket messages after N ms\n",
      stderr);
}

bool to_number(std::string_view text, long long& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

int main(int argc, char** argv) {
  musicbot::testing::fake_lavalink_options options;
  options.port = 2333;
  std::string tracks_file;
  long long duration_s = 0;
  long long fail_status = 0;
  long long fail_count = -1;
  long long rest_delay_ms = 0;
  long long drop_after_ms = 0;
  long long silent_after_ms = 0;
  bool refuse = false;

  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::string_view& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    auto number = [&](long long& out) {
      std::string_view v;
      return value(v) && to_number(v, out);
    };
    std::string_view v;
    long long n = 0;
    bool ok = true;
    if (arg == "--help" || arg == "-h") {
      usage();
      return 0;
    } else if (arg == "--host") {
      ok = value(v);
      options.address = std::string(v);
    } else if (arg == "--port") {
      ok = number(n) && n >= 0 && n <= 65535;
      options.port = static_cast<std::uint16_t>(n);
    } else if (arg == "--password") {
      ok = value(v);
      options.password = musicbot::core::secret(std::string(v));
    } else if (arg == "--tracks") {
      ok = value(v);
      tracks_file = std::string(v);
    } else if (arg == "--time-scale") {
      ok = value(v);
      if (ok) options.time_scale = std::strtod(std::string(v).c_str(), nullptr);
      ok = ok && options.time_scale > 0;
    } else if (arg == "--player-update-ms") {
      ok = number(n) && n > 0;
      options.player_update_interval = std::chrono::milliseconds(n);
    } else if (arg == "--stats-ms") {
      ok = number(n) && n > 0;
      options.stats_interval = std::chrono::milliseconds(n);
    } else if (arg == "--duration") {
      ok = number(duration_s) && duration_s > 0;
    } else if (arg == "--fail-rest") {
      ok = number(fail_status) && fail_status >= 400 && fail_status <= 599;
    } else if (arg == "--fail-rest-count") {
      ok = number(fail_count) && fail_count >= 0;
    } else if (arg == "--rest-delay-ms") {
      ok = number(rest_delay_ms) && rest_delay_ms >= 0;
    } else if (arg == "--refuse") {
      refuse = true;
    } else if (arg == "--drop-after-ms") {
      ok = number(drop_after_ms) && drop_after_ms > 0;
    } else if (arg == "--silent-after-ms") {
      ok = number(silent_after_ms) && silent_after_ms > 0;
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "musicbot-fake-lavalink: bad or incomplete option %s\n", argv[i]);
      usage();
      return 2;
    }
  }

  boost::asio::io_context io;
  musicbot::testing::fake_lavalink node(io.get_executor(), options);
  if (!tracks_file.empty()) {
    auto added = node.load_catalog(tracks_file);
    if (!added) {
      std::fprintf(stderr, "musicbot-fake-lavalink: cannot load %s: %s\n", tracks_file.c_str(),
                   added.error().message().c_str());
      return 1;
    }
    spdlog::info("fake lavalink: {} tracks in the catalog", *added);
  }
  auto port = node.start();
  if (!port) {
    std::fprintf(stderr, "musicbot-fake-lavalink: cannot listen: %s\n", port.error().message().c_str());
    return 1;
  }
  std::printf("musicbot-fake-lavalink listening on %s:%u\n", options.address.c_str(), static_cast<unsigned>(*port));
  std::fflush(stdout);

  if (fail_status != 0) {
    node.fail_rest(static_cast<unsigned>(fail_status),
                   fail_count < 0 ? static_cast<std::size_t>(-1) : static_cast<std::size_t>(fail_count));
  }
  if (rest_delay_ms > 0) node.delay_rest(std::chrono::milliseconds(rest_delay_ms));
  node.refuse_connections(refuse);

  boost::asio::steady_timer drop_timer(io);
  if (drop_after_ms > 0) {
    drop_timer.expires_after(std::chrono::milliseconds(drop_after_ms));
    drop_timer.async_wait([&](boost::system::error_code ec) {
      if (!ec) node.drop_connections();
    });
  }
  boost::asio::steady_timer silent_timer(io);
  if (silent_after_ms > 0) {
    silent_timer.expires_after(std::chrono::milliseconds(silent_after_ms));
    silent_timer.async_wait([&](boost::system::error_code ec) {
      if (!ec) node.go_silent(true);
    });
  }
  boost::asio::steady_timer end_timer(io);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  auto shutdown = [&] {
    node.stop();
    signals.cancel();
    end_timer.cancel();
    drop_timer.cancel();
    silent_timer.cancel();
  };
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (!ec) shutdown();
  });
  if (duration_s > 0) {
    end_timer.expires_after(std::chrono::seconds(duration_s));
    end_timer.async_wait([&](boost::system::error_code ec) {
      if (!ec) shutdown();
    });
  }
  io.run();
  return 0;
}
