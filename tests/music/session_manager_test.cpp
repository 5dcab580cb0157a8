// Music sessions against the testing kit's fake Lavalink node (loopback,
// time-scaled playback) and a real SQLite store.
#include "music_fixture.hpp"

#include <musicbot/trace/current.hpp>

namespace {

using namespace music_test;
using musicbot::music::error;

using MusicSessions = MusicFixture;

TEST_F(MusicSessions, PlayStartsThenQueues) {
  auto [ec, first] = play("Riptide");
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_TRUE(first.started);
  ASSERT_EQ(first.added.size(), 1U);
  EXPECT_NE(first.added[0].title.find("Riptide"), std::string::npos);
  EXPECT_EQ(first.added[0].requester_id, user);

  auto [ec2, second] = play("ytsearch:Rita Ora");
  ASSERT_FALSE(ec2) << ec2.message();
  EXPECT_FALSE(second.started);
  EXPECT_EQ(second.position, 0U);

  const auto view = manager->view(guild);
  ASSERT_TRUE(view);
  ASSERT_TRUE(view->current);
  EXPECT_NE(view->current->title.find("Riptide"), std::string::npos);
  EXPECT_EQ(view->queued, 1U);
  EXPECT_EQ(view->node, "fake-1");
  // The store has the same queue, committed.
  ASSERT_TRUE(run_until(ioc, [&] {
    auto q = stored();
    return q && q->state.current && q->state.upcoming.size() == 1;
  }));
}

TEST_F(MusicSessions, NaturalEndAdvancesToNextTrack) {
  ASSERT_FALSE(play("Death of Me").first);  // 30 s track: 150 ms at 200x
  ASSERT_FALSE(play("Rita Ora").first);
  ASSERT_TRUE(run_until(ioc, [&] {
    const auto v = manager->view(guild);
    return v && v->current && v->current->title.find("Rita Ora") != std::string::npos;
  })) << "the next track did not start after the first ended";
  EXPECT_EQ(manager->view(guild)->queued, 0U);
}

// The manager destroyed while the next track's start is in flight (a bot
// shutting down between two tracks): the start finishes without touching
// freed state (ASan checks this run) and without calling the owner back.
TEST_F(MusicSessions, DestroyedWhileTheNextTrackStartsIsSafe) {
  ASSERT_FALSE(play("Death of Me").first);  // ends after 150 ms
  ASSERT_FALSE(play("Rita Ora").first);
  int started_after_destroy = 0;
  bool destroyed = false;
  manager->on_now_playing([&](std::uint64_t, const musicbot::queue::track&) {
    if (destroyed) ++started_after_destroy;
  });
  fakes[0]->delay_rest(300ms);  // the next track's start is answered late
  ASSERT_TRUE(run_until(ioc, [&] {
    const auto v = manager->view(guild);
    return v && v->current && v->current->title.find("Rita Ora") != std::string::npos;
  }));
  manager.reset();
  destroyed = true;
  ioc.run_for(600ms);  // the delayed reply arrives and the start completes
  EXPECT_EQ(started_after_destroy, 0) << "a destroyed manager called its owner back";
  fakes[0]->clear_faults();
}

TEST_F(MusicSessions, LoopTrackReplaysSameTrack) {
  ASSERT_FALSE(play("Death of Me").first);
  std::optional<error_code> looped;
  manager->async_set_loop(guild, musicbot::queue::loop_mode::track, [&](error_code e) { looped = e; });
  ASSERT_TRUE(run_until(ioc, [&] { return looped.has_value(); }));
  ASSERT_FALSE(*looped);
  int starts = 0;
  manager->on_now_playing([&](std::uint64_t, const musicbot::queue::track& t) {
    EXPECT_EQ(t.title, "Death of Me");
    ++starts;
  });
  ASSERT_TRUE(run_until(ioc, [&] { return starts >= 2; })) << "loop track did not replay";
}

TEST_F(MusicSessions, BadInputIsRefusedWithClearErrors) {
  EXPECT_EQ(play("").first, error::invalid_query);
  EXPECT_EQ(play("http://127.0.0.1/admin").first, error::invalid_query);
  EXPECT_EQ(play("evilsearch:x").first, error::invalid_query);
  EXPECT_EQ(play("ytsearch:no such track anywhere").first, error::no_results);

  std::optional<error_code> r;
  manager->async_skip(guild, [&](error_code ec, std::optional<musicbot::queue::track>) { r = ec; });
  ASSERT_TRUE(run_until(ioc, [&] { return r.has_value(); }));
  EXPECT_EQ(*r, error::nothing_playing);

  ASSERT_FALSE(play("Riptide").first);
  r.reset();
  manager->async_set_volume(guild, 300, [&](error_code ec) { r = ec; });
  ASSERT_TRUE(run_until(ioc, [&] { return r.has_value(); }));
  EXPECT_EQ(*r, error::invalid_value);
  r.reset();
  manager->async_remove(guild, 5, [&](error_code ec, musicbot::queue::track) { r = ec; });
  ASSERT_TRUE(run_until(ioc, [&] { return r.has_value(); }));
  EXPECT_EQ(*r, error::out_of_range);
  r.reset();
  manager->async_seek(guild, 10h, [&](error_code ec) { r = ec; });
  ASSERT_TRUE(run_until(ioc, [&] { return r.has_value(); }));
  EXPECT_EQ(*r, error::out_of_range);
}

TEST_F(MusicSessions, SkipStopAndControls) {
  ASSERT_FALSE(play("Riptide").first);
  ASSERT_FALSE(play("Rita Ora").first);
  ASSERT_FALSE(play("Lukas Graham").first);

  std::optional<error_code> r;
  manager->async_move(guild, 1, 0, [&](error_code ec) { r = ec; });
  ASSERT_TRUE(run_until(ioc, [&] { return r.has_value(); }));
  ASSERT_FALSE(*r);

  std::optional<std::optional<musicbot::queue::track>> next;
  manager->async_skip(guild, [&](error_code ec, std::optional<musicbot::queue::track> t) {
    EXPECT_FALSE(ec);
    next = std::move(t);
  });
  ASSERT_TRUE(run_until(ioc, [&] { return next.has_value(); }));
  ASSERT_TRUE(next->has_value());
  EXPECT_NE((*next)->title.find("Lukas Graham"), std::string::npos) << "move(1, 0) should have put it first";

  r.reset();
  manager->async_pause(guild, true, [&](error_code ec) { r = ec; });
  ASSERT_TRUE(run_until(ioc, [&] { return r.has_value(); }));
  ASSERT_FALSE(*r);
  EXPECT_TRUE(manager->view(guild)->paused);
  ASSERT_TRUE(run_until(ioc, [&] {
    auto snap = pool->player(std::to_string(guild));
    return snap && snap->paused;
  }));

  r.reset();
  manager->async_stop(guild, [&](error_code ec) { r = ec; });
  ASSERT_TRUE(run_until(ioc, [&] { return r.has_value(); }));
  ASSERT_FALSE(*r);
  EXPECT_FALSE(manager->view(guild)->current);
  EXPECT_EQ(manager->view(guild)->queued, 1U);  // stop keeps the queue
}

TEST_F(MusicSessions, RestartRestoresQueueAndResumesPlayback) {
  ASSERT_FALSE(play("Cozy animal crossing").first);  // 70 min track: still playing
  ASSERT_FALSE(play("Riptide").first);
  ASSERT_TRUE(run_until(ioc, [&] {
    auto q = stored();
    return q && q->state.current && q->state.upcoming.size() == 1;
  }));

  // A new process: new manager, new store handle on the same file.
  manager.reset();
  db.reset();
  open_store();
  make_manager();
  std::optional<std::size_t> restored;
  manager->async_restore([&](error_code ec, std::size_t n) {
    EXPECT_FALSE(ec);
    restored = n;
  });
  ASSERT_TRUE(run_until(ioc, [&] { return restored.has_value(); }));
  EXPECT_EQ(*restored, 1U);
  const auto v = manager->view(guild);
  ASSERT_TRUE(v && v->current);
  EXPECT_NE(v->current->title.find("Cozy"), std::string::npos);
  EXPECT_EQ(v->queued, 1U);
  ASSERT_TRUE(run_until(ioc, [&] {
    auto snap = pool->player(std::to_string(guild));
    return snap && snap->track && snap->track->info.title.find("Cozy") != std::string::npos;
  })) << "playback did not resume on the node";
}

TEST_F(MusicSessions, PlayProducesASpanTreeWithOutboundCalls) {
  const musicbot::trace::tracer tracer(musicbot::trace::tracer_options{}, spans);
  auto root = tracer.start_span("command /play", {}, musicbot::trace::span_kind::server);
  {
    const musicbot::trace::context_scope scope(root.context());
    std::optional<error_code> r;
    manager->async_play(guild, user, "Riptide", [&](error_code ec, play_outcome) { r = ec; });
    ASSERT_TRUE(run_until(ioc, [&] { return r.has_value(); }));
    ASSERT_FALSE(*r);
  }
  root.end();
  std::vector<musicbot::trace::span_data> got;
  ASSERT_TRUE(run_until(ioc, [&] {
    for (auto& s : spans->drain(64)) got.push_back(std::move(s));
    return got.size() >= 5;  // root, music.play, load_tracks, update_player, replace_queue
  }));
  auto find = [&](std::string_view name) -> const musicbot::trace::span_data* {
    for (const auto& s : got) {
      if (s.name == name) return &s;
    }
    return nullptr;
  };
  const auto* play = find("music.play");
  ASSERT_NE(play, nullptr);
  EXPECT_EQ(play->parent, root.context().span);
  EXPECT_EQ(play->context.trace, root.context().trace);
  for (const char* child : {"lavalink.load_tracks", "lavalink.update_player", "store.replace_queue"}) {
    const auto* c = find(child);
    ASSERT_NE(c, nullptr) << child;
    EXPECT_EQ(c->parent, play->context.span) << child;
    EXPECT_EQ(c->kind, musicbot::trace::span_kind::client);
    bool has_outcome = false;
    for (const auto& a : c->attributes) has_outcome |= a.key == "outcome" && std::get<std::string>(a.value) == "ok";
    EXPECT_TRUE(has_outcome) << child;
  }
}

TEST_F(MusicSessions, IdleSessionIsPersistedAndDropped) {
  manager.reset();
  auto so = manager_options();
  so.idle_disconnect = 300ms;  // keeps the test short
  manager = std::make_unique<musicbot::music::session_manager>(ioc.get_executor(), *pool, *db, so);
  ASSERT_FALSE(play("Cozy animal crossing").first);
  std::optional<error_code> r;
  manager->async_pause(guild, true, [&](error_code ec) { r = ec; });
  ASSERT_TRUE(run_until(ioc, [&] { return r.has_value(); }));
  bool idle = false;
  manager->on_idle([&](std::uint64_t g) { idle = g == guild; });
  ASSERT_TRUE(run_until(ioc, [&] { return idle; }, 6s));
  EXPECT_EQ(manager->session_count(), 0U);
  ASSERT_TRUE(run_until(ioc, [&] {
    auto q = stored();
    return q.has_value();
  }));
}

}  // namespace
