// musicbot-fake-lavalink as a separate process: a client connects, searches,
// plays a track to its end; SIGTERM stops the server cleanly.
#include <musicbot/lavalink/node_pool.hpp>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <musicbot_test/process.hpp>

#include <csignal>

namespace ll = musicbot::lavalink;
using namespace std::chrono_literals;

namespace {

TEST(fake_lavalink_cli, serves_a_real_client_and_stops_on_sigterm) {
  const auto port = musicbot_test::free_port();
  musicbot_test::child_process server({MUSICBOT_FAKE_LAVALINK_EXE, "--port", std::to_string(port), "--password",
                                       "cli-pw", "--tracks",
                                       std::string(MUSICBOT_TESTDATA_DIR) + "/lavalink/tracks.json", "--time-scale",
                                       "2000", "--player-update-ms", "50", "--duration", "60"});
  ASSERT_TRUE(musicbot_test::wait_for_port(port, 10s));

  boost::asio::io_context io;
  auto run_until = [&](auto pred) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!pred() && std::chrono::steady_clock::now() < deadline) {
      if (io.stopped()) io.restart();
      io.run_one_for(5ms);
    }
    return pred();
  };
  {
    ll::node_pool pool(io.get_executor(), ll::pool_options{"99", "cli-test/1", std::nullopt, 1000, nullptr, nullptr});
    ll::node_options node;
    node.name = "cli";
    node.url = "http://127.0.0.1:" + std::to_string(port);
    node.password = musicbot::core::secret(std::string("cli-pw"));
    auto& n = pool.add_node(node);
    std::vector<ll::message> events;
    pool.on_event([&](const ll::node&, const ll::message& m) { events.push_back(m); });
    pool.start();
    ASSERT_TRUE(run_until([&] { return n.available(); }));

    std::optional<ll::load_result> loaded;
    pool.async_load_tracks("ytsearch:rick", [&](boost::system::error_code ec, ll::load_result r) {
      EXPECT_FALSE(ec);
      loaded = std::move(r);
    });
    ASSERT_TRUE(run_until([&] { return loaded.has_value(); }));
    ASSERT_EQ(loaded->type, ll::load_type::search);
    ll::player_update play;
    play.track.emplace().encoded = std::get<std::vector<ll::track>>(loaded->data).front().encoded;
    play.voice = ll::voice_state{"t", "e", "s", "1"};
    std::optional<boost::system::error_code> played;
    pool.async_update_player("1", play, [&](boost::system::error_code ec, ll::player) { played = ec; });
    ASSERT_TRUE(run_until([&] { return played.has_value(); }));
    ASSERT_FALSE(*played);
    ASSERT_TRUE(run_until([&] {
      for (const auto& m : events) {
        if (const auto* e = std::get_if<ll::track_end_event>(&m)) return e->reason == ll::track_end_reason::finished;
      }
      return false;
    }));
    pool.stop();
    const auto settle = std::chrono::steady_clock::now() + 100ms;
    run_until([&] { return std::chrono::steady_clock::now() > settle; });
  }
  io.restart();
  io.run_for(200ms);
  EXPECT_EQ(server.stop(SIGTERM, 5s), 0);
}

}  // namespace
