// Tracing cost: a disabled span against an empty (non-inlined) function call,
// and a recorded span (start + attribute + end into a discarding processor).
#include <musicbot/trace/tracer.hpp>

#include <benchmark/benchmark.h>

#include <memory>

namespace {

using namespace musicbot::trace;

struct discard final : span_processor {
  void on_end(span_data&& span) noexcept override { benchmark::DoNotOptimize(span.name.data()); }
};

[[gnu::noinline]] void empty_function(int* p) { benchmark::DoNotOptimize(p); }

void BM_empty_function(benchmark::State& state) {
  int x = 0;
  for (auto _ : state) empty_function(&x);
}
BENCHMARK(BM_empty_function);

[[gnu::noinline]] void traced_function(const tracer& t, int* p) {
  auto s = t.start_span("op");
  s.set_attribute("k", 1);
  benchmark::DoNotOptimize(p);
}

void BM_span_disabled(benchmark::State& state) {
  const tracer off;
  int x = 0;
  for (auto _ : state) traced_function(off, &x);
}
BENCHMARK(BM_span_disabled);

void BM_span_enabled(benchmark::State& state) {
  const tracer on(tracer_options{}, std::make_shared<discard>());
  int x = 0;
  for (auto _ : state) traced_function(on, &x);
}
BENCHMARK(BM_span_enabled);

void BM_traceparent_parse_format(benchmark::State& state) {
  for (auto _ : state) {
    auto ctx = parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    auto text = format_traceparent(*ctx);
    benchmark::DoNotOptimize(text.data());
  }
}
BENCHMARK(BM_traceparent_parse_format);

}  // namespace

BENCHMARK_MAIN();
