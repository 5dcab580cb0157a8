// musicbot::queue::music_queue operations at 1,000 tracks, each next to a
// baseline doing the same work on a bare std::vector<track> (no limits, no
// validation), so the figures are ratios: the cost of the checks.
#include <musicbot/queue/music_queue.hpp>
#include <musicbot/queue/validation.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace {

using musicbot::queue::music_queue;
using musicbot::queue::queue_limits;
using musicbot::queue::track;

constexpr std::size_t n_tracks = 1000;

track make(std::size_t i) {
  track t;
  t.encoded = "QAAAjQIAJVJpY2sgQXN0bGV5IC0gTmV2ZXIgR29ubmEgR2l2ZSBZb3UgVXA" + std::to_string(i);
  t.title = "Track " + std::to_string(i);
  t.author = "Author";
  t.length = std::chrono::milliseconds(180'000);
  t.requester_id = 1000 + i % 10;
  return t;
}

const std::vector<track>& tracks() {
  static const std::vector<track> all = [] {
    std::vector<track> v;
    for (std::size_t i = 0; i < n_tracks; ++i) v.push_back(make(i));
    return v;
  }();
  return all;
}

queue_limits limits(bool dedup) {
  queue_limits l;
  l.max_length = n_tracks;
  l.max_per_user = 0;
  l.deduplicate = dedup;
  return l;
}

// Fill 1,000 tracks one by one.
void BM_queue_fill(benchmark::State& state) {
  const bool dedup = state.range(0) != 0;
  for (auto _ : state) {
    music_queue q(limits(dedup), 1);
    for (const auto& t : tracks()) benchmark::DoNotOptimize(q.add(t));
    benchmark::DoNotOptimize(q.size());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n_tracks));
}
BENCHMARK(BM_queue_fill)->Arg(0)->Arg(1);

void BM_baseline_vector_fill(benchmark::State& state) {
  for (auto _ : state) {
    std::vector<track> v;
    for (const auto& t : tracks()) v.push_back(t);
    benchmark::DoNotOptimize(v.size());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n_tracks));
}
BENCHMARK(BM_baseline_vector_fill);

music_queue full_queue() {
  music_queue q(limits(false), 1);
  (void)q.add_all(tracks());
  return q;
}

// Move a track from the back to the front and back again in a full queue.
void BM_queue_move(benchmark::State& state) {
  auto q = full_queue();
  for (auto _ : state) {
    benchmark::DoNotOptimize(q.move(n_tracks - 1, 0));
    benchmark::DoNotOptimize(q.move(0, n_tracks - 1));
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_queue_move);

void BM_baseline_vector_move(benchmark::State& state) {
  std::vector<track> v = tracks();
  for (auto _ : state) {
    std::rotate(v.begin(), v.end() - 1, v.end());
    std::rotate(v.begin(), v.begin() + 1, v.end());
    benchmark::DoNotOptimize(v.data());
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_baseline_vector_move);

// Remove from the middle and insert back.
void BM_queue_remove_insert(benchmark::State& state) {
  auto q = full_queue();
  for (auto _ : state) {
    auto t = q.remove(n_tracks / 2);
    benchmark::DoNotOptimize(q.insert(n_tracks / 2, std::move(t).value()));
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_queue_remove_insert);

void BM_baseline_vector_remove_insert(benchmark::State& state) {
  std::vector<track> v = tracks();
  const auto mid = static_cast<std::ptrdiff_t>(n_tracks / 2);
  for (auto _ : state) {
    track t = std::move(v[n_tracks / 2]);
    v.erase(v.begin() + mid);
    v.insert(v.begin() + mid, std::move(t));
    benchmark::DoNotOptimize(v.data());
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_baseline_vector_remove_insert);

void BM_queue_shuffle(benchmark::State& state) {
  auto q = full_queue();
  for (auto _ : state) {
    q.shuffle();
    benchmark::DoNotOptimize(q.upcoming().front());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n_tracks));
}
BENCHMARK(BM_queue_shuffle);

void BM_baseline_std_shuffle(benchmark::State& state) {
  std::vector<track> v = tracks();
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    std::shuffle(v.begin(), v.end(), rng);
    benchmark::DoNotOptimize(v.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n_tracks));
}
BENCHMARK(BM_baseline_std_shuffle);

// Play through the whole queue in loop-queue mode (advance = pop + push).
void BM_queue_advance_loop(benchmark::State& state) {
  auto q = full_queue();
  q.set_loop(musicbot::queue::loop_mode::queue);
  for (auto _ : state) benchmark::DoNotOptimize(q.advance());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_queue_advance_loop);

void BM_queue_page_and_duration(benchmark::State& state) {
  auto q = full_queue();
  for (auto _ : state) {
    benchmark::DoNotOptimize(q.page(50, 10));
    benchmark::DoNotOptimize(q.remaining_duration());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_queue_page_and_duration);

void BM_validate_track_url(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(musicbot::queue::validate_track_url("https://www.youtube.com/watch?v=dQw4w9WgXcQ"));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_validate_track_url);

void BM_clean_search_query(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(musicbot::queue::clean_search_query("  never gonna give you up \t rick astley "));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_clean_search_query);

}  // namespace

BENCHMARK_MAIN();
