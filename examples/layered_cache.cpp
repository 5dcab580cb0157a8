// A layered cache in front of a slow lookup (guild settings in a database):
// hits, one load per miss even when callers pile up, expiry, invalidation,
// "not found", and what callers see when the loader fails.
#include <musicbot/cache/layered_cache.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>

namespace asio = boost::asio;
namespace cache = musicbot::cache;
using namespace std::chrono_literals;

namespace {

// The L3 loader: a fake settings table that takes 20 ms per query and can
// go down. The cache copies the loader, so its state is shared.
struct settings_db {
  struct state {
    int calls = 0;
    bool up = true;
  };
  std::shared_ptr<state> s = std::make_shared<state>();

  asio::awaitable<boost::system::result<std::string>> operator()(const std::uint64_t& guild) const {
    auto st = s;
    ++st->calls;
    asio::steady_timer query(co_await asio::this_coro::executor, 20ms);
    co_await query.async_wait(asio::use_awaitable);
    if (!st->up) co_return boost::system::error_code(asio::error::connection_refused);
    if (guild == 404) co_return boost::system::error_code(cache::error::not_found);  // no such guild
    co_return "guild " + std::to_string(guild) + ": prefix=! volume=50 (query #" + std::to_string(st->calls) + ")";
  }
};

using settings_cache = cache::layered_cache<std::uint64_t, std::string, musicbot::core::manual_clock>;

struct answer {
  bool done = false;
  boost::system::error_code ec;
  settings_cache::value_ptr value;
};

}  // namespace

int main() {
  asio::io_context io;
  musicbot::core::manual_clock clock;  // TTLs follow this clock: the example advances it instead of sleeping
  settings_db db;

  // L1 + loader only. To add a shared L2 (Redis), set before constructing:
  //   options.l2 = std::make_shared<cache::redis_l2_store>(redis_client);
  //   options.serializer = cache::json_codec<std::uint64_t, std::string>();  // values cross L2 as JSON
  // and, for other processes' L1s, options.invalidations = a redis_backplane.
  cache::cache_options<std::uint64_t, std::string> options;
  options.name = "guild_settings";
  options.max_entries = 1000;  // L1 never holds more
  settings_cache guilds(io.get_executor(), options, clock);

  cache::entry_options ttl;
  ttl.ttl = 5min;
  ttl.max_stale = 1h;           // fail-safe: serve a value up to 1 h past expiry if the database is down
  ttl.negative_ttl = 30s;       // remember "no such guild" briefly
  ttl.hard_timeout = 2s;        // no caller waits longer than this

  // Starts a lookup; `settle` runs the loop until it (and everything else) is done, 3 s at most.
  auto lookup = [&](std::uint64_t guild, answer& out) {
    guilds.get_or_load(guild, db, ttl, [&out](boost::system::error_code ec, settings_cache::value_ptr v) {
      out = {true, ec, std::move(v)};
    });
  };
  auto settle = [&] {
    io.restart();
    io.run_for(3s);
  };
  auto fail = [](const char* why) {
    std::cout << "FAILED: " << why << '\n';
    return 1;
  };

  std::cout << "guild 1, first command: miss, the loader runs\n";
  answer a;
  lookup(1, a);
  settle();
  if (!a.done || a.ec || !a.value || db.s->calls != 1) return fail("first lookup did not load once");
  std::cout << "  " << *a.value << '\n';

  std::cout << "guild 1 again: L1 hit, no query\n";
  answer b;
  lookup(1, b);
  settle();
  if (b.ec || b.value != a.value || db.s->calls != 1) return fail("second lookup was not a hit");
  std::cout << "  same value, loader calls still " << db.s->calls << '\n';

  std::cout << "guild 2, five commands at once: one query for all five (single-flight)\n";
  answer five[5];
  for (auto& f : five) lookup(2, f);
  settle();
  for (const auto& f : five) {
    if (!f.done || f.ec || f.value != five[0].value) return fail("a coalesced caller got another answer");
  }
  if (db.s->calls != 2 || guilds.stats().coalesced != 4) return fail("concurrent misses were not coalesced");
  std::cout << "  " << *five[0].value << "; 4 callers joined the first one's load\n";

  std::cout << "6 minutes later (TTL 5 min): guild 1 has expired and is loaded again\n";
  clock.advance(6min);
  answer c;
  lookup(1, c);
  settle();
  if (c.ec || !c.value || db.s->calls != 3) return fail("expired entry was not reloaded");
  std::cout << "  " << *c.value << '\n';

  std::cout << "guild 1 changes its prefix: erase() drops it, the next command reloads\n";
  bool erased = false;
  guilds.erase(1, [&](boost::system::error_code ec) { erased = !ec; });
  settle();
  answer d;
  lookup(1, d);
  settle();
  if (!erased || d.ec || db.s->calls != 4) return fail("erase did not force a reload");
  std::cout << "  " << *d.value << '\n';

  std::cout << "guild 404 does not exist: not_found, then answered from L1 for 30 s\n";
  answer n1;
  answer n2;
  lookup(404, n1);
  settle();
  lookup(404, n2);
  settle();
  if (n1.ec != cache::error::not_found || n2.ec != cache::error::not_found || db.s->calls != 5) {
    return fail("the negative answer was not cached");
  }
  std::cout << "  " << n1.ec.message() << " twice, one query\n";

  std::cout << "the database goes down; 6 minutes pass\n";
  db.s->up = false;
  clock.advance(6min);
  answer stale;
  answer never;
  lookup(1, stale);  // expired, but within max_stale: the old value beats an error
  lookup(3, never);  // never loaded: nothing to fall back on
  settle();
  if (stale.ec || stale.value != d.value || guilds.stats().stale_served != 1) {
    return fail("the stale value was not served");
  }
  // The loader said connection_refused; callers see the cache's own code.
  if (never.ec != cache::error::loader_failed || never.value) return fail("a failed load did not report loader_failed");
  std::cout << "  guild 1: stale value served (" << *stale.value << ")\n";
  std::cout << "  guild 3: error \"" << never.ec.message() << "\"\n";

  const auto& s = guilds.stats();
  std::cout << "L1 hits " << s.l1_hits << ", misses " << s.l1_misses << ", loads " << s.loads << ", load errors "
            << s.load_errors << ", coalesced " << s.coalesced << ", stale served " << s.stale_served << '\n';
  return db.s->calls == 7 && s.loads == 7 && s.load_errors == 2 ? 0 : fail("unexpected loader call count");
}
