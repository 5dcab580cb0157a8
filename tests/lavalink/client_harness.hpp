// Shared by the client tests: an io_context, fake nodes on loopback, a
// pool, log capture, and small helpers. Header-only, test-only.
#pragma once

#include <musicbot/lavalink/node_pool.hpp>
#include <musicbot/testing/fake_lavalink.hpp>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace lavalink_test {

namespace ll = musicbot::lavalink;
namespace mt = musicbot::testing;
namespace asio = boost::asio;
using namespace std::chrono_literals;

inline constexpr std::string_view rick =
    "QAAAjQIAJVJpY2sgQXN0bGV5IC0gTmV2ZXIgR29ubmEgR2l2ZSBZb3UgVXAADlJpY2tBc3RsZXlWRVZPAAAAAAADPCAAC2RRdzR3OVdnWGNRAAEAK2h0dHBzOi8vd3d3LnlvdXR1YmUuY29tL3dhdGNoP3Y9ZFF3NHc5V2dYY1EAB3lvdXR1YmUAAAAAAAAAAA==";
inline constexpr std::string_view password = "test-secret-pw-81f3a";

// Captures every log line of the client and the fake node.
struct log_capture {
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> logger;
  log_capture() {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
    logger = std::make_shared<spdlog::logger>("lavalink-test", sink);
    logger->set_level(spdlog::level::trace);
  }
};

// Two fake nodes in a started pool, from harness::start_node_pair():
// `ready` once both are connected (and b, when busy, has reported its
// stats). A busy b takes no new player while a is up, so every player
// starts on a.
struct node_pair {
  mt::fake_lavalink* a = nullptr;  // the fake nodes
  mt::fake_lavalink* b = nullptr;
  ll::node* na = nullptr;  // the pool's nodes for them
  ll::node* nb = nullptr;
  ll::node_pool* pool = nullptr;
  std::vector<ll::player_moved> moved;
  bool ready = false;
};

struct harness {
  asio::io_context io;
  log_capture logs;
  std::vector<std::unique_ptr<mt::fake_lavalink>> fakes;
  std::unique_ptr<ll::node_pool> pool_;
  std::unique_ptr<node_pair> pair_;

  // Stops everything and lets pending operations finish before the
  // io_context goes away.
  ~harness() {
    if (pool_) pool_->stop();
    for (auto& f : fakes) f->stop();
    run_for(50ms);
    pool_.reset();
    fakes.clear();
    io.restart();
    io.run_for(1000ms);
  }

  template <class Pred>
  bool run_until(Pred pred, std::chrono::milliseconds limit = 3000ms) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      if (io.stopped()) io.restart();
      io.run_one_for(5ms);
    }
    return true;
  }

  void run_for(std::chrono::milliseconds d) {
    const auto deadline = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < deadline) {
      if (io.stopped()) io.restart();
      io.run_one_for(5ms);
    }
  }

  mt::fake_lavalink* fake(double time_scale = 1.0) {
    mt::fake_lavalink_options o;
    o.password = musicbot::core::secret(std::string(password));
    o.time_scale = time_scale;
    o.player_update_interval = 50ms;
    o.stats_interval = 100ms;
    o.tick = 10ms;
    o.logger = logs.logger;
    fakes.push_back(std::make_unique<mt::fake_lavalink>(io.get_executor(), o));
    auto* f = fakes.back().get();
    EXPECT_TRUE(f->start().has_value());
    EXPECT_TRUE(f->load_catalog(std::string(MUSICBOT_TESTDATA_DIR) + "/lavalink/tracks.json").has_value());
    return f;
  }

  // A fake node that reports 1000 players, so new players avoid it while
  // another node is up.
  mt::fake_lavalink* busy_fake() {
    auto* f = fake();
    ll::node_stats busy;
    busy.players = 1000;
    f->set_stats(busy);
    return f;
  }

  ll::node_options node_opts(const std::string& name, const mt::fake_lavalink& f) {
    ll::node_options o;
    o.name = name;
    o.url = f.base_url();
    o.password = musicbot::core::secret(std::string(password));
    o.resume_timeout = 30s;
    o.reconnect = {20ms, 100ms, musicbot::net::jitter::full, 7};
    o.request_timeout = 2000ms;
    o.handshake_timeout = 1000ms;
    o.logger = logs.logger;
    return o;
  }

  // Nodes "a" and "b" in a started pool whose player moves are recorded
  // (see node_pair).
  node_pair& start_node_pair(bool busy_b) {
    pair_ = std::make_unique<node_pair>();
    auto& p = *pair_;
    p.a = fake();
    p.b = busy_b ? busy_fake() : fake();
    p.pool = pool();
    p.pool->on_player_moved([&p](const ll::player_moved& m) { p.moved.push_back(m); });
    p.na = &p.pool->add_node(node_opts("a", *p.a));
    p.nb = &p.pool->add_node(node_opts("b", *p.b));
    p.pool->start();
    p.ready = run_until([&] { return p.na->available() && p.nb->available() && (!busy_b || p.nb->stats().has_value()); });
    return p;
  }

  ll::node_pool* pool(std::shared_ptr<ll::observer> observer = nullptr) {
    ll::pool_options o;
    o.observer = std::move(observer);
    o.user_id = "424242";
    o.client_name = "musicbot-test/1.0";
    o.logger = logs.logger;
    pool_ = std::make_unique<ll::node_pool>(io.get_executor(), o);
    return pool_.get();
  }
};

// Node stats reporting `system_load` (0..1) and nothing else.
inline ll::node_stats cpu_load(double system_load) {
  ll::node_stats s;
  s.cpu.system_load = system_load;
  return s;
}

inline ll::voice_state voice() { return ll::voice_state{"tok", "eu1.discord.media", "voice-session", "555"}; }

inline ll::player_update play(std::string_view encoded) {
  ll::player_update u;
  u.track.emplace().encoded = std::string(encoded);
  u.voice = voice();
  return u;
}

struct update_result {
  std::optional<boost::system::error_code> ec;
  ll::player player;
};

inline update_result update(harness& h, ll::node_pool& pool, const std::string& guild, ll::player_update u) {
  update_result r;
  pool.async_update_player(guild, std::move(u), [&](boost::system::error_code ec, ll::player p) {
    r.ec = ec;
    r.player = std::move(p);
  });
  EXPECT_TRUE(h.run_until([&] { return r.ec.has_value(); }));
  return r;
}

template <class T>
std::vector<T> collected(const std::vector<ll::message>& messages) {
  std::vector<T> out;
  for (const auto& m : messages) {
    if (const auto* v = std::get_if<T>(&m)) out.push_back(*v);
  }
  return out;
}

}  // namespace lavalink_test
