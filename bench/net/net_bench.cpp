// Benchmarks of musicbot::net, each against a baseline in the same binary:
// - parse_endpoint vs a bare boost::urls::parse_uri + string copies;
// - HTTP request over a pooled keep-alive connection vs a new connection
//   per request (what a client without a pool pays);
// - WebSocket echo round trip vs an HTTP keep-alive round trip.
// Server and client share one io_context on 127.0.0.1.
#include "musicbot/net/http_client.hpp"
#include "musicbot/net/http_server.hpp"
#include "musicbot/net/url.hpp"
#include "musicbot/net/websocket_client.hpp"

#include <benchmark/benchmark.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/parse.hpp>

#include <string>

namespace asio = boost::asio;
namespace net = musicbot::net;

namespace {

constexpr const char* gateway_url = "wss://gateway.discord.gg/?v=10&encoding=json&compress=zlib-stream";

void BM_parse_endpoint(benchmark::State& state) {
  for (auto _ : state) {
    auto ep = net::parse_endpoint(gateway_url);
    benchmark::DoNotOptimize(ep);
  }
}
BENCHMARK(BM_parse_endpoint);

// Baseline: the Boost.URL parse plus the string copies an endpoint needs.
void BM_boost_url_parse_baseline(benchmark::State& state) {
  for (auto _ : state) {
    auto u = boost::urls::parse_uri(gateway_url);
    std::string host(u->encoded_host());
    std::string target(u->encoded_path());
    target += '?';
    target += std::string_view(u->encoded_query());
    benchmark::DoNotOptimize(host);
    benchmark::DoNotOptimize(target);
  }
}
BENCHMARK(BM_boost_url_parse_baseline);

// Runs the io_context until `done` (bounded: a stuck run aborts the benchmark).
void drive(asio::io_context& io, const bool& done, benchmark::State& state) {
  for (int spins = 0; !done; ++spins) {
    if (io.run_one() == 0) io.restart();
    if (spins > 1'000'000) {
      state.SkipWithError("io did not complete");
      return;
    }
  }
}

struct fixture {
  asio::io_context io;
  net::http_server server{io.get_executor()};
  std::uint16_t port = 0;

  fixture() {
    server.route("GET", "/v4/info", [](net::server_request) -> asio::awaitable<net::http_response> {
      co_return net::http_response::json(200, R"({"version":{"semver":"4.0.8"}})");
    });
    server.websocket_route("/ws", [](net::server_websocket ws) -> asio::awaitable<void> {
      auto [aec] = co_await ws.async_accept(net::http_headers{}, asio::as_tuple(asio::use_awaitable));
      if (aec) co_return;
      for (;;) {
        auto [ec, msg] = co_await ws.async_read(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
        auto [wec] = co_await ws.async_write(std::move(msg), asio::as_tuple(asio::use_awaitable));
        if (wec) co_return;
      }
    });
    port = server.start().value();
  }
  ~fixture() {
    server.stop();
    io.run_for(std::chrono::milliseconds(100));
  }
  [[nodiscard]] net::http_client_options client_options() const {
    net::http_client_options o;
    o.base_url = "http://127.0.0.1:" + std::to_string(port);
    return o;
  }
};

net::http_request info_request() {
  net::http_request r;
  r.target = "/v4/info";
  return r;
}

void BM_http_keep_alive(benchmark::State& state) {
  fixture f;
  net::http_client client(f.io.get_executor(), f.client_options());
  for (auto _ : state) {
    bool done = false;
    client.async_request(info_request(), [&](boost::system::error_code ec, net::http_response res) {
      if (ec || res.status != 200) state.SkipWithError("request failed");
      done = true;
    });
    drive(f.io, done, state);
  }
  state.counters["connections"] = static_cast<double>(client.stats().connections_created);
}
BENCHMARK(BM_http_keep_alive)->UseRealTime();

// Baseline: a fresh client (so a fresh TCP connection) per request.
void BM_http_new_connection_baseline(benchmark::State& state) {
  fixture f;
  for (auto _ : state) {
    net::http_client client(f.io.get_executor(), f.client_options());
    bool done = false;
    client.async_request(info_request(), [&](boost::system::error_code ec, net::http_response res) {
      if (ec || res.status != 200) state.SkipWithError("request failed");
      done = true;
    });
    drive(f.io, done, state);
  }
}
BENCHMARK(BM_http_new_connection_baseline)->UseRealTime();

void BM_websocket_echo(benchmark::State& state) {
  fixture f;
  net::websocket_client ws(f.io.get_executor());
  bool connected = false;
  ws.async_connect("ws://127.0.0.1:" + std::to_string(f.port) + "/ws", {},
                   [&](boost::system::error_code ec, net::handshake_result) {
                     if (ec) state.SkipWithError("connect failed");
                     connected = true;
                   });
  drive(f.io, connected, state);
  const std::string payload(static_cast<std::size_t>(state.range(0)), 'p');
  for (auto _ : state) {
    bool done = false;
    ws.async_write(std::string(payload), [](boost::system::error_code) {});
    ws.async_read([&](boost::system::error_code ec, net::websocket_message m) {
      if (ec || m.data.size() != payload.size()) state.SkipWithError("echo failed");
      done = true;
    });
    drive(f.io, done, state);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_websocket_echo)->Arg(64)->Arg(16 * 1024)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
