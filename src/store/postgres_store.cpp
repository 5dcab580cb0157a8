// GCC 12 at -O1/-O2 reports -Wnull-dereference false positives inside
// Boost.Asio's scheduler and awaitable machinery; they are not in this code.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <musicbot/store/postgres_store.hpp>

#include "common.hpp"

#include <libpq-fe.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <deque>
#include <list>
#include <set>
#include <stdexcept>
#include <string_view>
#include <variant>

namespace musicbot::store {

namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using detail::from_db;
using detail::to_db;
using clock_type = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Schema migrations, in order; each runs in one transaction under an
// advisory lock, so concurrently starting bots migrate once.
struct migration {
  int version;
  const char* sql;
};

constexpr migration pg_migrations[] = {
    {1, R"sql(
CREATE TABLE guild_settings (
  guild_id BIGINT PRIMARY KEY,
  volume INTEGER NOT NULL,
  loop_mode SMALLINT NOT NULL,
  autoplay BOOLEAN NOT NULL,
  automix BOOLEAN NOT NULL,
  dj_role_id BIGINT,
  announce_channel_id BIGINT,
  max_queue_length BIGINT NOT NULL,
  max_per_user BIGINT NOT NULL,
  updated_at BIGINT NOT NULL);
CREATE TABLE queues (
  guild_id BIGINT PRIMARY KEY,
  version BIGINT NOT NULL,
  loop_mode SMALLINT NOT NULL,
  position_ms BIGINT NOT NULL,
  has_current BOOLEAN NOT NULL,
  track_count INTEGER NOT NULL,
  updated_at BIGINT NOT NULL);
CREATE TABLE queue_tracks (
  guild_id BIGINT NOT NULL,
  idx INTEGER NOT NULL,
  encoded TEXT NOT NULL,
  identifier TEXT NOT NULL,
  title TEXT NOT NULL,
  author TEXT NOT NULL,
  length_ms BIGINT NOT NULL,
  is_stream BOOLEAN NOT NULL,
  uri TEXT NOT NULL,
  source TEXT NOT NULL,
  artwork_url TEXT NOT NULL,
  requester_id BIGINT NOT NULL,
  added_at_ms BIGINT NOT NULL,
  PRIMARY KEY (guild_id, idx));
CREATE TABLE audit_log (
  id BIGSERIAL PRIMARY KEY,
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
  enabled BOOLEAN NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (name, guild_id));

-- The whole queue in one statement: the row lock on queues serialises
-- writers of one guild, and the function body is one transaction.
CREATE FUNCTION musicbot_replace_queue(p_guild BIGINT, p_loop SMALLINT, p_position BIGINT, p_has_current BOOLEAN,
    p_updated BIGINT, p_encoded TEXT[], p_identifier TEXT[], p_title TEXT[], p_author TEXT[], p_length BIGINT[],
    p_stream BOOLEAN[], p_uri TEXT[], p_source TEXT[], p_artwork TEXT[], p_requester BIGINT[], p_added BIGINT[])
RETURNS BIGINT LANGUAGE plpgsql AS $fn$
DECLARE
  v BIGINT;
  n INTEGER := COALESCE(array_length(p_encoded, 1), 0);
BEGIN
  INSERT INTO queues AS q (guild_id, version, loop_mode, position_ms, has_current, track_count, updated_at)
  VALUES (p_guild, 1, p_loop, p_position, p_has_current, n, p_updated)
  ON CONFLICT (guild_id) DO UPDATE SET version = q.version + 1, loop_mode = EXCLUDED.loop_mode,
    position_ms = EXCLUDED.position_ms, has_current = EXCLUDED.has_current, track_count = EXCLUDED.track_count,
    updated_at = EXCLUDED.updated_at
  RETURNING version INTO v;
  DELETE FROM queue_tracks WHERE guild_id = p_guild;
  INSERT INTO queue_tracks (guild_id, idx, encoded, identifier, title, author, length_ms, is_stream, uri, source,
                            artwork_url, requester_id, added_at_ms)
  SELECT p_guild, (t.ord - 1)::INTEGER, t.encoded, t.identifier, t.title, t.author, t.length_ms, t.is_stream, t.uri,
         t.source, t.artwork_url, t.requester_id, t.added_at_ms
  FROM unnest(p_encoded, p_identifier, p_title, p_author, p_length, p_stream, p_uri, p_source, p_artwork,
              p_requester, p_added)
       WITH ORDINALITY AS t(encoded, identifier, title, author, length_ms, is_stream, uri, source, artwork_url,
                            requester_id, added_at_ms, ord);
  RETURN v;
END
$fn$;

CREATE FUNCTION musicbot_append_queue(p_guild BIGINT, p_updated BIGINT, p_max BIGINT, p_encoded TEXT[],
    p_identifier TEXT[], p_title TEXT[], p_author TEXT[], p_length BIGINT[], p_stream BOOLEAN[], p_uri TEXT[],
    p_source TEXT[], p_artwork TEXT[], p_requester BIGINT[], p_added BIGINT[])
RETURNS BIGINT LANGUAGE plpgsql AS $fn$
DECLARE
  v BIGINT;
  c INTEGER;
  n INTEGER := COALESCE(array_length(p_encoded, 1), 0);
BEGIN
  INSERT INTO queues (guild_id, version, loop_mode, position_ms, has_current, track_count, updated_at)
  VALUES (p_guild, 0, 0, 0, FALSE, 0, p_updated) ON CONFLICT (guild_id) DO NOTHING;
  SELECT version, track_count INTO v, c FROM queues WHERE guild_id = p_guild FOR UPDATE;
  IF c + n > p_max THEN
    RAISE EXCEPTION 'queue too long' USING ERRCODE = 'MBQ01';
  END IF;
  INSERT INTO queue_tracks (guild_id, idx, encoded, identifier, title, author, length_ms, is_stream, uri, source,
                            artwork_url, requester_id, added_at_ms)
  SELECT p_guild, (c + t.ord - 1)::INTEGER, t.encoded, t.identifier, t.title, t.author, t.length_ms, t.is_stream,
         t.uri, t.source, t.artwork_url, t.requester_id, t.added_at_ms
  FROM unnest(p_encoded, p_identifier, p_title, p_author, p_length, p_stream, p_uri, p_source, p_artwork,
              p_requester, p_added)
       WITH ORDINALITY AS t(encoded, identifier, title, author, length_ms, is_stream, uri, source, artwork_url,
                            requester_id, added_at_ms, ord);
  UPDATE queues SET version = v + 1, track_count = c + n, updated_at = p_updated WHERE guild_id = p_guild;
  RETURN v + 1;
END
$fn$;
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
  revoked BOOLEAN NOT NULL);
CREATE INDEX api_tokens_guild ON api_tokens (guild_id, created_at);
CREATE INDEX api_tokens_expiry ON api_tokens (expires_at);
CREATE TABLE voice_channels (
  guild_id BIGINT PRIMARY KEY,
  channel_id BIGINT NOT NULL,
  updated_at BIGINT NOT NULL);

-- Creation in one transaction, serialised per guild (advisory lock on the
-- guild id), so two concurrent creations never exceed the limit.
-- Returns 0 = created, 1 = id or hash taken, 2 = the guild's limit reached.
CREATE FUNCTION musicbot_create_api_token(p_id TEXT, p_guild BIGINT, p_created_by BIGINT, p_hash TEXT, p_label TEXT,
    p_created BIGINT, p_expires BIGINT, p_revoked BOOLEAN, p_now BIGINT, p_max BIGINT)
RETURNS INTEGER LANGUAGE plpgsql AS $fn$
DECLARE
  live BIGINT;
BEGIN
  PERFORM pg_advisory_xact_lock(p_guild);
  DELETE FROM api_tokens WHERE guild_id = p_guild AND (revoked OR expires_at <= p_now);
  IF EXISTS (SELECT 1 FROM api_tokens WHERE id = p_id OR hash = p_hash) THEN
    RETURN 1;
  END IF;
  SELECT COUNT(*) INTO live FROM api_tokens WHERE guild_id = p_guild;
  IF live >= p_max THEN
    RETURN 2;
  END IF;
  BEGIN
    INSERT INTO api_tokens (id, guild_id, created_by, hash, label, created_at, expires_at, revoked)
    VALUES (p_id, p_guild, p_created_by, p_hash, p_label, p_created, p_expires, p_revoked);
  EXCEPTION WHEN unique_violation THEN
    RETURN 1;  -- taken by a concurrent creation in another guild
  END;
  RETURN 0;
END
$fn$;
)sql"},
};

// Prepared statements: name, SQL, number of parameters.
struct statement_def {
  const char* name;
  const char* sql;
};

constexpr statement_def st_load_settings{
    "mb_load_settings",
    "SELECT volume, loop_mode, autoplay, automix, dj_role_id, announce_channel_id, max_queue_length, max_per_user "
    "FROM guild_settings WHERE guild_id = $1"};
constexpr statement_def st_save_settings{
    "mb_save_settings",
    "INSERT INTO guild_settings (guild_id, volume, loop_mode, autoplay, automix, dj_role_id, announce_channel_id, "
    "max_queue_length, max_per_user, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) "
    "ON CONFLICT (guild_id) DO UPDATE SET volume = EXCLUDED.volume, loop_mode = EXCLUDED.loop_mode, "
    "autoplay = EXCLUDED.autoplay, automix = EXCLUDED.automix, dj_role_id = EXCLUDED.dj_role_id, "
    "announce_channel_id = EXCLUDED.announce_channel_id, max_queue_length = EXCLUDED.max_queue_length, "
    "max_per_user = EXCLUDED.max_per_user, updated_at = EXCLUDED.updated_at"};
// One statement, one snapshot: the queue row and its tracks never mix versions.
constexpr statement_def st_load_queue{
    "mb_load_queue",
    "SELECT q.version, q.loop_mode, q.position_ms, q.has_current, q.track_count, q.updated_at, t.idx, t.encoded, "
    "t.identifier, t.title, t.author, t.length_ms, t.is_stream, t.uri, t.source, t.artwork_url, t.requester_id, "
    "t.added_at_ms FROM queues q LEFT JOIN queue_tracks t ON t.guild_id = q.guild_id WHERE q.guild_id = $1 "
    "ORDER BY t.idx"};
constexpr statement_def st_replace_queue{
    "mb_replace_queue",
    "SELECT musicbot_replace_queue($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)"};
constexpr statement_def st_append_queue{
    "mb_append_queue", "SELECT musicbot_append_queue($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)"};
constexpr statement_def st_delete_queue{
    "mb_delete_queue",
    "WITH t AS (DELETE FROM queue_tracks WHERE guild_id = $1) DELETE FROM queues WHERE guild_id = $1"};
constexpr statement_def st_list_queues{"mb_list_queues", "SELECT guild_id FROM queues"};
constexpr statement_def st_record_audit{
    "mb_record_audit",
    "INSERT INTO audit_log (guild_id, user_id, command, outcome, detail, at_ms) VALUES ($1,$2,$3,$4,$5,$6) "
    "RETURNING id"};
constexpr statement_def st_recent_audit{
    "mb_recent_audit",
    "SELECT id, user_id, command, outcome, detail, at_ms FROM audit_log WHERE guild_id = $1 ORDER BY id DESC "
    "LIMIT $2"};
constexpr statement_def st_prune_audit{
    "mb_prune_audit",
    "DELETE FROM audit_log WHERE at_ms < $1 OR id <= (SELECT COALESCE(MAX(id), 0) FROM audit_log) - $2"};
constexpr statement_def st_set_flag{
    "mb_set_flag",
    "INSERT INTO feature_flags (name, guild_id, enabled, updated_at) VALUES ($1,$2,$3,$4) "
    "ON CONFLICT (name, guild_id) DO UPDATE SET enabled = EXCLUDED.enabled, updated_at = EXCLUDED.updated_at"};
constexpr statement_def st_get_flag{
    "mb_get_flag",
    "SELECT enabled FROM feature_flags WHERE name = $1 AND (guild_id = $2 OR guild_id = 0) "
    "ORDER BY (guild_id = 0) LIMIT 1"};
constexpr statement_def st_delete_flag{"mb_delete_flag",
                                       "DELETE FROM feature_flags WHERE name = $1 AND guild_id = $2"};
constexpr statement_def st_list_flags{"mb_list_flags",
                                      "SELECT name, guild_id, enabled FROM feature_flags ORDER BY name, guild_id"};

constexpr statement_def st_create_token{"mb_create_token",
                                       "SELECT musicbot_create_api_token($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"};
constexpr statement_def st_find_token{
    "mb_find_token",
    "SELECT id, guild_id, created_by, hash, label, created_at, expires_at, revoked FROM api_tokens WHERE hash = $1"};
constexpr statement_def st_revoke_token{"mb_revoke_token",
                                        "UPDATE api_tokens SET revoked = TRUE WHERE guild_id = $1 AND id = $2"};
constexpr statement_def st_list_tokens{
    "mb_list_tokens",
    "SELECT id, guild_id, created_by, hash, label, created_at, expires_at, revoked FROM api_tokens "
    "WHERE guild_id = $1 ORDER BY created_at, id LIMIT 1000"};
constexpr statement_def st_prune_tokens{"mb_prune_tokens",
                                        "DELETE FROM api_tokens WHERE revoked OR expires_at <= $1"};
constexpr statement_def st_save_voice{
    "mb_save_voice",
    "INSERT INTO voice_channels (guild_id, channel_id, updated_at) VALUES ($1,$2,$3) ON CONFLICT (guild_id) "
    "DO UPDATE SET channel_id = EXCLUDED.channel_id, updated_at = EXCLUDED.updated_at"};
constexpr statement_def st_delete_voice{"mb_delete_voice", "DELETE FROM voice_channels WHERE guild_id = $1"};
constexpr statement_def st_list_voice{"mb_list_voice", "SELECT guild_id, channel_id, updated_at FROM voice_channels"};

struct result_deleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using pg_result = std::unique_ptr<PGresult, result_deleter>;

// Text-format parameters (std::nullopt = SQL NULL).
using params = std::vector<std::optional<std::string>>;

std::string num(std::int64_t v) { return std::to_string(v); }
std::string boolean(bool v) { return v ? "t" : "f"; }

// A PostgreSQL array literal of text elements: {"a","b\"c"}.
template <class Range, class Fn>
std::string text_array(const Range& items, Fn field) {
  std::string out = "{";
  bool first = true;
  for (const auto& item : items) {
    if (!first) out.push_back(',');
    first = false;
    out.push_back('"');
    for (char c : std::string_view(field(item))) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

template <class Range, class Fn>
std::string plain_array(const Range& items, Fn field) {
  std::string out = "{";
  bool first = true;
  for (const auto& item : items) {
    if (!first) out.push_back(',');
    first = false;
    out += field(item);
  }
  out.push_back('}');
  return out;
}

// The 11 track-array parameters shared by replace and append.
void append_track_arrays(params& p, const std::vector<const queue::track*>& tracks) {
  using tp = const queue::track*;
  p.emplace_back(text_array(tracks, [](tp t) -> const std::string& { return t->encoded; }));
  p.emplace_back(text_array(tracks, [](tp t) -> const std::string& { return t->identifier; }));
  p.emplace_back(text_array(tracks, [](tp t) -> const std::string& { return t->title; }));
  p.emplace_back(text_array(tracks, [](tp t) -> const std::string& { return t->author; }));
  p.emplace_back(plain_array(tracks, [](tp t) { return num(t->length.count()); }));
  p.emplace_back(plain_array(tracks, [](tp t) { return boolean(t->is_stream); }));
  p.emplace_back(text_array(tracks, [](tp t) -> const std::string& { return t->uri; }));
  p.emplace_back(text_array(tracks, [](tp t) -> const std::string& { return t->source; }));
  p.emplace_back(text_array(tracks, [](tp t) -> const std::string& { return t->artwork_url; }));
  p.emplace_back(plain_array(tracks, [](tp t) { return num(to_db(t->requester_id)); }));
  p.emplace_back(plain_array(tracks, [](tp t) { return num(t->added_at.time_since_epoch().count()); }));
}

// Reads one text field of a result row.
struct row {
  PGresult* r;
  int i;
  [[nodiscard]] bool is_null(int col) const { return PQgetisnull(r, i, col) != 0; }
  [[nodiscard]] std::string_view text(int col) const {
    return {PQgetvalue(r, i, col), static_cast<std::size_t>(PQgetlength(r, i, col))};
  }
  [[nodiscard]] std::int64_t i64(int col) const {
    const auto t = text(col);
    std::int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || ptr != t.data() + t.size()) throw std::invalid_argument("not an integer");
    return v;
  }
  [[nodiscard]] bool flag(int col) const { return text(col) == "t"; }
  [[nodiscard]] std::string str(int col) const { return std::string(text(col)); }
};

struct connection {
  connection(asio::strand<asio::any_io_executor> ex) : socket(ex) {}
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection() {
    // libpq owns the file descriptor: release it from Asio before PQfinish closes it.
    if (socket.is_open()) {
      boost::system::error_code ignored;
      socket.cancel(ignored);
      (void)socket.release();
    }
    if (conn != nullptr) PQfinish(conn);
  }

  // Points the Asio descriptor at libpq's current socket (it can change while connecting).
  bool sync_socket() {
    const int fd = PQsocket(conn);
    if (fd < 0) return false;
    if (socket.is_open() && socket.native_handle() == fd) return true;
    if (socket.is_open()) (void)socket.release();
    boost::system::error_code ec;
    socket.assign(fd, ec);
    return !ec;
  }

  PGconn* conn = nullptr;
  asio::posix::stream_descriptor socket;
  std::set<std::string> prepared;
  clock_type::time_point last_used = clock_type::now();
  bool broken = false;
};

}  // namespace

struct postgres_store::impl : std::enable_shared_from_this<impl> {
  impl(asio::any_io_executor ex, postgres_config cfg)
      : executor(std::move(ex)),
        strand(asio::make_strand(executor)),
        config(std::move(cfg)),
        log(detail::store_logger(config.logger)) {
    if (!config.clock) config.clock = detail::system_now;
    if (config.pool_max == 0 || config.pool_max < config.pool_min) {
      throw std::invalid_argument("musicbot::store::postgres_config: pool_max must be >= max(1, pool_min)");
    }
  }

  // ---- waiting on the socket -------------------------------------------------

  // Waits until the connection's socket is ready, bounded by `deadline`.
  asio::awaitable<error_code> wait(connection& c, asio::posix::descriptor_base::wait_type type,
                                   clock_type::time_point deadline) {
    asio::steady_timer timer(strand, deadline);
    auto result = co_await (c.socket.async_wait(type, use_tuple) || timer.async_wait(use_tuple));
    if (result.index() == 1) {
      c.broken = true;
      co_return error::timed_out;
    }
    auto [ec] = std::get<0>(result);
    if (ec) {
      c.broken = true;
      co_return error::connection_lost;
    }
    co_return error_code{};
  }

  // ---- connecting ---------------------------------------------------------------

  asio::awaitable<std::pair<error_code, std::unique_ptr<connection>>> connect() {
    auto c = std::make_unique<connection>(strand);
    const std::string options = config.statement_timeout.count() > 0
                                    ? "-c statement_timeout=" + std::to_string(config.statement_timeout.count())
                                    : std::string();
    std::vector<const char*> keys{"dbname", "application_name", "client_encoding"};
    std::vector<const char*> values{config.dsn.reveal().c_str(), "musicbot", "UTF8"};
    if (!options.empty()) {
      keys.push_back("options");
      values.push_back(options.c_str());
    }
    if (!config.password.empty()) {
      keys.push_back("password");
      values.push_back(config.password.reveal().c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    c->conn = PQconnectStartParams(keys.data(), values.data(), 1);
    if (c->conn == nullptr || PQstatus(c->conn) == CONNECTION_BAD) {
      log_connect_failure(c->conn);
      co_return std::pair{error_code(error::connection_failed), nullptr};
    }
    const auto deadline = clock_type::now() + config.connect_timeout;
    PostgresPollingStatusType status = PGRES_POLLING_WRITING;
    while (status != PGRES_POLLING_OK) {
      if (status == PGRES_POLLING_FAILED || !c->sync_socket()) {
        log_connect_failure(c->conn);
        co_return std::pair{error_code(error::connection_failed), nullptr};
      }
      const auto type = status == PGRES_POLLING_READING ? asio::posix::descriptor_base::wait_read
                                                        : asio::posix::descriptor_base::wait_write;
      if (auto ec = co_await wait(*c, type, deadline)) {
        log->warn("postgres: connect did not complete: {}", ec.message());
        co_return std::pair{ec == error::timed_out ? ec : error_code(error::connection_failed), nullptr};
      }
      status = PQconnectPoll(c->conn);
    }
    PQsetNoticeProcessor(c->conn, &impl::on_notice, this);
    if (PQsetnonblocking(c->conn, 1) != 0 || !c->sync_socket()) {
      co_return std::pair{error_code(error::connection_failed), nullptr};
    }
    c->broken = false;
    ++connects_count;
    if (in_outage) {
      in_outage = false;
      log->info("postgres: connected again");
    }
    co_return std::pair{error_code{}, std::move(c)};
  }

  // Server notices (e.g. "already exists, skipping") go to the logger, not stderr.
  static void on_notice(void* self, const char* message) {
    std::string_view text(message);
    while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    static_cast<impl*>(self)->log->debug("postgres: {}", text);
  }

  void log_connect_failure(PGconn* conn) {
    ++connect_failures_count;
    // libpq's message names host and port, never the password.
    std::string message = conn ? PQerrorMessage(conn) : "out of memory";
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    // Once per outage at warning level; the retries (with backoff) at debug.
    if (!in_outage) {
      in_outage = true;
      log->warn("postgres: connect failed: {}", message);
    } else {
      log->debug("postgres: connect failed again: {}", message);
    }
  }

  // ---- one round trip -----------------------------------------------------------

  asio::awaitable<error_code> flush(connection& c, clock_type::time_point deadline) {
    while (true) {
      const int r = PQflush(c.conn);
      if (r == 0) co_return error_code{};
      if (r < 0) {
        c.broken = true;
        co_return error::connection_lost;
      }
      if (auto ec = co_await wait(c, asio::posix::descriptor_base::wait_write, deadline)) co_return ec;
    }
  }

  // Collects the results of the command just sent; returns the last one.
  asio::awaitable<std::pair<error_code, pg_result>> collect(connection& c, clock_type::time_point deadline) {
    pg_result last;
    error_code first_error;
    while (true) {
      while (PQisBusy(c.conn) != 0) {
        if (auto ec = co_await wait(c, asio::posix::descriptor_base::wait_read, deadline)) co_return std::pair{ec, nullptr};
        if (PQconsumeInput(c.conn) == 0) {
          c.broken = true;
          log->warn("postgres: connection lost: {}", trimmed_error(c.conn));
          co_return std::pair{error_code(error::connection_lost), nullptr};
        }
      }
      pg_result r(PQgetResult(c.conn));
      if (!r) break;
      const auto status = PQresultStatus(r.get());
      if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && !first_error) {
        first_error = classify(c, r.get());
      }
      last = std::move(r);
    }
    if (PQstatus(c.conn) != CONNECTION_OK) {
      c.broken = true;
      if (!first_error) first_error = error::connection_lost;
    }
    co_return std::pair{first_error, std::move(last)};
  }

  std::string trimmed_error(PGconn* conn) {
    std::string message = PQerrorMessage(conn);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    return message;
  }

  error_code classify(connection& c, PGresult* r) {
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const std::string_view sqlstate = state ? state : "";
    std::string message = PQresultErrorMessage(r);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    if (sqlstate == "MBQ01") return error::value_too_large;
    log->warn("postgres: statement failed [{}]: {}", sqlstate, message);
    if (sqlstate == "57014") return error::timed_out;  // statement_timeout / cancel
    if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03") return error::busy;
    if (sqlstate.starts_with("08") || sqlstate.starts_with("57P") || PQstatus(c.conn) != CONNECTION_OK) {
      c.broken = true;
      return error::connection_lost;
    }
    return error::backend_error;
  }

  // Runs a simple (unprepared, possibly multi-statement) query.
  asio::awaitable<std::pair<error_code, pg_result>> simple(connection& c, const char* sql) {
    const auto deadline = clock_type::now() + config.query_timeout;
    if (PQsendQuery(c.conn, sql) == 0) {
      c.broken = true;
      co_return std::pair{error_code(error::connection_lost), nullptr};
    }
    if (auto ec = co_await flush(c, deadline)) co_return std::pair{ec, nullptr};
    co_return co_await collect(c, deadline);
  }

  // Runs a prepared statement (preparing it on this connection first if needed).
  asio::awaitable<std::pair<error_code, pg_result>> exec(connection& c, const statement_def& st, const params& p) {
    const auto deadline = clock_type::now() + config.query_timeout;
    if (!c.prepared.contains(st.name)) {
      if (PQsendPrepare(c.conn, st.name, st.sql, static_cast<int>(p.size()), nullptr) == 0) {
        c.broken = true;
        co_return std::pair{error_code(error::connection_lost), nullptr};
      }
      if (auto ec = co_await flush(c, deadline)) co_return std::pair{ec, nullptr};
      auto [ec, r] = co_await collect(c, deadline);
      if (ec) co_return std::pair{ec, nullptr};
      c.prepared.insert(st.name);
    }
    std::vector<const char*> values;
    values.reserve(p.size());
    for (const auto& v : p) values.push_back(v ? v->c_str() : nullptr);
    if (PQsendQueryPrepared(c.conn, st.name, static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0) == 0) {
      c.broken = true;
      co_return std::pair{error_code(error::connection_lost), nullptr};
    }
    if (auto ec = co_await flush(c, deadline)) co_return std::pair{ec, nullptr};
    co_return co_await collect(c, deadline);
  }

  // ---- the pool -----------------------------------------------------------------

  // True if a pooled idle connection still looks usable (reads what the
  // server may have sent meanwhile, e.g. an admin-shutdown notice and EOF).
  static bool looks_alive(connection& c) {
    if (PQstatus(c.conn) != CONNECTION_OK) return false;
    if (PQconsumeInput(c.conn) == 0) return false;
    return PQstatus(c.conn) == CONNECTION_OK && PQtransactionStatus(c.conn) == PQTRANS_IDLE;
  }

  void discard(std::unique_ptr<connection> c) {
    c.reset();
    --open;
    ++discarded_count;
    publish();
    wake_one();
  }

  void wake_one() {
    if (!waiters.empty()) waiters.front()->cancel();
  }

  asio::awaitable<std::pair<error_code, std::unique_ptr<connection>>> acquire() {
    const auto deadline = clock_type::now() + config.acquire_timeout;
    error_code last_error = error::pool_exhausted;
    while (!closed) {
      while (!idle.empty()) {
        auto c = std::move(idle.back());
        idle.pop_back();
        publish();
        if (!looks_alive(*c)) {
          discard(std::move(c));
          continue;
        }
        if (clock_type::now() - c->last_used > config.health_check_idle) {
          auto [ec, r] = co_await simple(*c, "SELECT 1");
          if (ec) {
            discard(std::move(c));
            continue;
          }
        }
        co_return std::pair{error_code{}, std::move(c)};
      }
      if (open < config.pool_max) {
        const auto now = clock_type::now();
        if (now < next_connect_at) {
          if (next_connect_at >= deadline) break;
          asio::steady_timer pause(strand, next_connect_at);
          co_await pause.async_wait(use_tuple);
          continue;
        }
        ++open;
        publish();
        auto [ec, c] = co_await connect();
        if (!ec && !closed) {
          backoff = std::chrono::milliseconds{0};
          co_return std::pair{error_code{}, std::move(c)};
        }
        --open;
        publish();
        wake_one();
        last_error = ec ? ec : error_code(error::closed);
        backoff = std::clamp(backoff * 2, config.reconnect_backoff_min, config.reconnect_backoff_max);
        next_connect_at = clock_type::now() + backoff;
        continue;
      }
      if (clock_type::now() >= deadline) break;
      // Wait for a release (the timer is cancelled) or the deadline.
      asio::steady_timer waiter(strand, deadline);
      waiters.push_back(&waiter);
      publish();
      co_await waiter.async_wait(use_tuple);
      waiters.erase(std::find(waiters.begin(), waiters.end(), &waiter));
      publish();
    }
    if (closed) co_return std::pair{error_code(error::closed), nullptr};
    co_return std::pair{last_error == error::timed_out ? error_code(error::connection_failed) : last_error, nullptr};
  }

  void release(std::unique_ptr<connection> c) {
    if (closed || c->broken || PQstatus(c->conn) != CONNECTION_OK ||
        PQtransactionStatus(c->conn) != PQTRANS_IDLE) {
      discard(std::move(c));
      return;
    }
    c->last_used = clock_type::now();
    idle.push_back(std::move(c));
    publish();
    wake_one();
  }

  // A pooled connection for the duration of one operation.
  struct lease {
    impl* pool;
    std::unique_ptr<connection> c;
    lease(impl* p, std::unique_ptr<connection> conn) : pool(p), c(std::move(conn)) {}
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    ~lease() {
      if (c) pool->release(std::move(c));
    }
  };

  // ---- running operations -----------------------------------------------------------

  // Runs `body(connection&) -> awaitable<pair<error_code, T>>` on a pooled
  // connection; `idempotent` bodies are retried once on a fresh connection
  // when the first one turns out to be dead.
  template <class T, class Body>
  void launch(handler<T> h, bool idempotent, Body body) {
    detail::pending<void(error_code, T)> out(std::move(h), executor);
    // Reserve a slot first (initiation may run on any thread).
    if (pending_ops.fetch_add(1, std::memory_order_relaxed) >= config.max_pending) {
      pending_ops.fetch_sub(1, std::memory_order_relaxed);
      out.complete(error::overloaded, T{});
      return;
    }
    auto self = shared_from_this();
    asio::co_spawn(
        strand,
        [self, idempotent, body = std::move(body)]() mutable -> asio::awaitable<std::pair<error_code, T>> {
          if (!self->started) co_return std::pair{error_code(error::not_started), T{}};
          for (int attempt = 0;; ++attempt) {
            auto [ec, c] = co_await self->acquire();
            if (ec) co_return std::pair{ec, T{}};
            lease l(self.get(), std::move(c));
            auto result = co_await body(*self, *l.c);
            if (result.first == error::connection_lost && idempotent && attempt == 0) continue;
            co_return result;
          }
        },
        [self, out = std::move(out)](std::exception_ptr e, std::pair<error_code, T> r) mutable {
          self->pending_ops.fetch_sub(1, std::memory_order_relaxed);
          if (e) {
            self->log->error("postgres: operation failed with an exception");
            r = {error::backend_error, T{}};
          }
          out.complete(r.first, std::move(r.second));
        });
  }

  // For operations that return nothing.
  template <class Body>
  void launch_void(void_handler h, bool idempotent, Body body) {
    // Run as a bool-returning operation and drop the value.
    auto ex = asio::get_associated_executor(h, executor);
    handler<bool> wrapped(asio::bind_executor(ex, [h = std::move(h)](error_code ec, bool) mutable { std::move(h)(ec); }));
    launch<bool>(std::move(wrapped), idempotent,
                 [body = std::move(body)](impl& s, connection& c) -> asio::awaitable<std::pair<error_code, bool>> {
                   error_code ec = co_await body(s, c);
                   co_return std::pair{ec, !ec};
                 });
  }

  asio::awaitable<std::pair<error_code, std::uint64_t>> prune(connection& c, timestamp now) {
    const auto& r = config.retention;
    params args{num((now - r.max_age).time_since_epoch().count()),
                                    num(static_cast<std::int64_t>(std::min<std::uint64_t>(r.max_entries, INT64_MAX)))};
    auto [ec, res] = co_await exec(c, st_prune_audit, args);
    if (ec) co_return std::pair{ec, std::uint64_t{0}};
    std::uint64_t deleted = 0;
    const std::string_view n = PQcmdTuples(res.get());
    std::from_chars(n.data(), n.data() + n.size(), deleted);
    co_return std::pair{error_code{}, deleted};
  }

  // ---- start-up and migrations ----------------------------------------------------

  asio::awaitable<error_code> start() {
    if (started) co_return error_code{};
    std::vector<std::unique_ptr<connection>> opened;
    for (std::size_t i = 0; i < std::max<std::size_t>(1, config.pool_min); ++i) {
      ++open;
      publish();
      auto [ec, c] = co_await connect();
      if (ec) {
        --open;
        publish();
        for (auto& o : opened) release(std::move(o));
        co_return ec;
      }
      opened.push_back(std::move(c));
    }
    error_code ec = co_await migrate(*opened.front());
    for (auto& o : opened) release(std::move(o));
    if (!ec) started = true;
    co_return ec;
  }

  asio::awaitable<error_code> migrate(connection& c) {
    auto run = [&](const char* sql) { return simple(c, sql); };
    if (auto [ec, r] = co_await run("BEGIN"); ec) co_return ec;
    error_code failure;
    do {
      // Serialise concurrent migrators (any constant works as the lock key).
      if (auto [ec, r] = co_await run("SELECT pg_advisory_xact_lock(7346524301)"); ec) {
        failure = ec;
        break;
      }
      if (auto [ec, r] = co_await run("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                                      "applied_at BIGINT NOT NULL)");
          ec) {
        failure = ec;
        break;
      }
      auto [ec, r] = co_await run("SELECT COALESCE(MAX(version), 0) FROM schema_version");
      if (ec) {
        failure = ec;
        break;
      }
      const auto found = static_cast<int>(row{r.get(), 0}.i64(0));
      if (found > database::schema_version) {
        log->error("postgres: database schema version {} is newer than supported {}", found, database::schema_version);
        failure = error::schema_too_new;
        break;
      }
      for (const auto& m : pg_migrations) {
        if (m.version <= found) continue;
        if (auto [mec, mr] = co_await run(m.sql); mec) {
          failure = mec == error::connection_lost ? mec : error_code(error::migration_failed);
          break;
        }
        const std::string record = "INSERT INTO schema_version (version, applied_at) VALUES (" +
                                   std::to_string(m.version) + ", " +
                                   std::to_string(config.clock().time_since_epoch().count()) + ")";
        if (auto [mec, mr] = co_await run(record.c_str()); mec) {
          failure = error::migration_failed;
          break;
        }
        log->info("postgres: applied migration {}", m.version);
      }
      if (!failure) schema = std::max(found, pg_migrations[std::size(pg_migrations) - 1].version);
    } while (false);
    if (failure) {
      co_await run("ROLLBACK");
      co_return failure;
    }
    if (auto [ec, r] = co_await run("COMMIT"); ec) co_return ec;
    co_return error_code{};
  }

  void close() {
    closed = true;
    open -= idle.size();
    idle.clear();
    publish();
    for (auto* w : waiters) w->cancel();
  }

  asio::any_io_executor executor;
  asio::strand<asio::any_io_executor> strand;
  postgres_config config;
  std::shared_ptr<spdlog::logger> log;

  // Strand only:
  std::vector<std::unique_ptr<connection>> idle;
  std::list<asio::steady_timer*> waiters;
  std::size_t open = 0;
  std::atomic<std::size_t> pending_ops{0};  // any thread
  std::chrono::milliseconds backoff{0};
  clock_type::time_point next_connect_at{};
  bool started = false;
  bool closed = false;
  bool in_outage = false;
  std::atomic<int> schema{0};
  std::uint64_t audit_inserts = 0;
  // Published for stats() (read from any thread).
  std::atomic<std::size_t> open_count{0};
  std::atomic<std::size_t> idle_count{0};
  std::atomic<std::size_t> waiting_count{0};
  std::atomic<std::uint64_t> connects_count{0};
  std::atomic<std::uint64_t> connect_failures_count{0};
  std::atomic<std::uint64_t> discarded_count{0};

  void publish() noexcept {
    open_count.store(open, std::memory_order_relaxed);
    idle_count.store(idle.size(), std::memory_order_relaxed);
    waiting_count.store(waiters.size(), std::memory_order_relaxed);
  }
};

postgres_store::postgres_store(boost::asio::any_io_executor executor, postgres_config config)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(config))) {}

postgres_store::~postgres_store() {
  asio::post(impl_->strand, [self = impl_] { self->close(); });
}

int postgres_store::current_schema_version() const noexcept { return impl_->schema.load(); }

boost::asio::any_io_executor postgres_store::get_executor() const { return impl_->executor; }

postgres_store::pool_stats postgres_store::stats() const {
  pool_stats s;
  s.open = impl_->open_count.load(std::memory_order_relaxed);
  s.idle = impl_->idle_count.load(std::memory_order_relaxed);
  s.waiting = impl_->waiting_count.load(std::memory_order_relaxed);
  s.connects = impl_->connects_count.load(std::memory_order_relaxed);
  s.connect_failures = impl_->connect_failures_count.load(std::memory_order_relaxed);
  s.discarded = impl_->discarded_count.load(std::memory_order_relaxed);
  return s;
}

void postgres_store::do_start(void_handler h) {
  detail::pending<void(error_code)> out(std::move(h), impl_->executor);
  auto self = impl_;
  asio::co_spawn(
      impl_->strand, [self]() { return self->start(); },
      [self, out = std::move(out)](std::exception_ptr e, error_code ec) mutable {
        out.complete(e ? error_code(error::backend_error) : ec);
      });
}

namespace {

using body_result_settings = std::pair<error_code, std::optional<queue::guild_settings>>;

}  // namespace

void postgres_store::do_load_settings(std::uint64_t guild_id, handler<std::optional<queue::guild_settings>> h) {
  impl_->launch<std::optional<queue::guild_settings>>(
      std::move(h), true, [guild_id](impl& s, connection& c) -> asio::awaitable<body_result_settings> {
        params args{num(to_db(guild_id))};
    auto [ec, r] = co_await s.exec(c, st_load_settings, args);
        if (ec) co_return body_result_settings{ec, std::nullopt};
        if (PQntuples(r.get()) == 0) co_return body_result_settings{{}, std::nullopt};
        const row x{r.get(), 0};
        queue::guild_settings g;
        g.guild_id = guild_id;
        g.volume = static_cast<int>(x.i64(0));
        g.loop = static_cast<queue::loop_mode>(x.i64(1));
        g.autoplay = x.flag(2);
        g.automix = x.flag(3);
        if (!x.is_null(4)) g.dj_role_id = from_db(x.i64(4));
        if (!x.is_null(5)) g.announce_channel_id = from_db(x.i64(5));
        g.max_queue_length = static_cast<std::size_t>(x.i64(6));
        g.max_per_user = static_cast<std::size_t>(x.i64(7));
        if (!queue::validate(g)) co_return body_result_settings{error::corrupt_data, std::nullopt};
        co_return body_result_settings{{}, std::move(g)};
      });
}

void postgres_store::do_save_settings(queue::guild_settings settings, void_handler h) {
  if (auto ec = detail::check_settings(settings)) {
    detail::pending<void(error_code)>(std::move(h), impl_->executor).complete(ec);
    return;
  }
  const auto now = impl_->config.clock().time_since_epoch().count();
  impl_->launch_void(std::move(h), true, [settings, now](impl& s, connection& c) -> asio::awaitable<error_code> {
    params p{num(to_db(settings.guild_id)),
             num(settings.volume),
             num(static_cast<std::int64_t>(settings.loop)),
             boolean(settings.autoplay),
             boolean(settings.automix),
             settings.dj_role_id ? std::optional(num(to_db(*settings.dj_role_id))) : std::nullopt,
             settings.announce_channel_id ? std::optional(num(to_db(*settings.announce_channel_id))) : std::nullopt,
             num(static_cast<std::int64_t>(settings.max_queue_length)),
             num(static_cast<std::int64_t>(settings.max_per_user)),
             num(now)};
    auto [ec, r] = co_await s.exec(c, st_save_settings, p);
    co_return ec;
  });
}

void postgres_store::do_load_queue(std::uint64_t guild_id, handler<std::optional<stored_queue>> h) {
  using out_t = std::pair<error_code, std::optional<stored_queue>>;
  impl_->launch<std::optional<stored_queue>>(
      std::move(h), true, [guild_id](impl& s, connection& c) -> asio::awaitable<out_t> {
        params args{num(to_db(guild_id))};
    auto [ec, r] = co_await s.exec(c, st_load_queue, args);
        if (ec) co_return out_t{ec, std::nullopt};
        const int rows = PQntuples(r.get());
        if (rows == 0) co_return out_t{{}, std::nullopt};
        const row head{r.get(), 0};
        stored_queue q;
        q.version = from_db(head.i64(0));
        const auto loop = head.i64(1);
        if (loop < 0 || loop > 2) co_return out_t{error::corrupt_data, std::nullopt};
        q.state.loop = static_cast<queue::loop_mode>(loop);
        q.state.position = std::chrono::milliseconds(head.i64(2));
        const bool has_current = head.flag(3);
        const auto count = head.i64(4);
        q.updated_at = timestamp(std::chrono::milliseconds(head.i64(5)));
        std::vector<queue::track> tracks;
        if (!head.is_null(6)) {
          tracks.reserve(static_cast<std::size_t>(rows));
          for (int i = 0; i < rows; ++i) {
            const row x{r.get(), i};
            if (x.i64(6) != static_cast<std::int64_t>(tracks.size())) co_return out_t{error::corrupt_data, std::nullopt};
            queue::track t;
            t.encoded = x.str(7);
            t.identifier = x.str(8);
            t.title = x.str(9);
            t.author = x.str(10);
            t.length = std::chrono::milliseconds(x.i64(11));
            t.is_stream = x.flag(12);
            t.uri = x.str(13);
            t.source = x.str(14);
            t.artwork_url = x.str(15);
            t.requester_id = from_db(x.i64(16));
            t.added_at = timestamp(std::chrono::milliseconds(x.i64(17)));
            tracks.push_back(std::move(t));
          }
        }
        if (static_cast<std::int64_t>(tracks.size()) != count || (has_current && tracks.empty())) {
          co_return out_t{error::corrupt_data, std::nullopt};
        }
        auto it = tracks.begin();
        if (has_current) q.state.current = std::move(*it++);
        q.state.upcoming.assign(std::make_move_iterator(it), std::make_move_iterator(tracks.end()));
        co_return out_t{{}, std::move(q)};
      });
}

void postgres_store::do_replace_queue(std::uint64_t guild_id, queue::queue_state state, handler<std::uint64_t> h) {
  if (detail::track_count(state) > impl_->config.max_queue_tracks) {
    detail::pending<void(error_code, std::uint64_t)>(std::move(h), impl_->executor).complete(error::value_too_large, 0);
    return;
  }
  std::vector<const queue::track*> tracks;
  tracks.reserve(detail::track_count(state));
  if (state.current) tracks.push_back(&*state.current);
  for (const auto& t : state.upcoming) tracks.push_back(&t);
  params p{num(to_db(guild_id)), num(static_cast<std::int64_t>(state.loop)),
           num(state.current ? state.position.count() : 0), boolean(state.current.has_value()),
           num(impl_->config.clock().time_since_epoch().count())};
  append_track_arrays(p, tracks);
  using out_t = std::pair<error_code, std::uint64_t>;
  impl_->launch<std::uint64_t>(std::move(h), false,
                               [p = std::move(p)](impl& s, connection& c) -> asio::awaitable<out_t> {
                                 auto [ec, r] = co_await s.exec(c, st_replace_queue, p);
                                 if (ec) co_return out_t{ec, 0};
                                 co_return out_t{{}, from_db(row{r.get(), 0}.i64(0))};
                               });
}

void postgres_store::do_append_tracks(std::uint64_t guild_id, std::vector<queue::track> tracks,
                                      handler<std::uint64_t> h) {
  if (tracks.size() > impl_->config.max_queue_tracks) {
    detail::pending<void(error_code, std::uint64_t)>(std::move(h), impl_->executor).complete(error::value_too_large, 0);
    return;
  }
  std::vector<const queue::track*> ptrs;
  for (const auto& t : tracks) ptrs.push_back(&t);
  params p{num(to_db(guild_id)), num(impl_->config.clock().time_since_epoch().count()),
           num(static_cast<std::int64_t>(impl_->config.max_queue_tracks))};
  append_track_arrays(p, ptrs);
  using out_t = std::pair<error_code, std::uint64_t>;
  impl_->launch<std::uint64_t>(std::move(h), false,
                               [p = std::move(p)](impl& s, connection& c) -> asio::awaitable<out_t> {
                                 auto [ec, r] = co_await s.exec(c, st_append_queue, p);
                                 if (ec) co_return out_t{ec, 0};
                                 co_return out_t{{}, from_db(row{r.get(), 0}.i64(0))};
                               });
}

void postgres_store::do_delete_queue(std::uint64_t guild_id, handler<bool> h) {
  using out_t = std::pair<error_code, bool>;
  impl_->launch<bool>(std::move(h), false, [guild_id](impl& s, connection& c) -> asio::awaitable<out_t> {
    params args{num(to_db(guild_id))};
    auto [ec, r] = co_await s.exec(c, st_delete_queue, args);
    if (ec) co_return out_t{ec, false};
    co_return out_t{{}, std::string_view(PQcmdTuples(r.get())) != "0"};
  });
}

void postgres_store::do_list_queues(handler<std::vector<std::uint64_t>> h) {
  using out_t = std::pair<error_code, std::vector<std::uint64_t>>;
  impl_->launch<std::vector<std::uint64_t>>(std::move(h), true, [](impl& s, connection& c) -> asio::awaitable<out_t> {
    params args{};
    auto [ec, r] = co_await s.exec(c, st_list_queues, args);
    if (ec) co_return out_t{ec, {}};
    std::vector<std::uint64_t> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(from_db(row{r.get(), i}.i64(0)));
    std::sort(out.begin(), out.end());
    co_return out_t{{}, std::move(out)};
  });
}

void postgres_store::do_record_audit(audit_entry entry, handler<std::int64_t> h) {
  if (auto ec = detail::check_audit(entry)) {
    detail::pending<void(error_code, std::int64_t)>(std::move(h), impl_->executor).complete(ec, 0);
    return;
  }
  using out_t = std::pair<error_code, std::int64_t>;
  impl_->launch<std::int64_t>(std::move(h), false,
                              [entry = std::move(entry)](impl& s, connection& c) -> asio::awaitable<out_t> {
                                params p{num(to_db(entry.guild_id)), num(to_db(entry.user_id)), entry.command,
                                         entry.outcome,              entry.detail,             num(entry.at.time_since_epoch().count())};
                                auto [ec, r] = co_await s.exec(c, st_record_audit, p);
                                if (ec) co_return out_t{ec, 0};
                                const auto id = row{r.get(), 0}.i64(0);
                                const auto every = std::max<std::uint64_t>(1, s.config.retention.prune_every);
                                if (++s.audit_inserts >= every) {
                                  s.audit_inserts = 0;
                                  co_await s.prune(c, s.config.clock());  // best effort; errors are logged
                                }
                                co_return out_t{{}, id};
                              });
}

void postgres_store::do_recent_audit(std::uint64_t guild_id, std::size_t limit, handler<std::vector<audit_entry>> h) {
  using out_t = std::pair<error_code, std::vector<audit_entry>>;
  impl_->launch<std::vector<audit_entry>>(
      std::move(h), true, [guild_id, limit](impl& s, connection& c) -> asio::awaitable<out_t> {
        params args{num(to_db(guild_id)), num(static_cast<std::int64_t>(std::min<std::size_t>(limit, 1000)))};
    auto [ec, r] = co_await s.exec(c, st_recent_audit, args);
        if (ec) co_return out_t{ec, {}};
        std::vector<audit_entry> out;
        for (int i = 0; i < PQntuples(r.get()); ++i) {
          const row x{r.get(), i};
          audit_entry e;
          e.id = x.i64(0);
          e.guild_id = guild_id;
          e.user_id = from_db(x.i64(1));
          e.command = x.str(2);
          e.outcome = x.str(3);
          e.detail = x.str(4);
          e.at = timestamp(std::chrono::milliseconds(x.i64(5)));
          out.push_back(std::move(e));
        }
        co_return out_t{{}, std::move(out)};
      });
}

void postgres_store::do_prune_audit(timestamp now, handler<std::uint64_t> h) {
  using out_t = std::pair<error_code, std::uint64_t>;
  impl_->launch<std::uint64_t>(std::move(h), false, [now](impl& s, connection& c) -> asio::awaitable<out_t> {
    co_return co_await s.prune(c, now);
  });
}

void postgres_store::do_set_flag(feature_flag flag, void_handler h) {
  if (!valid_flag_name(flag.name)) {
    detail::pending<void(error_code)>(std::move(h), impl_->executor).complete(error::invalid_argument);
    return;
  }
  const auto now = impl_->config.clock().time_since_epoch().count();
  impl_->launch_void(std::move(h), true, [flag = std::move(flag), now](impl& s, connection& c) -> asio::awaitable<error_code> {
    params args{flag.name, num(to_db(flag.guild_id)), boolean(flag.enabled), num(now)};
    auto [ec, r] = co_await s.exec(c, st_set_flag, args);
    co_return ec;
  });
}

void postgres_store::do_get_flag(std::string name, std::uint64_t guild_id, handler<std::optional<bool>> h) {
  if (!valid_flag_name(name)) {
    detail::pending<void(error_code, std::optional<bool>)>(std::move(h), impl_->executor)
        .complete(error::invalid_argument, std::nullopt);
    return;
  }
  using out_t = std::pair<error_code, std::optional<bool>>;
  impl_->launch<std::optional<bool>>(
      std::move(h), true, [name = std::move(name), guild_id](impl& s, connection& c) -> asio::awaitable<out_t> {
        params args{name, num(to_db(guild_id))};
    auto [ec, r] = co_await s.exec(c, st_get_flag, args);
        if (ec) co_return out_t{ec, std::nullopt};
        if (PQntuples(r.get()) == 0) co_return out_t{{}, std::nullopt};
        co_return out_t{{}, row{r.get(), 0}.flag(0)};
      });
}

void postgres_store::do_delete_flag(std::string name, std::uint64_t guild_id, handler<bool> h) {
  if (!valid_flag_name(name)) {
    detail::pending<void(error_code, bool)>(std::move(h), impl_->executor).complete(error::invalid_argument, false);
    return;
  }
  using out_t = std::pair<error_code, bool>;
  impl_->launch<bool>(std::move(h), false,
                      [name = std::move(name), guild_id](impl& s, connection& c) -> asio::awaitable<out_t> {
                        params args{name, num(to_db(guild_id))};
    auto [ec, r] = co_await s.exec(c, st_delete_flag, args);
                        if (ec) co_return out_t{ec, false};
                        co_return out_t{{}, std::string_view(PQcmdTuples(r.get())) != "0"};
                      });
}

void postgres_store::do_list_flags(handler<std::vector<feature_flag>> h) {
  using out_t = std::pair<error_code, std::vector<feature_flag>>;
  impl_->launch<std::vector<feature_flag>>(std::move(h), true, [](impl& s, connection& c) -> asio::awaitable<out_t> {
    params args{};
    auto [ec, r] = co_await s.exec(c, st_list_flags, args);
    if (ec) co_return out_t{ec, {}};
    std::vector<feature_flag> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      const row x{r.get(), i};
      out.push_back(feature_flag{x.str(0), from_db(x.i64(1)), x.flag(2)});
    }
    co_return out_t{{}, std::move(out)};
  });
}

namespace {

api_token_record token_from(const row& x) {
  api_token_record r;
  r.id = x.str(0);
  r.guild_id = from_db(x.i64(1));
  r.created_by = from_db(x.i64(2));
  r.hash = x.str(3);
  r.label = x.str(4);
  r.created_at = timestamp(std::chrono::milliseconds(x.i64(5)));
  r.expires_at = timestamp(std::chrono::milliseconds(x.i64(6)));
  r.revoked = x.flag(7);
  return r;
}

}  // namespace

void postgres_store::do_create_api_token(api_token_record token_record, void_handler h) {
  if (auto ec = detail::check_api_token(token_record)) {
    detail::pending<void(error_code)>(std::move(h), impl_->executor).complete(ec);
    return;
  }
  params p{token_record.id,
           num(to_db(token_record.guild_id)),
           num(to_db(token_record.created_by)),
           token_record.hash,
           token_record.label,
           num(token_record.created_at.time_since_epoch().count()),
           num(token_record.expires_at.time_since_epoch().count()),
           boolean(token_record.revoked),
           num(impl_->config.clock().time_since_epoch().count()),
           num(static_cast<std::int64_t>(std::min<std::size_t>(impl_->config.max_tokens_per_guild, INT64_MAX)))};
  impl_->launch_void(std::move(h), false, [p = std::move(p)](impl& s, connection& c) -> asio::awaitable<error_code> {
    auto [ec, r] = co_await s.exec(c, st_create_token, p);
    if (ec) co_return ec;
    switch (row{r.get(), 0}.i64(0)) {
      case 0: co_return error_code{};
      case 1: co_return error_code(error::already_exists);
      default: co_return error_code(error::limit_reached);
    }
  });
}

void postgres_store::do_find_api_token_by_hash(std::string hash, handler<std::optional<api_token_record>> h) {
  if (!valid_token_hash(hash)) {
    detail::pending<void(error_code, std::optional<api_token_record>)>(std::move(h), impl_->executor)
        .complete(error::invalid_argument, std::nullopt);
    return;
  }
  using out_t = std::pair<error_code, std::optional<api_token_record>>;
  impl_->launch<std::optional<api_token_record>>(
      std::move(h), true, [hash = std::move(hash)](impl& s, connection& c) -> asio::awaitable<out_t> {
        params args{hash};
        auto [ec, r] = co_await s.exec(c, st_find_token, args);
        if (ec) co_return out_t{ec, std::nullopt};
        if (PQntuples(r.get()) == 0) co_return out_t{{}, std::nullopt};
        co_return out_t{{}, token_from(row{r.get(), 0})};
      });
}

void postgres_store::do_revoke_api_token(std::uint64_t guild_id, std::string id, handler<bool> h) {
  if (!valid_api_token_id(id)) {
    detail::pending<void(error_code, bool)>(std::move(h), impl_->executor).complete(error::invalid_argument, false);
    return;
  }
  using out_t = std::pair<error_code, bool>;
  impl_->launch<bool>(std::move(h), true,
                      [guild_id, id = std::move(id)](impl& s, connection& c) -> asio::awaitable<out_t> {
                        params args{num(to_db(guild_id)), id};
                        auto [ec, r] = co_await s.exec(c, st_revoke_token, args);
                        if (ec) co_return out_t{ec, false};
                        co_return out_t{{}, std::string_view(PQcmdTuples(r.get())) != "0"};
                      });
}

void postgres_store::do_list_api_tokens(std::uint64_t guild_id, handler<std::vector<api_token_record>> h) {
  using out_t = std::pair<error_code, std::vector<api_token_record>>;
  impl_->launch<std::vector<api_token_record>>(
      std::move(h), true, [guild_id](impl& s, connection& c) -> asio::awaitable<out_t> {
        params args{num(to_db(guild_id))};
        auto [ec, r] = co_await s.exec(c, st_list_tokens, args);
        if (ec) co_return out_t{ec, {}};
        std::vector<api_token_record> out;
        for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(token_from(row{r.get(), i}));
        co_return out_t{{}, std::move(out)};
      });
}

void postgres_store::do_prune_api_tokens(timestamp now, handler<std::uint64_t> h) {
  using out_t = std::pair<error_code, std::uint64_t>;
  impl_->launch<std::uint64_t>(std::move(h), false, [now](impl& s, connection& c) -> asio::awaitable<out_t> {
    params args{num(now.time_since_epoch().count())};
    auto [ec, r] = co_await s.exec(c, st_prune_tokens, args);
    if (ec) co_return out_t{ec, 0};
    std::uint64_t deleted = 0;
    const std::string_view n = PQcmdTuples(r.get());
    std::from_chars(n.data(), n.data() + n.size(), deleted);
    co_return out_t{{}, deleted};
  });
}

void postgres_store::do_save_voice_channel(std::uint64_t guild_id, std::uint64_t channel_id, void_handler h) {
  if (guild_id == 0) {
    detail::pending<void(error_code)>(std::move(h), impl_->executor).complete(error::invalid_argument);
    return;
  }
  const auto now = impl_->config.clock().time_since_epoch().count();
  impl_->launch_void(std::move(h), true,
                     [guild_id, channel_id, now](impl& s, connection& c) -> asio::awaitable<error_code> {
                       if (channel_id == 0) {
                         params args{num(to_db(guild_id))};
                         auto [ec, r] = co_await s.exec(c, st_delete_voice, args);
                         co_return ec;
                       }
                       params args{num(to_db(guild_id)), num(to_db(channel_id)), num(now)};
                       auto [ec, r] = co_await s.exec(c, st_save_voice, args);
                       co_return ec;
                     });
}

void postgres_store::do_list_voice_channels(handler<std::vector<voice_channel_record>> h) {
  using out_t = std::pair<error_code, std::vector<voice_channel_record>>;
  impl_->launch<std::vector<voice_channel_record>>(
      std::move(h), true, [](impl& s, connection& c) -> asio::awaitable<out_t> {
        params args{};
        auto [ec, r] = co_await s.exec(c, st_list_voice, args);
        if (ec) co_return out_t{ec, {}};
        std::vector<voice_channel_record> out;
        for (int i = 0; i < PQntuples(r.get()); ++i) {
          const row x{r.get(), i};
          out.push_back(voice_channel_record{from_db(x.i64(0)), from_db(x.i64(1)),
                                             timestamp(std::chrono::milliseconds(x.i64(2)))});
        }
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.guild_id < b.guild_id; });
        co_return out_t{{}, std::move(out)};
      });
}

}  // namespace musicbot::store
