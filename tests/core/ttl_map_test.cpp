#include <musicbot/core/concurrent_ttl_map.hpp>
#include <musicbot/core/ttl_map.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <vector>

namespace {

using namespace std::chrono_literals;
using musicbot::core::manual_clock;
using musicbot::core::removal_reason;
using musicbot::core::string_hash;

using int_map = musicbot::core::ttl_map<int, int, std::hash<int>, std::equal_to<int>, manual_clock>;
using string_map = musicbot::core::ttl_map<std::string, int, string_hash, std::equal_to<>, manual_clock>;

struct removal {
  int key;
  int value;
  removal_reason reason;
  bool operator==(const removal&) const = default;
};

TEST(TtlMap, RejectsInvalidConfiguration) {
  const manual_clock clock;
  EXPECT_THROW(int_map(0, 1s, clock), std::invalid_argument);
  EXPECT_THROW(int_map(10, 0s, clock), std::invalid_argument);
  EXPECT_THROW(int_map(10, -1s, clock), std::invalid_argument);
  EXPECT_THROW(int_map(int_map::max_capacity + 1, 1s, clock), std::invalid_argument);
  int_map map(10, 1s, clock);
  EXPECT_THROW(map.insert_or_assign(1, 1, 0s), std::invalid_argument);
  EXPECT_THROW(map.try_emplace_for(-1s, 1, 1), std::invalid_argument);
  EXPECT_TRUE(map.empty());
}

TEST(TtlMap, InsertFindEraseContains) {
  const manual_clock clock;
  int_map map(8, 10s, clock);
  auto [v, inserted] = map.insert_or_assign(1, 100);
  EXPECT_TRUE(inserted);
  EXPECT_EQ(*v, 100);
  auto [v2, inserted2] = map.insert_or_assign(1, 101);
  EXPECT_FALSE(inserted2);
  EXPECT_EQ(*v2, 101);
  ASSERT_NE(map.find(1), nullptr);
  EXPECT_EQ(*map.find(1), 101);
  EXPECT_EQ(map.find(2), nullptr);
  EXPECT_TRUE(map.contains(1));
  EXPECT_FALSE(map.contains(2));
  EXPECT_EQ(map.size(), 1U);
  EXPECT_EQ(map.capacity(), 8U);
  EXPECT_TRUE(map.erase(1));
  EXPECT_FALSE(map.erase(1));
  EXPECT_FALSE(map.contains(1));
  EXPECT_TRUE(map.empty());
}

TEST(TtlMap, TryEmplaceKeepsExistingValue) {
  const manual_clock clock;
  int_map map(8, 10s, clock);
  EXPECT_TRUE(map.try_emplace(1, 5).second);
  auto [v, inserted] = map.try_emplace(1, 6);
  EXPECT_FALSE(inserted);
  EXPECT_EQ(*v, 5);
}

TEST(TtlMap, EntriesExpireExactlyAtTheirTtl) {
  manual_clock clock;
  int_map map(8, 10s, clock);
  map.insert_or_assign(1, 1);
  map.insert_or_assign(2, 2, 20s);
  clock.advance(10s - 1ns);
  EXPECT_TRUE(map.contains(1));
  EXPECT_EQ(map.ttl_of(1), 1ns);
  clock.advance(1ns);
  EXPECT_FALSE(map.contains(1));
  EXPECT_EQ(map.peek(1), nullptr);
  EXPECT_EQ(map.ttl_of(1), std::nullopt);
  EXPECT_EQ(map.size(), 2U);  // peek/contains do not remove
  EXPECT_EQ(map.find(1), nullptr);
  EXPECT_EQ(map.size(), 1U);  // find removed it lazily
  EXPECT_EQ(map.stats().expirations, 1U);
  EXPECT_TRUE(map.contains(2));
  clock.advance(10s);
  EXPECT_FALSE(map.contains(2));
}

TEST(TtlMap, ReinsertingAnExpiredKeyStartsFresh) {
  manual_clock clock;
  int_map map(8, 10s, clock);
  map.insert_or_assign(1, 1);
  clock.advance(11s);
  auto [v, inserted] = map.try_emplace(1, 7);
  EXPECT_TRUE(inserted);
  EXPECT_EQ(*v, 7);
  EXPECT_EQ(map.ttl_of(1), 10s);
}

TEST(TtlMap, InsertOrAssignRestartsTtl) {
  manual_clock clock;
  int_map map(8, 10s, clock);
  map.insert_or_assign(1, 1);
  clock.advance(8s);
  map.insert_or_assign(1, 2);
  clock.advance(8s);
  ASSERT_NE(map.find(1), nullptr);
  EXPECT_EQ(*map.find(1), 2);
}

TEST(TtlMap, FindAndRefreshExtendsTtl) {
  manual_clock clock;
  int_map map(8, 10s, clock);
  map.insert_or_assign(1, 1);
  clock.advance(9s);
  ASSERT_NE(map.find_and_refresh(1, 5s), nullptr);
  EXPECT_EQ(map.ttl_of(1), 5s);
  clock.advance(5s);
  EXPECT_EQ(map.find_and_refresh(1, 5s), nullptr);
}

TEST(TtlMap, EvictsLeastRecentlyUsed) {
  const manual_clock clock;
  int_map map(3, 1h, clock);
  std::vector<removal> removed;
  map.set_removal_listener([&](const int& k, int& v, removal_reason r) { removed.push_back({k, v, r}); });
  map.insert_or_assign(1, 10);
  map.insert_or_assign(2, 20);
  map.insert_or_assign(3, 30);
  ASSERT_NE(map.find(1), nullptr);  // 2 is now least recently used
  map.insert_or_assign(4, 40);
  EXPECT_FALSE(map.contains(2));
  EXPECT_TRUE(map.contains(1));
  ASSERT_EQ(removed.size(), 1U);
  EXPECT_EQ(removed[0], (removal{2, 20, removal_reason::evicted}));
  // peek does not refresh: 3 is least recently used now.
  EXPECT_NE(map.peek(3), nullptr);
  map.insert_or_assign(5, 50);
  EXPECT_FALSE(map.contains(3));
  EXPECT_EQ(map.stats().evictions, 2U);
  EXPECT_EQ(map.size(), 3U);
}

TEST(TtlMap, FullMapDropsExpiredTailAsExpired) {
  manual_clock clock;
  int_map map(2, 10s, clock);
  std::vector<removal> removed;
  map.set_removal_listener([&](const int& k, int& v, removal_reason r) { removed.push_back({k, v, r}); });
  map.insert_or_assign(1, 1, 1s);
  map.insert_or_assign(2, 2);
  clock.advance(2s);
  map.insert_or_assign(3, 3);
  ASSERT_FALSE(removed.empty());
  EXPECT_EQ(removed[0], (removal{1, 1, removal_reason::expired}));
  EXPECT_EQ(map.stats().evictions, 0U);
  EXPECT_TRUE(map.contains(2));
  EXPECT_TRUE(map.contains(3));
}

TEST(TtlMap, ListenerSeesEveryReason) {
  manual_clock clock;
  int_map map(10, 10s, clock);
  std::vector<removal> removed;
  map.set_removal_listener([&](const int& k, int& v, removal_reason r) { removed.push_back({k, v, r}); });
  map.insert_or_assign(1, 1);
  map.insert_or_assign(1, 2);  // replaced (old value 1)
  map.erase(1);                // erased (value 2)
  map.insert_or_assign(3, 3, 1s);
  clock.advance(1s);
  EXPECT_EQ(map.find(3), nullptr);  // expired
  map.insert_or_assign(4, 4);
  map.clear();  // cleared
  const std::vector<removal> expected{{1, 1, removal_reason::replaced},
                                      {1, 2, removal_reason::erased},
                                      {3, 3, removal_reason::expired},
                                      {4, 4, removal_reason::cleared}};
  EXPECT_EQ(removed, expected);
  EXPECT_TRUE(map.empty());
}

TEST(TtlMap, StatsCountHitsAndMisses) {
  const manual_clock clock;
  int_map map(4, 10s, clock);
  map.insert_or_assign(1, 1);
  (void)map.find(1);
  (void)map.find(1);
  (void)map.find(2);
  (void)map.peek(2);  // not counted
  EXPECT_EQ(map.stats().hits, 2U);
  EXPECT_EQ(map.stats().misses, 1U);
  map.reset_stats();
  EXPECT_EQ(map.stats().hits, 0U);
}

TEST(TtlMap, HeterogeneousLookupWithStringView) {
  const manual_clock clock;
  string_map map(4, 10s, clock);
  map.insert_or_assign(std::string("guild:1"), 1);
  const std::string_view key = "guild:1";
  ASSERT_NE(map.find(key), nullptr);
  EXPECT_TRUE(map.contains(key));
  EXPECT_TRUE(map.contains("guild:1"));
  EXPECT_NE(map.peek(std::string_view("guild:1")), nullptr);
  EXPECT_FALSE(map.contains(std::string_view("guild:2")));
  EXPECT_TRUE(map.erase(key));
  EXPECT_TRUE(map.empty());
}

TEST(TtlMap, IterationVisitsOnlyLiveEntries) {
  manual_clock clock;
  int_map map(10, 10s, clock);
  for (int i = 0; i < 6; ++i) map.insert_or_assign(i, i * 10, i < 3 ? 1s : 1h);
  map.erase(4);
  clock.advance(1s);
  std::map<int, int> seen;
  for (const auto& [k, v] : map) seen[k] = v;
  const std::map<int, int> expected{{3, 30}, {5, 50}};
  EXPECT_EQ(seen, expected);
  for (auto& entry : map) entry.second += 1;
  EXPECT_EQ(*map.peek(3), 31);
  const int_map& cmap = map;
  EXPECT_EQ(std::distance(cmap.begin(), cmap.end()), 2);
}

TEST(TtlMap, PurgeExpiredRemovesAll) {
  manual_clock clock;
  int_map map(100, 10s, clock);
  for (int i = 0; i < 50; ++i) map.insert_or_assign(i, i, i % 2 == 0 ? 1s : 1h);
  clock.advance(1s);
  EXPECT_EQ(map.purge_expired(), 25U);
  EXPECT_EQ(map.size(), 25U);
  EXPECT_EQ(map.stats().expirations, 25U);
  EXPECT_EQ(map.purge_expired(), 0U);
}

TEST(TtlMap, WritesPurgeABoundedNumberOfExpiredEntries) {
  manual_clock clock;
  int_map map(1000, 1s, clock);
  for (int i = 0; i < 200; ++i) map.insert_or_assign(i, i);
  clock.advance(2s);
  map.reset_stats();
  map.insert_or_assign(1000, 0);
  EXPECT_GE(map.stats().expirations, 1U);
  EXPECT_LE(map.stats().expirations, int_map::purge_slots_per_write);
  // Enough writes sweep the whole map without ever calling purge_expired().
  for (int i = 0; i < 200; ++i) map.insert_or_assign(2000 + i, i, 1h);
  EXPECT_EQ(map.size(), 201U);
  EXPECT_EQ(map.stats().expirations, 200U);
}

TEST(TtlMap, ManyInsertsAndErasesKeepIndexConsistent) {
  const manual_clock clock;
  int_map map(500, 1h, clock);
  std::map<int, int> reference;
  unsigned seed = 12345;
  for (int step = 0; step < 20000; ++step) {
    seed = seed * 1103515245U + 12345U;
    const int key = static_cast<int>((seed >> 8U) % 700U);
    const unsigned op = (seed >> 20U) % 4U;
    if (op == 0) {
      map.erase(key);
      reference.erase(key);
    } else if (op == 1) {
      const int* v = map.peek(key);
      const auto it = reference.find(key);
      ASSERT_EQ(v != nullptr, it != reference.end()) << "key " << key;
      if (v) {
        ASSERT_EQ(*v, it->second);
      }
    } else if (reference.size() < 500 || reference.count(key) != 0) {
      map.insert_or_assign(key, step);
      reference[key] = step;
    }
  }
  EXPECT_EQ(map.size(), reference.size());
  for (const auto& [k, v] : reference) ASSERT_EQ(*map.peek(k), v);
}

TEST(TtlMap, MoveOnlyValuesAndStringKeys) {
  const manual_clock clock;
  musicbot::core::ttl_map<std::string, std::unique_ptr<int>, string_hash, std::equal_to<>, manual_clock> map(
      2, 1s, clock);
  map.try_emplace(std::string("a"), std::make_unique<int>(1));
  map.try_emplace(std::string("b"), std::make_unique<int>(2));
  map.try_emplace(std::string("c"), std::make_unique<int>(3));
  EXPECT_FALSE(map.contains("a"));
  ASSERT_NE(map.find("c"), nullptr);
  EXPECT_EQ(**map.find("c"), 3);
}

TEST(TtlMap, EvictionHandlesCapacityOne) {
  const manual_clock clock;
  int_map map(1, 1s, clock);
  for (int i = 0; i < 10; ++i) map.insert_or_assign(i, i);
  EXPECT_EQ(map.size(), 1U);
  EXPECT_TRUE(map.contains(9));
  EXPECT_EQ(map.stats().evictions, 9U);
}

TEST(ConcurrentTtlMap, BasicOperations) {
  manual_clock clock;
  musicbot::core::concurrent_ttl_map<int, int, std::hash<int>, std::equal_to<int>, manual_clock> map(64, 10s, 4,
                                                                                                      clock);
  EXPECT_EQ(map.shard_count(), 4U);
  EXPECT_EQ(map.capacity(), 64U);
  EXPECT_TRUE(map.insert_or_assign(1, 10));
  EXPECT_FALSE(map.insert_or_assign(1, 11));
  EXPECT_FALSE(map.try_emplace(1, 12));
  EXPECT_EQ(map.get(1), 11);
  EXPECT_TRUE(map.visit(1, [](int& v) { v += 1; }));
  EXPECT_EQ(map.get(1), 12);
  EXPECT_EQ(map.with_shard(1, [](auto& shard) { return shard.size(); }), 1U);
  EXPECT_TRUE(map.contains(1));
  map.insert_or_assign(2, 20, 1s);
  clock.advance(1s);
  EXPECT_FALSE(map.contains(2));
  EXPECT_EQ(map.purge_expired(), 1U);
  int count = 0;
  map.for_each([&](const int&, const int&) { ++count; });
  EXPECT_EQ(count, 1);
  EXPECT_TRUE(map.erase(1));
  EXPECT_EQ(map.size(), 0U);
  EXPECT_THROW((musicbot::core::concurrent_ttl_map<int, int>(2, 1s, 4)), std::invalid_argument);
}

TEST(ConcurrentTtlMap, ThreadsStayWithinCapacity) {
  const manual_clock clock;
  musicbot::core::concurrent_ttl_map<int, int, std::hash<int>, std::equal_to<int>, manual_clock> map(256, 1h, 8,
                                                                                                       clock);
  std::atomic<int> removed{0};
  map.set_removal_listener([&](const int&, int&, removal_reason) { removed.fetch_add(1); });
  constexpr int threads = 4;
  constexpr int per_thread = 5000;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&map, t] {
      for (int i = 0; i < per_thread; ++i) {
        const int key = t * per_thread + i;
        map.insert_or_assign(key, i);
        (void)map.get(key - 1);
        map.visit(key, [](int& v) { ++v; });
        if (i % 7 == 0) map.erase(key);
      }
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_LE(map.size(), map.capacity());
  const auto stats = map.stats();
  EXPECT_GT(stats.hits, 0U);
  EXPECT_EQ(static_cast<std::size_t>(removed.load()) + map.size(), std::size_t{threads * per_thread});
}

}  // namespace

namespace {

TEST(TtlMap, PointersStayValidAcrossInsertionsAndMoves) {
  const manual_clock clock;
  int_map map(1000, 1h, clock);
  int* first = map.insert_or_assign(1, 11).first;
  for (int i = 2; i < 900; ++i) map.insert_or_assign(i, i);
  EXPECT_EQ(map.find(1), first);
  int_map moved(std::move(map));
  EXPECT_EQ(moved.find(1), first);
  EXPECT_EQ(*first, 11);
  EXPECT_EQ(moved.size(), 899U);
  int_map other(4, 1s, clock);
  other.insert_or_assign(5000, 7);
  other = std::move(moved);
  EXPECT_EQ(other.find(1), first);
  EXPECT_FALSE(other.contains(5000));
  EXPECT_EQ(other.capacity(), 1000U);
}

TEST(TtlMap, FindAndRefreshAtCallerInstant) {
  manual_clock clock;
  int_map map(4, 10s, clock);
  map.insert_or_assign(1, 1);
  const auto later = clock.now() + 10s;  // the entry's expiry instant
  EXPECT_EQ(map.find_and_refresh(1, 5s, later - 1ns), map.peek(1));
  EXPECT_EQ(map.ttl_of(1), 15s - 1ns);  // expires 5 s after the given instant
  EXPECT_EQ(map.find_and_refresh(1, 5s, clock.now() + 15s), nullptr);
  EXPECT_EQ(map.stats().expirations, 1U);
}

TEST(TtlMap, DefaultClockIsCoarseAndWorks) {
  musicbot::core::ttl_map<int, int> map(4, std::chrono::hours(1));
  map.insert_or_assign(1, 2);
  ASSERT_NE(map.find(1), nullptr);
  EXPECT_EQ(*map.find(1), 2);
  static_assert(std::is_same_v<decltype(map)::clock_type, musicbot::core::coarse_steady_clock>);
}

TEST(TtlMap, CachedClockExpiresEntriesOnlyAfterARefresh) {
  musicbot::core::cached_clock clock;
  musicbot::core::ttl_map<int, int, std::hash<int>, std::equal_to<int>, musicbot::core::cached_clock> map(4, 1ns, clock);
  map.insert_or_assign(1, 2);
  const auto written = clock.now();
  // Let real (coarse) time move past the entry's 1 ns lifetime (bounded wait).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (musicbot::core::coarse_steady_clock{}.now() <= written && std::chrono::steady_clock::now() < deadline) {
  }
  EXPECT_NE(map.find(1), nullptr);  // the map still sees the time of the last refresh
  ASSERT_GT(clock.refresh(), written);
  EXPECT_EQ(map.find(1), nullptr);  // the refresh made it expire
  EXPECT_EQ(map.stats().expirations, 1U);
}

}  // namespace
