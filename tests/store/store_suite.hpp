#pragma once
// The typed test suite every musicbot::store backend must pass. A backend
// fixture type provides:
//   static constexpr const char* name;
//   std::unique_ptr<musicbot::store::database> make(executor, const options&);
//       a new store object on the shared test database
//   void exec_sql(const std::string&);   raw SQL against the test database
//   void reset();                        drop everything (schema included)
//   static constexpr const char* drop_v2_sql;  SQL that removes every object
//       of schema version 2 (the migrations are additive, so what remains
//       is exactly a version-1 database)
// Instantiated by tests/store/sqlite_test.cpp (unit) and
// tests/store/postgres_test.cpp (integration, real server).

#include <musicbot/store/repository.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace store_suite {

namespace asio = boost::asio;
namespace mq = musicbot::queue;
namespace ms = musicbot::store;
using namespace std::chrono_literals;
using ms::error_code;

// What a test may tune on a backend.
struct options {
  std::size_t max_queue_tracks = 100'001;
  ms::audit_retention retention{};
  std::function<ms::timestamp()> clock;
  std::size_t max_tokens_per_guild = 25;
};

// Runs `io` until `done` or a bounded deadline.
inline void run_until(asio::io_context& io, const bool& done, std::chrono::seconds limit = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  io.restart();
  while (!done && std::chrono::steady_clock::now() < deadline) io.run_one_for(50ms);
}

// Calls `init(callback)` and waits for the callback: returns {ec, value}.
template <class T, class Init>
std::pair<error_code, T> call(asio::io_context& io, Init&& init) {
  std::pair<error_code, T> out{};
  bool done = false;
  init([&](error_code ec, T value) {
    out = {ec, std::move(value)};
    done = true;
  });
  run_until(io, done);
  EXPECT_TRUE(done) << "operation did not complete";
  return out;
}

template <class Init>
error_code call_void(asio::io_context& io, Init&& init) {
  error_code out = make_error_code(boost::system::errc::timed_out);
  bool done = false;
  init([&](error_code ec) {
    out = ec;
    done = true;
  });
  run_until(io, done);
  EXPECT_TRUE(done) << "operation did not complete";
  return out;
}

// A lowercase hex SHA-256-shaped string derived from `seed`.
inline std::string fake_hash(const std::string& seed) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(64, '0');
  std::uint64_t h = 1469598103934665603ULL;
  for (std::size_t i = 0; i < out.size(); ++i) {
    h = (h ^ static_cast<unsigned char>(seed[i % seed.size()])) * 1099511628211ULL + i;
    out[i] = hex[(h >> 29) & 0xF];
  }
  return out;
}

inline ms::api_token_record make_token(const std::string& id, std::uint64_t guild, std::int64_t created_ms = 1'000,
                                       std::int64_t expires_ms = 1'000'000) {
  ms::api_token_record r;
  r.id = id;
  r.guild_id = guild;
  r.created_by = 77;
  r.hash = fake_hash(id);
  r.label = "dashboard of " + id;
  r.created_at = ms::timestamp(std::chrono::milliseconds(created_ms));
  r.expires_at = ms::timestamp(std::chrono::milliseconds(expires_ms));
  return r;
}

inline mq::track make_track(const std::string& title, std::uint64_t requester = 1) {
  mq::track t;
  t.encoded = "QAAA" + title;
  t.identifier = "id-" + title;
  t.title = title;
  t.author = "author of " + title;
  t.length = std::chrono::milliseconds(1000 + title.size());
  t.uri = "https://example.com/" + title;
  t.source = "youtube";
  t.artwork_url = "https://img.example.com/" + title + ".jpg";
  t.requester_id = requester;
  t.added_at = ms::timestamp(std::chrono::milliseconds(1'700'000'000'000));
  return t;
}

// The state written as version k by the crash test: every part of it is
// derived from k, so a mix of two versions is detectable.
inline mq::queue_state crash_state(std::uint64_t k) {
  mq::queue_state s;
  s.current = make_track("k" + std::to_string(k) + "-current");
  s.position = std::chrono::milliseconds(k);
  s.loop = static_cast<mq::loop_mode>(k % 3);
  const std::size_t n = 1 + k % 40;
  for (std::size_t i = 0; i < n; ++i) s.upcoming.push_back(make_track("k" + std::to_string(k) + "-" + std::to_string(i)));
  return s;
}

// Which k a stored state is, or 0 if it is not exactly crash_state(k).
inline std::uint64_t crash_version_of(const mq::queue_state& s) {
  if (!s.current) return 0;
  const std::string& title = s.current->title;
  const auto dash = title.find('-');
  if (title.size() < 2 || title[0] != 'k' || dash == std::string::npos) return 0;
  const std::uint64_t k = std::stoull(title.substr(1, dash - 1));
  return s == crash_state(k) ? k : 0;
}

// Names typed instances after the backend ("Store/StoreSuite/sqlite.X").
struct backend_names {
  template <class Backend>
  static std::string GetName(int) {
    return Backend::name;
  }
};

template <class Backend>
class StoreSuite : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_.reset();
    db_ = open();
  }

  std::unique_ptr<ms::database> open(const options& opts = {}) {
    auto db = backend_.make(io_.get_executor(), opts);
    EXPECT_FALSE(call_void(io_, [&](auto cb) { db->async_start(cb); }));
    return db;
  }

  template <class T, class Init>
  std::pair<error_code, T> run(Init&& init) {
    return call<T>(io_, std::forward<Init>(init));
  }
  template <class Init>
  error_code run_void(Init&& init) {
    return call_void(io_, std::forward<Init>(init));
  }

  std::pair<error_code, std::uint64_t> replace(ms::database& db, std::uint64_t guild, const mq::queue_state& s) {
    return run<std::uint64_t>([&](auto cb) { db.async_replace_queue(guild, s, cb); });
  }
  std::pair<error_code, std::optional<ms::stored_queue>> load(ms::database& db, std::uint64_t guild) {
    return run<std::optional<ms::stored_queue>>([&](auto cb) { db.async_load_queue(guild, cb); });
  }

  Backend backend_;
  asio::io_context io_;
  std::unique_ptr<ms::database> db_;
};

TYPED_TEST_SUITE_P(StoreSuite);

TYPED_TEST_P(StoreSuite, StartAppliesSchemaAndIsIdempotent) {
  EXPECT_EQ(this->db_->current_schema_version(), ms::database::schema_version);
  EXPECT_FALSE(this->run_void([&](auto cb) { this->db_->async_start(cb); }));
  auto second = this->open();
  EXPECT_EQ(second->current_schema_version(), ms::database::schema_version);
}

TYPED_TEST_P(StoreSuite, OperationsBeforeStartFail) {
  auto db = this->backend_.make(this->io_.get_executor(), {});
  auto [ec, value] = this->load(*db, 1);
  EXPECT_EQ(ec, ms::error::not_started);
  EXPECT_FALSE(value);
}

TYPED_TEST_P(StoreSuite, RefusesNewerSchema) {
  this->db_.reset();
  this->backend_.exec_sql("INSERT INTO schema_version (version, applied_at) VALUES (999, 0)");
  auto db = this->backend_.make(this->io_.get_executor(), {});
  EXPECT_EQ(this->run_void([&](auto cb) { db->async_start(cb); }), ms::error::schema_too_new);
  EXPECT_EQ(this->load(*db, 1).first, ms::error::not_started);
}

TYPED_TEST_P(StoreSuite, SettingsRoundTrip) {
  auto& db = *this->db_;
  auto missing = this->template run<std::optional<mq::guild_settings>>([&](auto cb) { db.async_load_settings(5, cb); });
  EXPECT_FALSE(missing.first);
  EXPECT_FALSE(missing.second);

  mq::guild_settings s;
  s.guild_id = 5;
  s.volume = 150;
  s.loop = mq::loop_mode::queue;
  s.automix = true;
  s.dj_role_id = 18'000'000'000'000'000'000ULL;  // above INT64_MAX: stored bit-exact
  s.announce_channel_id = 42;
  s.max_queue_length = 300;
  s.max_per_user = 3;
  EXPECT_FALSE(this->run_void([&](auto cb) { db.async_save_settings(s, cb); }));
  auto loaded = this->template run<std::optional<mq::guild_settings>>([&](auto cb) { db.async_load_settings(5, cb); });
  ASSERT_FALSE(loaded.first);
  ASSERT_TRUE(loaded.second);
  EXPECT_EQ(*loaded.second, s);

  s.volume = 10;
  s.loop = mq::loop_mode::off;
  s.autoplay = true;
  s.dj_role_id.reset();
  EXPECT_FALSE(this->run_void([&](auto cb) { db.async_save_settings(s, cb); }));
  loaded = this->template run<std::optional<mq::guild_settings>>([&](auto cb) { db.async_load_settings(5, cb); });
  ASSERT_TRUE(loaded.second);
  EXPECT_EQ(*loaded.second, s);
}

TYPED_TEST_P(StoreSuite, InvalidSettingsRefusedAndNothingChanges) {
  auto& db = *this->db_;
  mq::guild_settings s;
  s.guild_id = 6;
  EXPECT_FALSE(this->run_void([&](auto cb) { db.async_save_settings(s, cb); }));
  auto bad = s;
  bad.volume = 201;
  EXPECT_EQ(this->run_void([&](auto cb) { db.async_save_settings(bad, cb); }), ms::error::invalid_argument);
  bad = s;
  bad.autoplay = true;
  bad.loop = mq::loop_mode::track;
  EXPECT_EQ(this->run_void([&](auto cb) { db.async_save_settings(bad, cb); }), ms::error::invalid_argument);
  auto loaded = this->template run<std::optional<mq::guild_settings>>([&](auto cb) { db.async_load_settings(6, cb); });
  ASSERT_TRUE(loaded.second);
  EXPECT_EQ(*loaded.second, s);
}

TYPED_TEST_P(StoreSuite, QueueReplaceAndLoad) {
  auto& db = *this->db_;
  auto none = this->load(db, 9);
  EXPECT_FALSE(none.first);
  EXPECT_FALSE(none.second);

  mq::queue_state s;
  s.current = make_track("now");
  s.position = 12'345ms;
  s.loop = mq::loop_mode::track;
  s.upcoming = {make_track("a", 7), make_track("b", 8), make_track("c", 18'000'000'000'000'000'000ULL)};
  s.upcoming[1].is_stream = true;
  auto [ec, v1] = this->replace(db, 9, s);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(v1, 1u);
  auto loaded = this->load(db, 9);
  ASSERT_FALSE(loaded.first);
  ASSERT_TRUE(loaded.second);
  EXPECT_EQ(loaded.second->state, s);
  EXPECT_EQ(loaded.second->version, 1u);

  mq::queue_state smaller;
  smaller.upcoming = {make_track("z")};
  auto [ec2, v2] = this->replace(db, 9, smaller);
  ASSERT_FALSE(ec2);
  EXPECT_EQ(v2, 2u);
  loaded = this->load(db, 9);
  ASSERT_TRUE(loaded.second);
  EXPECT_EQ(loaded.second->state, smaller);
  EXPECT_EQ(loaded.second->version, 2u);
}

TYPED_TEST_P(StoreSuite, QueueTextSurvivesExactly) {
  auto& db = *this->db_;
  mq::queue_state s;
  for (std::string title : {std::string("quote \" and 'single'"), std::string("back\\slash {braces}, commas"),
                            std::string("NULL"), std::string(""), std::string("caf\xc3\xa9 \xf0\x9f\x8e\xb5"),
                            std::string("tab\there\nnewline"), std::string(20'000, 'x')}) {
    auto t = make_track(title);
    t.title = title;
    s.upcoming.push_back(t);
  }
  ASSERT_FALSE(this->replace(db, 10, s).first);
  auto loaded = this->load(db, 10);
  ASSERT_TRUE(loaded.second);
  EXPECT_EQ(loaded.second->state, s);
}

TYPED_TEST_P(StoreSuite, EmptyQueueIsStored) {
  auto& db = *this->db_;
  ASSERT_FALSE(this->replace(db, 11, {}).first);
  auto loaded = this->load(db, 11);
  ASSERT_TRUE(loaded.second);
  EXPECT_EQ(loaded.second->state, mq::queue_state{});
}

TYPED_TEST_P(StoreSuite, AppendTracks) {
  auto& db = *this->db_;
  auto [ec, v1] = this->template run<std::uint64_t>(
      [&](auto cb) { db.async_append_tracks(12, std::vector<mq::track>{make_track("a")}, cb); });
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(v1, 1u);
  mq::queue_state s;
  s.current = make_track("now");
  s.position = 5ms;
  s.loop = mq::loop_mode::queue;
  s.upcoming = {make_track("b")};
  ASSERT_FALSE(this->replace(db, 12, s).first);
  auto [ec2, v3] = this->template run<std::uint64_t>(
      [&](auto cb) { db.async_append_tracks(12, std::vector<mq::track>{make_track("c"), make_track("d")}, cb); });
  ASSERT_FALSE(ec2);
  EXPECT_EQ(v3, 3u);
  auto loaded = this->load(db, 12);
  ASSERT_TRUE(loaded.second);
  s.upcoming.push_back(make_track("c"));
  s.upcoming.push_back(make_track("d"));
  EXPECT_EQ(loaded.second->state, s);
}

TYPED_TEST_P(StoreSuite, QueueSizeIsBounded) {
  options small;
  small.max_queue_tracks = 3;
  auto db = this->open(small);
  mq::queue_state s;
  s.current = make_track("now");
  s.upcoming = {make_track("a"), make_track("b"), make_track("c")};
  EXPECT_EQ(this->replace(*db, 13, s).first, ms::error::value_too_large);
  s.upcoming.pop_back();
  ASSERT_FALSE(this->replace(*db, 13, s).first);
  auto [ec, v] = this->template run<std::uint64_t>(
      [&](auto cb) { db->async_append_tracks(13, std::vector<mq::track>{make_track("x")}, cb); });
  EXPECT_EQ(ec, ms::error::value_too_large);
  auto loaded = this->load(*db, 13);
  ASSERT_TRUE(loaded.second);
  EXPECT_EQ(loaded.second->state, s) << "a refused write changes nothing";
  EXPECT_EQ(loaded.second->version, 1u);
}

// The bound is on writes. A queue stored while it was larger still loads
// after an operator lowers it (the next write is refused, with the reason),
// instead of reading as corrupt and being replaced by an empty queue.
TYPED_TEST_P(StoreSuite, QueueStoredUnderALargerBoundStillLoads) {
  mq::queue_state s;
  s.current = make_track("now");
  s.upcoming = {make_track("a"), make_track("b"), make_track("c"), make_track("d")};
  ASSERT_FALSE(this->replace(*this->db_, 15, s).first);
  this->db_.reset();
  options small;
  small.max_queue_tracks = 3;
  auto db = this->open(small);
  auto loaded = this->load(*db, 15);
  ASSERT_FALSE(loaded.first) << loaded.first.message();
  ASSERT_TRUE(loaded.second);
  EXPECT_EQ(loaded.second->state, s);
  EXPECT_EQ(this->replace(*db, 15, s).first, ms::error::value_too_large);
  s.upcoming.resize(2);
  EXPECT_FALSE(this->replace(*db, 15, s).first) << "a queue within the new bound is written";
}

TYPED_TEST_P(StoreSuite, DeleteAndListQueues) {
  auto& db = *this->db_;
  for (std::uint64_t g : {30u, 10u, 20u}) ASSERT_FALSE(this->replace(db, g, {}).first);
  auto listed = this->template run<std::vector<std::uint64_t>>([&](auto cb) { db.async_list_queues(cb); });
  EXPECT_EQ(listed.second, (std::vector<std::uint64_t>{10, 20, 30}));
  auto del = this->template run<bool>([&](auto cb) { db.async_delete_queue(20, cb); });
  EXPECT_FALSE(del.first);
  EXPECT_TRUE(del.second);
  del = this->template run<bool>([&](auto cb) { db.async_delete_queue(20, cb); });
  EXPECT_FALSE(del.second);
  EXPECT_FALSE(this->load(db, 20).second);
  listed = this->template run<std::vector<std::uint64_t>>([&](auto cb) { db.async_list_queues(cb); });
  EXPECT_EQ(listed.second, (std::vector<std::uint64_t>{10, 30}));
}

TYPED_TEST_P(StoreSuite, DataSurvivesReopen) {
  mq::queue_state s;
  s.current = make_track("persist");
  ASSERT_FALSE(this->replace(*this->db_, 14, s).first);
  this->db_.reset();
  auto db = this->open();
  auto loaded = this->load(*db, 14);
  ASSERT_TRUE(loaded.second);
  EXPECT_EQ(loaded.second->state, s);
}

TYPED_TEST_P(StoreSuite, AuditLog) {
  auto& db = *this->db_;
  std::int64_t last = 0;
  for (int i = 0; i < 5; ++i) {
    ms::audit_entry e;
    e.guild_id = 1;
    e.user_id = 100 + static_cast<std::uint64_t>(i);
    e.command = "play";
    e.outcome = i % 2 ? "ok" : "denied";
    e.detail = "n=" + std::to_string(i);
    e.at = ms::timestamp(std::chrono::milliseconds(1'000 + i));
    auto [ec, id] = this->template run<std::int64_t>([&](auto cb) { db.async_record_audit(e, cb); });
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_GT(id, last);
    last = id;
  }
  ms::audit_entry other;
  other.guild_id = 2;
  other.command = "skip";
  ASSERT_FALSE((this->template run<std::int64_t>([&](auto cb) { db.async_record_audit(other, cb); }).first));
  auto recent = this->template run<std::vector<ms::audit_entry>>([&](auto cb) { db.async_recent_audit(1, 3, cb); });
  ASSERT_FALSE(recent.first);
  ASSERT_EQ(recent.second.size(), 3u);
  EXPECT_EQ(recent.second[0].detail, "n=4");
  EXPECT_EQ(recent.second[0].user_id, 104u);
  EXPECT_EQ(recent.second[0].at, ms::timestamp(std::chrono::milliseconds(1'004)));
  EXPECT_EQ(recent.second[2].detail, "n=2");
  ms::audit_entry big;
  big.command = std::string(ms::audit_limits::max_command + 1, 'c');
  EXPECT_EQ((this->template run<std::int64_t>([&](auto cb) { db.async_record_audit(big, cb); }).first),
            ms::error::value_too_large);
}

TYPED_TEST_P(StoreSuite, AuditRetention) {
  options opts;
  opts.retention.max_age = 1000ms;
  opts.retention.max_entries = 4;
  opts.retention.prune_every = 1'000'000;
  auto db = this->open(opts);
  for (int i = 0; i < 10; ++i) {
    ms::audit_entry e;
    e.guild_id = 3;
    e.command = "c" + std::to_string(i);
    e.at = ms::timestamp(std::chrono::milliseconds(i < 3 ? 0 : 10'000));
    ASSERT_FALSE((this->template run<std::int64_t>([&](auto cb) { db->async_record_audit(e, cb); }).first));
  }
  auto pruned = this->template run<std::uint64_t>(
      [&](auto cb) { db->async_prune_audit(ms::timestamp(std::chrono::milliseconds(10'500)), cb); });
  ASSERT_FALSE(pruned.first);
  EXPECT_EQ(pruned.second, 6u) << "3 too old, then 3 more beyond the newest 4";
  auto recent = this->template run<std::vector<ms::audit_entry>>([&](auto cb) { db->async_recent_audit(3, 100, cb); });
  ASSERT_EQ(recent.second.size(), 4u);
  EXPECT_EQ(recent.second.front().command, "c9");
  EXPECT_EQ(recent.second.back().command, "c6");
}

TYPED_TEST_P(StoreSuite, AuditRetentionIsAutomatic) {
  options opts;
  opts.retention.max_entries = 5;
  opts.retention.prune_every = 4;
  opts.clock = [] { return ms::timestamp(std::chrono::milliseconds(2'000)); };
  auto db = this->open(opts);
  for (int i = 0; i < 40; ++i) {
    ms::audit_entry e;
    e.guild_id = 4;
    e.at = ms::timestamp(std::chrono::milliseconds(1'000));
    ASSERT_FALSE((this->template run<std::int64_t>([&](auto cb) { db->async_record_audit(e, cb); }).first));
  }
  auto recent = this->template run<std::vector<ms::audit_entry>>([&](auto cb) { db->async_recent_audit(4, 1000, cb); });
  EXPECT_LE(recent.second.size(), 5u + 3u) << "bounded without an explicit prune";
}

TYPED_TEST_P(StoreSuite, FeatureFlags) {
  auto& db = *this->db_;
  auto get = [&](const std::string& name, std::uint64_t guild) {
    return this->template run<std::optional<bool>>([&](auto cb) { db.async_get_flag(name, guild, cb); });
  };
  EXPECT_FALSE(get("autoplay.v2", 1).second);
  ASSERT_FALSE(this->run_void([&](auto cb) { db.async_set_flag(ms::feature_flag{"autoplay.v2", 0, true}, cb); }));
  EXPECT_EQ(get("autoplay.v2", 1).second, true) << "global value applies";
  ASSERT_FALSE(this->run_void([&](auto cb) { db.async_set_flag(ms::feature_flag{"autoplay.v2", 1, false}, cb); }));
  EXPECT_EQ(get("autoplay.v2", 1).second, false) << "override wins";
  EXPECT_EQ(get("autoplay.v2", 2).second, true);
  ASSERT_FALSE(this->run_void([&](auto cb) { db.async_set_flag(ms::feature_flag{"autoplay.v2", 1, true}, cb); }));
  EXPECT_EQ(get("autoplay.v2", 1).second, true) << "set overwrites";
  auto list = this->template run<std::vector<ms::feature_flag>>([&](auto cb) { db.async_list_flags(cb); });
  ASSERT_EQ(list.second.size(), 2u);
  EXPECT_EQ(list.second[0], (ms::feature_flag{"autoplay.v2", 0, true}));
  auto del = this->template run<bool>([&](auto cb) { db.async_delete_flag("autoplay.v2", 0, cb); });
  EXPECT_TRUE(del.second);
  EXPECT_FALSE(get("autoplay.v2", 2).second);
  EXPECT_EQ(this->run_void([&](auto cb) { db.async_set_flag(ms::feature_flag{"Bad Name", 0, true}, cb); }),
            ms::error::invalid_argument);
  EXPECT_EQ(get("", 0).first, ms::error::invalid_argument);
}

TYPED_TEST_P(StoreSuite, ApiTokensLifecycle) {
  // The store's clock decides which tokens are dead when one is created.
  options opts;
  opts.clock = [] { return ms::timestamp(std::chrono::milliseconds(5'000)); };
  auto owned = this->open(opts);
  auto& db = *owned;
  auto create = [&](const ms::api_token_record& r) {
    return this->run_void([&](auto cb) { db.async_create_api_token(r, cb); });
  };
  auto find = [&](const std::string& hash) {
    return this->template run<std::optional<ms::api_token_record>>(
        [&](auto cb) { db.async_find_api_token_by_hash(hash, cb); });
  };
  auto revoke = [&](std::uint64_t guild, const std::string& id) {
    return this->template run<bool>([&](auto cb) { db.async_revoke_api_token(guild, id, cb); });
  };
  auto list = [&](std::uint64_t guild) {
    return this->template run<std::vector<ms::api_token_record>>([&](auto cb) { db.async_list_api_tokens(guild, cb); });
  };
  constexpr std::uint64_t big_guild = 18'000'000'000'000'000'000ULL;  // above INT64_MAX
  const auto a = make_token("alpha1", big_guild, 1'000);
  const auto b = make_token("beta2", big_guild, 2'000);
  const auto c = make_token("gamma3", 9, 1'500);
  ASSERT_FALSE(create(a));
  ASSERT_FALSE(create(b));
  ASSERT_FALSE(create(c));

  auto found = find(a.hash);
  ASSERT_FALSE(found.first);
  ASSERT_TRUE(found.second);
  EXPECT_EQ(*found.second, a);
  EXPECT_TRUE(found.second->usable(ms::timestamp(std::chrono::milliseconds(5'000))));
  EXPECT_FALSE(found.second->usable(a.expires_at)) << "expired at expires_at";
  auto missing = find(fake_hash("nobody"));
  EXPECT_FALSE(missing.first);
  EXPECT_FALSE(missing.second);

  auto listed = list(big_guild);
  ASSERT_FALSE(listed.first);
  EXPECT_EQ(listed.second, (std::vector<ms::api_token_record>{a, b})) << "the guild's tokens, oldest first";
  EXPECT_EQ(list(9).second.size(), 1u);
  EXPECT_TRUE(list(10).second.empty());

  EXPECT_FALSE(revoke(9, "alpha1").second) << "another guild's token is not found";
  EXPECT_FALSE(revoke(big_guild, "nosuch").second);
  auto revoked = revoke(big_guild, "alpha1");
  ASSERT_FALSE(revoked.first);
  EXPECT_TRUE(revoked.second);
  EXPECT_TRUE(revoke(big_guild, "alpha1").second) << "idempotent";
  found = find(a.hash);
  ASSERT_TRUE(found.second);
  EXPECT_TRUE(found.second->revoked);
  EXPECT_FALSE(found.second->usable(ms::timestamp(std::chrono::milliseconds(5'000))));
  EXPECT_FALSE(find(b.hash).second->revoked);

  // Prune: the revoked one, and those expired at `now`.
  auto pruned = this->template run<std::uint64_t>(
      [&](auto cb) { db.async_prune_api_tokens(ms::timestamp(std::chrono::milliseconds(500'000)), cb); });
  ASSERT_FALSE(pruned.first);
  EXPECT_EQ(pruned.second, 1u);
  pruned = this->template run<std::uint64_t>(
      [&](auto cb) { db.async_prune_api_tokens(ms::timestamp(std::chrono::milliseconds(1'000'000)), cb); });
  EXPECT_EQ(pruned.second, 2u);
  EXPECT_TRUE(list(big_guild).second.empty());
  EXPECT_FALSE(find(c.hash).second);
}

TYPED_TEST_P(StoreSuite, ApiTokenInputIsValidated) {
  options opts;
  opts.clock = [] { return ms::timestamp(std::chrono::milliseconds(5'000)); };
  auto owned = this->open(opts);
  auto& db = *owned;
  auto create = [&](const ms::api_token_record& r) {
    return this->run_void([&](auto cb) { db.async_create_api_token(r, cb); });
  };
  const auto good = make_token("good1", 5);
  std::vector<ms::api_token_record> bad;
  for (const char* id : {"", "UPPER", "has-dash", "has space", "abcdefghijklmnopqrstuvwxyz0123456"}) {
    auto r = good;
    r.id = id;
    bad.push_back(r);
  }
  for (const std::string& hash : {std::string(63, 'a'), std::string(65, 'a'), std::string(64, 'A'), std::string(64, 'g')}) {
    auto r = good;
    r.hash = hash;
    bad.push_back(r);
  }
  auto r = good;
  r.label = std::string(65, 'x');
  bad.push_back(r);
  r = good;
  r.label = "line\nbreak";
  bad.push_back(r);
  r = good;
  r.guild_id = 0;
  bad.push_back(r);
  r = good;
  r.created_by = 0;
  bad.push_back(r);
  r = good;
  r.expires_at = r.created_at;
  bad.push_back(r);
  for (const auto& b : bad) EXPECT_EQ(create(b), ms::error::invalid_argument) << "id=" << b.id << " label=" << b.label;
  EXPECT_TRUE((this->template run<std::vector<ms::api_token_record>>([&](auto cb) { db.async_list_api_tokens(5, cb); })
                   .second.empty()))
      << "nothing stored";

  auto label_ok = good;
  label_ok.label = std::string(64, 'x');
  label_ok.id = std::string(32, 'z');
  label_ok.hash = fake_hash(label_ok.id);
  EXPECT_FALSE(create(label_ok)) << "limits are inclusive";
  ASSERT_FALSE(create(good));
  auto same_id = make_token("good1", 6);
  same_id.hash = fake_hash("other");
  EXPECT_EQ(create(same_id), ms::error::already_exists);
  auto same_hash = make_token("other1", 6);
  same_hash.hash = good.hash;
  EXPECT_EQ(create(same_hash), ms::error::already_exists);

  EXPECT_EQ((this->template run<std::optional<ms::api_token_record>>(
                 [&](auto cb) { db.async_find_api_token_by_hash("not-a-hash", cb); })
                 .first),
            ms::error::invalid_argument);
  EXPECT_EQ((this->template run<bool>([&](auto cb) { db.async_revoke_api_token(5, "Bad Id", cb); }).first),
            ms::error::invalid_argument);
  boost::system::error_code ec = ms::error::limit_reached;
  EXPECT_NE(ec.message().find("limit"), std::string::npos);
}

TYPED_TEST_P(StoreSuite, ApiTokensPerGuildAreBounded) {
  options opts;
  opts.max_tokens_per_guild = 3;
  auto now = std::make_shared<std::int64_t>(10'000);
  opts.clock = [now] { return ms::timestamp(std::chrono::milliseconds(*now)); };
  auto db = this->open(opts);
  auto create = [&](const ms::api_token_record& r) {
    return this->run_void([&](auto cb) { db->async_create_api_token(r, cb); });
  };
  auto count = [&](std::uint64_t guild) {
    return this->template run<std::vector<ms::api_token_record>>([&](auto cb) { db->async_list_api_tokens(guild, cb); })
        .second.size();
  };
  ASSERT_FALSE(create(make_token("t1", 1, 1'000, 20'000)));  // expires first
  ASSERT_FALSE(create(make_token("t2", 1, 1'000, 90'000)));
  ASSERT_FALSE(create(make_token("t3", 1, 1'000, 90'000)));
  EXPECT_EQ(create(make_token("t4", 1, 1'000, 90'000)), ms::error::limit_reached);
  EXPECT_FALSE(create(make_token("o1", 2))) << "other guilds are not affected";
  EXPECT_EQ(count(1), 3u);

  // A revoked token frees its place (it is deleted when the next one is created).
  ASSERT_TRUE((this->template run<bool>([&](auto cb) { db->async_revoke_api_token(1, "t2", cb); }).second));
  EXPECT_FALSE(create(make_token("t4", 1, 1'000, 90'000)));
  EXPECT_EQ(count(1), 3u);
  EXPECT_EQ(create(make_token("t5", 1, 1'000, 90'000)), ms::error::limit_reached);

  // So does an expired one.
  *now = 20'000;
  EXPECT_FALSE(create(make_token("t5", 1, 1'000, 90'000)));
  EXPECT_EQ(count(1), 3u);
  EXPECT_FALSE((this->template run<std::optional<ms::api_token_record>>(
                    [&](auto cb) { db->async_find_api_token_by_hash(fake_hash("t1"), cb); })
                    .second));
}

TYPED_TEST_P(StoreSuite, ConcurrentTokenCreationsNeverExceedTheLimit) {
  options opts;
  opts.max_tokens_per_guild = 3;
  opts.clock = [] { return ms::timestamp(std::chrono::milliseconds(5'000)); };
  auto db = this->open(opts);
  constexpr int n = 12;
  int done = 0;
  int created = 0;
  int refused = 0;
  for (int i = 0; i < n; ++i) {
    db->async_create_api_token(make_token("c" + std::to_string(i), 4), [&](error_code ec) {
      ++done;
      if (!ec) ++created;
      if (ec == ms::error::limit_reached) ++refused;
    });
  }
  bool all = false;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  this->io_.restart();
  while (!all && std::chrono::steady_clock::now() < deadline) {
    this->io_.run_one_for(50ms);
    all = done == n;
  }
  ASSERT_EQ(done, n);
  EXPECT_EQ(created, 3);
  EXPECT_EQ(refused, n - 3);
  EXPECT_EQ((this->template run<std::vector<ms::api_token_record>>([&](auto cb) { db->async_list_api_tokens(4, cb); })
                 .second.size()),
            3u);
}

TYPED_TEST_P(StoreSuite, VoiceChannels) {
  auto& db = *this->db_;
  auto save = [&](std::uint64_t guild, std::uint64_t channel) {
    return this->run_void([&](auto cb) { db.async_save_voice_channel(guild, channel, cb); });
  };
  auto list = [&] {
    auto [ec, v] = this->template run<std::vector<ms::voice_channel_record>>(
        [&](auto cb) { db.async_list_voice_channels(cb); });
    EXPECT_FALSE(ec);
    std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
    for (const auto& r : v) out.emplace_back(r.guild_id, r.channel_id);
    return out;
  };
  using pairs = std::vector<std::pair<std::uint64_t, std::uint64_t>>;
  EXPECT_TRUE(list().empty());
  constexpr std::uint64_t big = 18'000'000'000'000'000'000ULL;
  ASSERT_FALSE(save(big, big + 1));
  ASSERT_FALSE(save(2, 20));
  ASSERT_FALSE(save(1, 10));
  EXPECT_EQ(list(), (pairs{{1, 10}, {2, 20}, {big, big + 1}})) << "ordered by guild (unsigned)";
  ASSERT_FALSE(save(1, 11));
  ASSERT_FALSE(save(2, 0));
  ASSERT_FALSE(save(3, 0)) << "deleting nothing is fine";
  EXPECT_EQ(list(), (pairs{{1, 11}, {big, big + 1}}));
  EXPECT_EQ(save(0, 5), ms::error::invalid_argument);
  auto [ec, v] = this->template run<std::vector<ms::voice_channel_record>>(
      [&](auto cb) { db.async_list_voice_channels(cb); });
  ASSERT_EQ(v.size(), 2u);
  EXPECT_GT(v[0].updated_at.time_since_epoch().count(), 0);
}

TYPED_TEST_P(StoreSuite, UpgradesVersion1DatabaseInPlace) {
  // Data written, then the database taken back to exactly schema version 1.
  mq::queue_state s;
  s.current = make_track("kept");
  s.upcoming = {make_track("next")};
  ASSERT_FALSE(this->replace(*this->db_, 12, s).first);
  mq::guild_settings settings;
  settings.guild_id = 12;
  settings.volume = 42;
  ASSERT_FALSE(this->run_void([&](auto cb) { this->db_->async_save_settings(settings, cb); }));
  this->db_.reset();
  this->backend_.exec_sql(TypeParam::drop_v2_sql);

  auto db = this->backend_.make(this->io_.get_executor(), {});
  ASSERT_FALSE(this->run_void([&](auto cb) { db->async_start(cb); }));
  EXPECT_EQ(db->current_schema_version(), 2);
  auto loaded = this->load(*db, 12);
  ASSERT_TRUE(loaded.second);
  EXPECT_EQ(loaded.second->state, s) << "version-1 data survives the upgrade";
  auto got = this->template run<std::optional<mq::guild_settings>>([&](auto cb) { db->async_load_settings(12, cb); });
  ASSERT_TRUE(got.second);
  EXPECT_EQ(got.second->volume, 42);
  EXPECT_FALSE(this->run_void([&](auto cb) { db->async_create_api_token(make_token("after1", 12), cb); }));
  EXPECT_FALSE(this->run_void([&](auto cb) { db->async_save_voice_channel(12, 99, cb); }));

  // A newer database than this build is still refused.
  db.reset();
  this->backend_.exec_sql("INSERT INTO schema_version (version, applied_at) VALUES (3, 0)");
  auto newer = this->backend_.make(this->io_.get_executor(), {});
  EXPECT_EQ(this->run_void([&](auto cb) { newer->async_start(cb); }), ms::error::schema_too_new);
}

TYPED_TEST_P(StoreSuite, ManyConcurrentOperationsAllComplete) {
  auto& db = *this->db_;
  int completed = 0;
  int failed = 0;
  constexpr int n = 200;
  for (int i = 0; i < n; ++i) {
    mq::queue_state s;
    s.upcoming = {make_track("t" + std::to_string(i))};
    db.async_replace_queue(static_cast<std::uint64_t>(1000 + i % 10), s, [&](error_code ec, std::uint64_t) {
      ++completed;
      if (ec) ++failed;
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  this->io_.restart();
  while (completed < n && std::chrono::steady_clock::now() < deadline) this->io_.run_one_for(50ms);
  EXPECT_EQ(completed, n);
  EXPECT_EQ(failed, 0);
  auto loaded = this->load(db, 1000);
  ASSERT_TRUE(loaded.second);
  EXPECT_EQ(loaded.second->version, 20u);
}

TYPED_TEST_P(StoreSuite, CompletionTokensCoroutineAndStrand) {
  auto& db = *this->db_;
  bool done = false;
  asio::co_spawn(
      this->io_,
      [&]() -> asio::awaitable<void> {
        mq::queue_state s;
        s.upcoming = {make_track("co")};
        const auto version = co_await db.async_replace_queue(15, s, asio::use_awaitable);
        EXPECT_EQ(version, 1u);
        auto loaded = co_await db.async_load_queue(15, asio::use_awaitable);
        EXPECT_TRUE(loaded && loaded->state == s);
        done = true;
      },
      asio::detached);
  run_until(this->io_, done);
  EXPECT_TRUE(done);

  auto strand = asio::make_strand(this->io_);
  bool on_strand = false;
  bool finished = false;
  db.async_load_queue(15, asio::bind_executor(strand, [&](error_code, std::optional<ms::stored_queue>) {
                        on_strand = strand.running_in_this_thread();
                        finished = true;
                      }));
  run_until(this->io_, finished);
  EXPECT_TRUE(on_strand);
}

// Two store instances (two bot processes) replacing the same guild's queue
// concurrently: every commit gets its own version, none is lost or doubled.
TYPED_TEST_P(StoreSuite, TwoWritersNeverShareAVersion) {
  auto other = this->open();
  constexpr int per_writer = 25;
  int done = 0;
  std::vector<std::uint64_t> versions;
  int failed = 0;
  for (int i = 0; i < per_writer; ++i) {
    for (ms::database* db : {this->db_.get(), other.get()}) {
      db->async_replace_queue(88, crash_state(static_cast<std::uint64_t>(i + 1)), [&](error_code ec, std::uint64_t v) {
        ++done;
        if (ec) {
          ++failed;
        } else {
          versions.push_back(v);
        }
      });
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  this->io_.restart();
  while (done < 2 * per_writer && std::chrono::steady_clock::now() < deadline) this->io_.run_one_for(50ms);
  ASSERT_EQ(done, 2 * per_writer);
  EXPECT_EQ(failed, 0);
  std::sort(versions.begin(), versions.end());
  EXPECT_EQ(std::adjacent_find(versions.begin(), versions.end()), versions.end()) << "two commits got one version";
  auto loaded = this->load(*this->db_, 88);
  ASSERT_TRUE(loaded.second);
  EXPECT_EQ(loaded.second->version, static_cast<std::uint64_t>(2 * per_writer));
  EXPECT_NE(crash_version_of(loaded.second->state), 0u);
}

// Nothing committed is lost: a child process replaces a queue in a loop and
// reports each committed version on a pipe; it is SIGKILLed at a random
// moment. Afterwards the stored queue must be exactly one committed version
// (never a mix), at least as new as the last one reported.
TYPED_TEST_P(StoreSuite, KilledWriterLosesNothingCommitted) {
  this->db_.reset();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  ASSERT_EQ(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
  std::mt19937 rng(12345);
  std::uint64_t previous = 0;
  int rounds_with_data = 0;
  constexpr std::uint64_t guild = 77;
  for (int round = 0; round < 4; ++round) {
    const std::uint64_t base = static_cast<std::uint64_t>(round + 1) * 1'000'000;
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      {
        asio::io_context io;
        auto db = this->backend_.make(io.get_executor(), {});
        bool started = false;
        db->async_start([&](error_code ec) { started = !ec; });
        io.run_for(20s);
        io.restart();
        if (!started) _exit(3);
        std::uint64_t k = base;
        std::function<void()> next = [&] {
          if (k >= base + 100'000) return;
          ++k;
          db->async_replace_queue(guild, crash_state(k), [&, mine = k](error_code ec, std::uint64_t) {
            if (ec) _exit(4);
            if (write(fds[1], &mine, sizeof mine) != static_cast<ssize_t>(sizeof mine)) _exit(5);
            next();
          });
        };
        next();
        io.run_for(30s);
      }
      _exit(0);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(60, 200)(rng)));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child ended early with status " << status;

    std::uint64_t reported = 0;
    std::uint64_t value = 0;
    while (read(fds[0], &value, sizeof value) == static_cast<ssize_t>(sizeof value)) reported = value;

    auto db = this->open();
    auto [ec, loaded] = this->load(*db, guild);
    ASSERT_FALSE(ec) << ec.message();
    if (!loaded) {
      EXPECT_EQ(reported, 0u);
      EXPECT_EQ(previous, 0u);
      continue;
    }
    const std::uint64_t k = crash_version_of(loaded->state);
    ASSERT_NE(k, 0u) << "the stored queue is not one complete committed version";
    EXPECT_GE(k, reported) << "a version reported as committed was lost";
    EXPECT_GE(k, previous);
    previous = k;
    if (reported > base) ++rounds_with_data;
  }
  close(fds[0]);
  close(fds[1]);
  EXPECT_GT(rounds_with_data, 0) << "the writer never committed: the test proved nothing";
}

REGISTER_TYPED_TEST_SUITE_P(StoreSuite, StartAppliesSchemaAndIsIdempotent, OperationsBeforeStartFail,
                            RefusesNewerSchema, SettingsRoundTrip, InvalidSettingsRefusedAndNothingChanges,
                            QueueReplaceAndLoad, QueueTextSurvivesExactly, EmptyQueueIsStored, AppendTracks,
                            QueueSizeIsBounded, QueueStoredUnderALargerBoundStillLoads, DeleteAndListQueues,
                            DataSurvivesReopen, AuditLog, AuditRetention, AuditRetentionIsAutomatic, FeatureFlags, ManyConcurrentOperationsAllComplete,
                            CompletionTokensCoroutineAndStrand, TwoWritersNeverShareAVersion,
                            KilledWriterLosesNothingCommitted, ApiTokensLifecycle, ApiTokenInputIsValidated,
                            ApiTokensPerGuildAreBounded, ConcurrentTokenCreationsNeverExceedTheLimit,
                            VoiceChannels, UpgradesVersion1DatabaseInPlace);

}  // namespace store_suite
