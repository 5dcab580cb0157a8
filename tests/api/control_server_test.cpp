// The control API over HTTP on loopback: every route, validation, auth,
// limits, CORS, the event stream, the OpenAPI document and the dashboard.
#include "api_fixture.hpp"

#include <musicbot/store/repository.hpp>
#include <musicbot/trace/span_buffer.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/array.hpp>

#include <algorithm>
#include <array>
#include <set>

namespace api_test {
namespace {

using musicbot::net::http_headers;

std::string obj(std::initializer_list<std::pair<const json::string_view, json::value>> fields) {
  json::object o;
  for (const auto& [k, v] : fields) o[k] = v;
  return json::serialize(o);
}

std::set<std::string> detail_fields(const reply& r) {
  std::set<std::string> out;
  if (!r.json.is_object()) return out;
  for (const auto& d : r.json.at("details").as_array()) out.insert(std::string(d.at("field").as_string()));
  return out;
}

class Api : public ApiFixture {};

// ------------------------------------------------------------------ routes

TEST_F(Api, ListGuildsShowsTheTokensGuild) {
  const auto r = call("GET", "/api/v1/guilds");
  ASSERT_EQ(r.status, 200U) << r.body;
  const auto& guilds = r.json.at("guilds").as_array();
  ASSERT_EQ(guilds.size(), 1U);
  EXPECT_EQ(guilds[0].at("id").as_string(), std::to_string(guild));
  EXPECT_FALSE(guilds[0].at("playing").as_bool());
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
  EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
}

TEST_F(Api, SessionWithoutPlaybackIsInactive) {
  const auto r = call("GET", g("/session"));
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_FALSE(r.json.at("active").as_bool());
  EXPECT_TRUE(r.json.at("now_playing").is_null());
  EXPECT_EQ(r.json.at("queue").at("total").as_int64(), 0);
}

TEST_F(Api, EnqueueStartsPlaybackAndTheSessionShowsIt) {
  auto r = call("POST", g("/queue"), obj({{"query", "Riptide"}}));
  ASSERT_EQ(r.status, 201U) << r.body;
  EXPECT_TRUE(r.json.at("started").as_bool());
  ASSERT_EQ(r.json.at("added").as_array().size(), 1U);
  EXPECT_NE(std::string(r.json.at("added").as_array()[0].at("title").as_string()).find("Riptide"), std::string::npos);
  EXPECT_EQ(r.json.at("added").as_array()[0].at("requester_id").as_string(), std::to_string(admin))
      << "the token acts as the admin who created it";
  enqueue("Rita Ora");
  enqueue("Lukas Graham");

  r = call("GET", g("/session?page=0&size=1"));
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_TRUE(r.json.at("active").as_bool());
  EXPECT_NE(std::string(r.json.at("now_playing").at("title").as_string()).find("Riptide"), std::string::npos);
  EXPECT_EQ(r.json.at("node").as_string(), "fake-1");
  EXPECT_EQ(r.json.at("volume").as_int64(), 100);
  EXPECT_EQ(r.json.at("loop").as_string(), "off");
  const auto& q = r.json.at("queue");
  EXPECT_EQ(q.at("total").as_int64(), 2);
  EXPECT_EQ(q.at("page_count").as_int64(), 2);
  ASSERT_EQ(q.at("items").as_array().size(), 1U);
  EXPECT_EQ(q.at("items").as_array()[0].at("position").as_int64(), 0);

  r = call("GET", g("/session?page=1&size=1"));
  ASSERT_EQ(r.status, 200U);
  EXPECT_EQ(r.json.at("queue").at("items").as_array()[0].at("position").as_int64(), 1);
  EXPECT_NE(std::string(r.json.at("queue").at("items").as_array()[0].at("title").as_string()).find("Lukas Graham"),
            std::string::npos);

  r = call("GET", "/api/v1/guilds");
  EXPECT_TRUE(r.json.at("guilds").as_array()[0].at("playing").as_bool());
}

TEST_F(Api, PlayerControls) {
  enqueue("Riptide");
  enqueue("Rita Ora");
  enqueue("Lukas Graham");

  auto r = call("POST", g("/pause"));
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_TRUE(r.json.at("paused").as_bool());
  EXPECT_TRUE(sessions->view(guild)->paused);
  r = call("POST", g("/resume"));
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_FALSE(sessions->view(guild)->paused);

  r = call("POST", g("/seek"), obj({{"position_ms", 5000}}));
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_EQ(r.json.at("position_ms").as_int64(), 5000);

  r = call("POST", g("/volume"), obj({{"volume", 55}}));
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_EQ(sessions->view(guild)->volume, 55);

  r = call("POST", g("/loop"), obj({{"mode", "queue"}}));
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_EQ(sessions->view(guild)->loop, musicbot::queue::loop_mode::queue);
  r = call("POST", g("/loop"), obj({{"mode", "off"}}));
  ASSERT_EQ(r.status, 200U) << r.body;

  r = call("POST", g("/autoplay"), obj({{"enabled", true}}));
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_TRUE(sessions->view(guild)->autoplay);

  r = call("POST", g("/shuffle"));
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_EQ(sessions->view(guild)->queued, 2U);

  r = call("POST", g("/skip"));
  ASSERT_EQ(r.status, 200U) << r.body;
  ASSERT_TRUE(r.json.at("now_playing").is_object());
  EXPECT_EQ(sessions->view(guild)->queued, 1U);
}

TEST_F(Api, RemoveMoveAndClear) {
  enqueue("Riptide");
  enqueue("Rita Ora");
  enqueue("Lukas Graham");
  enqueue("Death of Me");

  auto r = call("POST", g("/queue/move"), obj({{"from", 2}, {"to", 0}}));
  ASSERT_EQ(r.status, 200U) << r.body;
  auto page = sessions->page(guild, 0, 10);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->items[0].title, "Death of Me");

  r = call("DELETE", g("/queue/1"));
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_NE(std::string(r.json.at("removed").at("title").as_string()).find("Rita Ora"), std::string::npos);
  EXPECT_EQ(sessions->view(guild)->queued, 2U);

  r = call("DELETE", g("/queue"));
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_EQ(r.json.at("removed").as_int64(), 2);
  EXPECT_EQ(sessions->view(guild)->queued, 0U);
  EXPECT_TRUE(sessions->view(guild)->current) << "clear keeps the current track";
}

TEST_F(Api, SettingsGetAndPatch) {
  std::optional<musicbot::queue::guild_settings> changed;
  server->on_settings_changed([&](const musicbot::queue::guild_settings& s) { changed = s; });

  auto r = call("GET", g("/settings"));
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_EQ(r.json.at("volume").as_int64(), 100);
  EXPECT_TRUE(r.json.at("dj_role_id").is_null());

  r = call("PATCH", g("/settings"),
           obj({{"volume", 80}, {"dj_role_id", "1173917793654013952"}, {"max_queue_length", 50}, {"loop", "track"}}));
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_EQ(r.json.at("volume").as_int64(), 80);
  EXPECT_EQ(r.json.at("dj_role_id").as_string(), "1173917793654013952");
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->max_queue_length, 50U);
  EXPECT_EQ(changed->guild_id, guild);

  // Persisted: a fresh GET reads it back from the store.
  r = call("GET", g("/settings"));
  EXPECT_EQ(r.json.at("max_queue_length").as_int64(), 50);
  EXPECT_EQ(r.json.at("loop").as_string(), "track");

  // null clears an id; loop off and autoplay on in one patch is allowed.
  r = call("PATCH", g("/settings"), obj({{"dj_role_id", nullptr}, {"loop", "off"}, {"autoplay", true}}));
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_TRUE(r.json.at("dj_role_id").is_null());
  EXPECT_TRUE(r.json.at("autoplay").as_bool());

  // The rules: loop on while autoplay is on is refused, nothing changes.
  r = call("PATCH", g("/settings"), obj({{"loop", "queue"}, {"volume", 10}}));
  EXPECT_EQ(r.status, 409U) << r.body;
  EXPECT_EQ(r.error(), "settings_conflict");
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"loop"});
  EXPECT_EQ(call("GET", g("/settings")).json.at("volume").as_int64(), 80);
}

TEST_F(Api, MutationsWriteAuditEntries) {
  std::vector<musicbot::store::audit_entry> seen;
  server->on_audit([&](const musicbot::store::audit_entry& e) { seen.push_back(e); });
  enqueue("Riptide");
  ASSERT_EQ(call("POST", g("/volume"), obj({{"volume", 300}})).status, 400U);
  ASSERT_EQ(call("GET", g("/session")).status, 200U);  // reads are not audited
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_EQ(seen[0].command, "api.queue");
  EXPECT_EQ(seen[0].outcome, "ok");
  EXPECT_EQ(seen[0].user_id, admin);
  EXPECT_NE(seen[0].detail.find("query: Riptide"), std::string::npos);
  EXPECT_EQ(seen[1].command, "api.volume");
  EXPECT_EQ(seen[1].outcome, "rejected");
  for (const auto& e : seen) EXPECT_EQ(e.detail.find(token), std::string::npos) << "no token in the audit log";

  std::optional<std::vector<musicbot::store::audit_entry>> stored;
  ASSERT_TRUE(run_until(ioc, [&] {
    db->async_recent_audit(guild, 10, [&](error_code, std::vector<musicbot::store::audit_entry> v) { stored = v; });
    run_until(ioc, [&] { return stored.has_value(); });
    return stored->size() >= 2;
  }));
  EXPECT_EQ(stored->size(), 2U);
}

// -------------------------------------------------------------- validation

TEST_F(Api, InvalidBodiesListEveryBadField) {
  enqueue("Riptide");
  auto r = call("POST", g("/volume"), R"({"volume": 300, "colour": "red"})");
  EXPECT_EQ(r.status, 400U);
  EXPECT_EQ(r.error(), "invalid_request");
  EXPECT_EQ(detail_fields(r), (std::set<std::string>{"volume", "colour"}));

  r = call("POST", g("/queue/move"), R"({"from": -1})");
  EXPECT_EQ(r.status, 400U);
  EXPECT_EQ(detail_fields(r), (std::set<std::string>{"from", "to"}));

  r = call("POST", g("/seek"), "not json");
  EXPECT_EQ(r.status, 400U);
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"body"});

  r = call("POST", g("/loop"), R"({"mode": "sometimes"})");
  EXPECT_EQ(r.status, 400U);
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"mode"});

  r = call("POST", g("/autoplay"), R"({"enabled": "yes"})");
  EXPECT_EQ(r.status, 400U);

  r = call("POST", g("/queue"), R"({"query": ""})");
  EXPECT_EQ(r.status, 400U);
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"query"});

  r = call("PATCH", g("/settings"), R"({"dj_role_id": 123, "max_per_user": -1, "volume": 1.5})");
  EXPECT_EQ(r.status, 400U);
  EXPECT_EQ(detail_fields(r), (std::set<std::string>{"dj_role_id", "max_per_user", "volume"}));

  r = call("PATCH", g("/settings"), "{}");
  EXPECT_EQ(r.status, 400U);

  r = call("DELETE", g("/queue/abc"));
  EXPECT_EQ(r.status, 400U);
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"position"});

  r = call("GET", g("/session?size=0&page=x"));
  EXPECT_EQ(r.status, 400U);
  EXPECT_EQ(detail_fields(r), (std::set<std::string>{"size", "page"}));
}

TEST_F(Api, UnknownApiPathsGetJsonErrors) {
  auto r = call("GET", "/api/v1/nothing/here");
  EXPECT_EQ(r.status, 404U);
  EXPECT_EQ(r.error(), "not_found");
  r = call("POST", "/api/v1/guilds");
  EXPECT_EQ(r.status, 405U);
  EXPECT_EQ(r.error(), "method_not_allowed");
  EXPECT_EQ(r.header("Allow"), "GET");
  r = call("GET", g("/skip"));
  EXPECT_EQ(r.status, 405U);
  EXPECT_EQ(r.header("Allow"), "POST");
}

TEST_F(Api, UseCaseRefusalsMapToClearErrors) {
  auto r = call("POST", g("/skip"));
  EXPECT_EQ(r.status, 409U) << r.body;
  EXPECT_EQ(r.error(), "nothing_playing");

  r = call("POST", g("/queue"), obj({{"query", "http://127.0.0.1/admin"}}));
  EXPECT_EQ(r.status, 400U) << r.body;
  EXPECT_EQ(r.error(), "invalid_query");

  r = call("POST", g("/queue"), obj({{"query", "ytsearch:no such track anywhere"}}));
  EXPECT_EQ(r.status, 404U) << r.body;
  EXPECT_EQ(r.error(), "no_results");

  enqueue("Riptide");
  r = call("DELETE", g("/queue/5"));
  EXPECT_EQ(r.status, 400U) << r.body;
  EXPECT_EQ(r.error(), "out_of_range");
  r = call("POST", g("/seek"), obj({{"position_ms", 36'000'000}}));
  EXPECT_EQ(r.status, 400U) << r.body;
  EXPECT_EQ(r.error(), "out_of_range");
  for (const auto& d : {r}) EXPECT_TRUE(d.json.at("details").is_array());
}

// -------------------------------------------------------------------- auth

TEST_F(Api, MissingTokenIs401) {
  const auto r = call("GET", g("/session"), {}, {}, std::string());
  EXPECT_EQ(r.status, 401U);
  EXPECT_EQ(r.error(), "missing_token");
  EXPECT_EQ(r.header("WWW-Authenticate").rfind("Bearer", 0), 0U);
  const auto basic = call("GET", g("/session"), {}, {{"Authorization", "Basic YTpi"}}, std::string());
  EXPECT_EQ(basic.status, 401U);
}

TEST_F(Api, InvalidTokensAre401) {
  EXPECT_EQ(call("GET", g("/session"), {}, {}, std::string("nonsense")).error(), "invalid_token");
  // Well-formed but unknown: right id, wrong secret.
  std::string forged = token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  const auto r = call("GET", g("/session"), {}, {}, forged);
  EXPECT_EQ(r.status, 401U);
  EXPECT_EQ(r.error(), "invalid_token");
  EXPECT_EQ(r.body.find(token.substr(musicbot::api::token_prefix.size())), std::string::npos);
}

TEST_F(Api, ExpiredTokenIs401) {
  const auto short_lived = issue(guild, 60s);
  EXPECT_EQ(call("GET", g("/session"), {}, {}, short_lived).status, 200U);  // cached now
  wall_now += 61s;
  const auto r = call("GET", g("/session"), {}, {}, short_lived);
  EXPECT_EQ(r.status, 401U);
  EXPECT_EQ(r.error(), "token_expired");
  EXPECT_EQ(call("GET", g("/session")).status, 200U) << "the 30-day token still works";
}

TEST_F(Api, RevokedTokenIs401AtOnce) {
  std::string id;
  const auto t = issue(guild, 0s, &id);
  EXPECT_EQ(call("GET", g("/session"), {}, {}, t).status, 200U);  // verified and cached
  std::optional<std::pair<error_code, bool>> revoked;
  server->async_revoke_token(guild, id, [&](error_code ec, bool done) { revoked.emplace(ec, done); });
  ASSERT_TRUE(run_until(ioc, [&] { return revoked.has_value(); }));
  ASSERT_FALSE(revoked->first) << revoked->first.message();
  EXPECT_TRUE(revoked->second);
  const auto r = call("GET", g("/session"), {}, {}, t);
  EXPECT_EQ(r.status, 401U);
  EXPECT_EQ(r.error(), "token_revoked");

  revoked.reset();
  server->async_revoke_token(guild, "0000000000000000", [&](error_code ec, bool done) { revoked.emplace(ec, done); });
  ASSERT_TRUE(run_until(ioc, [&] { return revoked.has_value(); }));
  EXPECT_FALSE(revoked->second);
}

TEST_F(Api, TokenOfAnotherGuildIs403) {
  const auto theirs = issue(other_guild);
  auto r = call("GET", g("/session"), {}, {}, theirs);
  EXPECT_EQ(r.status, 403U);
  EXPECT_EQ(r.error(), "forbidden_guild");
  r = call("POST", g("/skip"), {}, {}, theirs);
  EXPECT_EQ(r.status, 403U);
  EXPECT_EQ(call("GET", "/api/v1/guilds/not-a-guild/session").status, 403U);
}

TEST_F(Api, IssuingTokensIsValidatedAndBounded) {
  const auto issue_error = [&](std::uint64_t g_id, std::chrono::seconds ttl, std::string label) {
    std::optional<error_code> r;
    server->async_issue_token(g_id, admin, ttl, std::move(label),
                              [&](error_code ec, musicbot::api::issued_token) { r = ec; });
    EXPECT_TRUE(run_until(ioc, [&] { return r.has_value(); }));
    return r.value_or(error_code{});
  };
  using musicbot::api::error;
  EXPECT_EQ(issue_error(guild, -1s, "x"), error::invalid_ttl);
  EXPECT_EQ(issue_error(guild, std::chrono::seconds(400LL * 24 * 3600), "x"), error::invalid_ttl);
  EXPECT_EQ(issue_error(guild, 0s, "bad\nlabel"), error::invalid_label);
  EXPECT_EQ(issue_error(0, 0s, "x"), error::invalid_guild);

  std::string id;
  const auto t = issue(other_guild, 0s, &id);
  EXPECT_TRUE(musicbot::api::token_id_of(t));
  EXPECT_EQ(*musicbot::api::token_id_of(t), id);
  for (int i = 1; i < 25; ++i) (void)issue(other_guild);
  EXPECT_EQ(issue_error(other_guild, 0s, "one too many"), error::too_many_tokens);
}

// ------------------------------------------------------------------ limits

class ApiTokenLimit : public ApiFixture {
  void configure(musicbot::api::control_options& o) override {
    o.per_token = {3, std::chrono::seconds(60), musicbot::core::rate_limit_algorithm::gcra};
  }
};

TEST_F(ApiTokenLimit, FourthRequestIs429WithRetryAfter) {
  for (int i = 0; i < 3; ++i) EXPECT_EQ(call("GET", g("/session")).status, 200U);
  const auto r = call("GET", g("/session"));
  EXPECT_EQ(r.status, 429U);
  EXPECT_EQ(r.error(), "rate_limited");
  ASSERT_FALSE(r.header("Retry-After").empty());
  EXPECT_GE(std::stoi(r.header("Retry-After")), 1);
  // Another token of the same guild has its own quota.
  EXPECT_EQ(call("GET", g("/session"), {}, {}, issue(guild)).status, 200U);
}

class ApiIpLimit : public ApiFixture {
  void configure(musicbot::api::control_options& o) override {
    o.per_ip = {3, std::chrono::seconds(60), musicbot::core::rate_limit_algorithm::gcra};
  }
};

TEST_F(ApiIpLimit, TooManyRequestsFromOneAddressAre429EvenWithoutToken) {
  for (int i = 0; i < 3; ++i) EXPECT_EQ(call("GET", g("/session"), {}, {}, std::string("bad")).status, 401U);
  const auto r = call("GET", g("/session"));
  EXPECT_EQ(r.status, 429U);
  EXPECT_FALSE(r.header("Retry-After").empty());
}

class ApiSmallBodies : public ApiFixture {
  void configure(musicbot::api::control_options& o) override { o.max_body_bytes = 256; }
};

TEST_F(ApiSmallBodies, OversizedBodyIs413) {
  const std::string big = obj({{"query", json::value(std::string(300, 'a'))}});
  auto r = call("POST", g("/queue"), big);
  EXPECT_EQ(r.status, 413U);
  EXPECT_EQ(r.error(), "body_too_large");
  // Far over the limit, the HTTP layer refuses before reading it.
  r = call("POST", g("/queue"), std::string(200 * 1024, ' '));
  EXPECT_EQ(r.status, 413U);
}

// -------------------------------------------------------------------- CORS

class ApiCors : public ApiFixture {
  void configure(musicbot::api::control_options& o) override { o.allowed_origins = {"https://dash.example"}; }
};

TEST_F(ApiCors, PreflightFromAnAllowedOrigin) {
  const auto r = call("OPTIONS", g("/volume"), {},
                      {{"Origin", "https://dash.example"},
                       {"Access-Control-Request-Method", "POST"},
                       {"Access-Control-Request-Headers", "authorization, content-type"}},
                      std::string());
  EXPECT_EQ(r.status, 204U) << r.body;
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "https://dash.example");
  EXPECT_NE(r.header("Access-Control-Allow-Methods").find("POST"), std::string::npos);
  EXPECT_NE(r.header("Access-Control-Allow-Headers").find("Authorization"), std::string::npos);
  EXPECT_EQ(r.header("Vary"), "Origin");
  EXPECT_TRUE(r.header("Access-Control-Allow-Credentials").empty());
}

TEST_F(ApiCors, PreflightRefusals) {
  auto r = call("OPTIONS", g("/volume"), {},
                {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}}, std::string());
  EXPECT_EQ(r.status, 403U);
  EXPECT_EQ(r.error(), "origin_not_allowed");
  EXPECT_TRUE(r.header("Access-Control-Allow-Origin").empty());

  r = call("OPTIONS", g("/volume"), {},
           {{"Origin", "https://dash.example"}, {"Access-Control-Request-Method", "DELETE"}}, std::string());
  EXPECT_EQ(r.status, 403U);
  EXPECT_EQ(r.error(), "cors_refused");

  r = call("OPTIONS", g("/volume"), {},
           {{"Origin", "https://dash.example"},
            {"Access-Control-Request-Method", "POST"},
            {"Access-Control-Request-Headers", "x-secret"}},
           std::string());
  EXPECT_EQ(r.status, 403U);
}

TEST_F(ApiCors, RequestsCarryTheOriginRules) {
  auto r = call("GET", g("/session"), {}, {{"Origin", "https://dash.example"}});
  EXPECT_EQ(r.status, 200U);
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "https://dash.example");
  EXPECT_EQ(r.header("Vary"), "Origin");

  r = call("POST", g("/pause"), {}, {{"Origin", "https://evil.example"}});
  EXPECT_EQ(r.status, 403U);
  EXPECT_EQ(r.error(), "origin_not_allowed");
  EXPECT_TRUE(r.header("Access-Control-Allow-Origin").empty());

  // Same origin (the page served by this server) needs no CORS.
  const auto host = "127.0.0.1:" + std::to_string(server->port());
  r = call("GET", g("/session"), {}, {{"Origin", "http://" + host}, {"Host", host}});
  EXPECT_EQ(r.status, 200U);
  EXPECT_TRUE(r.header("Access-Control-Allow-Origin").empty());
}

// ------------------------------------------------------------- event stream

// A raw HTTP/1.1 client reading a chunked Server-Sent Events response.
class sse_reader {
 public:
  sse_reader(asio::io_context& ioc, std::uint16_t port, const std::string& target, const std::string& token)
      : state_(std::make_shared<state>(ioc)) {
    state_->socket.connect({asio::ip::make_address("127.0.0.1"), port});
    const std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
                            "\r\nAccept: text/event-stream\r\n\r\n";
    asio::write(state_->socket, asio::buffer(req));
    read(state_);
  }

  struct event {
    std::string name;
    std::string id;
    std::string data;
  };

  ~sse_reader() {
    error_code ignored;
    state_->socket.close(ignored);
  }
  sse_reader(const sse_reader&) = delete;
  sse_reader& operator=(const sse_reader&) = delete;

  [[nodiscard]] bool closed() const noexcept { return state_->closed; }
  [[nodiscard]] const std::string& raw() const noexcept { return state_->raw; }

  /// The body with the chunk framing removed.
  [[nodiscard]] std::string body() const {
    const auto& raw_ = state_->raw;
    const auto start = raw_.find("\r\n\r\n");
    if (start == std::string::npos) return {};
    std::string out;
    std::size_t pos = start + 4;
    while (pos < raw_.size()) {
      const auto eol = raw_.find("\r\n", pos);
      if (eol == std::string::npos) break;
      const auto size = std::stoul(raw_.substr(pos, eol - pos), nullptr, 16);
      if (size == 0 || eol + 2 + size > raw_.size()) break;
      out += raw_.substr(eol + 2, size);
      pos = eol + 2 + size + 2;
    }
    return out;
  }

  [[nodiscard]] std::vector<event> events() const {
    std::vector<event> out;
    const auto text = body();
    std::size_t pos = 0;
    while (true) {
      const auto end = text.find("\n\n", pos);
      if (end == std::string::npos) break;
      event e;
      bool any = false;
      std::size_t line_start = pos;
      while (line_start < end) {
        const auto eol = std::min(text.find('\n', line_start), end);
        const auto line = text.substr(line_start, eol - line_start);
        if (line.rfind("event: ", 0) == 0) e.name = line.substr(7), any = true;
        if (line.rfind("id: ", 0) == 0) e.id = line.substr(4);
        if (line.rfind("data: ", 0) == 0) e.data += line.substr(6), any = true;
        line_start = eol + 1;
      }
      if (any) out.push_back(std::move(e));
      pos = end + 2;
    }
    return out;
  }

  [[nodiscard]] bool has(std::string_view name) const {
    const auto all = events();
    return std::any_of(all.begin(), all.end(), [&](const event& e) { return e.name == name; });
  }

 private:
  // Shared with the pending read, which may complete after the reader is gone.
  struct state {
    explicit state(asio::io_context& ioc) : socket(ioc) {}
    asio::ip::tcp::socket socket;
    std::array<char, 4096> buf{};
    std::string raw;
    bool closed = false;
  };

  static void read(std::shared_ptr<state> st) {
    auto& sock = st->socket;
    auto buffer = asio::buffer(st->buf);
    sock.async_read_some(buffer, [st = std::move(st)](error_code ec, std::size_t n) mutable {
      st->raw.append(st->buf.data(), n);
      if (ec) {
        st->closed = true;
        return;
      }
      read(std::move(st));
    });
  }

  std::shared_ptr<state> state_;
};

TEST_F(Api, EventsArriveInOrderAndTheStreamEndsCleanlyOnStop) {
  sse_reader sse(ioc, server->port(), g("/events"), token);
  ASSERT_TRUE(run_until(ioc, [&] { return sse.has("session"); })) << sse.raw();
  EXPECT_NE(sse.raw().find("text/event-stream"), std::string::npos);
  EXPECT_EQ(server->stream_count(), 1U);

  enqueue("Riptide");
  enqueue("Rita Ora");
  ASSERT_TRUE(call("POST", g("/pause")).status == 200U);
  ASSERT_TRUE(run_until(ioc, [&] { return sse.has("now_playing") && sse.has("paused"); })) << sse.body();

  const auto events = sse.events();
  EXPECT_EQ(events.front().name, "session");
  std::uint64_t last = 0;
  std::size_t with_id = 0;
  for (const auto& e : events) {
    if (e.id.empty()) continue;
    const auto seq = std::stoull(e.id);
    EXPECT_GT(seq, last) << "ids are strictly increasing";
    last = seq;
    ++with_id;
    const auto data = json::parse(e.data);
    EXPECT_EQ(data.at("type").as_string(), e.name);
    EXPECT_EQ(data.at("guild_id").as_string(), std::to_string(guild));
  }
  EXPECT_GE(with_id, 3U);
  // now_playing before the pause it preceded.
  const auto index_of = [&](std::string_view n) {
    return std::find_if(events.begin(), events.end(), [&](const auto& e) { return e.name == n; }) - events.begin();
  };
  EXPECT_LT(index_of("now_playing"), index_of("paused"));

  server->stop();
  ASSERT_TRUE(run_until(ioc, [&] { return sse.closed(); })) << sse.body();
  EXPECT_EQ(sse.events().back().name, "end");
  EXPECT_NE(sse.events().back().data.find("shutdown"), std::string::npos);
  EXPECT_NE(sse.raw().find("\r\n0\r\n\r\n"), std::string::npos) << "the chunked body is terminated";
  EXPECT_EQ(server->stream_count(), 0U);
}

TEST_F(Api, EventStreamNeedsAToken) {
  sse_reader sse(ioc, server->port(), g("/events"), "wrong");
  ASSERT_TRUE(run_until(ioc, [&] { return sse.closed(); }));
  EXPECT_EQ(sse.raw().rfind("HTTP/1.1 401", 0), 0U) << sse.raw();
  EXPECT_NE(sse.body().find("invalid_token"), std::string::npos);
}

class ApiFastTicks : public ApiFixture {
  void configure(musicbot::api::control_options& o) override { o.position_interval = 20ms; }
};

TEST_F(ApiFastTicks, PositionTicksWhilePlaying) {
  sse_reader sse(ioc, server->port(), g("/events"), token);
  enqueue("Riptide");
  ASSERT_TRUE(run_until(ioc, [&] {
    const auto all = sse.events();
    return std::count_if(all.begin(), all.end(), [](const auto& e) { return e.name == "position" && e.id.empty(); }) >= 2;
  })) << sse.body();
  for (const auto& e : sse.events()) {
    if (e.name != "position") continue;
    const auto data = json::parse(e.data);
    EXPECT_GE(data.at("position_ms").as_int64(), 0);
  }
}

// ------------------------------------------------------------------ tracing

class ApiTraced : public ApiFixture {
 protected:
  void configure(musicbot::api::control_options& o) override {
    o.tracer = musicbot::trace::tracer(musicbot::trace::tracer_options{}, spans);
  }
  std::shared_ptr<musicbot::trace::span_buffer> spans = std::make_shared<musicbot::trace::span_buffer>(256);
};

TEST_F(ApiTraced, ARequestIsAServerSpanContinuingTheCallersTrace) {
  const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  const auto r = call("POST", g("/skip"), {}, {{"traceparent", "00-" + trace_id + "-00f067aa0ba902b7-01"}});
  EXPECT_EQ(r.status, 409U);
  std::vector<musicbot::trace::span_data> got;
  for (auto& s : spans->drain(64)) got.push_back(std::move(s));
  const auto it = std::find_if(got.begin(), got.end(), [](const auto& s) { return s.name == "api.skip"; });
  ASSERT_NE(it, got.end());
  EXPECT_EQ(it->kind, musicbot::trace::span_kind::server);
  EXPECT_TRUE(it->parent.valid()) << "the caller's traceparent is the parent";
  bool has_status = false;
  for (const auto& a : it->attributes) {
    if (a.key == "http.response.status_code") has_status = true;
  }
  EXPECT_TRUE(has_status);
}

// ----------------------------------------------------------------- OpenAPI

TEST_F(Api, OpenApiDocumentMatchesTheRoutes) {
  const auto r = call("GET", "/api/v1/openapi.json", {}, {}, std::string());
  ASSERT_EQ(r.status, 200U);
  ASSERT_TRUE(r.json.is_object()) << "openapi.json is valid JSON";
  EXPECT_EQ(std::string(r.json.at("openapi").as_string()).rfind("3.0", 0), 0U);

  std::set<std::pair<std::string, std::string>> documented;
  for (const auto& [path, item] : r.json.at("paths").as_object()) {
    for (const auto& [method, op] : item.as_object()) {
      if (method == "parameters") continue;
      std::string m(method);
      std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      documented.emplace(m, std::string(path));
      EXPECT_TRUE(op.as_object().contains("responses")) << m << " " << path;
    }
  }
  std::set<std::pair<std::string, std::string>> routed;
  std::set<std::string> preflighted;
  for (const auto& route : server->routes()) {
    if (route.method == "OPTIONS") {
      preflighted.insert(route.pattern);
    } else {
      routed.emplace(route.method, route.pattern);
    }
  }
  EXPECT_EQ(documented, routed) << "every documented operation is routed and every route is documented";
  for (const auto& [method, path] : routed) {
    if (path.rfind("/api/v1/", 0) == 0) {
      EXPECT_TRUE(preflighted.count(path)) << "no CORS preflight for " << path;
    }
  }

  // And the server really answers each documented operation (not 404/405).
  for (const auto& [method, path] : documented) {
    if (path.ends_with("/events")) continue;  // a stream; covered above
    std::string target = path;
    const auto replace = [&](std::string_view from, std::string_view to) {
      if (const auto at = target.find(from); at != std::string::npos) target.replace(at, from.size(), to);
    };
    replace("{guild}", std::to_string(guild));
    replace("{position}", "0");
    replace("{file}", "app.js");
    const auto res = call(method, target, method == "GET" || method == "DELETE" ? "" : "{}");
    EXPECT_NE(res.status, 404U) << method << " " << target << ": " << res.body;
    EXPECT_NE(res.status, 405U) << method << " " << target;
  }
}

// --------------------------------------------------------------- dashboard

TEST_F(Api, DashboardIsServedWithSecurityHeaders) {
  auto r = call("GET", "/", {}, {}, std::string());
  ASSERT_EQ(r.status, 200U);
  EXPECT_EQ(r.header("Content-Type").rfind("text/html", 0), 0U);
  EXPECT_NE(r.header("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  EXPECT_NE(r.header("Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(r.header("X-Frame-Options"), "DENY");
  EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r.header("Referrer-Policy"), "no-referrer");
  EXPECT_NE(r.body.find("<html"), std::string::npos);

  r = call("GET", "/assets/app.js", {}, {}, std::string());
  if (r.status == 200U) {  // the dashboard files are embedded when src/api/web/ has them
    EXPECT_EQ(r.header("Content-Type").rfind("text/javascript", 0), 0U);
  } else {
    EXPECT_EQ(r.status, 404U);
  }
  r = call("GET", "/assets/..%2Fopenapi.json", {}, {}, std::string());
  EXPECT_EQ(r.status, 404U);
  r = call("GET", "/assets/missing.css", {}, {}, std::string());
  EXPECT_EQ(r.status, 404U);
  EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
}

TEST_F(Api, StoppedServerRefusesNewTokens) {
  server->stop();
  std::optional<error_code> r;
  server->async_issue_token(guild, admin, 0s, "late", [&](error_code ec, musicbot::api::issued_token) { r = ec; });
  ASSERT_TRUE(run_until(ioc, [&] { return r.has_value(); }));
  EXPECT_EQ(*r, musicbot::api::error::stopped);
}

}  // namespace
}  // namespace api_test
