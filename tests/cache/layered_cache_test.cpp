#include <musicbot/cache/layered_cache.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using musicbot::cache::cache_options;
using musicbot::cache::entry_options;
using musicbot::cache::error;
using musicbot::core::manual_clock;
using cache_type = musicbot::cache::layered_cache<int, std::string, manual_clock>;
using value_ptr = cache_type::value_ptr;
using load_result = boost::system::result<std::string>;

// A loader whose answers the test scripts: each call waits `delay` (a real
// Asio timer, cancellable) and then returns the next scripted result.
struct scripted_loader {
  struct state {
    int calls = 0;
    std::chrono::milliseconds delay{0};
    std::vector<load_result> answers;  // the last one repeats
  };
  std::shared_ptr<state> s = std::make_shared<state>();

  asio::awaitable<load_result> operator()(const int& key) const {
    auto st = s;
    const int call = st->calls++;
    if (st->delay.count() > 0) {
      asio::steady_timer t(co_await asio::this_coro::executor, st->delay);
      co_await t.async_wait(asio::use_awaitable);
    }
    if (st->answers.empty()) co_return load_result(std::to_string(key) + "#" + std::to_string(call));
    co_return st->answers[std::min<std::size_t>(static_cast<std::size_t>(call), st->answers.size() - 1)];
  }
};

struct outcome {
  bool done = false;
  boost::system::error_code ec;
  value_ptr value;
  [[nodiscard]] std::string text() const { return value ? *value : std::string("<null>"); }
};

class LayeredCache : public ::testing::Test {
 protected:
  cache_options<int, std::string> options(std::string name = "t") {
    cache_options<int, std::string> o;
    o.name = std::move(name);
    o.max_entries = 100;
    return o;
  }
  std::shared_ptr<outcome> get(cache_type& cache, int key, const scripted_loader& loader,
                               const entry_options& opt) {
    auto out = std::make_shared<outcome>();
    cache.get_or_load(key, loader, opt, [out](boost::system::error_code ec, value_ptr v) {
      out->done = true;
      out->ec = ec;
      out->value = std::move(v);
    });
    return out;
  }
  // Runs until every handler ran (bounded in time).
  void drain() {
    ioc.restart();
    ioc.run_for(2s);
  }

  asio::io_context ioc;
  manual_clock clock;
};

TEST_F(LayeredCache, ThousandConcurrentMissesCallTheLoaderOnce) {
  cache_type cache(ioc.get_executor(), options(), clock);
  scripted_loader loader;
  loader.s->delay = 5ms;
  std::vector<std::shared_ptr<outcome>> outs;
  for (int i = 0; i < 1000; ++i) outs.push_back(get(cache, 7, loader, {}));
  drain();
  EXPECT_EQ(loader.s->calls, 1);
  for (const auto& o : outs) {
    ASSERT_TRUE(o->done);
    ASSERT_FALSE(o->ec) << o->ec.message();
    EXPECT_EQ(o->text(), "7#0");
  }
  EXPECT_EQ(cache.stats().coalesced, 999U);
  EXPECT_EQ(cache.stats().loads, 1U);
}

TEST_F(LayeredCache, FreshValuesComeFromL1UntilTheTtlPasses) {
  cache_type cache(ioc.get_executor(), options(), clock);
  scripted_loader loader;
  entry_options opt;
  opt.ttl = 10s;
  auto a = get(cache, 1, loader, opt);
  drain();
  ASSERT_EQ(a->text(), "1#0");
  clock.advance(9s);
  auto b = get(cache, 1, loader, opt);
  drain();
  EXPECT_EQ(b->text(), "1#0");
  EXPECT_EQ(loader.s->calls, 1);
  ASSERT_NE(cache.find(1), nullptr);
  clock.advance(2s);
  EXPECT_EQ(cache.find(1), nullptr);
  auto c = get(cache, 1, loader, opt);
  drain();
  EXPECT_EQ(c->text(), "1#1");
  EXPECT_EQ(loader.s->calls, 2);
}

TEST_F(LayeredCache, JitterSpreadsExpiryWithinItsBounds) {
  auto o = options();
  o.max_entries = 300;
  cache_type cache(ioc.get_executor(), o, clock);
  scripted_loader loader;
  entry_options opt;
  opt.ttl = 1000ms;
  opt.ttl_jitter = 0.2;
  for (int k = 0; k < 200; ++k) cache.put(k, "v", opt);
  auto live = [&] {
    int n = 0;
    for (int k = 0; k < 200; ++k) n += cache.find(k) ? 1 : 0;
    return n;
  };
  clock.advance(799ms);
  EXPECT_EQ(live(), 200);  // nobody below ttl × 0.8
  clock.advance(201ms);
  const int at_ttl = live();
  EXPECT_GT(at_ttl, 0);    // spread: some still live at the nominal TTL...
  EXPECT_LT(at_ttl, 200);  // ...and some already gone
  clock.advance(201ms);
  EXPECT_EQ(live(), 0);  // nobody beyond ttl × 1.2
}

TEST_F(LayeredCache, NotFoundIsCachedForTheNegativeTtl) {
  cache_type cache(ioc.get_executor(), options(), clock);
  scripted_loader loader;
  loader.s->answers = {load_result(boost::system::error_code(error::not_found))};
  entry_options opt;
  opt.negative_ttl = 30s;
  auto a = get(cache, 5, loader, opt);
  drain();
  EXPECT_EQ(a->ec, error::not_found);
  auto b = get(cache, 5, loader, opt);
  drain();
  EXPECT_EQ(b->ec, error::not_found);
  EXPECT_EQ(loader.s->calls, 1);
  clock.advance(31s);
  auto c = get(cache, 5, loader, opt);
  drain();
  EXPECT_EQ(c->ec, error::not_found);
  EXPECT_EQ(loader.s->calls, 2);
}

TEST_F(LayeredCache, NotFoundIsNotCachedWithoutNegativeTtl) {
  cache_type cache(ioc.get_executor(), options(), clock);
  scripted_loader loader;
  loader.s->answers = {load_result(boost::system::error_code(error::not_found))};
  get(cache, 5, loader, {});
  drain();
  get(cache, 5, loader, {});
  drain();
  EXPECT_EQ(loader.s->calls, 2);
}

TEST_F(LayeredCache, LoaderFailureServesStaleWithinMaxStale) {
  cache_type cache(ioc.get_executor(), options(), clock);
  scripted_loader loader;
  loader.s->answers = {load_result("good"), load_result(boost::system::error_code(error::loader_failed))};
  entry_options opt;
  opt.ttl = 10s;
  opt.max_stale = 60s;
  get(cache, 1, loader, opt);
  drain();
  clock.advance(30s);  // expired, within max stale
  auto b = get(cache, 1, loader, opt);
  drain();
  EXPECT_FALSE(b->ec);
  EXPECT_EQ(b->text(), "good");
  EXPECT_EQ(cache.stats().stale_served, 1U);
  clock.advance(60s);  // beyond max stale
  auto c = get(cache, 1, loader, opt);
  drain();
  EXPECT_EQ(c->ec, error::loader_failed);
  EXPECT_EQ(c->value, nullptr);
}

TEST_F(LayeredCache, LoaderFailureWithoutStaleIsAnError) {
  cache_type cache(ioc.get_executor(), options(), clock);
  scripted_loader loader;
  loader.s->answers = {load_result(boost::system::error_code(error::loader_failed))};
  auto a = get(cache, 1, loader, {});
  drain();
  EXPECT_EQ(a->ec, error::loader_failed);
  EXPECT_EQ(cache.stats().load_errors, 1U);
}

TEST_F(LayeredCache, HardTimeoutGivesTimeoutOrStale) {
  cache_type cache(ioc.get_executor(), options(), clock);
  scripted_loader loader;
  entry_options opt;
  opt.ttl = 1s;
  opt.max_stale = 1h;
  opt.hard_timeout = 20ms;
  loader.s->delay = 10s;  // never in time (cancelled at the hard timeout)
  auto a = get(cache, 1, loader, opt);
  drain();
  EXPECT_EQ(a->ec, error::timeout);
  cache.put(2, "old", opt);
  clock.advance(2s);
  auto b = get(cache, 2, loader, opt);
  drain();
  EXPECT_FALSE(b->ec);
  EXPECT_EQ(b->text(), "old");
}

TEST_F(LayeredCache, SoftTimeoutReturnsStaleAndKeepsLoading) {
  cache_type cache(ioc.get_executor(), options(), clock);
  scripted_loader loader;
  entry_options opt;
  opt.ttl = 1s;
  opt.max_stale = 1h;
  opt.soft_timeout = 5ms;
  opt.hard_timeout = 2s;
  cache.put(3, "old", opt);
  clock.advance(2s);
  loader.s->delay = 50ms;
  auto a = get(cache, 3, loader, opt);
  ioc.restart();
  for (int i = 0; i < 200 && !a->done; ++i) ioc.run_one_for(100ms);
  ASSERT_TRUE(a->done);
  EXPECT_EQ(a->text(), "old");
  EXPECT_EQ(cache.find(3), nullptr);  // the load is still running
  drain();
  ASSERT_NE(cache.find(3), nullptr);  // and it filled L1
  EXPECT_EQ(*cache.find(3), "3#0");
}

TEST_F(LayeredCache, EachWaiterHasItsOwnCancellation) {
  cache_type cache(ioc.get_executor(), options(), clock);
  scripted_loader loader;
  loader.s->delay = 20ms;
  asio::cancellation_signal cancel;
  auto first = std::make_shared<outcome>();
  cache.get_or_load(9, loader, entry_options{},
                    asio::bind_cancellation_slot(cancel.slot(), [first](boost::system::error_code ec, value_ptr v) {
                      first->done = true;
                      first->ec = ec;
                      first->value = std::move(v);
                    }));
  auto second = get(cache, 9, loader, {});
  ioc.poll();
  cancel.emit(asio::cancellation_type::terminal);
  drain();
  EXPECT_EQ(first->ec, error::cancelled);
  EXPECT_FALSE(second->ec);
  EXPECT_EQ(second->text(), "9#0");
  EXPECT_EQ(loader.s->calls, 1);
}

TEST_F(LayeredCache, RefreshAheadReloadsHotKeysInTheBackground) {
  cache_type cache(ioc.get_executor(), options(), clock);
  scripted_loader loader;
  entry_options opt;
  opt.ttl = 10s;
  opt.refresh_ahead = 0.5;
  get(cache, 4, loader, opt);
  drain();
  clock.advance(4s);
  auto b = get(cache, 4, loader, opt);
  drain();
  EXPECT_EQ(b->text(), "4#0");
  EXPECT_EQ(loader.s->calls, 1);  // before the refresh point
  clock.advance(2s);
  auto c = get(cache, 4, loader, opt);
  drain();
  EXPECT_EQ(c->text(), "4#0");  // served at once from L1...
  EXPECT_EQ(loader.s->calls, 2);  // ...while a reload ran
  EXPECT_EQ(cache.stats().refreshes, 1U);
  clock.advance(8s);  // past the first TTL, within the refreshed one
  ASSERT_NE(cache.find(4), nullptr);
  EXPECT_EQ(*cache.find(4), "4#1");
}

TEST_F(LayeredCache, FindPastTheRefreshPointServesTheFreshValueWithoutReloading) {
  cache_type cache(ioc.get_executor(), options(), clock);
  scripted_loader loader;
  entry_options opt;
  opt.ttl = 10s;
  opt.refresh_ahead = 0.5;
  get(cache, 5, loader, opt);
  drain();
  clock.advance(7s);  // past the refresh point, before the TTL
  ASSERT_NE(cache.find(5), nullptr);
  EXPECT_EQ(*cache.find(5), "5#0");
  drain();
  EXPECT_EQ(loader.s->calls, 1);  // find() never loads
  EXPECT_EQ(cache.stats().refreshes, 0U);
  auto a = get(cache, 5, loader, opt);  // the first get_or_load past it refreshes once
  auto b = get(cache, 5, loader, opt);
  drain();
  EXPECT_EQ(a->text(), "5#0");
  EXPECT_EQ(b->text(), "5#0");
  EXPECT_EQ(cache.stats().refreshes, 1U);
  EXPECT_EQ(loader.s->calls, 2);
  clock.advance(4s);  // past the first TTL: the refreshed value
  ASSERT_NE(cache.find(5), nullptr);
  EXPECT_EQ(*cache.find(5), "5#1");
  clock.advance(7s);  // past the refreshed TTL too (no refresh-ahead without a get)
  EXPECT_EQ(cache.find(5), nullptr);
}

TEST_F(LayeredCache, L2IsSharedBetweenCaches) {
  auto l2 = std::make_shared<musicbot::cache::memory_l2_store>();
  auto o = options();
  o.l2 = l2;
  o.serializer = musicbot::cache::json_codec<int, std::string>();
  cache_type a(ioc.get_executor(), o, clock);
  cache_type b(ioc.get_executor(), o, clock);
  scripted_loader loader;
  get(a, 1, loader, {});
  drain();
  EXPECT_EQ(l2->sets(), 1U);
  auto r = get(b, 1, loader, {});
  drain();
  EXPECT_EQ(r->text(), "1#0");
  EXPECT_EQ(loader.s->calls, 1);
  EXPECT_EQ(b.stats().l2_hits, 1U);
}

TEST_F(LayeredCache, NotFoundIsSharedThroughL2AsANegativeHit) {
  auto l2 = std::make_shared<musicbot::cache::memory_l2_store>();
  auto o = options();
  o.l2 = l2;
  o.serializer = musicbot::cache::json_codec<int, std::string>();
  cache_type a(ioc.get_executor(), o, clock);
  cache_type b(ioc.get_executor(), o, clock);
  scripted_loader loader_a;
  loader_a.s->answers = {load_result(boost::system::error_code(error::not_found))};
  scripted_loader loader_b;
  entry_options opt;
  opt.negative_ttl = 30s;
  auto r = get(a, 9, loader_a, opt);
  drain();
  EXPECT_EQ(r->ec, error::not_found);
  EXPECT_EQ(l2->sets(), 1U);
  auto s = get(b, 9, loader_b, opt);
  drain();
  EXPECT_EQ(s->ec, error::not_found);
  EXPECT_EQ(loader_b.s->calls, 0);
  EXPECT_EQ(b.stats().l2_negative_hits, 1U);
  EXPECT_EQ(b.stats().l2_hits, 1U);
  // Cached in b's L1 for the negative TTL: no second L2 read.
  auto t = get(b, 9, loader_b, opt);
  drain();
  EXPECT_EQ(t->ec, error::not_found);
  EXPECT_EQ(l2->gets(), 2U);
  clock.advance(31s);  // b's L1 entry is gone (the in-memory L2 keeps real time)
  EXPECT_EQ(b.find(9), nullptr);
  // A reader without negative caching asks its loader instead.
  cache_type c(ioc.get_executor(), o, clock);
  auto u = get(c, 9, loader_b, {});
  drain();
  EXPECT_EQ(loader_b.s->calls, 1);
  EXPECT_EQ(c.stats().l2_negative_hits, 0U);
  EXPECT_EQ(c.stats().l2_misses, 1U);
  (void)u;
}

TEST_F(LayeredCache, L2OutageOpensTheBreakerAndRecovers) {
  auto l2 = std::make_shared<musicbot::cache::memory_l2_store>();
  auto o = options();
  o.l2 = l2;
  o.serializer = musicbot::cache::json_codec<int, std::string>();
  o.l2_breaker.window_size = 5;
  o.l2_breaker.minimum_calls = 3;
  o.l2_breaker.wait_in_open = 5s;
  o.l2_breaker.permitted_calls_in_half_open = 1;
  o.l2_breaker.max_wait_in_half_open = {};
  cache_type cache(ioc.get_executor(), o, clock);
  scripted_loader loader;
  l2->set_available(false);
  for (int k = 0; k < 10; ++k) {
    auto r = get(cache, k, loader, {});
    drain();
    EXPECT_FALSE(r->ec) << k;  // the loader still answers
  }
  EXPECT_TRUE(cache.l2_breaker_open());
  EXPECT_LE(l2->gets(), 4U);  // the open breaker stops calling L2
  l2->set_available(true);
  clock.advance(6s);
  get(cache, 100, loader, {});
  drain();
  EXPECT_FALSE(cache.l2_breaker_open());
  const auto gets = l2->gets();
  get(cache, 101, loader, {});
  drain();
  EXPECT_EQ(l2->gets(), gets + 1);  // L2 used again
}

TEST_F(LayeredCache, EraseReachesOtherCachesThroughTheBackplane) {
  auto l2 = std::make_shared<musicbot::cache::memory_l2_store>();
  auto bus = std::make_shared<musicbot::cache::memory_backplane<asio::any_io_executor>>(ioc.get_executor());
  auto o = options();
  o.l2 = l2;
  o.invalidations = bus;
  o.serializer = musicbot::cache::json_codec<int, std::string>();
  cache_type a(ioc.get_executor(), o, clock);
  cache_type b(ioc.get_executor(), o, clock);
  scripted_loader loader;
  entry_options opt;
  opt.tags = {"guild:1"};
  get(a, 1, loader, opt);
  get(a, 2, loader, opt);
  drain();
  get(b, 1, loader, opt);
  get(b, 2, loader, opt);
  drain();
  ASSERT_NE(b.find(1), nullptr);
  boost::system::error_code erase_ec = error::timeout;
  a.erase(1, [&](boost::system::error_code ec) { erase_ec = ec; });
  drain();
  EXPECT_FALSE(erase_ec);
  EXPECT_EQ(a.find(1), nullptr);
  EXPECT_EQ(b.find(1), nullptr);
  ASSERT_NE(b.find(2), nullptr);
  a.erase_by_tag("guild:1", [&](boost::system::error_code ec) { erase_ec = ec; });
  drain();
  EXPECT_EQ(b.find(2), nullptr);
  EXPECT_EQ(l2->size(), 0U);
}

TEST_F(LayeredCache, MalformedL2PayloadIsAMissAndReloads) {
  auto l2 = std::make_shared<musicbot::cache::memory_l2_store>();
  auto o = options();
  o.l2 = l2;
  o.serializer = musicbot::cache::json_codec<int, std::string>();
  cache_type cache(ioc.get_executor(), o, clock);
  bool stored = false;
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    co_await l2->set("t:1", "{not json", std::chrono::minutes(1), {});
    stored = true;
  }, asio::detached);
  drain();
  ASSERT_TRUE(stored);
  scripted_loader loader;
  auto r = get(cache, 1, loader, {});
  drain();
  EXPECT_FALSE(r->ec);
  EXPECT_EQ(r->text(), "1#0");  // the loader answered
  EXPECT_EQ(cache.stats().l2_errors, 1U);
  EXPECT_EQ(loader.s->calls, 1);
}

TEST_F(LayeredCache, LoadInFlightDuringEraseDoesNotRefillL1) {
  cache_type cache(ioc.get_executor(), options(), clock);
  scripted_loader loader;
  loader.s->delay = 10ms;
  auto a = get(cache, 1, loader, {});
  ioc.poll();  // the load has started
  bool erased = false;
  cache.erase(1, [&](boost::system::error_code) { erased = true; });
  drain();
  EXPECT_TRUE(erased);
  EXPECT_EQ(a->text(), "1#0");        // the waiting caller still gets the value...
  EXPECT_EQ(cache.find(1), nullptr);  // ...but the possibly outdated value is not cached
}

TEST_F(LayeredCache, TooManyDifferentLoadsAreRejected) {
  auto o = options();
  o.max_loads_in_flight = 2;
  cache_type cache(ioc.get_executor(), o, clock);
  scripted_loader loader;
  loader.s->delay = 5ms;
  auto a = get(cache, 1, loader, {});
  auto b = get(cache, 2, loader, {});
  auto c = get(cache, 3, loader, {});
  drain();
  EXPECT_FALSE(a->ec);
  EXPECT_FALSE(b->ec);
  EXPECT_EQ(c->ec, error::overloaded);
}

TEST_F(LayeredCache, ClosedCacheCompletesPendingOperations) {
  auto cache = std::make_unique<cache_type>(ioc.get_executor(), options(), clock);
  scripted_loader loader;
  loader.s->delay = 5ms;
  auto a = get(*cache, 1, loader, {});
  cache.reset();
  drain();
  EXPECT_TRUE(a->done);
  EXPECT_EQ(a->ec, error::closed);
}

struct settings {
  std::string prefix;
  int volume = 0;
  friend void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const settings& s) {
    v = {{"prefix", s.prefix}, {"volume", s.volume}};
  }
  friend settings tag_invoke(boost::json::value_to_tag<settings>, const boost::json::value& v) {
    const auto& o = v.as_object();
    return {boost::json::value_to<std::string>(o.at("prefix")), boost::json::value_to<int>(o.at("volume"))};
  }
};

TEST(CacheCodec, JsonRoundTripAndMalformedPayloads) {
  const auto c = musicbot::cache::json_codec<std::uint64_t, settings>();
  const auto payload = c.encode_value(settings{"!", 80});
  const auto back = c.decode_value(payload);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->prefix, "!");
  EXPECT_EQ(back->volume, 80);
  EXPECT_FALSE(c.decode_value("{"));
  EXPECT_FALSE(c.decode_value("[1,2]"));
  EXPECT_FALSE(c.decode_value(R"({"prefix":1})"));
  EXPECT_EQ(c.encode_key(123456789012345678ULL), "123456789012345678");
  EXPECT_EQ(c.decode_key("42"), std::optional<std::uint64_t>(42));
  EXPECT_FALSE(c.decode_key("42x"));
  EXPECT_FALSE(c.decode_key("-1"));
}

}  // namespace
