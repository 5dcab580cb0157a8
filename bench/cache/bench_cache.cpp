// musicbot_bench_cache: the layered cache against its baselines.
//
// - BM_cache_l1_hit/<policy> vs BM_ttl_map_find_hit: the cost of an L1 hit
//   through the cache (policy bookkeeping, TTL check, stats) against a bare
//   core::ttl_map lookup of the same shared value. /0 LRU, /1 adaptive
//   W-TinyLFU (the default), /2 W-TinyLFU with the window fixed at 1 % (no
//   shadow caches: the difference is the cost of adapting).
// - BM_cache_get_or_load_hit: the same hit through the asynchronous API
//   (one post to the io_context per call).
// - BM_hit_ratio/<trace>/<policy>/<size>: replays a shared trace and reports
//   the hit ratio (percent) as the `hit_ratio` counter. web07 runs by
//   default; orm-busy (5M accesses) with --benchmark_filter=orm.
// - BM_cache_l2_hit: see bench_cache_redis.cpp (needs a redis-server).

#include "trace_reader.hpp"

#include <musicbot/cache/layered_cache.hpp>
#include <musicbot/core/ttl_map.hpp>

#include <benchmark/benchmark.h>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
constexpr std::size_t entries = 10000;

std::vector<std::uint64_t> hit_keys() {
  std::vector<std::uint64_t> keys(1U << 16U);
  std::mt19937_64 rng(42);
  for (auto& k : keys) k = rng() % entries;
  return keys;
}

void BM_ttl_map_find_hit(benchmark::State& state) {
  musicbot::core::ttl_map<std::uint64_t, std::shared_ptr<const std::string>> map(entries, std::chrono::hours(1));
  for (std::uint64_t k = 0; k < entries; ++k) map.insert_or_assign(k, std::make_shared<const std::string>("value"));
  const auto keys = hit_keys();
  std::size_t i = 0;
  for (auto _ : state) {
    auto* v = map.find(keys[i++ & (keys.size() - 1)]);
    std::shared_ptr<const std::string> copy = *v;  // what a caller keeps
    benchmark::DoNotOptimize(copy);
  }
}
BENCHMARK(BM_ttl_map_find_hit);

void BM_cache_l1_hit(benchmark::State& state) {
  boost::asio::io_context ioc;
  musicbot::cache::cache_options<std::uint64_t, std::string> options;
  options.max_entries = entries;
  options.policy = state.range(0) == 0 ? musicbot::cache::eviction_policy::lru
                                       : musicbot::cache::eviction_policy::tinylfu;
  if (state.range(0) == 2) options.policy_tuning.adaptive = false;  // the window stays at 1 %
  musicbot::cache::layered_cache<std::uint64_t, std::string> cache(ioc.get_executor(), options);
  musicbot::cache::entry_options opt;
  opt.ttl = std::chrono::hours(1);
  for (std::uint64_t k = 0; k < entries; ++k) cache.put(k, "value", opt);
  const auto keys = hit_keys();
  std::size_t i = 0;
  for (auto _ : state) {
    auto v = cache.find(keys[i++ & (keys.size() - 1)]);
    benchmark::DoNotOptimize(v);
  }
  state.SetLabel(state.range(0) == 0 ? "lru" : state.range(0) == 1 ? "tinylfu" : "tinylfu_static");
  if (cache.stats().l1_misses != 0) state.SkipWithError("unexpected L1 misses");
}
BENCHMARK(BM_cache_l1_hit)->Arg(0)->Arg(1)->Arg(2);

void BM_cache_get_or_load_hit(benchmark::State& state) {
  boost::asio::io_context ioc;
  musicbot::cache::cache_options<std::uint64_t, std::string> options;
  options.max_entries = entries;
  musicbot::cache::layered_cache<std::uint64_t, std::string> cache(ioc.get_executor(), options);
  musicbot::cache::entry_options opt;
  opt.ttl = std::chrono::hours(1);
  for (std::uint64_t k = 0; k < entries; ++k) cache.put(k, "value", opt);
  auto loader = [](const std::uint64_t&) -> boost::asio::awaitable<boost::system::result<std::string>> {
    co_return std::string("loaded");
  };
  const auto keys = hit_keys();
  std::size_t i = 0;
  for (auto _ : state) {
    cache.get_or_load(keys[i++ & (keys.size() - 1)], loader, opt,
                      [](boost::system::error_code, std::shared_ptr<const std::string> v) {
                        benchmark::DoNotOptimize(v);
                      });
    ioc.poll();
  }
  if (cache.stats().loads != 0) state.SkipWithError("unexpected loads");
}
BENCHMARK(BM_cache_get_or_load_hit);

const std::vector<std::uint64_t>& trace(const std::string& name) {
  static std::map<std::string, std::vector<std::uint64_t>> traces;
  auto& keys = traces[name];
  if (keys.empty()) {
    const std::string path = std::string(MUSICBOT_TESTDATA_DIR) + "/cache_traces/" + name + ".keys.gz";
    musicbot_bench::read_trace(path.c_str(), keys);
  }
  return keys;
}

void hit_ratio(benchmark::State& state, const std::string& name) {
  const auto& keys = trace(name);
  if (keys.empty()) {
    state.SkipWithError("trace not found");
    return;
  }
  const auto kind = state.range(0) == 0 ? musicbot::cache::eviction_policy::lru
                                        : musicbot::cache::eviction_policy::tinylfu;
  const auto size = static_cast<std::size_t>(state.range(1));
  double ratio = 0;
  for (auto _ : state) {
    musicbot::cache::slot_policy<std::uint64_t> policy(size, kind);
    std::uint64_t hits = 0;
    for (const auto k : keys) {
      if (policy.find(k) != policy.npos) {
        ++hits;
      } else {
        policy.insert(k, [](auto) {});
      }
    }
    ratio = 100.0 * static_cast<double>(hits) / static_cast<double>(keys.size());
  }
  state.counters["hit_ratio"] = ratio;
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(keys.size()));
  state.SetLabel(kind == musicbot::cache::eviction_policy::lru ? "lru" : "tinylfu");
}

void BM_hit_ratio_web07(benchmark::State& state) { hit_ratio(state, "web07"); }
BENCHMARK(BM_hit_ratio_web07)
    ->ArgsProduct({{0, 1}, {500, 1000, 2000, 4000}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

void BM_hit_ratio_orm_busy(benchmark::State& state) { hit_ratio(state, "orm-busy"); }
BENCHMARK(BM_hit_ratio_orm_busy)
    ->ArgsProduct({{0, 1}, {1000, 5000, 10000}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
