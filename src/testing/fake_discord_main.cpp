// musicbot-fake-discord: the fake Discord gateway + REST on loopback, for
// offline demos and for testing bots written in any language.
//
//   musicbot-fake-discord [--host 127.0.0.1] [--port 0] [--shards 1] [--guilds 0]
//                         [--token fake-bot-token] [--heartbeat-ms 41250]
//                         [--max-concurrency 1] [--script events.json] [--duration SECONDS]
//
// The script is a JSON array of steps run in order, each after `at_ms`
// milliseconds from the first READY of the shard it targets:
//   {"at_ms": 1000, "shard": 0, "t": "MESSAGE_CREATE", "d": {...}}   dispatch
//   {"at_ms": 2000, "shard": 0, "op": 7}                              reconnect
//   {"at_ms": 3000, "shard": 0, "op": 9, "resumable": true}           invalid session
//   {"at_ms": 4000, "shard": 0, "close": 4000}                        close with a code
#include "musicbot/testing/fake_discord.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct step {
  long at_ms = 0;
  std::uint32_t shard = 0;
  std::string t;
  std::string d;
  int op = 0;
  bool resumable = false;
  int close = 0;
};

std::vector<step> load_script(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read script " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto value = boost::json::parse(text);
  std::vector<step> steps;
  for (const auto& item : value.as_array()) {
    const auto& o = item.as_object();
    step s;
    if (auto* v = o.if_contains("at_ms")) s.at_ms = static_cast<long>(v->to_number<double>());
    if (auto* v = o.if_contains("shard")) s.shard = static_cast<std::uint32_t>(v->to_number<std::int64_t>());
    if (auto* v = o.if_contains("t")) s.t = std::string(v->as_string());
    if (auto* v = o.if_contains("d")) s.d = boost::json::serialize(*v);
    if (auto* v = o.if_contains("op")) s.op = static_cast<int>(v->to_number<std::int64_t>());
    if (auto* v = o.if_contains("resumable")) s.resumable = v->as_bool();
    if (auto* v = o.if_contains("close")) s.close = static_cast<int>(v->to_number<std::int64_t>());
    steps.push_back(std::move(s));
  }
  return steps;
}

void usage() {
  std::fprintf(stderr,
               "usage: musicbot-fake-discord [--host H] [--port P] [--shards N] [--guilds N] [--token T]\n"
               "                             [--heartbeat-ms MS] [--max-concurrency N] [--script FILE]\n"
               "                             [--duration SECONDS]\n");
}

}  // namespace

int main(int argc, char** argv) {
  musicbot::testing::fake_discord_options options;
  std::string script;
  double duration = 0;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string_view arg = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::runtime_error("missing value for " + std::string(arg));
        return argv[++i];
      };
      if (arg == "--host") options.host = value();
      else if (arg == "--port") options.port = static_cast<std::uint16_t>(std::stoul(value()));
      else if (arg == "--shards") options.shards = static_cast<std::uint32_t>(std::stoul(value()));
      else if (arg == "--guilds") options.guilds = static_cast<std::uint32_t>(std::stoul(value()));
      else if (arg == "--token") options.token = value();
      else if (arg == "--heartbeat-ms") options.heartbeat_interval = std::chrono::milliseconds(std::stol(value()));
      else if (arg == "--max-concurrency") options.max_concurrency = static_cast<std::uint32_t>(std::stoul(value()));
      else if (arg == "--script") script = value();
      else if (arg == "--duration") duration = std::stod(value());
      else if (arg == "--help" || arg == "-h") {
        usage();
        return 0;
      } else {
        throw std::runtime_error("unknown argument " + std::string(arg));
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "musicbot-fake-discord: %s\n", e.what());
    usage();
    return 2;
  }

  boost::asio::io_context io;
  musicbot::testing::fake_discord fake(io.get_executor(), options);
  auto port = fake.start();
  if (!port) {
    std::fprintf(stderr, "musicbot-fake-discord: cannot listen: %s\n", port.error().message().c_str());
    return 1;
  }
  std::printf("fake discord listening: gateway %s  api %s\n", fake.gateway_url().c_str(), fake.api_base().c_str());
  std::fflush(stdout);

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int) {
    fake.stop();
    io.stop();
  });
  boost::asio::steady_timer deadline(io);
  if (duration > 0) {
    deadline.expires_after(std::chrono::milliseconds(static_cast<long>(duration * 1000)));
    deadline.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      fake.stop();
      io.stop();
    });
  }

  std::vector<step> steps;
  try {
    if (!script.empty()) steps = load_script(script);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "musicbot-fake-discord: bad script: %s\n", e.what());
    return 2;
  }
  // Each step waits until its shard is connected, then for at_ms.
  std::vector<std::unique_ptr<boost::asio::steady_timer>> timers;
  std::function<void(std::size_t)> run_step = [&](std::size_t index) {
    if (index >= steps.size()) return;
    const step& s = steps[index];
    auto timer = std::make_unique<boost::asio::steady_timer>(io);
    auto* t = timer.get();
    timers.push_back(std::move(timer));
    if (!fake.shard_connected(s.shard)) {
      t->expires_after(std::chrono::milliseconds(50));
      t->async_wait([&, index](boost::system::error_code ec) {
        if (!ec) run_step(index);
      });
      return;
    }
    t->expires_after(std::chrono::milliseconds(s.at_ms));
    t->async_wait([&, index](boost::system::error_code ec) {
      if (ec) return;
      const step& st = steps[index];
      if (!st.t.empty()) fake.dispatch(st.shard, st.t, st.d.empty() ? "{}" : st.d);
      else if (st.op == 7) fake.send_reconnect(st.shard);
      else if (st.op == 9) fake.send_invalid_session(st.shard, st.resumable);
      else if (st.op == 1) fake.request_heartbeat(st.shard);
      else if (st.close != 0) fake.close_shard(st.shard, static_cast<std::uint16_t>(st.close));
      run_step(index + 1);
    });
  };
  run_step(0);
  io.run();
  return 0;
}
