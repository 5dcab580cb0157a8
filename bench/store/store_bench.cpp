// Replace-queue transactions per second.
//
// SQLite (file, WAL): musicbot::store::sqlite_store vs a raw sqlite3
// single-row UPDATE transaction on the same file with the same pragmas
// (the cheapest possible durable write: the baseline).
//
// PostgreSQL (loopback): musicbot::store::postgres_store against the server
// named by MUSICBOT_BENCH_PG_DSN, or a private cluster started here. The
// reference figure is pgbench's simple-update (-N) TPS on the same server
// in the same run: bench/store/run_pgbench.sh runs both and prints the ratio.
#include <musicbot/store/postgres_store.hpp>
#include <musicbot/store/sqlite_store.hpp>

#include <musicbot_test/process.hpp>
#include <postgres_server.hpp>

#include <benchmark/benchmark.h>
#include <boost/asio/io_context.hpp>
#include <sqlite3.h>

#include <cstdlib>
#include <memory>
#include <string>

namespace {

namespace asio = boost::asio;
namespace mq = musicbot::queue;
namespace ms = musicbot::store;

mq::queue_state make_state(std::size_t tracks, std::uint64_t k) {
  mq::queue_state s;
  for (std::size_t i = 0; i <= tracks; ++i) {
    mq::track t;
    t.encoded = "QAAAjQIAJVJpY2sgQXN0bGV5IC0gTmV2ZXIgR29ubmEgR2l2ZSBZb3UgVXAADlJpY2tBc3RsZXlWRVZPAAAAAAADPCAAC2RRdzR3OVdnWGNRAAEAK2h0dHBzOi8vd3d3LnlvdXR1YmUuY29tL3dhdGNoP3Y9ZFF3NHc5V2dYY1EAB3lvdXR1YmUAAAAAAAAAAA==";
    t.identifier = "dQw4w9WgXcQ";
    t.title = "Track " + std::to_string(k) + "/" + std::to_string(i);
    t.author = "Rick Astley";
    t.length = std::chrono::milliseconds(212'000);
    t.uri = "https://www.youtube.com/watch?v=dQw4w9WgXcQ";
    t.source = "youtube";
    t.requester_id = 175928847299117063ULL;
    if (i == 0) {
      s.current = t;
    } else {
      s.upcoming.push_back(std::move(t));
    }
  }
  s.position = std::chrono::milliseconds(k);
  return s;
}

// Closed-loop clients, like pgbench's: `concurrency` guilds each keep one
// replace in flight and issue the next as soon as one completes. Each
// benchmark iteration waits for one completion.
class replace_driver {
 public:
  replace_driver(asio::io_context& io, ms::database& db, std::size_t tracks, int concurrency)
      : io_(io), db_(db), tracks_(tracks) {
    for (int g = 0; g < concurrency; ++g) issue(static_cast<std::uint64_t>(g + 1));
  }
  // Runs until one more replace completed; false on error or timeout.
  bool next() {
    const auto target = completed_ + 1;
    io_.restart();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (completed_ < target && failed_ == 0 && std::chrono::steady_clock::now() < deadline) {
      io_.run_one_for(std::chrono::seconds(1));
    }
    return completed_ >= target && failed_ == 0;
  }
  // Stops issuing and waits (bounded) for the replaces still in flight.
  void drain() {
    stopping_ = true;
    io_.restart();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (in_flight_ > 0 && std::chrono::steady_clock::now() < deadline) io_.run_one_for(std::chrono::seconds(1));
  }

 private:
  void issue(std::uint64_t guild) {
    ++in_flight_;
    db_.async_replace_queue(guild, make_state(tracks_, ++k_), [this, guild](boost::system::error_code ec, std::uint64_t) {
      --in_flight_;
      ++completed_;
      if (ec) ++failed_;
      if (!stopping_) issue(guild);
    });
  }

  asio::io_context& io_;
  ms::database& db_;
  std::size_t tracks_;
  std::uint64_t k_ = 0;
  std::uint64_t completed_ = 0;
  int failed_ = 0;
  int in_flight_ = 0;
  bool stopping_ = false;
};

void run_replaces(benchmark::State& state, asio::io_context& io, ms::database& db, std::size_t tracks,
                  int concurrency) {
  replace_driver driver(io, db, tracks, concurrency);
  for (auto _ : state) {
    if (!driver.next()) {
      state.SkipWithError("replace failed or timed out");
      break;
    }
  }
  driver.drain();
  state.SetItemsProcessed(state.iterations());
}

// ---- SQLite ------------------------------------------------------------------

void BM_sqlite_replace_queue(benchmark::State& state) {
  const auto tracks = static_cast<std::size_t>(state.range(0));
  const bool full = state.range(1) != 0;
  musicbot_test::temp_dir dir("musicbot-bench-sqlite");
  asio::io_context io;
  ms::sqlite_config config;
  config.path = dir.path() + "/bench.db";
  config.synchronous_full = full;
  ms::sqlite_store db(io.get_executor(), config);
  bool started = false;
  db.async_start([&](boost::system::error_code ec) { started = !ec; });
  io.run();
  if (!started) {
    state.SkipWithError("sqlite start failed");
    return;
  }
  run_replaces(state, io, db, tracks, 1);
  state.SetLabel(full ? "synchronous=FULL" : "synchronous=NORMAL");
}
BENCHMARK(BM_sqlite_replace_queue)->Args({10, 0})->Args({100, 0})->Args({10, 1})->Args({100, 1})->UseRealTime();

// Baseline: one-row UPDATE transaction on the same kind of file, same pragmas.
void BM_sqlite_baseline_simple_update(benchmark::State& state) {
  const bool full = state.range(0) != 0;
  musicbot_test::temp_dir dir("musicbot-bench-sqlite-base");
  sqlite3* db = nullptr;
  sqlite3_open((dir.path() + "/base.db").c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
  sqlite3_exec(db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
  sqlite3_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO t VALUES (1, 0)", nullptr, nullptr,
               nullptr);
  sqlite3_stmt* update = nullptr;
  sqlite3_prepare_v2(db, "UPDATE t SET v = v + 1 WHERE id = 1", -1, &update, nullptr);
  for (auto _ : state) {
    sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    sqlite3_step(update);
    sqlite3_reset(update);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  sqlite3_finalize(update);
  sqlite3_close(db);
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(full ? "synchronous=FULL" : "synchronous=NORMAL");
}
BENCHMARK(BM_sqlite_baseline_simple_update)->Arg(0)->Arg(1)->UseRealTime();

// ---- PostgreSQL ----------------------------------------------------------------

std::string postgres_dsn() {
  if (const char* dsn = std::getenv("MUSICBOT_BENCH_PG_DSN")) return dsn;
  static std::unique_ptr<musicbot_test::postgres_server> server = [] {
    std::unique_ptr<musicbot_test::postgres_server> s;
    if (!musicbot_test::postgres_server::available()) return s;
    musicbot_test::postgres_server_options options;
    options.settings.clear();  // PostgreSQL defaults: fsync and synchronous_commit on
    try {
      s = std::make_unique<musicbot_test::postgres_server>(options);
    } catch (const std::exception&) {
    }
    return s;
  }();
  return server ? server->dsn() : std::string();
}

void BM_postgres_replace_queue(benchmark::State& state) {
  const auto tracks = static_cast<std::size_t>(state.range(0));
  const auto concurrency = static_cast<int>(state.range(1));
  const std::string dsn = postgres_dsn();
  if (dsn.empty()) {
    state.SkipWithError("no PostgreSQL server (set MUSICBOT_BENCH_PG_DSN or install PostgreSQL)");
    return;
  }
  asio::io_context io;
  ms::postgres_config config;
  config.dsn = musicbot::core::secret(dsn);
  config.pool_min = static_cast<std::size_t>(concurrency);
  config.pool_max = static_cast<std::size_t>(concurrency);
  ms::postgres_store db(io.get_executor(), config);
  bool started = false;
  db.async_start([&](boost::system::error_code ec) { started = !ec; });
  io.run();
  if (!started) {
    state.SkipWithError("postgres start failed");
    return;
  }
  run_replaces(state, io, db, tracks, concurrency);
}
BENCHMARK(BM_postgres_replace_queue)->Args({10, 1})->Args({100, 1})->Args({10, 4})->Args({100, 4})->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
