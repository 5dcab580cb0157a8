// The store suite on the SQLite backend (a WAL database file in a temp dir),
// plus SQLite-specific behaviour.
#include "store_suite.hpp"

#include <musicbot/store/sqlite_store.hpp>

#include <musicbot_test/process.hpp>

#include <sqlite3.h>

namespace {

namespace ms = musicbot::store;
namespace asio = boost::asio;

class sqlite_backend {
 public:
  static constexpr const char* name = "sqlite";
  static constexpr const char* drop_v2_sql =
      "DROP TABLE api_tokens; DROP TABLE voice_channels; DELETE FROM schema_version WHERE version = 2;";

  sqlite_backend() : path_(dir_.path() + "/store.db") {}

  std::unique_ptr<ms::database> make(asio::any_io_executor ex, const store_suite::options& opts) {
    ms::sqlite_config config;
    config.path = path_;
    config.max_queue_tracks = opts.max_queue_tracks;
    config.retention = opts.retention;
    config.clock = opts.clock;
    config.max_tokens_per_guild = opts.max_tokens_per_guild;
    // NORMAL keeps every commit across a SIGKILL of the process (WAL is in
    // the OS page cache); FULL only adds power-loss safety, which a test
    // cannot observe, at one fsync per commit.
    config.synchronous_full = false;
    return std::make_unique<ms::sqlite_store>(std::move(ex), std::move(config));
  }

  void exec_sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* message = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message), SQLITE_OK) << (message ? message : "");
    sqlite3_free(message);
    sqlite3_close(db);
  }

  void reset() {}  // every test gets a fresh temp dir

 private:
  musicbot_test::temp_dir dir_{"musicbot-store-sqlite"};
  std::string path_;
};

}  // namespace

namespace store_suite {
INSTANTIATE_TYPED_TEST_SUITE_P(Store, StoreSuite, ::testing::Types<sqlite_backend>, backend_names);
}

namespace {

using store_suite::call;
using store_suite::call_void;

TEST(SqliteStore, InMemoryDatabase) {
  asio::io_context io;
  ms::sqlite_store db(io.get_executor(), ms::sqlite_config{});
  ASSERT_FALSE(call_void(io, [&](auto cb) { db.async_start(cb); }));
  musicbot::queue::queue_state s;
  s.upcoming = {store_suite::make_track("mem")};
  auto [ec, v] = call<std::uint64_t>(io, [&](auto cb) { db.async_replace_queue(1, s, cb); });
  ASSERT_FALSE(ec);
  auto loaded = call<std::optional<ms::stored_queue>>(io, [&](auto cb) { db.async_load_queue(1, cb); });
  ASSERT_TRUE(loaded.second);
  EXPECT_EQ(loaded.second->state, s);
}

TEST(SqliteStore, OpenFailureIsReported) {
  asio::io_context io;
  ms::sqlite_config config;
  config.path = "/nonexistent-dir/for/sure/store.db";
  ms::sqlite_store db(io.get_executor(), config);
  EXPECT_EQ(call_void(io, [&](auto cb) { db.async_start(cb); }), ms::error::backend_error);
}

TEST(SqliteStore, CorruptRowsAreReportedNotReturned) {
  musicbot_test::temp_dir dir("musicbot-store-corrupt");
  const std::string path = dir.path() + "/c.db";
  asio::io_context io;
  {
    ms::sqlite_config config;
    config.path = path;
    ms::sqlite_store db(io.get_executor(), config);
    ASSERT_FALSE(call_void(io, [&](auto cb) { db.async_start(cb); }));
    musicbot::queue::queue_state s;
    s.upcoming = {store_suite::make_track("a"), store_suite::make_track("b")};
    ASSERT_FALSE((call<std::uint64_t>(io, [&](auto cb) { db.async_replace_queue(1, s, cb); }).first));
  }
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "DELETE FROM queue_tracks WHERE idx = 1", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  ms::sqlite_config config;
  config.path = path;
  ms::sqlite_store db(io.get_executor(), config);
  ASSERT_FALSE(call_void(io, [&](auto cb) { db.async_start(cb); }));
  auto loaded = call<std::optional<ms::stored_queue>>(io, [&](auto cb) { db.async_load_queue(1, cb); });
  EXPECT_EQ(loaded.first, ms::error::corrupt_data);
  EXPECT_FALSE(loaded.second);
}

TEST(SqliteStore, ErrorCategory) {
  boost::system::error_code ec = ms::error::schema_too_new;
  EXPECT_STREQ(ec.category().name(), "musicbot.store");
  EXPECT_NE(ec.message().find("newer"), std::string::npos);
}

}  // namespace
