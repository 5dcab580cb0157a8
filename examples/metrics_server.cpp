// A bot's observability endpoints: a counter, a gauge and a histogram, a
// readiness check, all served on a free loopback port and scraped by the
// example itself with the project's HTTP client.
#include <musicbot/metrics/health.hpp>
#include <musicbot/metrics/registry.hpp>
#include <musicbot/net/http_client.hpp>
#include <musicbot/net/observability_server.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <iostream>
#include <string>
#include <string_view>

namespace asio = boost::asio;
namespace metrics = musicbot::metrics;
namespace net = musicbot::net;
using namespace std::chrono_literals;

int main() {
  metrics::registry registry;
  // Label values come from fixed sets (command names, outcomes), never from
  // guild or user ids; the family also refuses more than 4 series.
  metrics::family_options capped;
  capped.max_series = 4;
  auto commands = registry.add_counter("example_commands_total", "Commands handled.", {"command", "outcome"}, capped);
  auto sessions = registry.add_gauge("example_voice_sessions", "Voice sessions open.");
  auto latency = registry.add_histogram("example_command_latency_seconds", "Command latency.", {"command"},
                                        {0.05, 0.1, 0.25, 0.5, 1.0});
  if (!commands || !sessions || !latency) {
    std::cout << "FAILED: registration refused\n";
    return 1;
  }

  // Handles are taken once and kept: updating one is an atomic add, no lookup.
  const metrics::counter play_ok = commands->with({"play", "ok"}).value();
  const metrics::gauge open_sessions = sessions->with({}).value();
  const metrics::histogram play_latency = latency->with({"play"}).value();
  for (const auto ms : {40, 120, 300}) {
    play_ok.inc();
    play_latency.observe(std::chrono::milliseconds(ms));
  }
  open_sessions.set(2);
  for (const char* command : {"skip", "queue", "stop"}) (void)commands->with({command, "ok"});  // 4 series now
  const bool fifth_refused = !commands->with({"volume", "ok"});  // counted, never exposed

  // Readiness: a pull check, asked at every /ready.
  metrics::health_registry health;
  bool node_connected = false;
  (void)health.add_check("lavalink", [&] {
    return node_connected ? metrics::health_report{}
                          : metrics::health_report{metrics::health_status::unhealthy, "no node connected"};
  });

  asio::io_context io;
  net::observability_options options;  // 127.0.0.1 by default
  options.server.port = 0;             // any free port
  net::observability_server server(io.get_executor(), registry, health, options);
  const auto port = server.start();
  if (!port) {
    std::cout << "FAILED: cannot listen: " << port.error().message() << '\n';
    return 1;
  }
  std::cout << "serving on 127.0.0.1:" << *port << '\n';

  int failures = 0;
  bool finished = false;
  auto expect = [&](bool ok, const std::string& what) {
    std::cout << (ok ? "  ok: " : "  FAILED: ") << what << '\n';
    if (!ok) ++failures;
  };

  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        // The client lives in the coroutine: it closes its pooled connection when done.
        net::http_client_options client_options;
        client_options.base_url = "http://127.0.0.1:" + std::to_string(*port);
        client_options.default_timeout = 2s;  // every request is bounded
        net::http_client http(io.get_executor(), client_options);
        auto get = [&](std::string target) {
          net::http_request request;
          request.target = std::move(target);
          return http.async_request(std::move(request), asio::as_tuple(asio::use_awaitable));
        };

        std::cout << "GET /metrics\n";
        auto [ec, r] = co_await get("/metrics");
        expect(!ec && r.status == 200, "status " + std::to_string(r.status) + (ec ? " " + ec.message() : ""));
        for (const std::string_view line :
             {"example_commands_total{command=\"play\",outcome=\"ok\"} 3\n", "example_voice_sessions 2\n",
              "example_command_latency_seconds_bucket{command=\"play\",le=\"0.25\"} 2\n",
              "example_command_latency_seconds_count{command=\"play\"} 3\n"}) {
          expect(r.body.find(line) != std::string::npos, std::string(line.substr(0, line.size() - 1)));
        }
        expect(fifth_refused && r.body.find("command=\"volume\"") == std::string::npos,
               "the fifth series was refused and is not exposed");

        std::cout << "GET /health (liveness: the loop answers)\n";
        auto [ec_health, health_r] = co_await get("/health");
        expect(!ec_health && health_r.status == 200, "status " + std::to_string(health_r.status) + " " + health_r.body);

        std::cout << "GET /ready before the node connects\n";
        auto [ec_down, down] = co_await get("/ready");
        expect(!ec_down && down.status == 503, "status " + std::to_string(down.status) + " " + down.body);

        std::cout << "GET /ready after it connects\n";
        node_connected = true;
        auto [ec_up, up] = co_await get("/ready");
        expect(!ec_up && up.status == 200, "status " + std::to_string(up.status) + " " + up.body);

        server.stop();  // nothing else keeps the loop busy: run_for returns
        finished = true;
      },
      asio::detached);

  io.run_for(10s);  // the whole example is bounded
  if (!finished) {
    std::cout << "FAILED: the scrapes did not finish within 10 s\n";
    return 1;
  }
  std::cout << "scrapes served: " << server.scrapes() << '\n';
  return failures == 0 && server.scrapes() == 1 ? 0 : 1;
}
