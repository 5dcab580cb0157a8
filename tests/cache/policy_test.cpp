#include <musicbot/cache/policy.hpp>

#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

using musicbot::cache::eviction_policy;
using musicbot::cache::slot_policy;
using policy = slot_policy<std::uint64_t>;

std::vector<std::uint64_t> read_trace(const std::string& name) {
  const std::string path = std::string(MUSICBOT_TESTDATA_DIR) + "/cache_traces/" + name;
  std::vector<std::uint64_t> keys;
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return keys;
  char line[64];
  while (gzgets(f, line, sizeof line) != nullptr) {
    keys.push_back(static_cast<std::uint64_t>(std::strtoll(line, nullptr, 10)));
  }
  gzclose(f);
  return keys;
}

double hit_ratio(const std::vector<std::uint64_t>& keys, std::size_t size, eviction_policy kind) {
  policy p(size, kind);
  std::size_t hits = 0;
  for (const auto k : keys) {
    if (p.find(k) != policy::npos) {
      ++hits;
    } else {
      p.insert(k, [](policy::slot_type) {});
    }
    if (p.size() > size) return -1;
  }
  return 100.0 * static_cast<double>(hits) / static_cast<double>(keys.size());
}

TEST(CachePolicy, LruEvictsLeastRecentlyUsed) {
  policy p(3, eviction_policy::lru);
  std::vector<std::uint64_t> evicted;
  auto on_evict = [&](policy::slot_type s) { evicted.push_back(p.key_at(s)); };
  for (const std::uint64_t k : {1U, 2U, 3U}) p.insert(k, on_evict);
  EXPECT_NE(p.find(1), policy::npos);  // 2 is now the oldest
  p.insert(4, on_evict);
  ASSERT_EQ(evicted.size(), 1U);
  EXPECT_EQ(evicted[0], 2U);
  EXPECT_EQ(p.peek(2), policy::npos);
  EXPECT_EQ(p.size(), 3U);
}

TEST(CachePolicy, SlotsAreStableAndReusedAfterErase) {
  policy p(4, eviction_policy::tinylfu);
  const auto s1 = p.insert(10, [](policy::slot_type) { FAIL(); });
  EXPECT_EQ(p.find(10), s1);
  EXPECT_EQ(p.key_at(s1), 10U);
  EXPECT_EQ(p.erase(10), s1);
  EXPECT_EQ(p.erase(10), policy::npos);
  EXPECT_EQ(p.size(), 0U);
  const auto s2 = p.insert(11, [](policy::slot_type) { FAIL(); });
  EXPECT_LE(s2, 4U);
  p.clear();
  EXPECT_EQ(p.size(), 0U);
  EXPECT_EQ(p.find(11), policy::npos);
}

TEST(CachePolicy, NeverExceedsCapacityAndReportsEveryEviction) {
  for (const auto kind : {eviction_policy::lru, eviction_policy::tinylfu}) {
    policy p(50, kind);
    std::mt19937_64 rng(7);
    std::set<std::uint64_t> resident;
    for (int i = 0; i < 8000; ++i) {
      const std::uint64_t k = rng() % 400;
      if (p.find(k) != policy::npos) {
        ASSERT_TRUE(resident.count(k));
        continue;
      }
      ASSERT_FALSE(resident.count(k));
      if (i % 97 == 0 && !resident.empty()) {
        const auto victim = *resident.begin();
        ASSERT_NE(p.erase(victim), policy::npos);
        resident.erase(victim);
      }
      resident.insert(k);
      p.insert(k, [&](policy::slot_type s) { ASSERT_EQ(resident.erase(p.key_at(s)), 1U); });
      ASSERT_LE(p.size(), 50U);
      ASSERT_EQ(p.size(), resident.size());
    }
  }
}

TEST(CachePolicy, TinyLfuKeepsHotKeysThroughAScan) {
  policy p(100, eviction_policy::tinylfu);
  for (int round = 0; round < 20; ++round) {
    for (std::uint64_t k = 0; k < 50; ++k) {
      if (p.find(k) == policy::npos) p.insert(k, [](policy::slot_type) {});
    }
  }
  for (std::uint64_t k = 1000; k < 3000; ++k) {
    if (p.find(k) == policy::npos) p.insert(k, [](policy::slot_type) {});
  }
  int hot = 0;
  for (std::uint64_t k = 0; k < 50; ++k) hot += p.peek(k) != policy::npos ? 1 : 0;
  EXPECT_GE(hot, 45);  // LRU would keep none of them
}

TEST(CachePolicy, WindowGrowsOnRecencyAndShrinksOnFrequency) {
  constexpr std::size_t size = 300;
  policy p(size, eviction_policy::tinylfu);
  // Recency: a drifting working set, where the newest keys are the hot ones.
  std::mt19937_64 rng(1);
  std::exponential_distribution<double> age(1.0 / 60.0);
  for (std::uint64_t t = 0; t < 25000; ++t) {
    const auto k = t / 8 - std::min<std::uint64_t>(t / 8, static_cast<std::uint64_t>(age(rng)));
    if (p.find(k) == policy::npos) p.insert(k, [](policy::slot_type) {});
  }
  EXPECT_GE(p.window_capacity(), size / 2);
  // Hits only queue their shadow samples (the ring fills and then drops
  // them): a long run of hits leaves the window where it was, and the
  // misses after it still adapt it.
  const std::size_t window_before = p.window_capacity();
  std::vector<std::uint64_t> resident;
  for (std::uint64_t k = 0; k < 25000 / 8 + 1; ++k) {
    if (p.peek(k) != policy::npos) resident.push_back(k);
  }
  ASSERT_EQ(resident.size(), size);
  for (std::size_t i = 0; i < 100000; ++i) ASSERT_NE(p.find(resident[i % resident.size()]), policy::npos);
  EXPECT_EQ(p.window_capacity(), window_before);
  // Frequency: a loop slightly larger than the cache, where LRU gets nothing.
  for (std::uint64_t t = 0; t < 40000; ++t) {
    const std::uint64_t k = 10000000 + t % 360;
    if (p.find(k) == policy::npos) p.insert(k, [](policy::slot_type) {});
  }
  EXPECT_LE(p.window_capacity(), size / 5);
}

// The real trace and the bar of ../shared/testdata/cache_traces/README.md,
// one test per size.
struct web07_row {
  std::size_t size;
  double lru;
  double static_tinylfu;
};

class Web07HitRatio : public ::testing::TestWithParam<web07_row> {};

TEST_P(Web07HitRatio, MeetsTheBar) {
  static const auto keys = read_trace("web07.keys.gz");
  ASSERT_EQ(keys.size(), 76118U);
  const web07_row r = GetParam();
  const double lru = hit_ratio(keys, r.size, eviction_policy::lru);
  EXPECT_NEAR(lru, r.lru, 0.005);  // our LRU reproduces the reference
  const double ours = hit_ratio(keys, r.size, eviction_policy::tinylfu);
  EXPECT_GE(ours, std::max(r.lru, r.static_tinylfu) - 0.5);
}

INSTANTIATE_TEST_SUITE_P(CachePolicy, Web07HitRatio,
                         ::testing::Values(web07_row{500, 45.58, 46.80}, web07_row{1000, 50.41, 51.47},
                                           web07_row{2000, 55.50, 56.16}, web07_row{4000, 60.82, 60.43}),
                         [](const auto& param_info) { return "size" + std::to_string(param_info.param.size); });

}  // namespace
