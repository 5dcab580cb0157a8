// BM_cache_l2_hit: a get_or_load answered by L2 (Redis on loopback) — an L1
// miss (LRU of one entry, two alternating keys), GET + PTTL pipelined,
// decode, L1 fill — against BM_redis_get, one bare GET with the same client.
// Both need redis-server (started on a free port); without it they skip.

#include <musicbot/cache/layered_cache.hpp>
#include <musicbot/cache/redis.hpp>

#include <benchmark/benchmark.h>
#include <boost/asio/io_context.hpp>
#include <redis_server.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

struct redis_env {
  std::unique_ptr<musicbot_test::redis_server> server;
  asio::io_context ioc;
  std::unique_ptr<musicbot::redis::client> client;
  std::string skip_reason;

  redis_env() {
    if (!musicbot_test::redis_server::available()) {
      skip_reason = "redis-server not installed: BM_cache_l2_hit skipped";
      return;
    }
    try {
      server = std::make_unique<musicbot_test::redis_server>();
    } catch (const std::exception& e) {
      skip_reason = std::string("redis-server did not start: ") + e.what();
      return;
    }
    client = std::make_unique<musicbot::redis::client>(ioc.get_executor(),
                                                       musicbot::redis::parse_url(server->url()).value());
    client->start();
    if (!run([&] { return client->healthy(); })) skip_reason = "cannot connect to redis-server";
  }
  ~redis_env() {
    if (client) client->close();
    ioc.restart();
    ioc.poll();
  }
  template <class Pred>
  bool run(Pred done) {
    ioc.restart();
    for (int i = 0; i < 100000 && !done(); ++i) ioc.run_one_for(100ms);
    return done();
  }
};

redis_env& env() {
  static redis_env e;
  return e;
}

void BM_redis_get(benchmark::State& state) {
  auto& e = env();
  if (!e.skip_reason.empty()) {
    state.SkipWithError(e.skip_reason.c_str());
    return;
  }
  e.server->command({"SET", "bench:raw", "\"value\""});
  for (auto _ : state) {
    bool done = false;
    e.client->async_get("bench:raw", [&](boost::system::error_code, std::optional<std::string> v) {
      done = true;
      benchmark::DoNotOptimize(v);
    });
    if (!e.run([&] { return done; })) state.SkipWithError("GET did not complete");
  }
}
BENCHMARK(BM_redis_get)->UseRealTime();

void BM_cache_l2_hit(benchmark::State& state) {
  auto& e = env();
  if (!e.skip_reason.empty()) {
    state.SkipWithError(e.skip_reason.c_str());
    return;
  }
  musicbot::cache::cache_options<int, std::string> options;
  options.name = "bench";
  options.max_entries = 1;
  options.policy = musicbot::cache::eviction_policy::lru;
  options.l2 = std::make_shared<musicbot::cache::redis_l2_store>(*e.client);
  options.serializer = musicbot::cache::json_codec<int, std::string>();
  musicbot::cache::layered_cache<int, std::string> cache(e.ioc.get_executor(), options);
  e.server->command({"SET", "bench:1", "\"one\""});
  e.server->command({"SET", "bench:2", "\"two\""});
  auto loader = [](const int&) -> asio::awaitable<boost::system::result<std::string>> {
    co_return boost::system::error_code(musicbot::cache::error::not_found);
  };
  musicbot::cache::entry_options opt;
  opt.write_l2 = false;
  int key = 1;
  for (auto _ : state) {
    bool done = false;
    cache.get_or_load(key, loader, opt, [&](boost::system::error_code ec, auto v) {
      done = !ec && v;
      if (ec) done = true;
      benchmark::DoNotOptimize(v);
    });
    if (!e.run([&] { return done; })) state.SkipWithError("get_or_load did not complete");
    key = 3 - key;
  }
  if (cache.stats().loads != 0) state.SkipWithError("L2 missed: the loader ran");
  state.counters["l2_hits"] = static_cast<double>(cache.stats().l2_hits);
}
BENCHMARK(BM_cache_l2_hit)->UseRealTime();

}  // namespace
