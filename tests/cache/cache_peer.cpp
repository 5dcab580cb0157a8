// A second process for the cross-process invalidation test:
//   musicbot_cache_peer <redis-url> <key>
// loads <key> into its L1 (cache "shared", Redis L2 + backplane), prints
// "ready", then waits (at most 20 s) until another process erases the key
// and prints "invalidated" (exit 0), or exits 2 on timeout, 1 on setup errors.

#include "redis_test_util.hpp"

#include <musicbot/cache/layered_cache.hpp>
#include <musicbot/cache/redis.hpp>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace asio = boost::asio;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  if (argc != 3) return 1;
  const auto cfg = musicbot::redis::parse_url(argv[1]);
  if (!cfg) return 1;
  const int key = std::atoi(argv[2]);
  asio::io_context ioc;
  musicbot::redis::client client(ioc.get_executor(), *cfg);
  client.start();
  auto bus = std::make_shared<musicbot::cache::redis_backplane>(ioc.get_executor(), client, *cfg);
  bus->start();
  if (!musicbot_cache_test::run_until(
          ioc, [&] { return client.healthy() && bus->active_subscriptions() == 1; }, 10s)) {
    std::puts("setup failed");
    return 1;
  }
  musicbot::cache::cache_options<int, std::string> options;
  options.name = "shared";
  options.l2 = std::make_shared<musicbot::cache::redis_l2_store>(client);
  options.invalidations = bus;
  options.serializer = musicbot::cache::json_codec<int, std::string>();
  musicbot::cache::layered_cache<int, std::string> cache(ioc.get_executor(), options);
  musicbot::cache::entry_options opt;
  opt.ttl = 1h;
  bool loaded = false;
  cache.get_or_load(
      key, [](const int&) -> asio::awaitable<boost::system::result<std::string>> { co_return std::string("peer"); },
      opt, [&](boost::system::error_code ec, auto v) { loaded = !ec && v; });
  if (!musicbot_cache_test::run_until(ioc, [&] { return loaded; }, 10s) || !cache.find(key)) {
    std::puts("load failed");
    return 1;
  }
  std::puts("ready");
  std::fflush(stdout);
  if (!musicbot_cache_test::run_until(ioc, [&] { return cache.find(key) == nullptr; }, 20s)) {
    std::puts("timeout");
    return 2;
  }
  std::puts("invalidated");
  std::fflush(stdout);
  client.close();
  return 0;
}
