// WebSocket client <-> server on 127.0.0.1, in one process.
#include "musicbot/net/http_client.hpp"
#include "musicbot/net/http_server.hpp"
#include "musicbot/net/websocket_client.hpp"

#include "test_util.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <set>
#include <string>

using namespace std::chrono_literals;
using namespace musicbot_net_test;
namespace net = musicbot::net;
using net::http_response;
using net::server_websocket;

namespace {

std::string ws_url(std::uint16_t port, std::string path) {
  return "ws://127.0.0.1:" + std::to_string(port) + path;
}

// Echoes every message back until the peer closes.
asio::awaitable<void> echo_handler(server_websocket ws) {
  net::http_headers extra{{"Session-Resumed", "true"}};  // named: see GCC note in http_test
  auto [aec] = co_await ws.async_accept(std::move(extra), use_tuple);
  if (aec) co_return;
  for (;;) {
    auto [ec, msg] = co_await ws.async_read(use_tuple);
    if (ec) co_return;
    auto [wec] = co_await ws.async_write(std::move(msg), use_tuple);
    if (wec) co_return;
  }
}

}  // namespace

TEST(websocket, echo_text_and_binary_and_see_response_headers) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::http_server server(io.get_executor());
    server.websocket_route("/v4/websocket", echo_handler);
    auto port = server.start();
    CO_ASSERT_TRUE(port.has_value());

    net::websocket_client client(io.get_executor());
    net::http_headers auth{{"Authorization", "pw"}, {"User-Id", "1"}};
    auto [ec, hs] = co_await client.async_connect(ws_url(*port, "/v4/websocket"), std::move(auth), use_tuple);
    CO_ASSERT_TRUE(!ec);
    EXPECT_EQ(hs.status, 101u);
    EXPECT_EQ(net::find_header(hs.headers, "session-resumed").value_or(""), "true");
    EXPECT_TRUE(client.is_open());

    auto [wec] = co_await client.async_write(std::string(R"({"op":"ready"})"), use_tuple);
    CO_ASSERT_TRUE(!wec);
    auto [rec, msg] = co_await client.async_read(use_tuple);
    CO_ASSERT_TRUE(!rec);
    EXPECT_EQ(msg.data, R"({"op":"ready"})");
    EXPECT_FALSE(msg.binary);

    std::string bytes("\x00\x01\xff", 3);
    net::websocket_message binary{bytes, true};  // named: GCC 12 mishandles aggregate temporaries in co_await
    auto [wec2] = co_await client.async_write(std::move(binary), use_tuple);
    CO_ASSERT_TRUE(!wec2);
    auto [rec2, msg2] = co_await client.async_read(use_tuple);
    CO_ASSERT_TRUE(!rec2);
    EXPECT_EQ(msg2.data, bytes);
    EXPECT_TRUE(msg2.binary);

    auto [cec] = co_await client.async_close(net::close_codes::normal, "bye", use_tuple);
    EXPECT_FALSE(cec) << cec.message();
    EXPECT_FALSE(client.is_open());
    server.stop();
  });
}

TEST(websocket, server_push_and_close_code_seen_by_client) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::http_server server(io.get_executor());
    server.websocket_route("/gateway", [](server_websocket ws) -> asio::awaitable<void> {
      auto [aec] = co_await ws.async_accept({}, use_tuple);
      if (aec) co_return;
      co_await ws.async_write(std::string(R"({"op":10})"), use_tuple);
      co_await ws.async_close(4004, "Authentication failed.", use_tuple);
    });
    auto port = server.start();
    CO_ASSERT_TRUE(port.has_value());

    net::websocket_client client(io.get_executor());
    auto [ec, hs] = co_await client.async_connect(ws_url(*port, "/gateway"), {}, use_tuple);
    CO_ASSERT_TRUE(!ec);
    auto [rec, hello] = co_await client.async_read(use_tuple);
    CO_ASSERT_TRUE(!rec);
    EXPECT_EQ(hello.data, R"({"op":10})");
    auto [rec2, none] = co_await client.async_read(use_tuple);
    EXPECT_EQ(rec2, net::error::connection_closed) << rec2.message();
    auto reason = client.peer_close_reason();
    CO_ASSERT_TRUE(reason.has_value());
    EXPECT_EQ(reason->code, 4004);
    EXPECT_EQ(reason->reason, "Authentication failed.");
    EXPECT_FALSE(client.is_open());
    // Later operations fail cleanly.
    auto [wec] = co_await client.async_write(std::string("late"), use_tuple);
    EXPECT_EQ(wec, net::error::not_connected);
    server.stop();
  });
}

TEST(websocket, client_close_code_seen_by_server) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::http_server server(io.get_executor());
    std::optional<net::close_reason> seen;
    boost::system::error_code seen_ec;
    bool handler_done = false;
    server.websocket_route("/ws", [&](server_websocket ws) -> asio::awaitable<void> {
      co_await ws.async_accept({}, use_tuple);
      auto [ec, msg] = co_await ws.async_read(use_tuple);
      seen_ec = ec;
      seen = ws.peer_close_reason();
      handler_done = true;
    });
    auto port = server.start();
    CO_ASSERT_TRUE(port.has_value());
    net::websocket_client client(io.get_executor());
    auto [ec, hs] = co_await client.async_connect(ws_url(*port, "/ws"), {}, use_tuple);
    CO_ASSERT_TRUE(!ec);
    auto [cec] = co_await client.async_close(4000, "resume later", use_tuple);
    EXPECT_FALSE(cec) << cec.message();
    for (int i = 0; i < 200 && !handler_done; ++i) co_await sleep_for(5ms);
    CO_ASSERT_TRUE(handler_done);
    EXPECT_EQ(seen_ec, net::error::connection_closed);
    CO_ASSERT_TRUE(seen.has_value());
    EXPECT_EQ(seen->code, 4000);
    EXPECT_EQ(seen->reason, "resume later");
    server.stop();
  });
}

TEST(websocket, rejected_upgrade_status_and_body_reach_the_client) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::http_server server(io.get_executor());
    server.websocket_route("/v4/websocket", [](server_websocket ws) -> asio::awaitable<void> {
      if (ws.request().header("Authorization").value_or("") != "secret") {
        co_await ws.async_reject(http_response::text(401, "bad password"), use_tuple);
        co_return;
      }
      co_await ws.async_accept({}, use_tuple);
    });
    auto port = server.start();
    CO_ASSERT_TRUE(port.has_value());
    net::websocket_client client(io.get_executor());
    net::http_headers wrong{{"Authorization", "wrong"}};
    auto [ec, hs] = co_await client.async_connect(ws_url(*port, "/v4/websocket"), std::move(wrong), use_tuple);
    EXPECT_EQ(ec, net::error::handshake_failed) << ec.message();
    EXPECT_EQ(hs.status, 401u);
    EXPECT_EQ(hs.body, "bad password");
    EXPECT_FALSE(client.is_open());

    auto [ec404, hs404] = co_await client.async_connect(ws_url(*port, "/elsewhere"), {}, use_tuple);
    EXPECT_EQ(ec404, net::error::handshake_failed);
    EXPECT_EQ(hs404.status, 404u);

    // Reconnecting with the right credentials works on the same client.
    net::http_headers right{{"Authorization", "secret"}};
    auto [ec2, hs2] = co_await client.async_connect(ws_url(*port, "/v4/websocket"), std::move(right), use_tuple);
    EXPECT_FALSE(ec2) << ec2.message();
    EXPECT_EQ(hs2.status, 101u);
    server.stop();
  });
}

TEST(websocket, path_params_reach_the_websocket_handler) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::http_server server(io.get_executor());
    server.websocket_route("/shards/{shard}", [](server_websocket ws) -> asio::awaitable<void> {
      co_await ws.async_accept({}, use_tuple);
      std::string info = std::string(ws.request().param("shard").value_or("?")) + "/" +
                         std::string(ws.request().query("v").value_or("?"));
      co_await ws.async_write(std::move(info), use_tuple);
      co_await ws.async_read(use_tuple);
    });
    auto port = server.start();
    CO_ASSERT_TRUE(port.has_value());
    net::websocket_client client(io.get_executor());
    auto [ec, hs] = co_await client.async_connect(ws_url(*port, "/shards/3?v=10"), {}, use_tuple);
    CO_ASSERT_TRUE(!ec);
    auto [rec, msg] = co_await client.async_read(use_tuple);
    CO_ASSERT_TRUE(!rec);
    EXPECT_EQ(msg.data, "3/10");
    server.stop();
  });
}

TEST(websocket, concurrent_writes_are_serialized) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::http_server server(io.get_executor());
    std::vector<std::string> received;
    bool finished = false;
    constexpr int writers = 20;
    constexpr int per_writer = 10;
    server.websocket_route("/ws", [&](server_websocket ws) -> asio::awaitable<void> {
      co_await ws.async_accept({}, use_tuple);
      for (int i = 0; i < writers * per_writer; ++i) {
        auto [ec, msg] = co_await ws.async_read(use_tuple);
        if (ec) break;
        received.push_back(std::move(msg.data));
      }
      finished = true;
    });
    auto port = server.start();
    CO_ASSERT_TRUE(port.has_value());
    net::websocket_client client(io.get_executor());
    auto [ec, hs] = co_await client.async_connect(ws_url(*port, "/ws"), {}, use_tuple);
    CO_ASSERT_TRUE(!ec);
    int failures = 0;
    int completed = 0;
    for (int w = 0; w < writers; ++w) {
      asio::co_spawn(
          io,
          [&, w]() -> asio::awaitable<void> {
            for (int i = 0; i < per_writer; ++i) {
              std::string payload = std::to_string(w) + ":" + std::to_string(i) + ":" + std::string(2000, 'p');
              auto [wec] = co_await client.async_write(std::move(payload), use_tuple);
              if (wec) ++failures;
            }
            ++completed;
          },
          asio::detached);
    }
    for (int i = 0; i < 500 && !finished; ++i) co_await sleep_for(10ms);
    CO_ASSERT_TRUE(finished);
    EXPECT_EQ(completed, writers);
    EXPECT_EQ(failures, 0);
    CO_ASSERT_TRUE(received.size() == static_cast<std::size_t>(writers * per_writer));
    std::set<std::string> unique;
    for (const auto& m : received) {
      EXPECT_EQ(m.size() > 2000, true);
      unique.insert(m.substr(0, m.find(':', m.find(':') + 1)));
    }
    EXPECT_EQ(unique.size(), static_cast<std::size_t>(writers * per_writer));
    server.stop();
  });
}

TEST(websocket, oversized_message_fails_read_and_closes_with_1009) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::server_options so;
    so.max_ws_message_bytes = 1024;
    net::http_server server(io.get_executor(), so);
    boost::system::error_code server_ec;
    server.websocket_route("/ws", [&](server_websocket ws) -> asio::awaitable<void> {
      co_await ws.async_accept({}, use_tuple);
      auto [ec, msg] = co_await ws.async_read(use_tuple);
      server_ec = ec;
    });
    auto port = server.start();
    CO_ASSERT_TRUE(port.has_value());
    net::websocket_client client(io.get_executor());
    auto [ec, hs] = co_await client.async_connect(ws_url(*port, "/ws"), {}, use_tuple);
    CO_ASSERT_TRUE(!ec);
    co_await client.async_write(std::string(4096, 'x'), use_tuple);
    auto [rec, msg] = co_await client.async_read(use_tuple);
    EXPECT_EQ(rec, net::error::connection_closed) << rec.message();
    auto reason = client.peer_close_reason();
    CO_ASSERT_TRUE(reason.has_value());
    EXPECT_EQ(reason->code, net::close_codes::too_big);
    EXPECT_EQ(server_ec, net::error::message_too_large) << server_ec.message();
    server.stop();
  });
}

TEST(websocket, client_message_limit_is_enforced) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::http_server server(io.get_executor());
    server.websocket_route("/ws", [](server_websocket ws) -> asio::awaitable<void> {
      co_await ws.async_accept({}, use_tuple);
      co_await ws.async_write(std::string(8192, 'y'), use_tuple);
      co_await ws.async_read(use_tuple);
    });
    auto port = server.start();
    CO_ASSERT_TRUE(port.has_value());
    net::websocket_options o;
    o.max_message_bytes = 1000;
    net::websocket_client client(io.get_executor(), o);
    auto [ec, hs] = co_await client.async_connect(ws_url(*port, "/ws"), {}, use_tuple);
    CO_ASSERT_TRUE(!ec);
    auto [rec, msg] = co_await client.async_read(use_tuple);
    EXPECT_EQ(rec, net::error::message_too_large) << rec.message();
    server.stop();
  });
}

TEST(websocket, server_stop_closes_open_sessions) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::http_server server(io.get_executor());
    server.websocket_route("/ws", echo_handler);
    auto port = server.start();
    CO_ASSERT_TRUE(port.has_value());
    net::websocket_client client(io.get_executor());
    auto [ec, hs] = co_await client.async_connect(ws_url(*port, "/ws"), {}, use_tuple);
    CO_ASSERT_TRUE(!ec);
    EXPECT_EQ(server.connection_count(), 1u);
    server.stop();
    auto [rec, msg] = co_await client.async_read(use_tuple);
    EXPECT_TRUE(rec);
    for (int i = 0; i < 200 && server.connection_count() != 0; ++i) co_await sleep_for(5ms);
    EXPECT_EQ(server.connection_count(), 0u);
  });
}

TEST(websocket, connect_errors_are_clear) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::websocket_client client(io.get_executor());
    auto [e1, r1] = co_await client.async_connect("not a url", {}, use_tuple);
    EXPECT_EQ(e1, net::error::bad_url);
    auto [e2, r2] = co_await client.async_connect("http://127.0.0.1:1/", {}, use_tuple);
    EXPECT_EQ(e2, net::error::unsupported_scheme);
    net::http_headers bad{{"Bad", "x\r\ny"}};
    auto [e3, r3] = co_await client.async_connect("ws://127.0.0.1:1/", std::move(bad), use_tuple);
    EXPECT_EQ(e3, net::error::bad_request);
    auto [e4, m4] = co_await client.async_read(use_tuple);
    EXPECT_EQ(e4, net::error::not_connected);
  });
}

TEST(websocket, handshake_times_out_against_a_silent_server) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    // A plain TCP listener that accepts and never answers.
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = acceptor.local_endpoint().port();
    asio::ip::tcp::socket held(io);
    acceptor.async_accept(held, [](boost::system::error_code) {});
    net::websocket_options o;
    o.handshake_timeout = 200ms;
    net::websocket_client client(io.get_executor(), o);
    auto [ec, hs] = co_await client.async_connect(ws_url(port, "/"), {}, use_tuple);
    EXPECT_EQ(ec, net::error::timeout) << ec.message();
  });
}

TEST(websocket, unaccepted_handler_gets_500) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::http_server server(io.get_executor());
    server.websocket_route("/ws", [](server_websocket) -> asio::awaitable<void> { co_return; });
    auto port = server.start();
    CO_ASSERT_TRUE(port.has_value());
    net::websocket_client client(io.get_executor());
    auto [ec, hs] = co_await client.async_connect(ws_url(*port, "/ws"), {}, use_tuple);
    EXPECT_EQ(ec, net::error::handshake_failed);
    EXPECT_EQ(hs.status, 500u);
    server.stop();
  });
}
