// Distributed limiter decisions vs plain INCR through the same client, at
// the same pipeline depth, on the same server; plus decision latency with
// 1,000 concurrent callers. Compare with `redis-benchmark -t incr -P N`
// (bench/redis/run_redis_bench.sh runs both).

// GCC 12 false positives with Boost.Asio coroutines at -O1 and above
// (see tests/redis/test_util.hpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif
#include <musicbot/redis/client.hpp>
#include <musicbot/redis/rate_limiter.hpp>

#include <benchmark/benchmark.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace redis = musicbot::redis;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

struct environment {
  asio::io_context io;
  std::unique_ptr<redis::client> client;
  std::unique_ptr<redis::distributed_rate_limiter> limiter;
};

environment* env = nullptr;

// Runs the io_context until `done` holds (bounded: 60 s).
template <class Pred>
bool run_until(Pred done) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    env->io.run_one_for(100ms);
  }
  return true;
}

void BM_redis_incr(benchmark::State& state, int depth) {
  int failures = 0;
  for (auto _ : state) {
    int left = depth;
    for (int i = 0; i < depth; ++i) {
      env->client->async_incr("musicbot:bench:incr", [&](boost::system::error_code ec, std::int64_t) {
        if (ec) ++failures;
        --left;
      });
    }
    if (!run_until([&] { return left == 0; })) {
      state.SkipWithError("Redis stopped answering");
      return;
    }
  }
  if (failures != 0) state.SkipWithError("INCR failed");
  state.SetItemsProcessed(state.iterations() * depth);
}

// `users` distinct users of one guild, one command: allowed decisions (the
// common case), each writing its key. users = 1 is the same key every time,
// as redis-benchmark's INCR does (decisions of one batch then share one
// read and one write in Redis).
void BM_redis_limiter_decisions(benchmark::State& state, int depth, std::uint64_t users) {
  int failures = 0;
  std::uint64_t user = 0;
  for (auto _ : state) {
    int left = depth;
    for (int i = 0; i < depth; ++i) {
      const redis::rate_limit_request req{42, user++ % users, "play"};
      env->limiter->async_decide(req, [&](boost::system::error_code ec, musicbot::core::rate_limit_decision) {
        if (ec) ++failures;
        --left;
      });
    }
    if (!run_until([&] { return left == 0; })) {
      state.SkipWithError("Redis stopped answering");
      return;
    }
  }
  if (failures != 0 || env->limiter->stats().fallback_allowed + env->limiter->stats().fallback_denied != 0)
    state.SkipWithError("decisions fell back to the local limiter");
  state.SetItemsProcessed(state.iterations() * depth);
}

// 1,000 callers, each deciding every `period` (open loop, like users of a
// busy bot): latency from call to decision. Baseline in the same run: how
// late the callers' own timers fire (`timer_late_*`), i.e. how long this
// process waits for a CPU with no Redis involved. In open loop a stall of
// the process delays every decision due during it, so the p99 of both
// measures the fraction of time the process is not running.
void BM_redis_limiter_latency(benchmark::State& state) {
  const auto callers = static_cast<int>(state.range(0));
  const auto period = std::chrono::milliseconds(state.range(1));
  constexpr int rounds = 20;
  std::vector<double> latencies_us;
  std::vector<double> late_us;
  latencies_us.reserve(static_cast<std::size_t>(callers * rounds) * 4);
  late_us.reserve(static_cast<std::size_t>(callers * rounds) * 4);
  for (auto _ : state) {
    int finished = 0;
    for (int c = 0; c < callers; ++c) {
      asio::co_spawn(env->io, [&, c]() -> asio::awaitable<void> {
        asio::steady_timer timer(env->io);
        // Spread the first calls over one period.
        timer.expires_after(period * c / callers);
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        for (int r = 0; r < rounds; ++r) {
          const auto start = std::chrono::steady_clock::now();
          const redis::rate_limit_request req{7, static_cast<std::uint64_t>(c), "play"};
          co_await env->limiter->async_decide(req, asio::as_tuple(asio::use_awaitable));
          const auto took = std::chrono::steady_clock::now() - start;
          latencies_us.push_back(std::chrono::duration<double, std::micro>(took).count());
          timer.expires_at(timer.expiry() + period);
          co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
          late_us.push_back(
              std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - timer.expiry()).count());
        }
        ++finished;
      }, asio::detached);
    }
    if (!run_until([&] { return finished == callers; })) {
      state.SkipWithError("Redis stopped answering");
      return;
    }
  }
  const auto at = [](std::vector<double>& v, double q) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
  };
  state.counters["p50_us"] = at(latencies_us, 0.50);
  state.counters["p99_us"] = at(latencies_us, 0.99);
  state.counters["max_us"] = latencies_us.back();
  state.counters["timer_late_p50_us"] = at(late_us, 0.50);
  state.counters["timer_late_p99_us"] = at(late_us, 0.99);
  state.counters["decisions_per_s"] =
      benchmark::Counter(static_cast<double>(latencies_us.size()), benchmark::Counter::kIsRate);
}

// The same with no pause between a caller's decisions (closed loop): the
// server's throughput then sets the latency (Little's law: N / throughput).
void BM_redis_limiter_latency_closed_loop(benchmark::State& state) {
  const auto callers = static_cast<int>(state.range(0));
  constexpr int rounds = 20;
  std::vector<double> latencies_us;
  for (auto _ : state) {
    int finished = 0;
    for (int c = 0; c < callers; ++c) {
      asio::co_spawn(env->io, [&, c]() -> asio::awaitable<void> {
        for (int r = 0; r < rounds; ++r) {
          const auto start = std::chrono::steady_clock::now();
          const redis::rate_limit_request req{8, static_cast<std::uint64_t>(c), "play"};
          co_await env->limiter->async_decide(req, asio::as_tuple(asio::use_awaitable));
          latencies_us.push_back(
              std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
        }
        ++finished;
      }, asio::detached);
    }
    if (!run_until([&] { return finished == callers; })) {
      state.SkipWithError("Redis stopped answering");
      return;
    }
  }
  std::sort(latencies_us.begin(), latencies_us.end());
  state.counters["p50_us"] = latencies_us[latencies_us.size() / 2];
  state.counters["p99_us"] = latencies_us[latencies_us.size() * 99 / 100];
  state.counters["decisions_per_s"] =
      benchmark::Counter(static_cast<double>(latencies_us.size()), benchmark::Counter::kIsRate);
}

void register_benchmarks() {
  for (const int depth : {1, 16, 64}) {
    const auto suffix = "/pipeline:" + std::to_string(depth);
    benchmark::RegisterBenchmark(("BM_redis_limiter_decisions" + suffix).c_str(),
                                 [depth](benchmark::State& s) { BM_redis_limiter_decisions(s, depth, 10000); })
        ->UseRealTime();
    benchmark::RegisterBenchmark(("BM_redis_limiter_decisions_one_key" + suffix).c_str(),
                                 [depth](benchmark::State& s) { BM_redis_limiter_decisions(s, depth, 1); })
        ->UseRealTime();
    benchmark::RegisterBenchmark(("BM_redis_incr" + suffix).c_str(),
                                 [depth](benchmark::State& s) { BM_redis_incr(s, depth); })
        ->UseRealTime();
  }
  benchmark::RegisterBenchmark("BM_redis_limiter_latency/callers:1000/period_ms:100", BM_redis_limiter_latency)
      ->Args({1000, 100})
      ->Iterations(1)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_redis_limiter_latency_closed_loop/callers:1000",
                               BM_redis_limiter_latency_closed_loop)
      ->Arg(1000)
      ->Iterations(1)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  const char* from_env = std::getenv("MUSICBOT_REDIS_URL");
  const std::string url = from_env != nullptr && *from_env != '\0' ? from_env : "redis://127.0.0.1:6379";
  auto cfg = redis::parse_url(url);
  if (!cfg) {
    std::fprintf(stderr, "musicbot_bench_redis: bad MUSICBOT_REDIS_URL: %s\n", cfg.error().message().c_str());
    return 1;
  }
  cfg->connect_timeout = 1000ms;
  cfg->command_timeout = 5000ms;  // a loaded, noisy machine: never time out a benchmark
  environment e;
  env = &e;
  e.client = std::make_unique<redis::client>(e.io.get_executor(), *cfg);
  boost::system::error_code connect_error = asio::error::would_block;
  e.client->async_connect([&](boost::system::error_code ec) { connect_error = ec; });
  run_until([&] { return connect_error != asio::error::would_block; });
  if (connect_error) {
    std::printf("musicbot_bench_redis: skipped, no Redis answers at %s (%s); set MUSICBOT_REDIS_URL or run "
                "bench/redis/run_redis_bench.sh\n",
                redis::redacted_url(*cfg).c_str(), connect_error.message().c_str());
    return 0;
  }
  redis::distributed_rate_limiter_config lcfg;
  lcfg.prefix = "musicbot:bench:rl";
  lcfg.per_user = musicbot::core::rate_limit_config{1000000, std::chrono::seconds(1)};
  lcfg.timeout = 5000ms;
  e.limiter = std::make_unique<redis::distributed_rate_limiter>(*e.client, lcfg);

  register_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  e.limiter.reset();
  e.client->close();
  return 0;
}
