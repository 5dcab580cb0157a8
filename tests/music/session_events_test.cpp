// The session event feed: order, position ticks, re-entrant subscription
// changes, the subscriber cap, and player moves on node loss.
#include "music_fixture.hpp"

#include <algorithm>

namespace {

using namespace music_test;
using musicbot::music::error;
using musicbot::music::session_event;
using musicbot::music::session_event_kind;
using kind = musicbot::music::session_event_kind;

// Real-time playback: nothing ends on its own while a test runs.
class MusicEvents : public MusicFixture {
 protected:
  MusicEvents() { time_scale = 1.0; }

  // Events other than position ticks, in delivery order.
  std::vector<session_event> without_ticks() const {
    std::vector<session_event> out;
    for (const auto& e : events) {
      if (e.kind != kind::position) out.push_back(e);
    }
    return out;
  }

  void record() {
    sub = manager->subscribe([this](const session_event& e) { events.push_back(e); });
    ASSERT_TRUE(sub.active());
  }

  std::vector<session_event> events;
  musicbot::music::subscription sub;
};

std::vector<kind> kinds(const std::vector<session_event>& events) {
  std::vector<kind> out;
  for (const auto& e : events) out.push_back(e.kind);
  return out;
}

TEST_F(MusicEvents, PlaySkipRemoveAreReportedInOrder) {
  record();
  ASSERT_FALSE(play("Cozy animal crossing").first);
  ASSERT_FALSE(play("Riptide").first);
  ASSERT_FALSE(play("Rita Ora").first);
  std::optional<std::optional<musicbot::queue::track>> next;
  manager->async_skip(guild, [&](error_code ec, std::optional<musicbot::queue::track> t) {
    EXPECT_FALSE(ec);
    next = std::move(t);
  });
  ASSERT_TRUE(run_until(ioc, [&] { return next.has_value(); }));
  EXPECT_FALSE(call([&](auto h) { manager->async_remove(guild, 0, std::move(h)); }));

  const auto got = without_ticks();
  const std::vector<kind> expected{kind::now_playing,  kind::queue_changed,  // play (started)
                                   kind::queue_changed,                      // play (queued)
                                   kind::queue_changed,                      // play (queued)
                                   kind::now_playing,  kind::queue_changed,  // skip
                                   kind::queue_changed};                     // remove
  ASSERT_EQ(kinds(got), expected);
  ASSERT_TRUE(got[0].track);
  EXPECT_NE(got[0].track->title.find("Cozy"), std::string::npos);
  ASSERT_TRUE(got[4].track);
  EXPECT_NE(got[4].track->title.find("Riptide"), std::string::npos);
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].guild_id, guild);
    if (i > 0) {
      EXPECT_GT(events[i].sequence, events[i - 1].sequence) << "sequence must increase";
    }
  }
  EXPECT_EQ(manager->view(guild)->queued, 0U);
}

TEST_F(MusicEvents, PositionTicksPauseAndResume) {
  record();
  ASSERT_FALSE(play("Cozy animal crossing").first);
  auto ticks = [&] {
    return std::count_if(events.begin(), events.end(), [](const session_event& e) { return e.kind == kind::position; });
  };
  ASSERT_TRUE(run_until(ioc, [&] { return ticks() >= 3; })) << "no position events from playerUpdate";
  std::chrono::milliseconds last{-1};
  for (const auto& e : events) {
    if (e.kind != kind::position) continue;
    EXPECT_GE(e.position, last) << "positions of a playing track go forward";
    last = e.position;
  }
  EXPECT_FALSE(call([&](auto h) { manager->async_pause(guild, true, std::move(h)); }));
  EXPECT_FALSE(call([&](auto h) { manager->async_pause(guild, false, std::move(h)); }));
  EXPECT_FALSE(call([&](auto h) { manager->async_stop(guild, std::move(h)); }));
  EXPECT_FALSE(call([&](auto h) { manager->async_leave(guild, std::move(h)); }));
  const auto got = without_ticks();
  const std::vector<kind> expected{kind::now_playing, kind::queue_changed, kind::paused,
                                   kind::resumed,     kind::stopped,       kind::session_ended};
  EXPECT_EQ(kinds(got), expected);
}

TEST_F(MusicEvents, HandlersMaySubscribeAndUnsubscribeDuringDispatch) {
  int self_removing = 0;
  int victim = 0;
  int late = 0;
  musicbot::music::subscription first;
  musicbot::music::subscription third;
  musicbot::music::subscription added;
  first = manager->subscribe([&](const session_event&) {
    ++self_removing;
    first.reset();  // unsubscribes itself while it runs
  });
  auto second = manager->subscribe([&](const session_event&) {
    third.reset();  // unsubscribes a later subscriber of the same dispatch
    if (!added) added = manager->subscribe([&](const session_event&) { ++late; });
  });
  third = manager->subscribe([&](const session_event&) { ++victim; });
  ASSERT_EQ(manager->subscriber_count(), 3U);

  ASSERT_FALSE(play("Cozy animal crossing").first);  // now_playing, queue_changed
  ASSERT_FALSE(play("Riptide").first);               // queue_changed
  EXPECT_EQ(self_removing, 1);
  EXPECT_EQ(victim, 0) << "removed during the dispatch: not called for it";
  EXPECT_FALSE(first.active());
  EXPECT_FALSE(third.active());
  EXPECT_TRUE(added.active());
  EXPECT_GE(late, 2) << "a subscriber added in a dispatch gets the following events";
  EXPECT_EQ(manager->subscriber_count(), 2U);
}

TEST_F(MusicEvents, EventsCausedByAHandlerArriveInOrderForEveryone) {
  ASSERT_FALSE(play("Cozy animal crossing").first);
  ASSERT_FALSE(play("Riptide").first);
  std::vector<std::uint64_t> first_seen;
  std::vector<std::uint64_t> second_seen;
  bool cleared = false;
  auto first = manager->subscribe([&](const session_event& e) {
    first_seen.push_back(e.sequence);
    if (e.kind == kind::queue_changed && !cleared) {
      cleared = true;
      // A synchronous use case from inside a dispatch emits another event.
      manager->async_clear(guild, [](error_code, std::size_t) {});
    }
  });
  auto second = manager->subscribe([&](const session_event& e) { second_seen.push_back(e.sequence); });
  ASSERT_FALSE(play("Rita Ora").first);  // queue_changed -> clear -> queue_changed
  ASSERT_TRUE(run_until(ioc, [&] { return cleared && second_seen.size() >= 2; }));
  EXPECT_EQ(first_seen, second_seen) << "both see the same events";
  EXPECT_TRUE(std::is_sorted(second_seen.begin(), second_seen.end()));
  EXPECT_EQ(std::adjacent_find(second_seen.begin(), second_seen.end()), second_seen.end());
  EXPECT_EQ(manager->view(guild)->queued, 0U);
}

TEST_F(MusicEvents, SubscriberCapAndLifetime) {
  manager.reset();
  musicbot::music::session_options so = manager_options();
  so.max_subscribers = 2;
  manager = std::make_unique<musicbot::music::session_manager>(ioc.get_executor(), *pool, *db, so);
  auto a = manager->subscribe([](const session_event&) {});
  auto b = manager->subscribe([](const session_event&) {});
  auto refused = manager->subscribe([](const session_event&) {});
  EXPECT_TRUE(a && b);
  EXPECT_FALSE(refused);
  EXPECT_EQ(refused.error(), error::too_many_subscribers);
  auto empty = manager->subscribe({});
  EXPECT_EQ(empty.error(), error::invalid_value);

  auto moved = std::move(a);
  EXPECT_FALSE(a.active());  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  EXPECT_TRUE(moved.active());
  moved.reset();
  EXPECT_EQ(manager->subscriber_count(), 1U);
  auto again = manager->subscribe([](const session_event&) {});
  EXPECT_TRUE(again.active());

  manager.reset();  // subscriptions outlive the manager harmlessly
  EXPECT_FALSE(again.active());
  again.reset();
  b = musicbot::music::subscription{};
}

TEST_F(MusicEvents, PlayerMovedWhenItsNodeDies) {
  add_fake_node("fake-2");
  musicbot::lavalink::node_stats busy;
  busy.players = 1000;  // new players go to fake-1 while it lives
  fakes[1]->set_stats(busy);
  auto& second = pool->add_node(node_options(1));
  ASSERT_TRUE(run_until(ioc, [&] { return second.available() && second.stats().has_value(); }));
  record();
  ASSERT_FALSE(play("Cozy animal crossing").first);
  ASSERT_EQ(manager->view(guild)->node, "fake-1");
  ASSERT_TRUE(run_until(ioc, [&] {
    return std::any_of(events.begin(), events.end(), [](const session_event& e) { return e.kind == kind::position; });
  }));

  fakes[0]->stop();
  const auto moved = [&]() -> const session_event* {
    for (const auto& e : events) {
      if (e.kind == kind::player_moved) return &e;
    }
    return nullptr;
  };
  ASSERT_TRUE(run_until(ioc, [&] { return moved() != nullptr; }, 5s)) << "no player_moved after the node died";
  EXPECT_EQ(moved()->node, "fake-2");
  EXPECT_EQ(moved()->guild_id, guild);
  EXPECT_EQ(manager->view(guild)->node, "fake-2");
  const auto n = std::count_if(events.begin(), events.end(), [](const session_event& e) { return e.kind == kind::player_moved; });
  EXPECT_EQ(n, 1) << "one move, reported once";
}

}  // namespace
