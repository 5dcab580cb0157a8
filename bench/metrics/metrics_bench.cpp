// musicbot_bench_metrics: the metrics hot path against plain atomics, and
// exposition of 10,000 series against a naive ostringstream rendering.

#include <musicbot/metrics/registry.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace m = musicbot::metrics;

namespace {

// Baseline: what a counter increment cannot beat.
void BM_atomic_increment(benchmark::State& state) {
  static std::atomic<std::uint64_t> value{0};
  for (auto _ : state) {
    value.fetch_add(1, std::memory_order_relaxed);
  }
  benchmark::DoNotOptimize(value.load());
}
BENCHMARK(BM_atomic_increment)->Threads(1)->Threads(2);

void BM_counter_inc(benchmark::State& state) {
  static m::registry reg;
  static const m::counter c = *reg.add_counter("bench_total", "B.", {"k"})->with({"v"});
  for (auto _ : state) {
    c.inc();
  }
  benchmark::DoNotOptimize(c.value());
}
BENCHMARK(BM_counter_inc)->Threads(1)->Threads(2);

// Baseline for observe: a relaxed atomic<double> add (the sum alone).
void BM_atomic_double_add(benchmark::State& state) {
  static std::atomic<double> value{0};
  double v = 0.001;
  for (auto _ : state) {
    value.fetch_add(v, std::memory_order_relaxed);
    v = v < 20 ? v * 1.5 : 0.001;
  }
  benchmark::DoNotOptimize(value.load());
}
BENCHMARK(BM_atomic_double_add);

// 12 buckets (the command latency buckets), values spread over all of them.
void BM_histogram_observe(benchmark::State& state) {
  m::registry reg;
  const auto h = *reg.add_histogram("bench_seconds", "B.", {}, {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
                                                                5, 10, 30})->with({});
  std::vector<double> values;
  for (int i = 0; i < 64; ++i) values.push_back(0.001 * (1 << (i % 16)));
  std::size_t i = 0;
  for (auto _ : state) {
    h.observe(values[i]);
    i = (i + 1) & 63U;
  }
  benchmark::DoNotOptimize(h.snapshot().count);
}
BENCHMARK(BM_histogram_observe);

// 10 families x 1,000 series: 5 counter and 5 gauge families.
void fill_10k(m::registry& reg) {
  for (int f = 0; f < 10; ++f) {
    const std::string name = "bench_family_" + std::to_string(f);
    if (f % 2 == 0) {
      auto fam = reg.add_counter(name + "_total", "A benchmark counter family.", {"command", "outcome"});
      for (int s = 0; s < 1000; ++s) fam->with({"command_" + std::to_string(s), "ok"})->inc(static_cast<std::uint64_t>(s));
    } else {
      auto fam = reg.add_gauge(name, "A benchmark gauge family.", {"node"});
      for (int s = 0; s < 1000; ++s) fam->with({"node_" + std::to_string(s)})->set(s * 0.5);
    }
  }
}

void BM_expose_10k_series(benchmark::State& state) {
  m::registry reg;
  fill_10k(reg);
  const auto format = state.range(0) == 0 ? m::exposition_format::prometheus_text : m::exposition_format::openmetrics;
  std::string out;
  for (auto _ : state) {
    out.clear();
    reg.render_to(format, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(out.size());
}
BENCHMARK(BM_expose_10k_series)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// Baseline: the same 10,000 lines written naively with an ostringstream.
void BM_expose_10k_ostringstream(benchmark::State& state) {
  struct row {
    std::string name;
    std::string labels;
    double value;
  };
  std::vector<row> rows;
  for (int f = 0; f < 10; ++f) {
    for (int s = 0; s < 1000; ++s) {
      rows.push_back({"bench_family_" + std::to_string(f), "command=\"command_" + std::to_string(s) + "\",outcome=\"ok\"",
                      s * 0.5});
    }
  }
  for (auto _ : state) {
    std::ostringstream out;
    for (const auto& r : rows) out << r.name << '{' << r.labels << "} " << r.value << '\n';
    benchmark::DoNotOptimize(out.str().size());
  }
}
BENCHMARK(BM_expose_10k_ostringstream)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
