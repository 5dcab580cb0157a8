// The client (node, pool, REST) against the fake node, in-process over loopback.
#include <musicbot/lavalink/node_pool.hpp>
#include <musicbot/net/http_client.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "client_harness.hpp"
#include "testdata.hpp"

namespace ll = musicbot::lavalink;
namespace mt = musicbot::testing;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace lavalink_test;

namespace {

TEST(lavalink_client, connects_with_identity_headers_and_never_logs_the_password) {
  harness h;
  auto fake = h.fake();
  auto pool = h.pool();
  auto& n = pool->add_node(h.node_opts("a", *fake));
  pool->start();
  ASSERT_TRUE(h.run_until([&] { return n.available(); }));
  const auto headers = fake->last_handshake_headers();
  auto find = [&](std::string_view name) -> std::string {
    for (const auto& [k, v] : headers) {
      if (musicbot::net::iequals(k, name)) return v;
    }
    return {};
  };
  EXPECT_EQ(find("User-Id"), "424242");
  EXPECT_EQ(find("Client-Name"), "musicbot-test/1.0");
  EXPECT_FALSE(n.session_id().empty());
  // REST errors and a wrong password are logged, without the password.
  fake->fail_rest(500, 1);
  auto failed = update(h, *pool, "1", play(rick));
  EXPECT_EQ(*failed.ec, ll::error::http_status);
  ASSERT_TRUE(n.rest().last_error().has_value());
  EXPECT_EQ(n.rest().last_error()->status, 500);
  EXPECT_EQ(n.rest().last_error()->message, "injected failure");
  auto wrong = h.node_opts("wrong", *fake);
  wrong.password = musicbot::core::secret(std::string(password) + "-nope");
  auto& bad = pool->add_node(std::move(wrong));
  h.run_for(150ms);
  EXPECT_FALSE(bad.available());
  pool->stop();
  h.run_for(50ms);
  const std::string text = h.logs.out.str();
  EXPECT_NE(text.find("401"), std::string::npos);
  EXPECT_EQ(text.find(password), std::string::npos);
}

TEST(lavalink_client, load_play_events_and_natural_end) {
  harness h;
  auto fake = h.fake(2000.0);  // 212 s track ends after ~0.1 s
  auto pool = h.pool();
  std::vector<ll::message> events;
  pool->on_event([&](const ll::node&, const ll::message& m) { events.push_back(m); });
  auto& n = pool->add_node(h.node_opts("a", *fake));
  pool->start();
  ASSERT_TRUE(h.run_until([&] { return n.available(); }));

  std::optional<ll::load_result> loaded;
  pool->async_load_tracks("ytsearch:never gonna", [&](boost::system::error_code ec, ll::load_result r) {
    EXPECT_FALSE(ec);
    loaded = std::move(r);
  });
  ASSERT_TRUE(h.run_until([&] { return loaded.has_value(); }));
  ASSERT_EQ(loaded->type, ll::load_type::search);
  const auto& found = std::get<std::vector<ll::track>>(loaded->data);
  ASSERT_FALSE(found.empty());

  auto r = update(h, *pool, "1", play(found.front().encoded));
  ASSERT_FALSE(*r.ec) << r.ec->message();
  ASSERT_TRUE(r.player.track.has_value());
  ASSERT_TRUE(h.run_until([&] { return !collected<ll::track_end_event>(events).empty(); }));
  const auto starts = collected<ll::track_start_event>(events);
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].guild_id, "1");
  const auto ends = collected<ll::track_end_event>(events);
  EXPECT_EQ(ends[0].reason, ll::track_end_reason::finished);
  EXPECT_TRUE(ends[0].may_start_next());
  EXPECT_EQ(ends[0].track.encoded, found.front().encoded);
  EXPECT_FALSE(pool->player("1")->track.has_value());
  EXPECT_FALSE(collected<ll::stats_op>(events).empty());
}

TEST(lavalink_client, encoded_null_stops_and_absent_track_keeps_playing) {
  harness h;
  auto fake = h.fake();
  auto pool = h.pool();
  std::vector<ll::message> events;
  pool->on_event([&](const ll::node&, const ll::message& m) { events.push_back(m); });
  auto& n = pool->add_node(h.node_opts("a", *fake));
  pool->start();
  ASSERT_TRUE(h.run_until([&] { return n.available(); }));
  ASSERT_FALSE(*update(h, *pool, "1", play(rick)).ec);

  ll::player_update volume_only;
  volume_only.volume = 50;
  auto v = update(h, *pool, "1", volume_only);
  ASSERT_FALSE(*v.ec);
  ASSERT_TRUE(fake->player("1")->track.has_value());
  EXPECT_EQ(fake->player("1")->track->encoded, rick);
  EXPECT_EQ(fake->player("1")->volume, 50);
  EXPECT_TRUE(collected<ll::track_end_event>(events).empty());

  ll::player_update stop;
  stop.track.emplace().encoded = nullptr;
  ASSERT_FALSE(*update(h, *pool, "1", stop).ec);
  EXPECT_FALSE(fake->player("1")->track.has_value());
  ASSERT_TRUE(h.run_until([&] { return !collected<ll::track_end_event>(events).empty(); }));
  EXPECT_EQ(collected<ll::track_end_event>(events)[0].reason, ll::track_end_reason::stopped);
  EXPECT_FALSE(pool->player("1")->track.has_value());
}

TEST(lavalink_client, resume_after_socket_drop_keeps_players_and_replays_events) {
  harness h;
  auto fake = h.fake();
  auto pool = h.pool();
  std::vector<ll::message> events;
  pool->on_event([&](const ll::node&, const ll::message& m) { events.push_back(m); });
  auto opts = h.node_opts("a", *fake);
  opts.connect_failures_before_down = 1000;
  auto& n = pool->add_node(std::move(opts));
  pool->start();
  ASSERT_TRUE(h.run_until([&] { return n.available(); }));
  ASSERT_FALSE(*update(h, *pool, "1", play(rick)).ec);
  const std::string session = n.session_id();

  fake->refuse_connections(true);
  fake->drop_connections();
  ASSERT_TRUE(h.run_until([&] { return !n.available(); }));
  events.clear();
  ll::player_update stop;  // its TrackEndEvent happens while the socket is down
  stop.track.emplace().encoded = nullptr;
  ASSERT_FALSE(*update(h, *pool, "1", stop).ec);
  fake->refuse_connections(false);
  ASSERT_TRUE(h.run_until([&] { return n.available(); }));
  EXPECT_EQ(fake->resumes(), 1u);
  EXPECT_EQ(n.session_id(), session);
  EXPECT_EQ(fake->player_count(), 1u);
  ASSERT_TRUE(h.run_until([&] { return !collected<ll::track_end_event>(events).empty(); }));
  EXPECT_EQ(collected<ll::track_end_event>(events)[0].reason, ll::track_end_reason::stopped);
  const auto ready = collected<ll::ready_op>(events);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_TRUE(ready[0].resumed);
}

TEST(lavalink_client, not_resumed_session_rebuilds_players) {
  harness h;
  auto fake = h.fake();
  auto pool = h.pool();
  auto& n = pool->add_node(h.node_opts("a", *fake));
  pool->start();
  ASSERT_TRUE(h.run_until([&] { return n.available(); }));
  ll::player_update u = play(rick);
  u.volume = 70;
  ASSERT_FALSE(*update(h, *pool, "7", u).ec);
  h.run_for(100ms);
  fake->expire_sessions();
  ASSERT_EQ(fake->player_count(), 0u);
  ASSERT_TRUE(h.run_until([&] { return fake->player_count() == 1 && fake->player("7")->track.has_value(); }));
  const auto p = *fake->player("7");
  EXPECT_EQ(p.track->encoded, rick);
  EXPECT_EQ(p.volume, 70);
  EXPECT_EQ(p.voice.channel_id, "555");
  EXPECT_GE(p.state.position_ms, 90);
  EXPECT_EQ(fake->resumes(), 0u);
}

TEST(lavalink_client, killed_node_moves_every_player_at_its_position) {
  harness h;
  auto& [a, b, na, nb, pool, moved, ready] = h.start_node_pair(/*busy_b=*/true);  // b busy: new players go to a until it dies
  ASSERT_TRUE(ready);
  const auto started = std::chrono::steady_clock::now();
  for (const char* guild : {"1", "2", "3"}) ASSERT_FALSE(*update(h, *pool, guild, play(rick)).ec);
  for (const char* guild : {"1", "2", "3"}) ASSERT_EQ(pool->player(guild)->node, "a");
  h.run_for(300ms);

  a->stop();
  ASSERT_TRUE(h.run_until([&] { return moved.size() == 3; }, 2000ms));
  for (const char* guild : {"1", "2", "3"}) {
    auto p = b->player(guild);
    ASSERT_TRUE(p.has_value()) << guild;
    ASSERT_TRUE(p->track.has_value());
    EXPECT_EQ(p->track->encoded, rick);
    EXPECT_EQ(p->voice.channel_id, "555");
    const auto expected = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started).count();
    EXPECT_NEAR(static_cast<double>(p->state.position_ms), static_cast<double>(expected), 1000.0) << guild;
    EXPECT_EQ(pool->player(guild)->node, "b");
  }
  for (const auto& m : moved) {
    EXPECT_EQ(m.from_node, "a");
    EXPECT_EQ(m.to_node, "b");
    EXPECT_EQ(m.reason, ll::move_reason::node_down);
  }
}

TEST(lavalink_client, drain_moves_players_on_purpose) {
  harness h;
  auto& [a, b, na, nb, pool, moved, ready] = h.start_node_pair(/*busy_b=*/false);
  ASSERT_TRUE(ready);
  ASSERT_FALSE(*update(h, *pool, "9", play(rick)).ec);
  const std::string from = pool->player("9")->node;
  pool->drain(from);
  ASSERT_TRUE(h.run_until([&] { return moved.size() == 1; }));
  EXPECT_EQ(moved[0].reason, ll::move_reason::drain);
  EXPECT_NE(pool->player("9")->node, from);
  auto& old_fake = from == "a" ? *a : *b;
  ASSERT_TRUE(h.run_until([&] { return old_fake.player_count() == 0; }));
}

TEST(lavalink_client, selection_follows_the_penalty) {
  harness h;
  auto& [a, b, na, nb, pool, moved, ready] = h.start_node_pair(/*busy_b=*/false);
  ASSERT_TRUE(ready);
  const auto loaded = cpu_load(0.9);
  const auto idle = cpu_load(0.05);
  a->set_stats(loaded);
  b->set_stats(idle);
  ASSERT_TRUE(h.run_until([&] {
    return na->stats() && nb->stats() && na->stats()->cpu.system_load > 0.8 && nb->stats()->cpu.system_load < 0.1;
  }));
  EXPECT_EQ(pool->best_node(), nb);
  ASSERT_FALSE(*update(h, *pool, "1", play(rick)).ec);
  EXPECT_EQ(pool->player("1")->node, "b");
  ll::node_stats nulled = idle;
  nulled.frames = ll::frame_stats{3000, 600, 0};
  b->set_stats(nulled);
  ASSERT_TRUE(h.run_until([&] { return nb->stats()->frames.has_value(); }));
  EXPECT_EQ(pool->best_node(), na);
}

TEST(lavalink_client, missing_channel_id_is_a_clear_error) {
  harness h;
  auto fake = h.fake();
  auto pool = h.pool();
  auto& n = pool->add_node(h.node_opts("a", *fake));
  pool->start();
  ASSERT_TRUE(h.run_until([&] { return n.available(); }));
  ll::player_update u;
  u.voice = ll::voice_state{"tok", "ep", "sess", std::nullopt};
  auto r = update(h, *pool, "1", u);
  EXPECT_EQ(*r.ec, ll::error::missing_channel_id);
  EXPECT_NE(r.ec->message().find("channelId"), std::string::npos);

  // The fake answers a raw request without channelId like a >= 4.2 node: 400.
  musicbot::net::http_client_options http_options;
  http_options.base_url = fake->base_url();
  musicbot::net::http_client http(h.io.get_executor(), http_options);
  musicbot::net::http_request req;
  req.method = "PATCH";
  req.target = "/v4/sessions/" + n.session_id() + "/players/1";
  req.body = R"({"voice":{"token":"t","endpoint":"e","sessionId":"s"}})";
  musicbot::net::set_header(req.headers, "Authorization", password);
  std::optional<musicbot::net::http_response> resp;
  http.async_request(req, [&](boost::system::error_code ec, musicbot::net::http_response rsp) {
    EXPECT_FALSE(ec);
    resp = std::move(rsp);
  });
  ASSERT_TRUE(h.run_until([&] { return resp.has_value(); }));
  EXPECT_EQ(resp->status, 400u);
  auto body = ll::parse_rest_error(resp->body);
  ASSERT_TRUE(body.has_value());
  EXPECT_NE(body->message.find("channelId"), std::string::npos);
  EXPECT_EQ(body->path, req.target);
}

TEST(lavalink_client, unknown_load_type_and_plugin_events_pass_through) {
  harness h;
  auto fake = h.fake();
  auto pool = h.pool();
  std::vector<ll::message> events;
  pool->on_event([&](const ll::node&, const ll::message& m) { events.push_back(m); });
  auto& n = pool->add_node(h.node_opts("a", *fake));
  pool->start();
  ASSERT_TRUE(h.run_until([&] { return n.available(); }));
  fake->script_raw_load_result("lyrics:42", R"({"loadType":"lyrics","data":{"lines":["la"]}})");
  std::optional<ll::load_result> loaded;
  pool->async_load_tracks("lyrics:42", [&](boost::system::error_code ec, ll::load_result r) {
    EXPECT_FALSE(ec);
    loaded = std::move(r);
  });
  ASSERT_TRUE(h.run_until([&] { return loaded.has_value(); }));
  EXPECT_EQ(loaded->type, ll::load_type::unknown);
  EXPECT_EQ(loaded->type_name, "lyrics");
  EXPECT_EQ(std::get<std::string>(loaded->data), R"({"lines":["la"]})");

  const std::string plugin = R"({"op":"event","type":"SegmentsLoaded","guildId":"1","segments":[]})";
  const std::string op = R"({"op":"futureOp","x":1})";
  fake->send_raw(plugin);
  fake->send_raw(op);
  ASSERT_TRUE(h.run_until([&] { return !collected<ll::unknown_op>(events).empty(); }));
  const auto plugin_events = collected<ll::unknown_event>(events);
  ASSERT_EQ(plugin_events.size(), 1u);
  EXPECT_EQ(plugin_events[0].raw, plugin);
  EXPECT_EQ(collected<ll::unknown_op>(events)[0].raw, op);
  EXPECT_TRUE(n.available());
}

TEST(lavalink_client, voice_bridge_creates_and_destroys_players) {
  harness h;
  auto fake = h.fake();
  auto pool = h.pool();
  auto& n = pool->add_node(h.node_opts("a", *fake));
  pool->start();
  ASSERT_TRUE(h.run_until([&] { return n.available(); }));
  pool->on_voice_server("77", "tok", "eu.discord.media");
  pool->on_voice_state("77", "424242", "vs", "999");
  ASSERT_TRUE(h.run_until([&] { return fake->player("77").has_value() && pool->player("77").has_value(); }));
  EXPECT_EQ(fake->player("77")->voice.channel_id, "999");
  pool->on_voice_state("77", "424242", "vs", std::nullopt);
  ASSERT_TRUE(h.run_until([&] { return !fake->player("77").has_value(); }));
  EXPECT_EQ(pool->player_count(), 0u);
}

TEST(lavalink_client, rest_endpoints) {
  harness h;
  auto fake = h.fake();
  auto pool = h.pool();
  auto& n = pool->add_node(h.node_opts("a", *fake));
  pool->start();
  ASSERT_TRUE(h.run_until([&] { return n.available(); }));
  auto& rest = n.rest();
  int done = 0;
  rest.async_info([&](boost::system::error_code ec, ll::node_info i) {
    EXPECT_FALSE(ec);
    EXPECT_EQ(i.version.major, 4);
    ++done;
  });
  rest.async_version([&](boost::system::error_code ec, std::string v) {
    EXPECT_FALSE(ec);
    EXPECT_EQ(v, "4.2.0");
    ++done;
  });
  rest.async_stats([&](boost::system::error_code ec, ll::node_stats) {
    EXPECT_FALSE(ec);
    ++done;
  });
  rest.async_decode_track(std::string(rick), [&](boost::system::error_code ec, ll::track t) {
    EXPECT_FALSE(ec);
    EXPECT_EQ(t.info.identifier, "dQw4w9WgXcQ");
    ++done;
  });
  rest.async_decode_tracks({std::string(rick)}, [&](boost::system::error_code ec, std::vector<ll::track> t) {
    EXPECT_FALSE(ec);
    EXPECT_EQ(t.size(), 1u);
    ++done;
  });
  rest.async_route_planner_status([&](boost::system::error_code ec, ll::route_planner_status s) {
    EXPECT_FALSE(ec);
    EXPECT_FALSE(s.class_name.has_value());
    ++done;
  });
  rest.async_get_player(n.session_id(), "404", [&](boost::system::error_code ec, ll::player) {
    EXPECT_EQ(ec, ll::error::player_not_found);
    ++done;
  });
  rest.async_get_players(n.session_id(), [&](boost::system::error_code ec, std::vector<ll::player> p) {
    EXPECT_FALSE(ec);
    EXPECT_TRUE(p.empty());
    ++done;
  });
  ASSERT_TRUE(h.run_until([&] { return done == 8; }));
}

}  // namespace

namespace {

TEST(lavalink_client, breaker_opens_after_failures_and_moves_players) {
  harness h;
  auto& [a, b, na, nb, pool, moved, ready] = h.start_node_pair(/*busy_b=*/true);  // b busy: new players go to a until it dies
  ASSERT_TRUE(ready);
  ASSERT_FALSE(*update(h, *pool, "1", play(rick)).ec);
  ASSERT_EQ(pool->player("1")->node, "a");
  a->fail_rest(503);
  ll::player_update vol;
  vol.volume = 10;
  // The lavalink preset opens at 40 % failures once 20 calls are recorded.
  int failures = 0;
  for (; failures < 30; ++failures) {
    const auto ec = *update(h, *pool, "1", vol).ec;
    if (ec == ll::error::breaker_open) break;
    EXPECT_EQ(ec, ll::error::http_status);
  }
  EXPECT_GE(failures, 8);
  EXPECT_LT(failures, 30);
  EXPECT_EQ(na->rest().breaker().state(), musicbot::core::circuit_state::open);
  ASSERT_TRUE(h.run_until([&] { return moved.size() == 1; }));
  EXPECT_EQ(pool->player("1")->node, "b");
  ASSERT_TRUE(b->player("1").has_value());
  EXPECT_EQ(b->player("1")->track->encoded, rick);
  std::optional<boost::system::error_code> direct;
  na->rest().async_info([&](boost::system::error_code ec, ll::node_info) { direct = ec; });
  ASSERT_TRUE(h.run_until([&] { return direct.has_value(); }));
  EXPECT_EQ(*direct, ll::error::breaker_open);
}

TEST(lavalink_client, silent_node_is_dropped_and_resumed) {
  harness h;
  auto fake = h.fake();
  auto pool = h.pool();
  auto opts = h.node_opts("a", *fake);
  opts.idle_timeout = 400ms;
  opts.connect_failures_before_down = 1000;
  auto& n = pool->add_node(std::move(opts));
  pool->start();
  ASSERT_TRUE(h.run_until([&] { return n.available(); }));
  ASSERT_FALSE(*update(h, *pool, "1", play(rick)).ec);
  fake->go_silent(true);
  ASSERT_TRUE(h.run_until([&] { return !n.available(); }, 2000ms));
  fake->clear_faults();
  ASSERT_TRUE(h.run_until([&] { return n.available(); }, 2000ms));
  EXPECT_GE(fake->resumes(), 1u);
  EXPECT_EQ(fake->player_count(), 1u);
}

TEST(lavalink_client, destroy_while_the_first_update_is_in_flight) {
  harness h;
  auto fake = h.fake();
  auto pool = h.pool();
  auto& n = pool->add_node(h.node_opts("a", *fake));
  pool->start();
  ASSERT_TRUE(h.run_until([&] { return n.available(); }));
  fake->delay_rest(100ms);
  std::optional<boost::system::error_code> created;
  std::optional<boost::system::error_code> destroyed;
  pool->async_update_player("5", play(rick), [&](boost::system::error_code ec, ll::player) { created = ec; });
  pool->async_destroy_player("5", [&](boost::system::error_code ec) { destroyed = ec; });
  ASSERT_TRUE(h.run_until([&] { return created.has_value() && destroyed.has_value(); }));
  EXPECT_FALSE(*destroyed);
  EXPECT_EQ(*created, boost::asio::error::operation_aborted);
  EXPECT_FALSE(pool->player("5").has_value());
  ASSERT_TRUE(h.run_until([&] { return fake->player_count() == 0; }));
}

}  // namespace

namespace {

// Two updates that both create a guild's player (the first track and the
// voice connection, sent concurrently) must create it on one node, even when
// the best node changes between them: otherwise the track plays on one node
// and the voice connection sits on the other.
TEST(lavalink_client, concurrent_creations_of_one_player_share_a_node) {
  harness h;
  auto& [a, b, na, nb, pool, moved, ready] = h.start_node_pair(/*busy_b=*/false);
  ASSERT_TRUE(ready);
  const auto loaded = cpu_load(0.9);
  const auto idle = cpu_load(0.05);
  a->set_stats(idle);
  b->set_stats(loaded);
  ASSERT_TRUE(h.run_until([&] { return na->stats() && nb->stats() && nb->stats()->cpu.system_load > 0.8; }));
  ASSERT_EQ(pool->best_node(), na);

  a->delay_rest(1500ms);
  std::optional<boost::system::error_code> first;
  pool->async_update_player("7", play(rick), [&](boost::system::error_code ec, ll::player) { first = ec; });
  // While the creation is in flight, b becomes the better node.
  a->set_stats(loaded);
  b->set_stats(idle);
  ASSERT_TRUE(h.run_until([&] { return na->stats()->cpu.system_load > 0.8 && nb->stats()->cpu.system_load < 0.1; }));
  ASSERT_EQ(pool->best_node(), nb);
  ASSERT_FALSE(first.has_value()) << "the first update finished before the second started";
  ll::player_update volume;
  volume.volume = 40;
  std::optional<boost::system::error_code> second;
  pool->async_update_player("7", volume, [&](boost::system::error_code ec, ll::player) { second = ec; });

  ASSERT_TRUE(h.run_until([&] { return first.has_value() && second.has_value(); }, 5s));
  EXPECT_FALSE(*first);
  EXPECT_FALSE(*second);
  ASSERT_TRUE(pool->player("7").has_value());
  EXPECT_EQ(pool->player("7")->node, "a");
  EXPECT_EQ(a->player_count(), 1U);
  EXPECT_EQ(b->player_count(), 0U);
}

}  // namespace

namespace {

// Two updates of one guild in flight at once (the voice connection and the
// first track) can be answered in the other order than the node applied
// them. The reply of the one applied first describes an older player (no
// track): it must not erase the track from the pool's record, or the player
// is re-created without it when its node dies (a silent guild).
TEST(lavalink_client, late_reply_of_an_earlier_update_keeps_the_newer_track) {
  harness h;
  auto& [a, b, na, nb, pool, moved, ready] = h.start_node_pair(/*busy_b=*/true);  // b busy: new players go to a until it dies
  ASSERT_TRUE(ready);

  a->delay_rest_reply_once("/players/7", "\"voice\"", 300ms);
  ll::player_update voice_only;
  voice_only.voice = voice();
  std::optional<boost::system::error_code> voice_done;
  pool->async_update_player("7", voice_only, [&](boost::system::error_code ec, ll::player) { voice_done = ec; });
  ASSERT_TRUE(h.run_until([&] { return a->player("7").has_value(); }));  // applied, not answered
  ASSERT_FALSE(voice_done.has_value());
  ll::player_update track_only;
  track_only.track.emplace().encoded = std::string(rick);
  std::optional<boost::system::error_code> track_done;
  pool->async_update_player("7", track_only, [&](boost::system::error_code ec, ll::player) { track_done = ec; });
  ASSERT_TRUE(h.run_until([&] { return track_done.has_value(); }));
  ASSERT_FALSE(voice_done.has_value()) << "the voice update was answered before the track update";
  ASSERT_TRUE(h.run_until([&] { return voice_done.has_value(); }));
  EXPECT_FALSE(*voice_done);
  EXPECT_FALSE(*track_done);
  ASSERT_TRUE(pool->player("7").has_value());
  EXPECT_TRUE(pool->player("7")->track.has_value()) << "the late voice reply erased the track";
  ASSERT_TRUE(pool->player("7")->voice.has_value());
  EXPECT_EQ(pool->player("7")->node, "a");

  a->stop();
  ASSERT_TRUE(h.run_until([&] { return moved.size() == 1; }, 2000ms));
  auto p = b->player("7");
  ASSERT_TRUE(p.has_value());
  ASSERT_TRUE(p->track.has_value()) << "re-created without its track";
  EXPECT_EQ(p->track->encoded, rick);
  EXPECT_EQ(p->voice.channel_id, "555");
}

// Two updates of the same field, the first one answered last: the pool keeps
// the value of the update sent last (the one the node applied last).
TEST(lavalink_client, late_reply_of_an_earlier_update_of_the_same_field_is_ignored) {
  harness h;
  auto& [a, b, na, nb, pool, moved, ready] = h.start_node_pair(/*busy_b=*/true);  // b busy: new players go to a until it dies
  ASSERT_TRUE(ready);
  ASSERT_FALSE(*update(h, *pool, "8", play(rick)).ec);
  ASSERT_EQ(pool->player("8")->node, "a");

  a->delay_rest_reply_once("/players/8", "\"volume\":10", 300ms);
  ll::player_update quiet;
  quiet.volume = 10;
  ll::player_update louder;
  louder.volume = 20;
  std::optional<boost::system::error_code> first;
  std::optional<boost::system::error_code> second;
  pool->async_update_player("8", quiet, [&](boost::system::error_code ec, ll::player) { first = ec; });
  ASSERT_TRUE(h.run_until([&] { return a->player("8")->volume == 10; }));  // applied, not answered
  pool->async_update_player("8", louder, [&](boost::system::error_code ec, ll::player) { second = ec; });
  ASSERT_TRUE(h.run_until([&] { return second.has_value(); }));
  ASSERT_FALSE(first.has_value()) << "the first update was answered before the second";
  ASSERT_TRUE(h.run_until([&] { return first.has_value(); }));
  EXPECT_FALSE(*first);
  EXPECT_FALSE(*second);
  EXPECT_EQ(a->player("8")->volume, 20);
  EXPECT_EQ(pool->player("8")->volume, 20) << "the late reply of volume 10 won";

  // The record is what a move re-creates the player from.
  std::optional<boost::system::error_code> move_done;
  pool->async_move_player("8", "b", [&](boost::system::error_code ec) { move_done = ec; });
  ASSERT_TRUE(h.run_until([&] { return move_done.has_value(); }));
  EXPECT_FALSE(*move_done);
  EXPECT_EQ(moved.size(), 1U);
  ASSERT_TRUE(b->player("8").has_value());
  EXPECT_EQ(b->player("8")->volume, 20);
  ASSERT_TRUE(b->player("8")->track.has_value());
  EXPECT_EQ(b->player("8")->track->encoded, rick);
}

// On a player playing on node a of `p`: sets volume 30, which a applies at
// once but answers only 300 ms later, and destroys the player meanwhile.
// Returns where the volume update's completion lands (still empty).
std::shared_ptr<std::optional<boost::system::error_code>> destroy_during_a_late_reply(harness& h, node_pair& p,
                                                                                   const std::string& guild) {
  auto late = std::make_shared<std::optional<boost::system::error_code>>();
  EXPECT_FALSE(*update(h, *p.pool, guild, play(rick)).ec);
  p.a->delay_rest_reply_once("/players/" + guild, "\"volume\":30", 300ms);
  ll::player_update quieter;
  quieter.volume = 30;
  p.pool->async_update_player(guild, quieter, [late](boost::system::error_code ec, ll::player) { *late = ec; });
  EXPECT_TRUE(h.run_until([&] { return p.a->player(guild) && p.a->player(guild)->volume == 30; }));  // not answered
  std::optional<boost::system::error_code> destroyed;
  p.pool->async_destroy_player(guild, [&](boost::system::error_code ec) { destroyed = ec; });
  EXPECT_TRUE(h.run_until([&] { return destroyed.has_value(); }));
  EXPECT_FALSE(destroyed.value_or(boost::asio::error::timed_out));
  return late;
}

// An update answered after async_destroy_player() does not bring the
// destroyed player back: no record, so nothing to re-create on failover.
TEST(lavalink_client, late_reply_after_destroy_does_not_bring_the_player_back) {
  harness h;
  auto& pair = h.start_node_pair(/*busy_b=*/true);  // b busy: new players go to a until it dies
  ASSERT_TRUE(pair.ready);
  auto late = destroy_during_a_late_reply(h, pair, "9");
  ASSERT_FALSE(late->has_value()) << "the update was answered before the destroy";
  ASSERT_TRUE(h.run_until([&] { return late->has_value(); }));
  EXPECT_EQ(**late, boost::asio::error::operation_aborted);
  EXPECT_FALSE(pair.pool->player("9").has_value()) << "the late reply re-created the record";
  EXPECT_FALSE(pair.a->player("9").has_value());

  pair.a->stop();
  ASSERT_TRUE(h.run_until([&] { return !pair.na->available(); }));
  h.run_for(200ms);
  EXPECT_TRUE(pair.moved.empty());
  EXPECT_FALSE(pair.b->player("9").has_value()) << "a destroyed player was re-created on failover";
}

// Destroyed, then created again while a reply to the old player is on its
// way: the reply describes the old player and must not change the new one.
TEST(lavalink_client, late_reply_of_a_destroyed_player_leaves_its_successor_alone) {
  harness h;
  auto& pair = h.start_node_pair(/*busy_b=*/true);
  ASSERT_TRUE(pair.ready);
  auto late = destroy_during_a_late_reply(h, pair, "10");
  ASSERT_FALSE(*update(h, *pair.pool, "10", play(rick)).ec);  // a new player, at the default volume
  ASSERT_EQ(pair.a->player("10")->volume, 100);
  ASSERT_FALSE(late->has_value()) << "the update was answered before the new player was created";

  ASSERT_TRUE(h.run_until([&] { return late->has_value(); }));
  EXPECT_EQ(**late, boost::asio::error::operation_aborted);
  ASSERT_TRUE(pair.pool->player("10").has_value());
  EXPECT_EQ(pair.pool->player("10")->volume, 100) << "the old player's reply changed the new one";
}

// A move still in flight when the player is destroyed: no move is
// reported, and the copy it made on the target is destroyed again.
TEST(lavalink_client, move_racing_a_destroy_leaves_no_player_behind) {
  harness h;
  auto& [a, b, na, nb, pool, moved, ready] = h.start_node_pair(/*busy_b=*/true);
  ASSERT_TRUE(ready);
  ASSERT_FALSE(*update(h, *pool, "11", play(rick)).ec);
  ASSERT_EQ(pool->player("11")->node, "a");

  b->delay_rest_reply_once("/players/11", "", 300ms);
  std::optional<boost::system::error_code> move_done;
  pool->async_move_player("11", "b", [&](boost::system::error_code ec) { move_done = ec; });
  ASSERT_TRUE(h.run_until([&] { return b->player("11").has_value(); }));  // created on b, not answered
  std::optional<boost::system::error_code> destroyed;
  pool->async_destroy_player("11", [&](boost::system::error_code ec) { destroyed = ec; });
  ASSERT_TRUE(h.run_until([&] { return destroyed.has_value(); }));
  EXPECT_FALSE(*destroyed);
  ASSERT_FALSE(move_done.has_value()) << "the move was answered before the destroy";

  ASSERT_TRUE(h.run_until([&] { return move_done.has_value(); }));
  EXPECT_EQ(*move_done, ll::error::player_not_found);
  EXPECT_TRUE(moved.empty()) << "a move of a destroyed player was reported";
  EXPECT_FALSE(pool->player("11").has_value());
  EXPECT_TRUE(h.run_until([&] { return !b->player("11").has_value(); })) << "the moved copy kept playing on b";
  EXPECT_FALSE(a->player("11").has_value());
}

// Two updates creating one player are in flight when it is destroyed: both
// are cancelled, not just the first to be answered.
TEST(lavalink_client, destroy_cancels_every_update_creating_the_player) {
  harness h;
  auto& [a, b, na, nb, pool, moved, ready] = h.start_node_pair(/*busy_b=*/true);
  ASSERT_TRUE(ready);
  a->delay_rest_reply_once("/players/13", "\"voice\"", 200ms);
  a->delay_rest_reply_once("/players/13", "\"encoded\"", 400ms);
  ll::player_update voice_only;
  voice_only.voice = voice();
  ll::player_update track_only;
  track_only.track.emplace().encoded = std::string(rick);
  std::optional<boost::system::error_code> voice_done;
  std::optional<boost::system::error_code> track_done;
  pool->async_update_player("13", voice_only, [&](boost::system::error_code ec, ll::player) { voice_done = ec; });
  ASSERT_TRUE(h.run_until([&] { return a->player("13").has_value(); }));
  pool->async_update_player("13", track_only, [&](boost::system::error_code ec, ll::player) { track_done = ec; });
  ASSERT_TRUE(h.run_until([&] { return a->player("13") && a->player("13")->track.has_value(); }));
  std::optional<boost::system::error_code> destroyed;
  pool->async_destroy_player("13", [&](boost::system::error_code ec) { destroyed = ec; });
  ASSERT_TRUE(h.run_until([&] { return destroyed.has_value(); }));
  EXPECT_FALSE(*destroyed);
  ASSERT_FALSE(voice_done.has_value());
  ASSERT_FALSE(track_done.has_value());

  ASSERT_TRUE(h.run_until([&] { return voice_done.has_value() && track_done.has_value(); }));
  EXPECT_EQ(*voice_done, boost::asio::error::operation_aborted);
  EXPECT_EQ(*track_done, boost::asio::error::operation_aborted) << "the second creating update survived the destroy";
  EXPECT_FALSE(pool->player("13").has_value());
  EXPECT_TRUE(h.run_until([&] { return !a->player("13").has_value(); })) << "the player was left on the node";
}

// The node ends a track (here at its endTime) and its TrackEndEvent arrives
// before the reply of the update that started it: the reply still shows the
// track, but the record must not, or a failover would play it again.
TEST(lavalink_client, track_that_ended_before_its_reply_arrived_is_not_kept) {
  harness h;
  auto& [a, b, na, nb, pool, moved, ready] = h.start_node_pair(/*busy_b=*/true);
  ASSERT_TRUE(ready);
  std::vector<ll::track_end_event> ends;
  pool->on_event([&](const ll::node&, const ll::message& m) {
    if (const auto* e = std::get_if<ll::track_end_event>(&m)) ends.push_back(*e);
  });
  ll::player_update voice_only;
  voice_only.voice = voice();
  ASSERT_FALSE(*update(h, *pool, "12", voice_only).ec);

  a->delay_rest_reply_once("/players/12", "\"encoded\"", 400ms);
  ll::player_update short_play;
  short_play.track.emplace().encoded = std::string(rick);
  short_play.end_time_ms = 30;
  std::optional<boost::system::error_code> played;
  pool->async_update_player("12", short_play, [&](boost::system::error_code ec, ll::player) { played = ec; });
  ASSERT_TRUE(h.run_until([&] { return !ends.empty(); }));
  EXPECT_EQ(ends.front().reason, ll::track_end_reason::finished);
  ASSERT_FALSE(played.has_value()) << "the reply arrived before the TrackEndEvent";
  ASSERT_TRUE(h.run_until([&] { return played.has_value(); }));
  EXPECT_FALSE(*played);
  ASSERT_TRUE(pool->player("12").has_value());
  EXPECT_FALSE(pool->player("12")->track.has_value()) << "the finished track came back with the late reply";

  a->stop();
  ASSERT_TRUE(h.run_until([&] { return moved.size() == 1; }, 2000ms));
  ASSERT_TRUE(b->player("12").has_value());
  EXPECT_FALSE(b->player("12")->track.has_value()) << "the finished track was played again after the failover";

  // Played again after its end was seen, the same track is kept: the end
  // says nothing of an update sent after it.
  ends.clear();
  ASSERT_FALSE(*update(h, *pool, "12", short_play).ec);
  ASSERT_TRUE(h.run_until([&] { return !ends.empty(); }));
  ASSERT_FALSE(*update(h, *pool, "12", play(rick)).ec);
  ASSERT_TRUE(pool->player("12")->track.has_value()) << "an earlier end of the track erased a new play of it";
  EXPECT_EQ(pool->player("12")->track->encoded, rick);
}

}  // namespace

namespace {

// Stopping the pool and its node at the same moment (a program shutting
// down) must not leave a close handshake waiting out its timeout: the
// io_context runs out of work at once.
TEST(lavalink_client, pool_and_node_stopped_together_leave_no_work_behind) {
  harness h;
  auto fake = h.fake();
  auto pool = h.pool();
  auto opts = h.node_opts("a", *fake);
  opts.handshake_timeout = 5000ms;
  auto& n = pool->add_node(opts);
  pool->start();
  ASSERT_TRUE(h.run_until([&] { return n.available(); }));
  pool->stop();
  fake->stop();
  h.io.restart();
  h.io.run_for(4000ms);  // returns early once no work is left
  EXPECT_TRUE(h.io.stopped()) << "work still pending: a close handshake waiting out its timeout";
}

}  // namespace
