// Failover between two Lavalink nodes: a guild's player survives the loss of
// its node and goes on playing on the other one, at its position. Both nodes
// are the testing kit's fake Lavalink on loopback, so this runs anywhere.
#include <musicbot/lavalink/node_pool.hpp>
#include <musicbot/testing/fake_lavalink.hpp>
#include <musicbot/testing/tracks.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace ll = musicbot::lavalink;
namespace mt = musicbot::testing;
using namespace std::chrono_literals;

namespace {

constexpr auto await_tuple = asio::as_tuple(asio::use_awaitable);  // errors as values, not exceptions
const std::string guild = "41771983423143937";
const std::string voice_channel = "805739220172931072";

// Polls (bounded) until `done()`: the example checks outcomes instead of sleeping and hoping.
asio::awaitable<bool> eventually(std::function<bool()> done, std::chrono::milliseconds limit = 3s) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) co_return false;
    timer.expires_after(10ms);
    co_await timer.async_wait(await_tuple);
  }
  co_return true;
}

int fail(const std::string& why) {  // says why, and gives the exit code
  std::cout << "FAILED: " << why << '\n';
  return 1;
}

std::string at(std::int64_t ms) {  // "m:ss.t"
  char text[32];
  std::snprintf(text, sizeof text, "%d:%02d.%d", static_cast<int>(ms / 60'000), static_cast<int>(ms / 1000 % 60),
                static_cast<int>(ms / 100 % 10));
  return text;
}

asio::awaitable<int> demo(ll::node_pool& pool, mt::fake_lavalink& eu1, mt::fake_lavalink& eu2,
                          const std::vector<ll::player_moved>& moves) {
  if (!co_await eventually([&] { return pool.nodes()[0]->available() && pool.nodes()[1]->available(); }))
    co_return fail("the nodes did not connect");
  std::cout << "nodes eu-1 and eu-2 connected\n";

  // Discord's VOICE_STATE_UPDATE and VOICE_SERVER_UPDATE, as a gateway would
  // hand them over: the pool joins them into the player's `voice` object.
  pool.on_voice_state(guild, "424242" /* the bot's own state */, "voice-session-1", voice_channel);
  pool.on_voice_server(guild, "voice-token", "eu-west1.discord.media:443");

  auto [load_ec, loaded] = co_await pool.async_load_tracks("ytsearch:northern lights", await_tuple);
  const auto* results = std::get_if<std::vector<ll::track>>(&loaded.data);
  if (load_ec || loaded.type != ll::load_type::search || results == nullptr || results->empty())
    co_return fail("the search found nothing: " + load_ec.message());
  const ll::track track = results->front();
  std::cout << "search \"northern lights\": " << track.info.title << " by " << track.info.author << " ("
            << at(track.info.length_ms) << ")\n";

  ll::player_update play;
  play.track.emplace().encoded = track.encoded;
  auto [play_ec, reply] = co_await pool.async_update_player(guild, play, await_tuple);
  if (play_ec || !reply.track) co_return fail("play failed: " + play_ec.message());
  const std::string first = pool.player(guild).value().node;  // the pool chose the node
  mt::fake_lavalink& first_node = first == "eu-1" ? eu1 : eu2;
  mt::fake_lavalink& second_node = first == "eu-1" ? eu2 : eu1;
  // Let it play a second on the node, with the voice state the pool sent.
  if (!co_await eventually([&] {
        auto p = first_node.player(guild);
        return p && p->track && p->voice.channel_id == voice_channel && p->state.position_ms >= 1000;
      }))
    co_return fail("the track is not playing in the voice channel on " + first);
  std::cout << "playing on " << first << " in voice channel " << voice_channel << '\n';

  // The node dies. Its reconnects fail, it is marked down, and the pool
  // re-creates the player on the other node from its own copy of the state.
  first_node.stop();
  std::cout << first << " stopped\n";
  if (!co_await eventually([&] { return !moves.empty(); }, 5s)) co_return fail("the player did not move");
  const ll::player_moved& move = moves.front();
  std::cout << "player moved " << move.from_node << " -> " << move.to_node << " at " << at(move.position_ms)
            << (move.reason == ll::move_reason::node_down ? " (node down)" : " (?)") << '\n';
  if (move.guild_id != guild || move.from_node != first || move.reason != ll::move_reason::node_down ||
      move.position_ms < 1000 || pool.player(guild).value().node != move.to_node)
    co_return fail("unexpected move");

  // Same track, same voice channel, and its position keeps advancing there.
  auto moved = second_node.player(guild);
  if (!moved || !moved->track || moved->track->encoded != track.encoded || moved->voice.channel_id != voice_channel ||
      moved->state.position_ms < move.position_ms)
    co_return fail("the other node does not play the track where it was");
  const std::int64_t resumed_at = moved->state.position_ms;
  if (!co_await eventually([&] {
        auto p = second_node.player(guild);
        return p && p->track && !p->paused && p->state.position_ms >= resumed_at + 300;
      }))
    co_return fail("the track is not playing on " + move.to_node);
  std::cout << "still playing on " << move.to_node << ": " << moved->track->info.title << " at "
            << at(second_node.player(guild)->state.position_ms) << '\n';
  co_return 0;
}

// The demo, then an orderly shutdown: the pool closes its sockets with a
// close handshake, then the fake nodes stop. (Stopping both at once leaves
// each close handshake waiting for node_options::handshake_timeout.)
asio::awaitable<int> run(ll::node_pool& pool, mt::fake_lavalink& eu1, mt::fake_lavalink& eu2,
                         const std::vector<ll::player_moved>& moves) {
  const int rc = co_await demo(pool, eu1, eu2, moves);
  pool.stop();
  co_await eventually([&] { return eu1.connected_clients() + eu2.connected_clients() == 0; });
  eu1.stop();
  eu2.stop();
  co_return rc;
}

}  // namespace

int main() {
  asio::io_context io;  // everything runs here: the fakes, the pool, the demo
  auto quiet = spdlog::default_logger()->clone("example");
  quiet->set_level(spdlog::level::err);  // the library logs the failover at warn; the demo prints its own lines

  const musicbot::core::secret password(std::string("youshallnotpass"));
  mt::fake_lavalink_options fake_options;
  fake_options.password = password;
  fake_options.logger = quiet;
  mt::fake_lavalink eu1(io.get_executor(), fake_options);
  mt::fake_lavalink eu2(io.get_executor(), fake_options);
  ll::pool_options pool_options;
  pool_options.user_id = "424242";  // the bot's user id
  pool_options.logger = quiet;
  ll::node_pool pool(io.get_executor(), pool_options);

  for (auto* fake : {&eu1, &eu2}) {
    if (!fake->start()) return fail("a fake node could not listen");
    // Real nodes resolve the same sources: give both fakes the same catalog.
    fake->add_track(mt::make_track("Northern Lights", "Aurora Lane", 3min, "t0"));
    fake->add_track(mt::make_track("Harbour Fog", "The Low Tides", 4min, "t1"));
    ll::node_options node;
    node.name = fake == &eu1 ? "eu-1" : "eu-2";
    node.url = fake->base_url();
    node.password = password;
    pool.add_node(std::move(node));
  }
  std::vector<ll::player_moved> moves;
  pool.on_player_moved([&](const ll::player_moved& m) { moves.push_back(m); });
  pool.start();

  std::optional<int> result;
  asio::co_spawn(io, run(pool, eu1, eu2, moves), [&](std::exception_ptr e, int rc) {
    result = e ? fail("exception") : rc;
  });
  io.run_for(9s);  // returns once everything is closed; bounded if something hangs
  if (!result) return fail("timed out");
  return *result;
}
