#include <musicbot/store/sqlite_store.hpp>

#include "common.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>

namespace musicbot::store {

namespace {

using detail::from_db;
using detail::to_db;

// Schema migrations, in order. Each runs in one transaction.
struct migration {
  int version;
  const char* sql;
};

constexpr migration sqlite_migrations[] = {
    {1, R"sql(
CREATE TABLE guild_settings (
  guild_id BIGINT PRIMARY KEY,
  volume INTEGER NOT NULL,
  loop_mode INTEGER NOT NULL,
  autoplay INTEGER NOT NULL,
  automix INTEGER NOT NULL,
  dj_role_id BIGINT,
  announce_channel_id BIGINT,
  max_queue_length BIGINT NOT NULL,
  max_per_user BIGINT NOT NULL,
  updated_at BIGINT NOT NULL);
CREATE TABLE queues (
  guild_id BIGINT PRIMARY KEY,
  version BIGINT NOT NULL,
  loop_mode INTEGER NOT NULL,
  position_ms BIGINT NOT NULL,
  has_current INTEGER NOT NULL,
  track_count BIGINT NOT NULL,
  updated_at BIGINT NOT NULL);
CREATE TABLE queue_tracks (
  guild_id BIGINT NOT NULL,
  idx BIGINT NOT NULL,
  encoded TEXT NOT NULL,
  identifier TEXT NOT NULL,
  title TEXT NOT NULL,
  author TEXT NOT NULL,
  length_ms BIGINT NOT NULL,
  is_stream INTEGER NOT NULL,
  uri TEXT NOT NULL,
  source TEXT NOT NULL,
  artwork_url TEXT NOT NULL,
  requester_id BIGINT NOT NULL,
  added_at_ms BIGINT NOT NULL,
  PRIMARY KEY (guild_id, idx)) WITHOUT ROWID;
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  guild_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  command TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL,
  at_ms BIGINT NOT NULL);
CREATE INDEX audit_log_guild ON audit_log (guild_id, id);
CREATE INDEX audit_log_at ON audit_log (at_ms);
CREATE TABLE feature_flags (
  name TEXT NOT NULL,
  guild_id BIGINT NOT NULL,
  enabled INTEGER NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (name, guild_id));
)sql"},
    {2, R"sql(
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  guild_id BIGINT NOT NULL,
  created_by BIGINT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  label TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked INTEGER NOT NULL);
CREATE INDEX api_tokens_guild ON api_tokens (guild_id, created_at);
CREATE INDEX api_tokens_expiry ON api_tokens (expires_at);
CREATE TABLE voice_channels (
  guild_id BIGINT PRIMARY KEY,
  channel_id BIGINT NOT NULL,
  updated_at BIGINT NOT NULL);
)sql"},
};

// Thrown inside a job to abort it with an error code (never escapes the
// writer thread: every job catches it).
struct sqlite_failure {
  error_code ec;
};

struct job_base {
  virtual ~job_base() = default;
  virtual void run() = 0;
  virtual void abort(error_code ec) = 0;
};

}  // namespace

struct sqlite_store::impl {
  impl(boost::asio::any_io_executor ex, sqlite_config cfg)
      : executor(std::move(ex)), config(std::move(cfg)), log(detail::store_logger(config.logger)) {
    if (!config.clock) config.clock = detail::system_now;
    worker = std::thread([this] { run(); });
  }

  ~impl() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    wake.notify_one();
    worker.join();
    for (auto& [sql, s] : statements) sqlite3_finalize(s);
    if (db != nullptr) sqlite3_close_v2(db);
  }

  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  // ---- the writer thread -------------------------------------------------

  void run() {
    std::unique_lock lock(mutex);
    while (true) {
      wake.wait(lock, [&] { return stopping || !jobs.empty(); });
      if (jobs.empty()) return;  // stopping and drained
      auto job = std::move(jobs.front());
      jobs.pop_front();
      lock.unlock();
      job->run();
      job.reset();
      lock.lock();
    }
  }

  // Queues `fn` (returning {error_code, T}, or error_code for void) for the
  // writer thread; completes `h` with its result.
  template <class Signature, class Handler, class Fn>
  void submit(Handler h, Fn fn) {
    struct job final : job_base {
      job(detail::pending<Signature> p, Fn f, impl* s) : out(std::move(p)), fn(std::move(f)), self(s) {}
      void run() override {
        if constexpr (std::is_same_v<Signature, void(error_code)>) {
          error_code ec;
          try {
            ec = self->guard([&] { return fn(*self); });
          } catch (const sqlite_failure& f) {
            ec = f.ec;
          } catch (const std::bad_alloc&) {
            ec = error::backend_error;
          }
          out.complete(ec);
        } else {
          using T = decltype(fn(*self).second);
          error_code ec;
          T value{};
          try {
            auto [e, v] = fn(*self);
            ec = e;
            value = std::move(v);
          } catch (const sqlite_failure& f) {
            ec = f.ec;
          } catch (const std::bad_alloc&) {
            ec = error::backend_error;
          }
          out.complete(ec, std::move(value));
        }
      }
      void abort(error_code ec) override {
        if constexpr (std::is_same_v<Signature, void(error_code)>) {
          out.complete(ec);
        } else {
          out.complete(ec, {});
        }
      }
      detail::pending<Signature> out;
      Fn fn;
      impl* self;
    };
    auto j = std::make_unique<job>(detail::pending<Signature>(std::move(h), executor), std::move(fn), this);
    error_code refused;
    {
      std::lock_guard lock(mutex);
      if (stopping) {
        refused = error::closed;
      } else if (jobs.size() >= config.max_pending) {
        refused = error::overloaded;
      } else {
        jobs.push_back(std::move(j));
      }
    }
    if (refused) {
      j->abort(refused);
      return;
    }
    wake.notify_one();
  }

  template <class Fn>
  error_code guard(Fn&& fn) {
    return fn();
  }

  // ---- SQLite helpers (writer thread only) ---------------------------------

  error_code fail(int rc, std::string_view what) {
    log->error("sqlite: {} failed: {} ({})", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc);
    const int primary = rc & 0xFF;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return error::busy;
    return error::backend_error;
  }

  [[noreturn]] void raise(int rc, std::string_view what) { throw sqlite_failure{fail(rc, what)}; }

  void exec(const char* sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
      log->error("sqlite: exec failed: {}", message ? message : sqlite3_errstr(rc));
      sqlite3_free(message);
      const int primary = rc & 0xFF;
      throw sqlite_failure{primary == SQLITE_BUSY || primary == SQLITE_LOCKED ? error_code(error::busy)
                                                                             : error_code(error::backend_error)};
    }
  }

  // A cached prepared statement, reset and unbound when the scope ends.
  class statement {
   public:
    statement(impl& owner, sqlite3_stmt* s) : owner_(owner), s_(s) {}
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    ~statement() {
      sqlite3_reset(s_);
      sqlite3_clear_bindings(s_);
    }
    statement& bind(int i, std::int64_t v) {
      check(sqlite3_bind_int64(s_, i, v));
      return *this;
    }
    statement& bind(int i, std::string_view v) {
      check(sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC));
      return *this;
    }
    statement& bind_null(int i) {
      check(sqlite3_bind_null(s_, i));
      return *this;
    }
    // True if a row is available, false when done.
    bool step() {
      const int rc = sqlite3_step(s_);
      if (rc == SQLITE_ROW) return true;
      if (rc == SQLITE_DONE) return false;
      owner_.raise(rc, "step");
    }
    void run() {
      while (step()) {
      }
    }
    [[nodiscard]] std::int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }
    [[nodiscard]] bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
    [[nodiscard]] std::string text(int col) const {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
      return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col))) : std::string();
    }

   private:
    void check(int rc) {
      if (rc != SQLITE_OK) owner_.raise(rc, "bind");
    }
    impl& owner_;
    sqlite3_stmt* s_;
  };

  statement prepare(const char* sql) {
    auto it = statements.find(sql);
    if (it == statements.end()) {
      sqlite3_stmt* s = nullptr;
      const int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
      if (rc != SQLITE_OK) raise(rc, "prepare");
      it = statements.emplace(sql, s).first;
    }
    return statement(*this, it->second);
  }

  // Runs `body` inside BEGIN IMMEDIATE / COMMIT, rolling back on any error.
  template <class Fn>
  auto transaction(Fn&& body) {
    exec("BEGIN IMMEDIATE");
    try {
      auto result = body();
      exec("COMMIT");
      return result;
    } catch (...) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  error_code require_started() const { return started ? error_code{} : error_code(error::not_started); }

  // ---- operations (writer thread only) -------------------------------------

  error_code start() {
    if (started) return {};
    if (db == nullptr) {
      const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
      const int rc = sqlite3_open_v2(config.path.c_str(), &db, flags, nullptr);
      if (rc != SQLITE_OK) {
        error_code ec = fail(rc, "open");
        sqlite3_close_v2(db);
        db = nullptr;
        return ec;
      }
      sqlite3_extended_result_codes(db, 1);
      sqlite3_busy_timeout(db, static_cast<int>(std::min<std::int64_t>(config.busy_timeout.count(), INT32_MAX)));
      exec("PRAGMA journal_mode=WAL");
      exec(config.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
      exec("PRAGMA foreign_keys=ON");
    }
    exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)");
    for (const auto& m : sqlite_migrations) {
      error_code ec = transaction([&]() -> error_code {
        auto q = prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version");
        q.step();
        const auto found = q.i64(0);
        if (found > database::schema_version) {
          log->error("sqlite: database schema version {} is newer than supported {}", found,
                     database::schema_version);
          return error::schema_too_new;
        }
        if (found >= m.version) return {};
        try {
          exec(m.sql);
        } catch (const sqlite_failure&) {
          throw sqlite_failure{error::migration_failed};
        }
        prepare("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)")
            .bind(1, m.version)
            .bind(2, config.clock().time_since_epoch().count())
            .run();
        log->info("sqlite: applied migration {}", m.version);
        return {};
      });
      if (ec) return ec;
    }
    auto q = prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version");
    q.step();
    schema.store(static_cast<int>(q.i64(0)));
    if (schema.load() > database::schema_version) return error::schema_too_new;
    started = true;
    return {};
  }

  std::pair<error_code, std::optional<queue::guild_settings>> load_settings(std::uint64_t guild) {
    if (auto ec = require_started()) return {ec, std::nullopt};
    auto q = prepare(
        "SELECT volume, loop_mode, autoplay, automix, dj_role_id, announce_channel_id, max_queue_length, "
        "max_per_user FROM guild_settings WHERE guild_id = ?");
    q.bind(1, to_db(guild));
    if (!q.step()) return {{}, std::nullopt};
    queue::guild_settings s;
    s.guild_id = guild;
    s.volume = static_cast<int>(q.i64(0));
    s.loop = static_cast<queue::loop_mode>(q.i64(1));
    s.autoplay = q.i64(2) != 0;
    s.automix = q.i64(3) != 0;
    if (!q.is_null(4)) s.dj_role_id = from_db(q.i64(4));
    if (!q.is_null(5)) s.announce_channel_id = from_db(q.i64(5));
    s.max_queue_length = static_cast<std::size_t>(q.i64(6));
    s.max_per_user = static_cast<std::size_t>(q.i64(7));
    if (!queue::validate(s)) return {error::corrupt_data, std::nullopt};
    return {{}, std::move(s)};
  }

  error_code save_settings(const queue::guild_settings& s) {
    if (auto ec = require_started()) return ec;
    if (auto ec = detail::check_settings(s)) return ec;
    auto q = prepare(
        "INSERT INTO guild_settings (guild_id, volume, loop_mode, autoplay, automix, dj_role_id, "
        "announce_channel_id, max_queue_length, max_per_user, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT (guild_id) DO UPDATE SET volume = excluded.volume, loop_mode = excluded.loop_mode, "
        "autoplay = excluded.autoplay, automix = excluded.automix, dj_role_id = excluded.dj_role_id, "
        "announce_channel_id = excluded.announce_channel_id, max_queue_length = excluded.max_queue_length, "
        "max_per_user = excluded.max_per_user, updated_at = excluded.updated_at");
    q.bind(1, to_db(s.guild_id)).bind(2, s.volume).bind(3, static_cast<std::int64_t>(s.loop));
    q.bind(4, s.autoplay ? 1 : 0).bind(5, s.automix ? 1 : 0);
    if (s.dj_role_id) {
      q.bind(6, to_db(*s.dj_role_id));
    } else {
      q.bind_null(6);
    }
    if (s.announce_channel_id) {
      q.bind(7, to_db(*s.announce_channel_id));
    } else {
      q.bind_null(7);
    }
    q.bind(8, static_cast<std::int64_t>(s.max_queue_length)).bind(9, static_cast<std::int64_t>(s.max_per_user));
    q.bind(10, config.clock().time_since_epoch().count());
    q.run();
    return {};
  }

  void insert_track(std::uint64_t guild, std::int64_t idx, const queue::track& t) {
    auto q = prepare(
        "INSERT INTO queue_tracks (guild_id, idx, encoded, identifier, title, author, length_ms, is_stream, uri, "
        "source, artwork_url, requester_id, added_at_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
    q.bind(1, to_db(guild)).bind(2, idx).bind(3, t.encoded).bind(4, t.identifier).bind(5, t.title);
    q.bind(6, t.author).bind(7, t.length.count()).bind(8, t.is_stream ? 1 : 0).bind(9, t.uri).bind(10, t.source);
    q.bind(11, t.artwork_url).bind(12, to_db(t.requester_id)).bind(13, t.added_at.time_since_epoch().count());
    q.run();
  }

  std::pair<error_code, std::optional<stored_queue>> load_queue(std::uint64_t guild) {
    if (auto ec = require_started()) return {ec, std::nullopt};
    // A read transaction: the queue row and its tracks come from one snapshot.
    exec("BEGIN");
    try {
      auto result = load_queue_in_transaction(guild);
      exec("COMMIT");
      return result;
    } catch (...) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  std::pair<error_code, std::optional<stored_queue>> load_queue_in_transaction(std::uint64_t guild) {
    auto head = prepare(
        "SELECT version, loop_mode, position_ms, has_current, track_count, updated_at FROM queues WHERE guild_id = ?");
    head.bind(1, to_db(guild));
    if (!head.step()) return {{}, std::nullopt};
    stored_queue out;
    out.version = from_db(head.i64(0));
    const auto loop = head.i64(1);
    if (loop < 0 || loop > 2) return {error::corrupt_data, std::nullopt};
    out.state.loop = static_cast<queue::loop_mode>(loop);
    out.state.position = std::chrono::milliseconds(head.i64(2));
    const bool has_current = head.i64(3) != 0;
    const auto count = head.i64(4);
    out.updated_at = timestamp(std::chrono::milliseconds(head.i64(5)));
    // max_queue_tracks bounds writes; a queue written under a larger bound
    // still loads. Reads are bounded by what any queue can hold, so a
    // corrupt count cannot make the load reserve without limit.
    if (count < 0 || static_cast<std::uint64_t>(count) > queue::queue_limits::hard_max_length + 1) {
      return {error::corrupt_data, std::nullopt};
    }
    auto rows = prepare(
        "SELECT idx, encoded, identifier, title, author, length_ms, is_stream, uri, source, artwork_url, "
        "requester_id, added_at_ms FROM queue_tracks WHERE guild_id = ? ORDER BY idx");
    rows.bind(1, to_db(guild));
    std::vector<queue::track> tracks;
    tracks.reserve(static_cast<std::size_t>(count));
    while (rows.step()) {
      if (rows.i64(0) != static_cast<std::int64_t>(tracks.size()) || tracks.size() >= static_cast<std::size_t>(count)) {
        return {error::corrupt_data, std::nullopt};
      }
      queue::track t;
      t.encoded = rows.text(1);
      t.identifier = rows.text(2);
      t.title = rows.text(3);
      t.author = rows.text(4);
      t.length = std::chrono::milliseconds(rows.i64(5));
      t.is_stream = rows.i64(6) != 0;
      t.uri = rows.text(7);
      t.source = rows.text(8);
      t.artwork_url = rows.text(9);
      t.requester_id = from_db(rows.i64(10));
      t.added_at = timestamp(std::chrono::milliseconds(rows.i64(11)));
      tracks.push_back(std::move(t));
    }
    if (tracks.size() != static_cast<std::size_t>(count) || (has_current && tracks.empty())) {
      return {error::corrupt_data, std::nullopt};
    }
    auto it = tracks.begin();
    if (has_current) out.state.current = std::move(*it++);
    out.state.upcoming.assign(std::make_move_iterator(it), std::make_move_iterator(tracks.end()));
    return {{}, std::move(out)};
  }

  std::int64_t current_version(std::uint64_t guild) {
    auto q = prepare("SELECT version FROM queues WHERE guild_id = ?");
    q.bind(1, to_db(guild));
    return q.step() ? q.i64(0) : 0;
  }

  void write_queue_head(std::uint64_t guild, std::int64_t version, queue::loop_mode loop,
                        std::chrono::milliseconds position, bool has_current, std::int64_t count) {
    auto q = prepare(
        "INSERT INTO queues (guild_id, version, loop_mode, position_ms, has_current, track_count, updated_at) "
        "VALUES (?,?,?,?,?,?,?) ON CONFLICT (guild_id) DO UPDATE SET version = excluded.version, "
        "loop_mode = excluded.loop_mode, position_ms = excluded.position_ms, has_current = excluded.has_current, "
        "track_count = excluded.track_count, updated_at = excluded.updated_at");
    q.bind(1, to_db(guild)).bind(2, version).bind(3, static_cast<std::int64_t>(loop)).bind(4, position.count());
    q.bind(5, has_current ? 1 : 0).bind(6, count).bind(7, config.clock().time_since_epoch().count());
    q.run();
  }

  std::pair<error_code, std::uint64_t> replace_queue(std::uint64_t guild, const queue::queue_state& s) {
    if (auto ec = require_started()) return {ec, 0};
    if (detail::track_count(s) > config.max_queue_tracks) return {error::value_too_large, 0};
    return transaction([&]() -> std::pair<error_code, std::uint64_t> {
      const std::int64_t version = current_version(guild) + 1;
      prepare("DELETE FROM queue_tracks WHERE guild_id = ?").bind(1, to_db(guild)).run();
      std::int64_t idx = 0;
      if (s.current) insert_track(guild, idx++, *s.current);
      for (const auto& t : s.upcoming) insert_track(guild, idx++, t);
      write_queue_head(guild, version, s.loop, s.current ? s.position : std::chrono::milliseconds{0},
                       s.current.has_value(), idx);
      return {{}, from_db(version)};
    });
  }

  std::pair<error_code, std::uint64_t> append_tracks(std::uint64_t guild, const std::vector<queue::track>& tracks) {
    if (auto ec = require_started()) return {ec, 0};
    if (tracks.size() > config.max_queue_tracks) return {error::value_too_large, 0};
    return transaction([&]() -> std::pair<error_code, std::uint64_t> {
      auto head = prepare("SELECT version, loop_mode, position_ms, has_current, track_count FROM queues WHERE guild_id = ?");
      head.bind(1, to_db(guild));
      std::int64_t version = 0, count = 0, position = 0, loop = 0;
      bool has_current = false;
      if (head.step()) {
        version = head.i64(0);
        loop = head.i64(1);
        position = head.i64(2);
        has_current = head.i64(3) != 0;
        count = head.i64(4);
      }
      if (static_cast<std::uint64_t>(count) + tracks.size() > config.max_queue_tracks) {
        return {error::value_too_large, 0};
      }
      std::int64_t idx = count;
      for (const auto& t : tracks) insert_track(guild, idx++, t);
      write_queue_head(guild, version + 1, static_cast<queue::loop_mode>(loop), std::chrono::milliseconds(position),
                       has_current, idx);
      return {{}, from_db(version + 1)};
    });
  }

  std::pair<error_code, bool> delete_queue(std::uint64_t guild) {
    if (auto ec = require_started()) return {ec, false};
    return transaction([&]() -> std::pair<error_code, bool> {
      prepare("DELETE FROM queue_tracks WHERE guild_id = ?").bind(1, to_db(guild)).run();
      prepare("DELETE FROM queues WHERE guild_id = ?").bind(1, to_db(guild)).run();
      return {{}, sqlite3_changes(db) > 0};
    });
  }

  std::pair<error_code, std::vector<std::uint64_t>> list_queues() {
    if (auto ec = require_started()) return {ec, {}};
    auto q = prepare("SELECT guild_id FROM queues");
    std::vector<std::uint64_t> out;
    while (q.step()) out.push_back(from_db(q.i64(0)));
    std::sort(out.begin(), out.end());
    return {{}, std::move(out)};
  }

  std::uint64_t prune(timestamp now) {
    const auto& r = config.retention;
    std::uint64_t deleted = 0;
    prepare("DELETE FROM audit_log WHERE at_ms < ?").bind(1, (now - r.max_age).time_since_epoch().count()).run();
    deleted += static_cast<std::uint64_t>(sqlite3_changes(db));
    prepare("DELETE FROM audit_log WHERE id <= (SELECT MAX(id) FROM audit_log) - ?")
        .bind(1, static_cast<std::int64_t>(std::min<std::uint64_t>(r.max_entries, INT64_MAX)))
        .run();
    deleted += static_cast<std::uint64_t>(sqlite3_changes(db));
    return deleted;
  }

  std::pair<error_code, std::int64_t> record_audit(const audit_entry& e) {
    if (auto ec = require_started()) return {ec, 0};
    if (auto ec = detail::check_audit(e)) return {ec, 0};
    prepare("INSERT INTO audit_log (guild_id, user_id, command, outcome, detail, at_ms) VALUES (?,?,?,?,?,?)")
        .bind(1, to_db(e.guild_id))
        .bind(2, to_db(e.user_id))
        .bind(3, e.command)
        .bind(4, e.outcome)
        .bind(5, e.detail)
        .bind(6, e.at.time_since_epoch().count())
        .run();
    const auto id = sqlite3_last_insert_rowid(db);
    if (++inserts_since_prune >= std::max<std::uint64_t>(1, config.retention.prune_every)) {
      inserts_since_prune = 0;
      prune(config.clock());
    }
    return {{}, id};
  }

  std::pair<error_code, std::vector<audit_entry>> recent_audit(std::uint64_t guild, std::size_t limit) {
    if (auto ec = require_started()) return {ec, {}};
    auto q = prepare(
        "SELECT id, user_id, command, outcome, detail, at_ms FROM audit_log WHERE guild_id = ? "
        "ORDER BY id DESC LIMIT ?");
    q.bind(1, to_db(guild)).bind(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, 1000)));
    std::vector<audit_entry> out;
    while (q.step()) {
      audit_entry e;
      e.id = q.i64(0);
      e.guild_id = guild;
      e.user_id = from_db(q.i64(1));
      e.command = q.text(2);
      e.outcome = q.text(3);
      e.detail = q.text(4);
      e.at = timestamp(std::chrono::milliseconds(q.i64(5)));
      out.push_back(std::move(e));
    }
    return {{}, std::move(out)};
  }

  std::pair<error_code, std::uint64_t> prune_audit(timestamp now) {
    if (auto ec = require_started()) return {ec, 0};
    return transaction([&]() -> std::pair<error_code, std::uint64_t> { return {{}, prune(now)}; });
  }

  error_code set_flag(const feature_flag& f) {
    if (auto ec = require_started()) return ec;
    if (!valid_flag_name(f.name)) return error::invalid_argument;
    prepare(
        "INSERT INTO feature_flags (name, guild_id, enabled, updated_at) VALUES (?,?,?,?) "
        "ON CONFLICT (name, guild_id) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at")
        .bind(1, f.name)
        .bind(2, to_db(f.guild_id))
        .bind(3, f.enabled ? 1 : 0)
        .bind(4, config.clock().time_since_epoch().count())
        .run();
    return {};
  }

  std::pair<error_code, std::optional<bool>> get_flag(const std::string& name, std::uint64_t guild) {
    if (auto ec = require_started()) return {ec, std::nullopt};
    if (!valid_flag_name(name)) return {error::invalid_argument, std::nullopt};
    auto q = prepare(
        "SELECT enabled FROM feature_flags WHERE name = ? AND (guild_id = ? OR guild_id = 0) "
        "ORDER BY (guild_id = 0) LIMIT 1");
    q.bind(1, name).bind(2, to_db(guild));
    if (!q.step()) return {{}, std::nullopt};
    return {{}, q.i64(0) != 0};
  }

  std::pair<error_code, bool> delete_flag(const std::string& name, std::uint64_t guild) {
    if (auto ec = require_started()) return {ec, false};
    if (!valid_flag_name(name)) return {error::invalid_argument, false};
    prepare("DELETE FROM feature_flags WHERE name = ? AND guild_id = ?").bind(1, name).bind(2, to_db(guild)).run();
    return {{}, sqlite3_changes(db) > 0};
  }

  std::pair<error_code, std::vector<feature_flag>> list_flags() {
    if (auto ec = require_started()) return {ec, {}};
    auto q = prepare("SELECT name, guild_id, enabled FROM feature_flags ORDER BY name, guild_id");
    std::vector<feature_flag> out;
    while (q.step()) out.push_back(feature_flag{q.text(0), from_db(q.i64(1)), q.i64(2) != 0});
    return {{}, std::move(out)};
  }

  // ---- API tokens and voice channels (schema 2) ----------------------------

  static constexpr const char* token_columns =
      "SELECT id, guild_id, created_by, hash, label, created_at, expires_at, revoked FROM api_tokens ";

  static api_token_record token_from(const statement& q) {
    api_token_record r;
    r.id = q.text(0);
    r.guild_id = from_db(q.i64(1));
    r.created_by = from_db(q.i64(2));
    r.hash = q.text(3);
    r.label = q.text(4);
    r.created_at = timestamp(std::chrono::milliseconds(q.i64(5)));
    r.expires_at = timestamp(std::chrono::milliseconds(q.i64(6)));
    r.revoked = q.i64(7) != 0;
    return r;
  }

  error_code create_api_token(const api_token_record& r) {
    if (auto ec = require_started()) return ec;
    if (auto ec = detail::check_api_token(r)) return ec;
    return transaction([&]() -> error_code {
      const auto now = config.clock().time_since_epoch().count();
      // Dead tokens of the guild go first: the guild never holds more rows than the limit.
      prepare("DELETE FROM api_tokens WHERE guild_id = ? AND (revoked <> 0 OR expires_at <= ?)")
          .bind(1, to_db(r.guild_id))
          .bind(2, now)
          .run();
      auto taken = prepare("SELECT 1 FROM api_tokens WHERE id = ? OR hash = ?");
      taken.bind(1, r.id).bind(2, r.hash);
      if (taken.step()) return error::already_exists;
      auto live = prepare("SELECT COUNT(*) FROM api_tokens WHERE guild_id = ?");
      live.bind(1, to_db(r.guild_id));
      live.step();
      if (static_cast<std::uint64_t>(live.i64(0)) >= config.max_tokens_per_guild) return error::limit_reached;
      prepare(
          "INSERT INTO api_tokens (id, guild_id, created_by, hash, label, created_at, expires_at, revoked) "
          "VALUES (?,?,?,?,?,?,?,?)")
          .bind(1, r.id)
          .bind(2, to_db(r.guild_id))
          .bind(3, to_db(r.created_by))
          .bind(4, r.hash)
          .bind(5, r.label)
          .bind(6, r.created_at.time_since_epoch().count())
          .bind(7, r.expires_at.time_since_epoch().count())
          .bind(8, r.revoked ? 1 : 0)
          .run();
      return {};
    });
  }

  std::pair<error_code, std::optional<api_token_record>> find_api_token(const std::string& hash) {
    if (auto ec = require_started()) return {ec, std::nullopt};
    if (!valid_token_hash(hash)) return {error::invalid_argument, std::nullopt};
    auto q = prepare((std::string(token_columns) + "WHERE hash = ?").c_str());
    q.bind(1, hash);
    if (!q.step()) return {{}, std::nullopt};
    return {{}, token_from(q)};
  }

  std::pair<error_code, bool> revoke_api_token(std::uint64_t guild, const std::string& id) {
    if (auto ec = require_started()) return {ec, false};
    if (!valid_api_token_id(id)) return {error::invalid_argument, false};
    prepare("UPDATE api_tokens SET revoked = 1 WHERE guild_id = ? AND id = ?").bind(1, to_db(guild)).bind(2, id).run();
    return {{}, sqlite3_changes(db) > 0};
  }

  std::pair<error_code, std::vector<api_token_record>> list_api_tokens(std::uint64_t guild) {
    if (auto ec = require_started()) return {ec, {}};
    auto q = prepare((std::string(token_columns) + "WHERE guild_id = ? ORDER BY created_at, id LIMIT 1000").c_str());
    q.bind(1, to_db(guild));
    std::vector<api_token_record> out;
    while (q.step()) out.push_back(token_from(q));
    return {{}, std::move(out)};
  }

  std::pair<error_code, std::uint64_t> prune_api_tokens(timestamp now) {
    if (auto ec = require_started()) return {ec, 0};
    prepare("DELETE FROM api_tokens WHERE revoked <> 0 OR expires_at <= ?").bind(1, now.time_since_epoch().count()).run();
    return {{}, static_cast<std::uint64_t>(sqlite3_changes(db))};
  }

  error_code save_voice_channel(std::uint64_t guild, std::uint64_t channel) {
    if (auto ec = require_started()) return ec;
    if (guild == 0) return error::invalid_argument;
    if (channel == 0) {
      prepare("DELETE FROM voice_channels WHERE guild_id = ?").bind(1, to_db(guild)).run();
      return {};
    }
    prepare(
        "INSERT INTO voice_channels (guild_id, channel_id, updated_at) VALUES (?,?,?) ON CONFLICT (guild_id) "
        "DO UPDATE SET channel_id = excluded.channel_id, updated_at = excluded.updated_at")
        .bind(1, to_db(guild))
        .bind(2, to_db(channel))
        .bind(3, config.clock().time_since_epoch().count())
        .run();
    return {};
  }

  std::pair<error_code, std::vector<voice_channel_record>> list_voice_channels() {
    if (auto ec = require_started()) return {ec, {}};
    auto q = prepare("SELECT guild_id, channel_id, updated_at FROM voice_channels");
    std::vector<voice_channel_record> out;
    while (q.step()) {
      out.push_back(voice_channel_record{from_db(q.i64(0)), from_db(q.i64(1)),
                                         timestamp(std::chrono::milliseconds(q.i64(2)))});
    }
    // Unsigned order (ids above INT64_MAX are stored as negative integers).
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.guild_id < b.guild_id; });
    return {{}, std::move(out)};
  }

  boost::asio::any_io_executor executor;
  sqlite_config config;
  std::shared_ptr<spdlog::logger> log;

  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::unique_ptr<job_base>> jobs;
  bool stopping = false;
  std::thread worker;

  // Writer thread only:
  sqlite3* db = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> statements;
  bool started = false;
  std::uint64_t inserts_since_prune = 0;
  std::atomic<int> schema{0};
};

sqlite_store::sqlite_store(boost::asio::any_io_executor executor, sqlite_config config)
    : impl_(std::make_unique<impl>(std::move(executor), std::move(config))) {}

sqlite_store::~sqlite_store() = default;

int sqlite_store::current_schema_version() const noexcept { return impl_->schema.load(); }

boost::asio::any_io_executor sqlite_store::get_executor() const { return impl_->executor; }

void sqlite_store::do_start(void_handler h) {
  impl_->submit<void(error_code)>(std::move(h), [](impl& s) { return s.start(); });
}

void sqlite_store::do_load_settings(std::uint64_t guild_id, handler<std::optional<queue::guild_settings>> h) {
  impl_->submit<void(error_code, std::optional<queue::guild_settings>)>(
      std::move(h), [guild_id](impl& s) { return s.load_settings(guild_id); });
}

void sqlite_store::do_save_settings(queue::guild_settings settings, void_handler h) {
  impl_->submit<void(error_code)>(std::move(h),
                                  [settings = std::move(settings)](impl& s) { return s.save_settings(settings); });
}

void sqlite_store::do_load_queue(std::uint64_t guild_id, handler<std::optional<stored_queue>> h) {
  impl_->submit<void(error_code, std::optional<stored_queue>)>(std::move(h),
                                                               [guild_id](impl& s) { return s.load_queue(guild_id); });
}

void sqlite_store::do_replace_queue(std::uint64_t guild_id, queue::queue_state state, handler<std::uint64_t> h) {
  impl_->submit<void(error_code, std::uint64_t)>(
      std::move(h), [guild_id, state = std::move(state)](impl& s) { return s.replace_queue(guild_id, state); });
}

void sqlite_store::do_append_tracks(std::uint64_t guild_id, std::vector<queue::track> tracks,
                                    handler<std::uint64_t> h) {
  impl_->submit<void(error_code, std::uint64_t)>(
      std::move(h), [guild_id, tracks = std::move(tracks)](impl& s) { return s.append_tracks(guild_id, tracks); });
}

void sqlite_store::do_delete_queue(std::uint64_t guild_id, handler<bool> h) {
  impl_->submit<void(error_code, bool)>(std::move(h), [guild_id](impl& s) { return s.delete_queue(guild_id); });
}

void sqlite_store::do_list_queues(handler<std::vector<std::uint64_t>> h) {
  impl_->submit<void(error_code, std::vector<std::uint64_t>)>(std::move(h), [](impl& s) { return s.list_queues(); });
}

void sqlite_store::do_record_audit(audit_entry entry, handler<std::int64_t> h) {
  impl_->submit<void(error_code, std::int64_t)>(std::move(h),
                                                [entry = std::move(entry)](impl& s) { return s.record_audit(entry); });
}

void sqlite_store::do_recent_audit(std::uint64_t guild_id, std::size_t limit, handler<std::vector<audit_entry>> h) {
  impl_->submit<void(error_code, std::vector<audit_entry>)>(
      std::move(h), [guild_id, limit](impl& s) { return s.recent_audit(guild_id, limit); });
}

void sqlite_store::do_prune_audit(timestamp now, handler<std::uint64_t> h) {
  impl_->submit<void(error_code, std::uint64_t)>(std::move(h), [now](impl& s) { return s.prune_audit(now); });
}

void sqlite_store::do_set_flag(feature_flag flag, void_handler h) {
  impl_->submit<void(error_code)>(std::move(h), [flag = std::move(flag)](impl& s) { return s.set_flag(flag); });
}

void sqlite_store::do_get_flag(std::string name, std::uint64_t guild_id, handler<std::optional<bool>> h) {
  impl_->submit<void(error_code, std::optional<bool>)>(
      std::move(h), [name = std::move(name), guild_id](impl& s) { return s.get_flag(name, guild_id); });
}

void sqlite_store::do_delete_flag(std::string name, std::uint64_t guild_id, handler<bool> h) {
  impl_->submit<void(error_code, bool)>(
      std::move(h), [name = std::move(name), guild_id](impl& s) { return s.delete_flag(name, guild_id); });
}

void sqlite_store::do_list_flags(handler<std::vector<feature_flag>> h) {
  impl_->submit<void(error_code, std::vector<feature_flag>)>(std::move(h), [](impl& s) { return s.list_flags(); });
}

void sqlite_store::do_create_api_token(api_token_record token_record, void_handler h) {
  impl_->submit<void(error_code)>(std::move(h), [r = std::move(token_record)](impl& s) { return s.create_api_token(r); });
}

void sqlite_store::do_find_api_token_by_hash(std::string hash, handler<std::optional<api_token_record>> h) {
  impl_->submit<void(error_code, std::optional<api_token_record>)>(
      std::move(h), [hash = std::move(hash)](impl& s) { return s.find_api_token(hash); });
}

void sqlite_store::do_revoke_api_token(std::uint64_t guild_id, std::string id, handler<bool> h) {
  impl_->submit<void(error_code, bool)>(
      std::move(h), [guild_id, id = std::move(id)](impl& s) { return s.revoke_api_token(guild_id, id); });
}

void sqlite_store::do_list_api_tokens(std::uint64_t guild_id, handler<std::vector<api_token_record>> h) {
  impl_->submit<void(error_code, std::vector<api_token_record>)>(
      std::move(h), [guild_id](impl& s) { return s.list_api_tokens(guild_id); });
}

void sqlite_store::do_prune_api_tokens(timestamp now, handler<std::uint64_t> h) {
  impl_->submit<void(error_code, std::uint64_t)>(std::move(h), [now](impl& s) { return s.prune_api_tokens(now); });
}

void sqlite_store::do_save_voice_channel(std::uint64_t guild_id, std::uint64_t channel_id, void_handler h) {
  impl_->submit<void(error_code)>(std::move(h),
                                  [guild_id, channel_id](impl& s) { return s.save_voice_channel(guild_id, channel_id); });
}

void sqlite_store::do_list_voice_channels(handler<std::vector<voice_channel_record>> h) {
  impl_->submit<void(error_code, std::vector<voice_channel_record>)>(std::move(h),
                                                                     [](impl& s) { return s.list_voice_channels(); });
}

}  // namespace musicbot::store
