// HTTP server + client round trips on 127.0.0.1, in one process.
#include "musicbot/net/http_client.hpp"
#include "musicbot/net/http_server.hpp"
#include "musicbot/net/websocket_client.hpp"

#include "test_util.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <memory>
#include <string>

using namespace std::chrono_literals;
using namespace musicbot_net_test;
namespace net = musicbot::net;
using net::http_request;
using net::http_response;
using net::server_request;

namespace {

std::string base_of(std::uint16_t port) { return "http://127.0.0.1:" + std::to_string(port); }

net::http_client make_client(asio::io_context& io, std::uint16_t port, net::http_client_options o = {}) {
  o.base_url = base_of(port);
  return net::http_client(io.get_executor(), std::move(o));
}

http_request get(std::string target) {
  http_request r;
  r.target = std::move(target);
  return r;
}

}  // namespace

TEST(http, round_trip_with_path_and_query_params) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::http_server server(io.get_executor());
    server.route("POST", "/v4/sessions/{session}/players/{guild}",
                 [](server_request req) -> asio::awaitable<http_response> {
                   std::string body = std::string(req.param("session").value_or("?")) + "|" +
                                      std::string(req.param("guild").value_or("?")) + "|" +
                                      std::string(req.query("noReplace").value_or("?")) + "|" +
                                      std::string(req.header("authorization").value_or("?")) + "|" + req.body;
                   auto res = http_response::json(201, std::move(body));
                   res.headers.push_back({"X-Echo", "yes"});
                   co_return res;
                 });
    auto port = server.start();
    CO_ASSERT_TRUE(port.has_value());
    CO_ASSERT_TRUE(*port != 0);

    auto client = make_client(io, *port);
    http_request req;
    req.method = "POST";
    req.target = "/v4/sessions/abc%20d/players/123?noReplace=true";
    req.headers.push_back({"Authorization", "youshallnotpass"});
    req.body = R"({"paused":true})";
    auto [ec, res] = co_await client.async_request(req, use_tuple);
    CO_ASSERT_TRUE(!ec);
    EXPECT_EQ(res.status, 201u);
    EXPECT_EQ(res.body, R"(abc d|123|true|youshallnotpass|{"paused":true})");
    EXPECT_EQ(res.header("x-echo").value_or(""), "yes");
    EXPECT_EQ(res.header("content-type").value_or(""), "application/json");
    EXPECT_EQ(res.header("server").value_or(""), "musicbot");
    server.stop();
  });
}

TEST(http, keep_alive_reuses_one_connection) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::http_server server(io.get_executor());
    int calls = 0;
    server.route("GET", "/ping", [&calls](server_request) -> asio::awaitable<http_response> {
      ++calls;
      co_return http_response::text(200, "pong");
    });
    auto port = server.start();
    CO_ASSERT_TRUE(port.has_value());
    auto client = make_client(io, *port);
    for (int i = 0; i < 5; ++i) {
      auto [ec, res] = co_await client.async_request(get("/ping"), use_tuple);
      CO_ASSERT_TRUE(!ec);
      EXPECT_EQ(res.body, "pong");
    }
    EXPECT_EQ(calls, 5);
    EXPECT_EQ(client.stats().connections_created, 1u);
    EXPECT_EQ(client.stats().idle_connections, 1u);
    EXPECT_EQ(server.connection_count(), 1u);
    server.stop();
  });
}

TEST(http, pool_opens_up_to_max_connections_for_parallel_requests) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::http_server server(io.get_executor());
    server.route("GET", "/slow", [](server_request) -> asio::awaitable<http_response> {
      co_await sleep_for(20ms);
      co_return http_response::text(200, "ok");
    });
    auto port = server.start();
    CO_ASSERT_TRUE(port.has_value());
    net::http_client_options o;
    o.max_connections = 2;
    auto client = make_client(io, *port, o);
    int done = 0;
    for (int i = 0; i < 6; ++i) {
      client.async_request(get("/slow"), [&done](boost::system::error_code ec, http_response res) {
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(res.body, "ok");
        ++done;
      });
    }
    for (int i = 0; i < 500 && done < 6; ++i) co_await sleep_for(10ms);
    EXPECT_EQ(done, 6);
    EXPECT_LE(client.stats().connections_created, 2u);
    server.stop();
  });
}

TEST(http, unknown_path_404_wrong_method_405) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::http_server server(io.get_executor());
    server.route("GET", "/v4/info", [](server_request) -> asio::awaitable<http_response> {
      co_return http_response::text(200, "info");
    });
    server.route("PATCH", "/v4/info", [](server_request) -> asio::awaitable<http_response> {
      co_return http_response::text(200, "patched");
    });
    auto port = server.start();
    CO_ASSERT_TRUE(port.has_value());
    auto client = make_client(io, *port);
    auto [ec1, r1] = co_await client.async_request(get("/nope"), use_tuple);
    CO_ASSERT_TRUE(!ec1);
    EXPECT_EQ(r1.status, 404u);
    http_request del = get("/v4/info");
    del.method = "DELETE";
    auto [ec2, r2] = co_await client.async_request(del, use_tuple);
    CO_ASSERT_TRUE(!ec2);
    EXPECT_EQ(r2.status, 405u);
    EXPECT_EQ(r2.header("allow").value_or(""), "GET, PATCH");
    // The connection survives 404/405 (keep-alive).
    auto [ec3, r3] = co_await client.async_request(get("/v4/info"), use_tuple);
    CO_ASSERT_TRUE(!ec3);
    EXPECT_EQ(r3.body, "info");
    EXPECT_EQ(client.stats().connections_created, 1u);
    server.stop();
  });
}

TEST(http, too_large_body_gets_413) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::server_options so;
    so.max_body_bytes = 1024;
    net::http_server server(io.get_executor(), so);
    server.route("POST", "/upload", [](server_request req) -> asio::awaitable<http_response> {
      co_return http_response::text(200, std::to_string(req.body.size()));
    });
    auto port = server.start();
    CO_ASSERT_TRUE(port.has_value());
    auto client = make_client(io, *port);
    http_request ok = get("/upload");
    ok.method = "POST";
    ok.body.assign(1024, 'a');
    auto [ec1, r1] = co_await client.async_request(ok, use_tuple);
    CO_ASSERT_TRUE(!ec1);
    EXPECT_EQ(r1.body, "1024");
    http_request big = ok;
    big.body.assign(4096, 'b');
    auto [ec2, r2] = co_await client.async_request(big, use_tuple);
    CO_ASSERT_TRUE(!ec2);
    EXPECT_EQ(r2.status, 413u);
    server.stop();
  });
}

TEST(http, oversized_headers_get_431) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::server_options so;
    so.max_header_bytes = 1024;
    net::http_server server(io.get_executor(), so);
    server.route("GET", "/", [](server_request) -> asio::awaitable<http_response> {
      co_return http_response::text(200, "root");
    });
    auto port = server.start();
    CO_ASSERT_TRUE(port.has_value());
    auto client = make_client(io, *port);
    http_request r = get("/");
    r.headers.push_back({"X-Big", std::string(4096, 'x')});
    auto [ec, res] = co_await client.async_request(r, use_tuple);
    CO_ASSERT_TRUE(!ec);
    EXPECT_EQ(res.status, 431u);
    auto [ec2, res2] = co_await client.async_request(get("/"), use_tuple);
    CO_ASSERT_TRUE(!ec2);
    EXPECT_EQ(res2.body, "root");
    server.stop();
  });
}

TEST(http, handler_exception_gives_500) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::http_server server(io.get_executor());
    server.route("GET", "/boom", [](server_request) -> asio::awaitable<http_response> {
      throw std::runtime_error("boom");
      co_return http_response{};
    });
    auto port = server.start();
    CO_ASSERT_TRUE(port.has_value());
    auto client = make_client(io, *port);
    auto [ec, res] = co_await client.async_request(get("/boom"), use_tuple);
    CO_ASSERT_TRUE(!ec);
    EXPECT_EQ(res.status, 500u);
    server.stop();
  });
}

TEST(http, client_times_out_on_a_server_that_never_answers) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::http_server server(io.get_executor());
    server.route("GET", "/hang", [](server_request) -> asio::awaitable<http_response> {
      co_await sleep_for(60s);  // cancelled by stop()
      co_return http_response::text(200, "late");
    });
    auto port = server.start();
    CO_ASSERT_TRUE(port.has_value());
    auto client = make_client(io, *port);
    http_request r = get("/hang");
    r.timeout = 200ms;
    auto [ec, res] = co_await client.async_request(r, use_tuple);
    EXPECT_EQ(ec, net::error::timeout) << ec.message();
    server.stop();
  });
}

TEST(http, response_body_limit_is_enforced) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::http_server server(io.get_executor());
    server.route("GET", "/big", [](server_request) -> asio::awaitable<http_response> {
      co_return http_response::text(200, std::string(10'000, 'z'));
    });
    auto port = server.start();
    CO_ASSERT_TRUE(port.has_value());
    net::http_client_options o;
    o.max_response_body_bytes = 1000;
    auto client = make_client(io, *port, o);
    auto [ec, res] = co_await client.async_request(get("/big"), use_tuple);
    EXPECT_EQ(ec, net::error::body_too_large) << ec.message();
    server.stop();
  });
}

TEST(http, request_with_crlf_header_is_refused_before_sending) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::http_server server(io.get_executor());
    int calls = 0;
    server.route("GET", "/", [&calls](server_request) -> asio::awaitable<http_response> {
      ++calls;
      co_return http_response::text(200, "root");
    });
    auto port = server.start();
    CO_ASSERT_TRUE(port.has_value());
    auto client = make_client(io, *port);
    http_request r = get("/");
    r.headers.push_back({"X-Evil", "a\r\nInjected: yes"});
    auto [ec, res] = co_await client.async_request(r, use_tuple);
    EXPECT_EQ(ec, net::error::bad_request);
    http_request bad_target = get("no-slash");
    auto [ec2, res2] = co_await client.async_request(bad_target, use_tuple);
    EXPECT_EQ(ec2, net::error::bad_request);
    EXPECT_EQ(calls, 0);
    server.stop();
  });
}

TEST(http, cancellation_slot_aborts_a_request) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::http_server server(io.get_executor());
    server.route("GET", "/hang", [](server_request) -> asio::awaitable<http_response> {
      co_await sleep_for(60s);
      co_return http_response::text(200, "late");
    });
    auto port = server.start();
    CO_ASSERT_TRUE(port.has_value());
    auto client = make_client(io, *port);
    asio::cancellation_signal signal;
    bool completed = false;
    boost::system::error_code result;
    client.async_request(get("/hang"), asio::bind_cancellation_slot(
                                           signal.slot(), [&](boost::system::error_code ec, http_response) {
                                             completed = true;
                                             result = ec;
                                           }));
    co_await sleep_for(50ms);
    EXPECT_FALSE(completed);
    signal.emit(asio::cancellation_type::terminal);
    for (int i = 0; i < 200 && !completed; ++i) co_await sleep_for(10ms);
    EXPECT_TRUE(completed);
    EXPECT_EQ(result, asio::error::operation_aborted) << result.message();
    server.stop();
  });
}

TEST(http, stop_closes_idle_keep_alive_sessions) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::http_server server(io.get_executor());
    server.route("GET", "/", [](server_request) -> asio::awaitable<http_response> {
      co_return http_response::text(200, "root");
    });
    auto port = server.start();
    CO_ASSERT_TRUE(port.has_value());
    auto client = make_client(io, *port);
    auto [ec, res] = co_await client.async_request(get("/"), use_tuple);
    CO_ASSERT_TRUE(!ec);
    EXPECT_EQ(server.connection_count(), 1u);
    server.stop();
    for (int i = 0; i < 200 && server.connection_count() != 0; ++i) co_await sleep_for(5ms);
    EXPECT_EQ(server.connection_count(), 0u);
    // New connections are refused now.
    http_request r = get("/");
    r.timeout = 2s;
    auto [ec2, res2] = co_await client.async_request(r, use_tuple);
    EXPECT_TRUE(ec2);
  });
}

TEST(http, connection_cap_refuses_extra_connections_with_503) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::server_options so;
    so.max_connections = 1;
    net::http_server server(io.get_executor(), so);
    server.route("GET", "/", [](server_request) -> asio::awaitable<http_response> {
      co_return http_response::text(200, "root");
    });
    auto port = server.start();
    CO_ASSERT_TRUE(port.has_value());
    auto first = make_client(io, *port);
    auto [ec1, r1] = co_await first.async_request(get("/"), use_tuple);  // holds the only slot (keep-alive)
    CO_ASSERT_TRUE(!ec1);
    auto second = make_client(io, *port);
    auto [ec2, r2] = co_await second.async_request(get("/"), use_tuple);
    if (!ec2) {
      EXPECT_EQ(r2.status, 503u);
    }
    EXPECT_NE(r2.status, 200u);
    EXPECT_EQ(server.connection_count(), 1u);
    server.stop();
  });
}

TEST(http, streamed_response_delivers_server_sent_events) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::http_server server(io.get_executor());
    server.stream_route("GET", "/events",
                        [](server_request, net::response_stream& out) -> asio::awaitable<void> {
                          // Named, not braced inside co_await: GCC 12 mis-compiles
                          // initializer lists of strings in a co_await expression.
                          net::http_headers headers{{"Content-Type", "text/event-stream"}};
                          auto ec = co_await out.start(200, std::move(headers));
                          if (ec) co_return;
                          for (int i = 0; i < 3; ++i) {
                            if (co_await out.write(net::format_sse_event("n=" + std::to_string(i), "tick"))) {
                              co_return;
                            }
                          }
                        });
    auto port = server.start();
    CO_ASSERT_TRUE(port.has_value());
    auto client = make_client(io, *port);
    auto [ec, res] = co_await client.async_request(get("/events"), use_tuple);
    CO_ASSERT_TRUE(!ec);
    EXPECT_EQ(res.status, 200u);
    EXPECT_EQ(res.header("content-type").value_or(""), "text/event-stream");
    EXPECT_EQ(res.body, "event: tick\ndata: n=0\n\nevent: tick\ndata: n=1\n\nevent: tick\ndata: n=2\n\n");
    server.stop();
  });
}

TEST(http, sse_formatting_splits_lines_and_strips_crlf_in_fields) {
  EXPECT_EQ(net::format_sse_event("a\nb"), "data: a\ndata: b\n\n");
  EXPECT_EQ(net::format_sse_event("", "e\r\nvil", "7"), "event: evil\nid: 7\ndata: \n\n");
}

TEST(http, invalid_routes_are_configuration_errors) {
  asio::io_context io;
  net::http_server server(io.get_executor());
  auto h = [](server_request) -> asio::awaitable<http_response> { co_return http_response{}; };
  EXPECT_THROW(server.route("GET", "no-slash", h), std::invalid_argument);
  EXPECT_THROW(server.route("GET", "/a/x{id}", h), std::invalid_argument);
  EXPECT_THROW(server.route("G ET", "/a", h), std::invalid_argument);
  EXPECT_NO_THROW(server.route("GET", "/a/{id}/b", h));
  net::http_client_options bad;
  bad.base_url = "ftp://x";
  EXPECT_THROW(net::http_client(io.get_executor(), bad), std::invalid_argument);
}

TEST(http, header_helpers_are_case_insensitive) {
  net::http_headers h{net::http_header{"Content-Type", "a"}, net::http_header{"X-One", "1"},
                      net::http_header{"x-one", "2"}};
  EXPECT_EQ(net::find_header(h, "content-TYPE").value_or(""), "a");
  net::set_header(h, "X-ONE", "3");
  EXPECT_EQ(h.size(), 2u);
  EXPECT_EQ(net::find_header(h, "x-one").value_or(""), "3");
  net::set_header(h, "New", "n");
  EXPECT_EQ(net::find_header(h, "new").value_or(""), "n");
}

TEST(http, query_parameters_are_decoded) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::http_server server(io.get_executor());
    server.route("GET", "/v4/loadtracks", [](server_request req) -> asio::awaitable<http_response> {
      std::string out;
      for (const auto& [k, v] : req.query_params) out += k + "=" + v + ";";
      co_return http_response::text(200, out);
    });
    auto port = server.start();
    CO_ASSERT_TRUE(port.has_value());
    auto client = make_client(io, *port);
    auto [ec, res] = co_await client.async_request(get("/v4/loadtracks?identifier=ytsearch%3Ahello%20world&x=a+b&flag"),
                                                   use_tuple);
    CO_ASSERT_TRUE(!ec);
    EXPECT_EQ(res.body, "identifier=ytsearch:hello world;x=a b;flag=;");
    server.stop();
  });
}

TEST(http, malformed_request_gets_400_and_slow_header_is_dropped) {
  run_async([](asio::io_context& io) -> asio::awaitable<void> {
    net::server_options so;
    so.idle_timeout = 200ms;
    net::http_server server(io.get_executor(), so);
    auto port = server.start();
    CO_ASSERT_TRUE(port.has_value());
    auto ex = co_await asio::this_coro::executor;
    asio::ip::tcp::socket raw(ex);
    auto [cec] = co_await raw.async_connect({asio::ip::make_address("127.0.0.1"), *port}, use_tuple);
    CO_ASSERT_TRUE(!cec);
    static constexpr std::string_view garbage = "GET / HTTP/9\r\n\r\n";
    co_await asio::async_write(raw, asio::buffer(garbage), use_tuple);
    std::string answer;
    co_await asio::async_read(raw, asio::dynamic_buffer(answer, 4096), use_tuple);
    EXPECT_EQ(answer.substr(0, 12), "HTTP/1.1 400");

    // A client that never finishes its header is disconnected after idle_timeout.
    asio::ip::tcp::socket slow(ex);
    co_await slow.async_connect({asio::ip::make_address("127.0.0.1"), *port}, use_tuple);
    static constexpr std::string_view partial = "GET / HTTP/1.1\r\nHost: x\r\n";
    co_await asio::async_write(slow, asio::buffer(partial), use_tuple);
    std::string rest;
    asio::steady_timer guard(ex);
    guard.expires_after(5s);
    guard.async_wait([&slow](boost::system::error_code e) {
      if (!e) slow.close();
    });
    auto [sec, sn] = co_await asio::async_read(slow, asio::dynamic_buffer(rest, 4096), use_tuple);
    guard.cancel();
    EXPECT_EQ(sec, asio::error::eof) << sec.message();  // closed by the server, not by the guard
    server.stop();
  });
}
