// Music sessions against the testing kit's fake Lavalink nodes (loopback,
// time-scaled playback) and a real SQLite store: the fixture shared by the
// music tests.
#pragma once

#include <musicbot/lavalink/node_pool.hpp>
#include <musicbot/music/session_manager.hpp>
#include <musicbot/store/sqlite_store.hpp>
#include <musicbot/testing/fake_lavalink.hpp>
#include <musicbot/trace/span_buffer.hpp>

#include <musicbot_test/process.hpp>
#include <musicbot_test/run_until.hpp>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace music_test {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using boost::system::error_code;
using musicbot::music::play_outcome;
using musicbot_test::run_until;

inline constexpr std::uint64_t guild = 41771983423143937ULL;
inline constexpr std::uint64_t user = 597869602013315072ULL;

class MusicFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    add_fake_node("fake-1");
    musicbot::lavalink::pool_options po;
    po.user_id = "1173917793654013952";
    pool = std::make_unique<musicbot::lavalink::node_pool>(ioc.get_executor(), po);
    pool->add_node(node_options(0));
    pool->start();
    ASSERT_TRUE(run_until(ioc, [&] { return pool->best_node() != nullptr; }));
    open_store();
    make_manager();
  }

  // A fake node; it is added to the pool by the caller (node_options()).
  void add_fake_node(const std::string& name) {
    musicbot::testing::fake_lavalink_options fo;
    fo.time_scale = time_scale;
    fo.player_update_interval = 100ms;
    auto fake = std::make_unique<musicbot::testing::fake_lavalink>(ioc.get_executor(), fo);
    ASSERT_TRUE(fake->load_catalog(MUSICBOT_TESTDATA_DIR "/lavalink/tracks.json"));
    ASSERT_TRUE(fake->start());
    fakes.push_back(std::move(fake));
    names.push_back(name);
  }

  musicbot::lavalink::node_options node_options(std::size_t i) {
    musicbot::lavalink::node_options no;
    no.name = names.at(i);
    no.url = fakes.at(i)->base_url();
    no.password = musicbot::core::secret("youshallnotpass");
    no.reconnect = {20ms, 100ms, musicbot::net::jitter::full, 7};
    no.request_timeout = 2000ms;
    no.handshake_timeout = 1000ms;
    return no;
  }

  void open_store() {
    musicbot::store::sqlite_config sc;
    sc.path = dir.path() + "/music.db";
    db = std::make_unique<musicbot::store::sqlite_store>(ioc.get_executor(), sc);
    std::optional<error_code> started;
    db->async_start([&](error_code ec) { started = ec; });
    ASSERT_TRUE(run_until(ioc, [&] { return started.has_value(); }));
    ASSERT_FALSE(*started) << started->message();
  }

  virtual musicbot::music::session_options manager_options() {
    musicbot::music::session_options so;
    so.idle_disconnect = 2s;
    so.tracer = musicbot::trace::tracer(musicbot::trace::tracer_options{}, spans);
    return so;
  }

  void make_manager() {
    manager = std::make_unique<musicbot::music::session_manager>(ioc.get_executor(), *pool, *db, manager_options());
  }

  std::pair<error_code, play_outcome> play(const std::string& query) {
    std::optional<std::pair<error_code, play_outcome>> r;
    manager->async_play(guild, user, query, [&](error_code ec, play_outcome o) { r.emplace(ec, std::move(o)); });
    EXPECT_TRUE(run_until(ioc, [&] { return r.has_value(); }));
    return r.value_or(std::pair<error_code, play_outcome>{});
  }

  // Runs a void use case to completion; its error.
  template <class Start>
  error_code call(Start start) {
    std::optional<error_code> r;
    start([&](error_code ec, auto&&...) { r = ec; });
    EXPECT_TRUE(run_until(ioc, [&] { return r.has_value(); }));
    return r.value_or(error_code{});
  }

  std::optional<musicbot::store::stored_queue> stored() {
    std::optional<std::optional<musicbot::store::stored_queue>> r;
    db->async_load_queue(guild, [&](error_code, std::optional<musicbot::store::stored_queue> q) { r = std::move(q); });
    EXPECT_TRUE(run_until(ioc, [&] { return r.has_value(); }));
    return r.value_or(std::nullopt);
  }

  void TearDown() override {
    manager.reset();
    if (pool) pool->stop();
    for (auto& f : fakes) f->stop();
    ioc.run_for(50ms);
  }

  double time_scale = 200.0;  // default: a 30 s track ends in 150 ms
  asio::io_context ioc;
  std::shared_ptr<musicbot::trace::span_buffer> spans = std::make_shared<musicbot::trace::span_buffer>(256);
  musicbot_test::temp_dir dir{"musicbot-music"};
  std::vector<std::unique_ptr<musicbot::testing::fake_lavalink>> fakes;
  std::vector<std::string> names;
  std::unique_ptr<musicbot::lavalink::node_pool> pool;
  std::unique_ptr<musicbot::store::sqlite_store> db;
  std::unique_ptr<musicbot::music::session_manager> manager;
};

}  // namespace music_test
