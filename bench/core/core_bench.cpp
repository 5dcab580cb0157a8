// musicbot_bench_core: every core component next to its baseline, so the
// figures are read as ratios (see docs/BENCHMARKS.md, section "core").
#include <musicbot/core/circuit_breaker.hpp>
#include <musicbot/core/keyed_rate_limiter.hpp>
#include <musicbot/core/ttl_map.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;

// The same pseudo-random key sequence for a component and its baseline.
std::vector<std::uint64_t> make_keys(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint64_t> keys(n);
  for (auto& k : keys) k = rng();
  return keys;
}

std::vector<std::uint64_t> shuffled(std::vector<std::uint64_t> keys, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::shuffle(keys.begin(), keys.end(), rng);
  return keys;
}

// ---- find hit ----------------------------------------------------------------

template <class Clock>
using u64_ttl_map = musicbot::core::ttl_map<std::uint64_t, std::uint64_t, std::hash<std::uint64_t>,
                                            std::equal_to<std::uint64_t>, Clock>;

// Random hits over n live entries, with the clock given as Clock.
template <class Clock>
void ttl_map_find_hits(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto keys = make_keys(n, 1);
  u64_ttl_map<Clock> map(n, 1h);
  for (const auto k : keys) map.insert_or_assign(k, k);
  const auto probe = shuffled(keys, 2);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(map.find(probe[i]));
    if (++i == probe.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

// The default clock (coarse_steady_clock): what the target names.
void BM_ttl_map_find_hit(benchmark::State& state) { ttl_map_find_hits<musicbot::core::coarse_steady_clock>(state); }
BENCHMARK(BM_ttl_map_find_hit)->Arg(1000000);

// steady_clock instead: a precise clock read (rdtsc behind a fence) per
// lookup serializes the pipeline, a tick-resolution read does not.
void BM_ttl_map_find_hit_precise(benchmark::State& state) { ttl_map_find_hits<musicbot::core::steady_clock>(state); }
BENCHMARK(BM_ttl_map_find_hit_precise)->Arg(1000000);

// A manual clock (an atomic load): the data structure alone.
void BM_ttl_map_find_hit_manual_clock(benchmark::State& state) {
  ttl_map_find_hits<musicbot::core::manual_clock>(state);
}
BENCHMARK(BM_ttl_map_find_hit_manual_clock)->Arg(1000000);

// A cached_clock (one relaxed atomic load per lookup; the owner refreshes
// it, here never during the measured loop).
void BM_ttl_map_find_hit_cached_clock(benchmark::State& state) {
  ttl_map_find_hits<musicbot::core::cached_clock>(state);
}
BENCHMARK(BM_ttl_map_find_hit_cached_clock)->Arg(1000000);

void BM_unordered_map_find_hit(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto keys = make_keys(n, 1);
  std::unordered_map<std::uint64_t, std::uint64_t> map;
  map.reserve(n);
  for (const auto k : keys) map.insert_or_assign(k, k);
  const auto probe = shuffled(keys, 2);
  std::size_t i = 0;
  for (auto _ : state) {
    auto it = map.find(probe[i]);
    benchmark::DoNotOptimize(it);
    if (++i == probe.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_unordered_map_find_hit)->Arg(1000000);

// ---- mixed 80 % find / 20 % insert at capacity ----------------------------------

// The textbook LRU cache: std::unordered_map into a std::list.
class list_lru {
 public:
  explicit list_lru(std::size_t capacity) : capacity_(capacity) { index_.reserve(capacity); }
  std::uint64_t* find(std::uint64_t key) {
    const auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->second;
  }
  void insert_or_assign(std::uint64_t key, std::uint64_t value) {
    const auto it = index_.find(key);
    if (it != index_.end()) {
      it->second->second = value;
      order_.splice(order_.begin(), order_, it->second);
      return;
    }
    if (index_.size() == capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
    order_.emplace_front(key, value);
    index_.emplace(key, order_.begin());
  }

 private:
  std::size_t capacity_;
  std::list<std::pair<std::uint64_t, std::uint64_t>> order_;
  std::unordered_map<std::uint64_t, std::list<std::pair<std::uint64_t, std::uint64_t>>::iterator> index_;
};

// Operations: 4 finds of recently inserted keys, then 1 insert of a new key.
template <class Map>
void run_mixed(benchmark::State& state, Map& map, std::size_t n) {
  const auto keys = make_keys(n * 4, 3);
  for (std::size_t k = 0; k < n; ++k) map.insert_or_assign(keys[k], k);
  std::mt19937_64 rng(4);
  std::vector<std::uint32_t> offsets(4096);
  for (auto& o : offsets) o = static_cast<std::uint32_t>(rng() % n);
  std::size_t next = n;  // next key to insert
  std::size_t op = 0;
  for (auto _ : state) {
    if (op % 5 == 4) {
      map.insert_or_assign(keys[next], next);
      if (++next == keys.size()) next = n;
    } else {
      // A key among the last n inserted (mostly hits; misses after wraparound).
      const std::size_t back = offsets[op & 4095U] + 1;
      const std::size_t idx = next >= back ? next - back : next + keys.size() - back;
      benchmark::DoNotOptimize(map.find(keys[idx]));
    }
    ++op;
  }
  state.SetItemsProcessed(state.iterations());
}

template <class Clock>
void ttl_map_mixed(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  u64_ttl_map<Clock> map(n, 1h);
  run_mixed(state, map, n);
}

void BM_ttl_map_mixed(benchmark::State& state) { ttl_map_mixed<musicbot::core::coarse_steady_clock>(state); }
BENCHMARK(BM_ttl_map_mixed)->Arg(100000);

void BM_ttl_map_mixed_precise(benchmark::State& state) { ttl_map_mixed<musicbot::core::steady_clock>(state); }
BENCHMARK(BM_ttl_map_mixed_precise)->Arg(100000);

void BM_ttl_map_mixed_cached_clock(benchmark::State& state) { ttl_map_mixed<musicbot::core::cached_clock>(state); }
BENCHMARK(BM_ttl_map_mixed_cached_clock)->Arg(100000);

void BM_list_lru_mixed(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  list_lru map(n);
  run_mixed(state, map, n);
}
BENCHMARK(BM_list_lru_mixed)->Arg(100000);

// ---- circuit breaker closed state vs one relaxed atomic increment ---------------------

void BM_atomic_increment(benchmark::State& state) {
  std::atomic<std::uint64_t> counter{0};
  for (auto _ : state) {
    benchmark::DoNotOptimize(counter.fetch_add(1, std::memory_order_relaxed));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_atomic_increment);

// The thread-safe breaker: acquire a permit and report a success with its duration.
void BM_breaker_closed_call(benchmark::State& state) {
  musicbot::core::concurrent_circuit_breaker<> breaker(musicbot::core::circuit_breaker_config{});
  for (auto _ : state) {
    auto permit = breaker.try_acquire();
    if (!permit) state.SkipWithError("breaker left the closed state");
    permit.success(std::chrono::microseconds(50));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_breaker_closed_call);

// Two threads sharing one breaker vs two threads sharing one atomic counter.
void BM_atomic_increment_shared(benchmark::State& state) {
  static std::atomic<std::uint64_t> counter{0};
  for (auto _ : state) {
    benchmark::DoNotOptimize(counter.fetch_add(1, std::memory_order_relaxed));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_atomic_increment_shared)->Threads(2)->UseRealTime();

void BM_breaker_closed_call_shared(benchmark::State& state) {
  static musicbot::core::concurrent_circuit_breaker<> breaker(musicbot::core::circuit_breaker_config{});
  for (auto _ : state) {
    auto permit = breaker.try_acquire();
    if (!permit) state.SkipWithError("breaker left the closed state");
    permit.success(std::chrono::microseconds(50));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_breaker_closed_call_shared)->Threads(2)->UseRealTime();

// The single-threaded breaker (exact count window) for comparison.
void BM_breaker_closed_call_single(benchmark::State& state) {
  musicbot::core::circuit_breaker<> breaker(musicbot::core::circuit_breaker_config{});
  for (auto _ : state) {
    auto permit = breaker.try_acquire();
    if (!permit) state.SkipWithError("breaker left the closed state");
    permit.success(std::chrono::microseconds(50));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_breaker_closed_call_single);

// ---- keyed rate limiter ---------------------------------------------------------------

std::vector<std::string> make_string_keys(std::size_t n) {
  std::vector<std::string> keys;
  keys.reserve(n);
  std::mt19937_64 rng(5);
  for (std::size_t i = 0; i < n; ++i) {
    keys.push_back(musicbot::core::rate_limit_key(rng() >> 1U, rng() >> 1U, "play"));
  }
  return keys;
}

// Baseline: ttl_map lookup of the same string keys (heterogeneous, string_view).
void BM_ttl_map_find_string(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto keys = make_string_keys(n);
  musicbot::core::ttl_map<std::string, std::uint64_t, musicbot::core::string_hash, std::equal_to<>> map(n, 1h);
  for (const auto& k : keys) map.insert_or_assign(k, std::uint64_t{1});
  std::mt19937_64 rng(6);
  std::vector<std::uint32_t> order(n);
  for (auto& o : order) o = static_cast<std::uint32_t>(rng() % n);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(map.find(std::string_view(keys[order[i]])));
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ttl_map_find_string)->Arg(100000);

// One decision per call over n tracked `guild:user:command` keys given as
// strings the caller keeps (rate_limit_key(), the pre-0.2 way).
template <class Clock>
void keyed_limiter_string_decisions(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto keys = make_string_keys(n);
  musicbot::core::keyed_rate_limiter<Clock> limiter(musicbot::core::rate_limit_config{1000000, 1s}, n);
  for (const auto& k : keys) (void)limiter.try_acquire(k);
  std::mt19937_64 rng(6);
  std::vector<std::uint32_t> order(n);
  for (auto& o : order) o = static_cast<std::uint32_t>(rng() % n);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(limiter.try_acquire(keys[order[i]]));
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

// One decision per call over n tracked (guild, user, "play") keys given as
// parts, as a bot calls it per command: try_acquire(guild, user, "play").
template <class Clock>
void keyed_limiter_decisions(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ids(n);
  std::mt19937_64 rng(5);
  for (auto& [guild, user] : ids) {
    guild = rng() >> 1U;
    user = rng() >> 1U;
  }
  musicbot::core::keyed_rate_limiter<Clock> limiter(musicbot::core::rate_limit_config{1000000, 1s}, n);
  for (const auto& [guild, user] : ids) (void)limiter.try_acquire(guild, user, "play");
  // Requests in random key order, read in sequence (like BM_ttl_map_find_hit's
  // probe keys): the ids of a request are at hand, as in a bot that just
  // parsed the interaction.
  std::mt19937_64 order_rng(6);
  std::shuffle(ids.begin(), ids.end(), order_rng);
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& [guild, user] = ids[i];
    benchmark::DoNotOptimize(limiter.try_acquire(guild, user, "play"));
    if (++i == n) i = 0;
  }
  if (limiter.stats().misses != n) state.SkipWithError("keys were dropped during the run");
  state.SetItemsProcessed(state.iterations());
}

// The default clock (coarse_steady_clock), keys as parts.
void BM_keyed_limiter_decision(benchmark::State& state) {
  keyed_limiter_decisions<musicbot::core::coarse_steady_clock>(state);
}
BENCHMARK(BM_keyed_limiter_decision)->Arg(100000);

// The same with a cached_clock.
void BM_keyed_limiter_decision_cached_clock(benchmark::State& state) {
  keyed_limiter_decisions<musicbot::core::cached_clock>(state);
}
BENCHMARK(BM_keyed_limiter_decision_cached_clock)->Arg(100000);

// The same with the precise steady_clock.
void BM_keyed_limiter_decision_precise(benchmark::State& state) {
  keyed_limiter_decisions<musicbot::core::steady_clock>(state);
}
BENCHMARK(BM_keyed_limiter_decision_precise)->Arg(100000);

// Keys as caller-kept `guild:user:command` strings (44 bytes: one heap copy
// per tracked key), default clock; compare with BM_ttl_map_find_string.
void BM_keyed_limiter_decision_string(benchmark::State& state) {
  keyed_limiter_string_decisions<musicbot::core::coarse_steady_clock>(state);
}
BENCHMARK(BM_keyed_limiter_decision_string)->Arg(100000);

}  // namespace

BENCHMARK_MAIN();
