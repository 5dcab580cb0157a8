// One command quota shared by every replica of a bot, kept in Redis: a burst
// is cut at the limit, other users are unaffected, and when Redis is
// unreachable the limiter fails closed to a smaller local quota.
// Usage: example_redis_rate_limiter 127.0.0.1:<port>   (a Redis you can write to)
#include <musicbot/redis/client.hpp>
#include <musicbot/redis/rate_limiter.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>

namespace asio = boost::asio;
namespace redis = musicbot::redis;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " <host>:<port> of a Redis server, e.g. 127.0.0.1:6379\n";
    return 1;
  }
  auto cfg = redis::parse_url(std::string("redis://") + argv[1]);
  if (!cfg) {
    std::cerr << "bad address " << argv[1] << ": " << cfg.error().message() << '\n';
    return 1;
  }

  // 5 /play per user per 10 s. A fresh prefix per run, so a rerun within the
  // window against the same Redis starts with a full quota.
  redis::distributed_rate_limiter_config lc;
  lc.prefix = "example:rl:" + std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  lc.per_user = {5, 10s};
  lc.expected_replicas = 3;  // during an outage each replica allows 5 × 0.5 / 3 → 1 (never less than 1)

  // A second client where nothing listens: the same limiter, with Redis "down".
  redis::config nowhere = *cfg;
  nowhere.port = 1;
  nowhere.connect_timeout = 500ms;
  // The client's breaker is core's Redis preset unless configured.
  const auto preset = musicbot::core::circuit_breaker_config::redis();

  asio::io_context io;
  redis::client shared(io.get_executor(), *cfg);
  redis::client down(io.get_executor(), nowhere);
  redis::distributed_rate_limiter limiter(shared, lc);
  redis::distributed_rate_limiter isolated(down, lc);

  int failures = 0;
  bool finished = false;
  auto expect = [&](bool ok, const std::string& what) {
    std::cout << (ok ? "  ok: " : "  FAILED: ") << what << '\n';
    if (!ok) ++failures;
  };
  const redis::rate_limit_request alice{1, 100, "play"};
  const redis::rate_limit_request bob{1, 200, "play"};
  constexpr auto tok = asio::as_tuple(asio::use_awaitable);

  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto [ec] = co_await shared.async_connect(tok);
        expect(!ec, std::string("connected to ") + argv[1] + (ec ? ": " + ec.message() : ""));
        if (ec) {  // without Redis there is nothing shared to show
          shared.close();
          down.close();
          finished = true;
          co_return;
        }

        std::cout << "alice sends /play 8 times in a row (limit 5 per 10 s):\n";
        for (int i = 1; i <= 8; ++i) {
          auto [e, d] = co_await limiter.async_decide(alice, tok);
          const double retry_s = std::chrono::duration<double>(d.retry_after).count();
          const bool want = i <= 5;
          expect(!e && d.allowed == want && (want ? d.remaining == static_cast<std::uint32_t>(5 - i)
                                                  : retry_s > 0 && retry_s <= 2.0),  // one call every 2 s
                 "#" + std::to_string(i) + (d.allowed ? " allowed, remaining " + std::to_string(d.remaining)
                                                      : " limited, retry after " + std::to_string(retry_s) + " s"));
        }
        std::cout << "bob, same guild and command, has his own quota:\n";
        auto [e_bob, d_bob] = co_await limiter.async_decide(bob, tok);
        expect(!e_bob && d_bob.allowed && d_bob.remaining == 4, "bob allowed, remaining " + std::to_string(d_bob.remaining));
        const auto s = limiter.stats();
        expect(s.redis_allowed == 6 && s.redis_denied == 3 && !limiter.fallback_active(),
               "all 9 decided by Redis (6 allowed, 3 denied)");

        std::cout << "a replica whose Redis (127.0.0.1:1) is unreachable:\n";
        auto [e_conn] = co_await down.async_connect(tok);
        expect(e_conn.failed(), "connect fails: " + e_conn.message());
        // 25 decisions for alice. Fail closed: never an unconditional allow,
        // only the local fallback quota (1 here) is granted.
        int allowed = 0;
        for (int i = 0; i < 25; ++i) {
          auto [e, d] = co_await isolated.async_decide(alice, tok);
          if (e) expect(false, "decision error " + e.message());
          if (d.allowed) ++allowed;
        }
        const auto f = isolated.stats();
        expect(isolated.fallback_active() && f.redis_allowed + f.redis_denied == 0,
               "every decision came from the local fallback (limit " +
                   std::to_string(isolated.fallback_config().limit) + ")");
        expect(allowed == 1 && f.fallback_denied == 24, std::to_string(allowed) + " of 25 allowed, 24 refused");
        // After `minimum_calls` failures the breaker opens: later calls fail
        // at once instead of each trying the dead connection.
        expect(down.stats().breaker_rejections > 0 && !down.healthy(),
               "breaker (preset: opens at " + std::to_string(static_cast<int>(preset.failure_rate_threshold)) +
                   " % of the last " + std::to_string(preset.window_size) + " calls, after " +
                   std::to_string(preset.minimum_calls) + ") opened; " +
                   std::to_string(down.stats().breaker_rejections) + " calls rejected without trying");

        // Nothing may keep the loop busy afterwards (the down client would reconnect forever).
        shared.close();
        down.close();
        finished = true;
      },
      asio::detached);

  io.run_for(10s);  // the whole example is bounded
  if (!finished) {
    std::cout << "FAILED: did not finish within 10 s\n";
    return 1;
  }
  return failures == 0 ? 0 : 1;
}
