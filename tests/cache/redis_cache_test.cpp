// The layered cache against a real redis-server (tests/support fixture):
// single-flight with L2, sharing through L2, an outage mid-run, recovery,
// and invalidation seen by another process.

#include "redis_test_util.hpp"

#include <musicbot/cache/layered_cache.hpp>
#include <musicbot/cache/redis.hpp>
#include <musicbot_test/process.hpp>
#include <redis_server.hpp>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using musicbot::cache::entry_options;
using musicbot::core::manual_clock;
using musicbot_cache_test::run_until;
using cache_type = musicbot::cache::layered_cache<int, std::string, manual_clock>;
using load_result = boost::system::result<std::string>;

// Answers "not found" for every key, counting its calls.
struct missing_loader {
  std::shared_ptr<int> calls = std::make_shared<int>(0);
  asio::awaitable<load_result> operator()(const int&) const {
    ++*calls;
    co_return load_result(boost::system::error_code(musicbot::cache::error::not_found));
  }
};

struct counting_loader {
  std::shared_ptr<int> calls = std::make_shared<int>(0);
  std::chrono::milliseconds delay{0};
  asio::awaitable<load_result> operator()(const int& key) const {
    ++*calls;
    if (delay.count() > 0) {
      asio::steady_timer t(co_await asio::this_coro::executor, delay);
      co_await t.async_wait(asio::use_awaitable);
    }
    co_return load_result("v" + std::to_string(key));
  }
};

class RedisCache : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!musicbot_test::redis_server::available()) GTEST_SKIP() << "redis-server not installed";
    redis = std::make_unique<musicbot_test::redis_server>();
    cfg = musicbot::redis::parse_url(redis->url()).value();
    cfg.command_timeout = 200ms;
    cfg.reconnect_max_delay = 200ms;
    client = std::make_unique<musicbot::redis::client>(ioc.get_executor(), cfg);
    client->start();
    ASSERT_TRUE(run_until(ioc, [&] { return client->healthy(); }, 10s));
  }
  void TearDown() override {
    if (client) client->close();
    if (client) run_until(ioc, [] { return false; }, 20ms);
  }

  musicbot::cache::cache_options<int, std::string> options(std::shared_ptr<musicbot::cache::backplane> bus = {}) {
    musicbot::cache::cache_options<int, std::string> o;
    o.name = "shared";
    o.l2 = std::make_shared<musicbot::cache::redis_l2_store>(*client);
    o.invalidations = std::move(bus);
    o.serializer = musicbot::cache::json_codec<int, std::string>();
    o.l2_breaker.window_size = 10;
    o.l2_breaker.minimum_calls = 3;
    o.l2_breaker.wait_in_open = 5s;
    o.l2_breaker.permitted_calls_in_half_open = 1;
    o.l2_breaker.max_wait_in_half_open = {};
    return o;
  }

  // Issues get_or_load and runs until it completes; returns {ec, value}.
  template <class Loader>
  std::pair<boost::system::error_code, std::string> get(cache_type& cache, int key, const Loader& loader,
                                                        const entry_options& opt) {
    bool done = false;
    std::pair<boost::system::error_code, std::string> out;
    cache.get_or_load(key, loader, opt, [&](boost::system::error_code ec, cache_type::value_ptr v) {
      done = true;
      out = {ec, v ? *v : std::string("<null>")};
    });
    EXPECT_TRUE(run_until(ioc, [&] { return done; }, 10s));
    return out;
  }

  asio::io_context ioc;
  manual_clock clock;
  std::unique_ptr<musicbot_test::redis_server> redis;
  musicbot::redis::config cfg;
  std::unique_ptr<musicbot::redis::client> client;
};

TEST_F(RedisCache, SingleFlightThenSharedThroughL2) {
  cache_type a(ioc.get_executor(), options(), clock);
  counting_loader loader;
  loader.delay = 20ms;
  int done = 0;
  int good = 0;
  for (int i = 0; i < 1000; ++i) {
    a.get_or_load(42, loader, entry_options{}, [&](boost::system::error_code ec, cache_type::value_ptr v) {
      ++done;
      good += (!ec && v && *v == "v42") ? 1 : 0;
    });
  }
  ASSERT_TRUE(run_until(ioc, [&] { return done == 1000; }, 10s));
  EXPECT_EQ(good, 1000);
  EXPECT_EQ(*loader.calls, 1);
  // The loaded value went to Redis; a second cache (another process's view)
  // gets it from L2 without calling its loader.
  ASSERT_TRUE(run_until(ioc, [&] { return redis->command({"EXISTS", "shared:42"}) == ":1\r\n"; }, 5s));
  cache_type b(ioc.get_executor(), options(), clock);
  counting_loader other;
  EXPECT_EQ(get(b, 42, other, {}).second, "v42");
  EXPECT_EQ(*other.calls, 0);
  EXPECT_EQ(b.stats().l2_hits, 1U);
}

TEST_F(RedisCache, RedisOutageIsInvisibleToCallersAndL2ComesBack) {
  cache_type cache(ioc.get_executor(), options(), clock);
  counting_loader loader;
  entry_options opt;
  opt.ttl = 10s;
  opt.max_stale = 1h;
  for (int k = 0; k < 20; ++k) ASSERT_FALSE(get(cache, k, loader, opt).first);
  clock.advance(11s);  // every entry is stale now: reads must go to L2 / the loader
  const auto commands_before = client->stats().commands;
  redis->stop();
  // Keys with stale values and new keys: no caller sees an error.
  for (int k = 0; k < 40; ++k) {
    const auto [ec, value] = get(cache, k, loader, opt);
    EXPECT_FALSE(ec) << k << ": " << ec.message();
    EXPECT_EQ(value, "v" + std::to_string(k));
  }
  EXPECT_TRUE(cache.l2_breaker_open());
  // The breaker bounds the waiting: once it opened (after minimum_calls = 3
  // failures) no request went to Redis any more; the rest skipped L2.
  EXPECT_GT(cache.stats().l2_rejected, 30U);
  EXPECT_LE(client->stats().commands - commands_before, 12U);
  // Redis back: the breaker lets a probe through after its open time and
  // L2 is used again.
  redis->start();
  ASSERT_TRUE(run_until(ioc, [&] { return client->healthy(); }, 10s));
  clock.advance(6s);
  const auto hits_before = cache.stats().l2_hits + cache.stats().l2_misses;
  clock.advance(1h);  // everything expired: the next read must ask L2
  EXPECT_FALSE(get(cache, 100, loader, opt).first);
  EXPECT_FALSE(cache.l2_breaker_open());
  EXPECT_GT(cache.stats().l2_hits + cache.stats().l2_misses, hits_before);
  ASSERT_TRUE(run_until(ioc, [&] { return redis->command({"EXISTS", "shared:100"}) == ":1\r\n"; }, 5s));
}

TEST_F(RedisCache, EraseInOneProcessReachesAnotherProcessL1) {
  const std::string peer = std::string(MUSICBOT_BINARY_DIR) + "/tests/cache/musicbot_cache_peer";
  musicbot_test::temp_dir dir("musicbot-cache-peer");
  const std::string log = dir.path() + "/peer.log";
  musicbot_test::child_process child({peer, redis->url(), "7"}, log);
  auto peer_says = [&](const std::string& word) {
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    return text.str().find(word) != std::string::npos;
  };
  ASSERT_TRUE(run_until(ioc, [&] { return peer_says("ready") || !child.running(); }, 15s));
  ASSERT_TRUE(peer_says("ready"));

  auto bus = std::make_shared<musicbot::cache::redis_backplane>(ioc.get_executor(), *client, cfg);
  bus->start();
  ASSERT_TRUE(run_until(ioc, [&] { return bus->active_subscriptions() == 1; }, 10s));
  cache_type cache(ioc.get_executor(), options(bus), clock);
  bool erased = false;
  boost::system::error_code erase_ec;
  cache.erase(7, [&](boost::system::error_code ec) {
    erased = true;
    erase_ec = ec;
  });
  ASSERT_TRUE(run_until(ioc, [&] { return erased; }, 5s));
  EXPECT_FALSE(erase_ec) << erase_ec.message();
  EXPECT_EQ(redis->command({"EXISTS", "shared:7"}), ":0\r\n");
  // Bounded wait for the other process to drop the key from its L1.
  EXPECT_EQ(child.wait(15s), 0);
  EXPECT_TRUE(peer_says("invalidated"));
}

TEST_F(RedisCache, EraseByTagRemovesTaggedKeysFromRedis) {
  cache_type cache(ioc.get_executor(), options(), clock);
  counting_loader loader;
  entry_options opt;
  opt.tags = {"guild:1"};
  get(cache, 1, loader, opt);
  get(cache, 2, loader, opt);
  get(cache, 3, loader, {});
  ASSERT_TRUE(run_until(ioc, [&] { return redis->command({"EXISTS", "shared:1", "shared:2", "shared:3"}) == ":3\r\n"; }, 5s));
  bool erased = false;
  cache.erase_by_tag("guild:1", [&](boost::system::error_code) { erased = true; });
  ASSERT_TRUE(run_until(ioc, [&] { return erased; }, 5s));
  EXPECT_EQ(redis->command({"EXISTS", "shared:1", "shared:2", "shared:3"}), ":1\r\n");
  EXPECT_EQ(cache.find(1), nullptr);
  EXPECT_NE(cache.find(3), nullptr);
}

}  // namespace

namespace {

TEST_F(RedisCache, NotFoundIsSharedThroughL2WithItsOwnTtl) {
  cache_type a(ioc.get_executor(), options(), clock);
  cache_type b(ioc.get_executor(), options(), clock);
  missing_loader loader_a;
  missing_loader loader_b;
  entry_options opt;
  opt.ttl = 1h;
  opt.negative_ttl = 30s;
  EXPECT_EQ(get(a, 404, loader_a, opt).first, musicbot::cache::error::not_found);
  EXPECT_EQ(*loader_a.calls, 1);
  // The "not found" went to Redis with the negative TTL, not the value TTL.
  ASSERT_TRUE(run_until(ioc, [&] { return redis->command({"EXISTS", "shared:404"}) == ":1\r\n"; }, 5s));
  const std::string pttl = redis->command({"PTTL", "shared:404"});
  ASSERT_EQ(pttl.front(), ':') << pttl;
  const long left_ms = std::stol(pttl.substr(1));
  EXPECT_GT(left_ms, 0);
  EXPECT_LE(left_ms, 30000);
  // Another process's cache reads it back as a negative hit: no loader call.
  EXPECT_EQ(get(b, 404, loader_b, opt).first, musicbot::cache::error::not_found);
  EXPECT_EQ(*loader_b.calls, 0);
  EXPECT_EQ(b.stats().l2_hits, 1U);
  EXPECT_EQ(b.stats().l2_negative_hits, 1U);
  // ... and keeps it in its L1: the next read asks neither Redis nor the loader.
  EXPECT_EQ(get(b, 404, loader_b, opt).first, musicbot::cache::error::not_found);
  EXPECT_EQ(b.stats().l2_hits + b.stats().l2_misses, 1U);
  EXPECT_EQ(*loader_b.calls, 0);
  // A reader that does not cache "not found" ignores the L2 entry and asks its loader.
  cache_type c(ioc.get_executor(), options(), clock);
  missing_loader loader_c;
  EXPECT_EQ(get(c, 404, loader_c, entry_options{}).first, musicbot::cache::error::not_found);
  EXPECT_EQ(*loader_c.calls, 1);
  EXPECT_EQ(c.stats().l2_negative_hits, 0U);
  // A value loaded later replaces the "not found" in L2 for everybody.
  cache_type d(ioc.get_executor(), options(), clock);
  d.put(404, "found now", opt);
  ASSERT_TRUE(run_until(ioc, [&] { return redis->command({"GET", "shared:404"}).find("found now") != std::string::npos; }, 5s));
  cache_type e(ioc.get_executor(), options(), clock);
  missing_loader loader_e;
  const auto [ec, value] = get(e, 404, loader_e, opt);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(value, "found now");
  EXPECT_EQ(*loader_e.calls, 0);
}

}  // namespace
