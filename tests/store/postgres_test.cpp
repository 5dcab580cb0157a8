// The store suite on the PostgreSQL backend against a real server (a private
// initdb cluster on a free loopback port), plus pool behaviour: restart
// under load, connect failures, bounded pool.
#include "store_suite.hpp"

#include <musicbot/store/postgres_store.hpp>

#include <musicbot_test/process.hpp>
#include <postgres_server.hpp>

#include <boost/asio/executor_work_guard.hpp>

#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <atomic>
#include <csignal>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

namespace {

namespace ms = musicbot::store;
namespace mq = musicbot::queue;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using store_suite::call;
using store_suite::call_void;

// One server for the whole binary; each test resets the schema.
musicbot_test::postgres_server* server = nullptr;

class server_environment : public ::testing::Environment {
 public:
  void SetUp() override { server = new musicbot_test::postgres_server(); }
  void TearDown() override {
    delete server;
    server = nullptr;
  }
};

const auto* const registered = ::testing::AddGlobalTestEnvironment(new server_environment);

ms::postgres_config config_for(const store_suite::options& opts = {}) {
  ms::postgres_config config;
  config.dsn = musicbot::core::secret(server->dsn());
  config.pool_min = 1;
  config.pool_max = 4;
  config.max_queue_tracks = opts.max_queue_tracks;
  config.retention = opts.retention;
  config.clock = opts.clock;
  config.max_tokens_per_guild = opts.max_tokens_per_guild;
  return config;
}

class postgres_backend {
 public:
  static constexpr const char* name = "postgres";
  static constexpr const char* drop_v2_sql =
      "DROP TABLE api_tokens; DROP TABLE voice_channels; DROP FUNCTION musicbot_create_api_token; "
      "DELETE FROM schema_version WHERE version = 2;";

  std::unique_ptr<ms::database> make(asio::any_io_executor ex, const store_suite::options& opts) {
    return std::make_unique<ms::postgres_store>(std::move(ex), config_for(opts));
  }
  void exec_sql(const std::string& sql) { ASSERT_EQ(server->psql(sql), 0) << sql; }
  void reset() { server->reset_schema(); }
};

}  // namespace

namespace store_suite {
INSTANTIATE_TYPED_TEST_SUITE_P(Store, StoreSuite, ::testing::Types<postgres_backend>, backend_names);
}

namespace {

class PostgresStore : public ::testing::Test {
 protected:
  void SetUp() override { server->reset_schema(); }
  asio::io_context io_;
};

TEST_F(PostgresStore, ConnectFailureIsClearAndNeverLogsSecrets) {
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  auto logger = std::make_shared<spdlog::logger>("pg-test", sink);
  ms::postgres_config config;
  const std::uint16_t closed_port = musicbot_test::free_port();
  config.dsn = musicbot::core::secret("host=127.0.0.1 port=" + std::to_string(closed_port) +
                                      " user=postgres password=dsn-pass-1234 dbname=postgres");
  config.password = musicbot::core::secret("field-pass-5678");
  config.logger = logger;
  config.connect_timeout = 2s;
  ms::postgres_store db(io_.get_executor(), config);
  EXPECT_EQ(call_void(io_, [&](auto cb) { db.async_start(cb); }), ms::error::connection_failed);
  EXPECT_EQ((call<std::optional<ms::stored_queue>>(io_, [&](auto cb) { db.async_load_queue(1, cb); }).first),
            ms::error::not_started);
  logger->flush();
  EXPECT_NE(captured.str().find("connect failed"), std::string::npos) << captured.str();
  EXPECT_EQ(captured.str().find("dsn-pass-1234"), std::string::npos);
  EXPECT_EQ(captured.str().find("field-pass-5678"), std::string::npos);
}

TEST_F(PostgresStore, PoolStaysWithinMaximum) {
  auto config = config_for();
  config.pool_max = 2;
  ms::postgres_store db(io_.get_executor(), config);
  ASSERT_FALSE(call_void(io_, [&](auto cb) { db.async_start(cb); }));
  int done = 0;
  int failed = 0;
  std::size_t max_open = 0;
  for (int i = 0; i < 60; ++i) {
    mq::queue_state s;
    s.upcoming = {store_suite::make_track("p" + std::to_string(i))};
    db.async_replace_queue(static_cast<std::uint64_t>(i % 5), s, [&](boost::system::error_code ec, std::uint64_t) {
      ++done;
      if (ec) ++failed;
      max_open = std::max(max_open, db.stats().open);
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  io_.restart();
  while (done < 60 && std::chrono::steady_clock::now() < deadline) io_.run_one_for(50ms);
  EXPECT_EQ(done, 60);
  EXPECT_EQ(failed, 0);
  EXPECT_LE(max_open, 2u);
  EXPECT_GE(db.stats().connects, 1u);
}

TEST_F(PostgresStore, InvalidPoolConfigurationThrows) {
  auto config = config_for();
  config.pool_max = 0;
  EXPECT_THROW(ms::postgres_store(io_.get_executor(), config), std::invalid_argument);
}

// A statement blocked behind another session's lock ends at the server-side
// statement_timeout with a clear error; the connection stays usable.
TEST_F(PostgresStore, StatementTimeoutGivesClearError) {
  auto config = config_for();
  config.statement_timeout = 300ms;
  config.pool_max = 1;
  ms::postgres_store db(io_.get_executor(), config);
  ASSERT_FALSE(call_void(io_, [&](auto cb) { db.async_start(cb); }));
  ASSERT_FALSE((call<std::uint64_t>(io_, [&](auto cb) { db.async_replace_queue(5, mq::queue_state{}, cb); }).first));

  // Another session holds an exclusive lock on the queues table for 20 s.
  musicbot_test::child_process locker({musicbot_test::postgres_server::bin_dir() + "/psql", server->dsn(), "-X", "-q",
                                       "-c", "BEGIN; LOCK TABLE queues IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(20);"});
  // Wait (bounded) until the lock is really held.
  bool locked = false;
  for (int i = 0; i < 100 && !locked; ++i) {
    locked = server->psql("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                          "WHERE c.relname = 'queues' AND l.mode = 'AccessExclusiveLock' AND l.granted) THEN "
                          "RAISE EXCEPTION 'not yet'; END IF; END $$;") == 0;
    if (!locked) std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(locked);
  auto [ec, v] = call<std::uint64_t>(io_, [&](auto cb) { db.async_replace_queue(5, mq::queue_state{}, cb); });
  EXPECT_EQ(ec, ms::error::timed_out) << ec.message();
  EXPECT_EQ(server->psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE query LIKE '%pg_sleep(20)%' AND pid <> pg_backend_pid()"),
            0);
  locker.stop(SIGKILL);
  // The lock goes with the terminated session (bounded wait); the same pooled
  // connection then works.
  boost::system::error_code after = ms::error::timed_out;
  for (int i = 0; i < 50 && after; ++i) {
    after = call<std::uint64_t>(io_, [&](auto cb) { db.async_replace_queue(5, mq::queue_state{}, cb); }).first;
    if (after) std::this_thread::sleep_for(100ms);
  }
  EXPECT_FALSE(after) << after.message();
  EXPECT_EQ(db.stats().connects, 1u) << "a server-side timeout does not cost the connection";
}

// PostgreSQL restarted while writers run: in-flight calls fail with clear
// store errors, the pool drops dead connections and reconnects with
// backoff, and calls after the restart succeed.
TEST_F(PostgresStore, RecoversFromServerRestartUnderLoad) {
  auto config = config_for();
  config.pool_max = 4;
  config.acquire_timeout = 1s;
  config.reconnect_backoff_min = 20ms;
  config.reconnect_backoff_max = 200ms;
  ms::postgres_store db(io_.get_executor(), config);
  ASSERT_FALSE(call_void(io_, [&](auto cb) { db.async_start(cb); }));

  std::atomic<bool> stop{false};
  std::atomic<int> successes{0};
  std::mutex errors_mutex;
  std::vector<boost::system::error_code> errors;
  std::atomic<int> in_flight{0};
  std::function<void(std::uint64_t, std::uint64_t)> writer = [&](std::uint64_t guild, std::uint64_t k) {
    if (stop) return;
    ++in_flight;
    db.async_replace_queue(guild, store_suite::crash_state(k), [&, guild, k](boost::system::error_code ec, std::uint64_t) {
      --in_flight;
      if (ec) {
        std::lock_guard lock(errors_mutex);
        errors.push_back(ec);
      } else {
        ++successes;
      }
      writer(guild, k + 1);
    });
  };
  io_.restart();
  auto work = asio::make_work_guard(io_);
  for (std::uint64_t g = 1; g <= 4; ++g) asio::post(io_, [&, g] { writer(g, g * 1000); });
  std::thread runner([&] { io_.run(); });

  const auto wait_for = [](auto condition, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!condition() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
    return condition();
  };
  EXPECT_TRUE(wait_for([&] { return successes.load() >= 20; }, 20s));
  {
    std::lock_guard lock(errors_mutex);
    EXPECT_TRUE(errors.empty()) << errors.front().message();
  }
  const auto connects_before = db.stats().connects;

  server->stop();  // fast shutdown: sessions are terminated mid-flight
  // Down for longer than acquire_timeout (1 s): calls issued during the
  // outage must fail even when no call happened to be in flight at the stop.
  std::this_thread::sleep_for(1500ms);
  server->start();
  const int after_restart = successes.load();
  EXPECT_TRUE(wait_for([&] { return successes.load() >= after_restart + 20; }, 30s))
      << "writes did not resume after the restart";

  stop = true;
  EXPECT_TRUE(wait_for([&] { return in_flight.load() == 0; }, 30s));
  work.reset();
  runner.join();

  std::lock_guard lock(errors_mutex);
  EXPECT_FALSE(errors.empty()) << "the outage was invisible: the test proved nothing";
  const std::set<boost::system::error_code> allowed{ms::error::connection_lost, ms::error::connection_failed,
                                                     ms::error::timed_out, ms::error::pool_exhausted};
  for (const auto& ec : errors) {
    EXPECT_TRUE(allowed.contains(ec)) << ec.message();
    EXPECT_EQ(&ec.category(), &ms::store_category());
  }
  EXPECT_GT(db.stats().connects, connects_before) << "the pool reconnected";

  // Every queue is a complete committed version, and later calls succeed.
  io_.restart();
  for (std::uint64_t g = 1; g <= 4; ++g) {
    auto [ec, loaded] = call<std::optional<ms::stored_queue>>(io_, [&](auto cb) { db.async_load_queue(g, cb); });
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_TRUE(loaded);
    EXPECT_NE(store_suite::crash_version_of(loaded->state), 0u);
  }
}

}  // namespace
