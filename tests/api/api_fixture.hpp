#pragma once
// A control_server on 127.0.0.1 (ephemeral port) over a real session_manager
// (fake Lavalink node from the testing kit, SQLite store in a temp dir), and
// a small HTTP client for the tests.
#include <musicbot/api/control_server.hpp>
#include <musicbot/api/token.hpp>
#include <musicbot/lavalink/node_pool.hpp>
#include <musicbot/music/session_manager.hpp>
#include <musicbot/net/http_client.hpp>
#include <musicbot/store/sqlite_store.hpp>
#include <musicbot/testing/fake_lavalink.hpp>

#include <musicbot_test/process.hpp>
#include <musicbot_test/run_until.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace api_test {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;
using boost::system::error_code;
using musicbot_test::run_until;

inline constexpr std::uint64_t guild = 41771983423143937ULL;
inline constexpr std::uint64_t other_guild = 81384788765712384ULL;
inline constexpr std::uint64_t admin = 597869602013315072ULL;

/// What a test request got back.
struct reply {
  unsigned status = 0;
  std::string body;
  musicbot::net::http_headers headers;
  json::value json;  ///< the body parsed (null when it is not JSON)

  [[nodiscard]] std::string header(std::string_view name) const {
    return std::string(musicbot::net::find_header(headers, name).value_or(""));
  }
  /// The `error` code of an error body.
  [[nodiscard]] std::string error() const {
    if (!json.is_object() || !json.as_object().contains("error")) return "";
    return std::string(json.at("error").as_string());
  }
};

class ApiFixture : public ::testing::Test {
 protected:
  /// Tests adjust the options before the server is built.
  virtual void configure(musicbot::api::control_options&) {}

  void SetUp() override {
    musicbot::testing::fake_lavalink_options fo;
    fo.player_update_interval = 100ms;
    fake = std::make_unique<musicbot::testing::fake_lavalink>(ioc.get_executor(), fo);
    ASSERT_TRUE(fake->load_catalog(MUSICBOT_TESTDATA_DIR "/lavalink/tracks.json"));
    auto port = fake->start();
    ASSERT_TRUE(port);

    musicbot::lavalink::pool_options po;
    po.user_id = "1173917793654013952";
    pool = std::make_unique<musicbot::lavalink::node_pool>(ioc.get_executor(), po);
    musicbot::lavalink::node_options no;
    no.name = "fake-1";
    no.url = "http://127.0.0.1:" + std::to_string(*port);
    no.password = musicbot::core::secret("youshallnotpass");
    pool->add_node(no);
    pool->start();
    ASSERT_TRUE(run_until(ioc, [&] { return pool->best_node() != nullptr; }));

    musicbot::store::sqlite_config sc;
    sc.path = dir.path() + "/api.db";
    db = std::make_unique<musicbot::store::sqlite_store>(ioc.get_executor(), sc);
    std::optional<error_code> started;
    db->async_start([&](error_code ec) { started = ec; });
    ASSERT_TRUE(run_until(ioc, [&] { return started.has_value(); }));
    ASSERT_FALSE(*started) << started->message();

    musicbot::music::session_options so;
    sessions = std::make_unique<musicbot::music::session_manager>(ioc.get_executor(), *pool, *db, so);

    musicbot::api::control_options co;
    co.port = 0;
    co.clock = [this] { return wall_now; };
    configure(co);
    server = std::make_unique<musicbot::api::control_server>(ioc.get_executor(), *sessions, *db, co);
    auto ep = server->start();
    ASSERT_TRUE(ep) << ep.error().message();
    musicbot::net::http_client_options ho;
    ho.base_url = "http://127.0.0.1:" + std::to_string(ep->port());
    ho.default_timeout = 5s;
    client = std::make_unique<musicbot::net::http_client>(ioc.get_executor(), ho);
    token = issue(guild);
  }

  void TearDown() override {
    client.reset();
    if (server) server->stop();
    ioc.run_for(20ms);
    server.reset();
    sessions.reset();
    if (pool) pool->stop();
    if (fake) fake->stop();
    ioc.run_for(30ms);
  }

  /// Issues a token through the server (as the bot's /dashboard token does).
  std::string issue(std::uint64_t g, std::chrono::seconds ttl = 0s, std::string* id = nullptr) {
    std::optional<std::pair<error_code, musicbot::api::issued_token>> r;
    server->async_issue_token(g, admin, ttl, "test", [&](error_code ec, musicbot::api::issued_token t) {
      r.emplace(ec, std::move(t));
    });
    EXPECT_TRUE(run_until(ioc, [&] { return r.has_value(); }));
    if (!r) return {};
    EXPECT_FALSE(r->first) << r->first.message();
    if (id) *id = r->second.id;
    return r->second.token.reveal();
  }

  reply call(std::string method, std::string target, std::string body = {},
             musicbot::net::http_headers headers = {}, std::optional<std::string> bearer = std::nullopt) {
    musicbot::net::http_request req;
    req.method = std::move(method);
    req.target = std::move(target);
    req.body = std::move(body);
    req.headers = std::move(headers);
    const std::string t = bearer.value_or(token);
    if (!t.empty()) req.headers.push_back({"Authorization", "Bearer " + t});
    if (!req.body.empty()) req.headers.push_back({"Content-Type", "application/json"});
    std::optional<std::pair<error_code, musicbot::net::http_response>> r;
    client->async_request(std::move(req), [&](error_code ec, musicbot::net::http_response res) {
      r.emplace(ec, std::move(res));
    });
    EXPECT_TRUE(run_until(ioc, [&] { return r.has_value(); }));
    reply out;
    if (!r || r->first) {
      ADD_FAILURE() << "request failed: " << (r ? r->first.message() : "timeout");
      return out;
    }
    out.status = r->second.status;
    out.body = r->second.body;
    out.headers = r->second.headers;
    error_code ec;
    out.json = json::parse(out.body, ec);
    if (ec) out.json = nullptr;
    return out;
  }

  /// `/api/v1/guilds/<guild><suffix>`.
  static std::string g(std::string_view suffix, std::uint64_t id = guild) {
    return "/api/v1/guilds/" + std::to_string(id) + std::string(suffix);
  }

  /// Enqueues `query` through the API and checks it worked.
  void enqueue(const std::string& query) {
    const auto r = call("POST", g("/queue"), json::serialize(json::object{{"query", query}}));
    ASSERT_EQ(r.status, 201U) << r.body;
  }

  asio::io_context ioc;
  musicbot::store::timestamp wall_now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  musicbot_test::temp_dir dir{"musicbot-api"};
  std::unique_ptr<musicbot::testing::fake_lavalink> fake;
  std::unique_ptr<musicbot::lavalink::node_pool> pool;
  std::unique_ptr<musicbot::store::sqlite_store> db;
  std::unique_ptr<musicbot::music::session_manager> sessions;
  std::unique_ptr<musicbot::api::control_server> server;
  std::unique_ptr<musicbot::net::http_client> client;
  std::string token;
};

}  // namespace api_test
