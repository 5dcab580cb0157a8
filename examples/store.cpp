// A guild's settings and queue surviving a restart, with the SQLite store
// (the default backend): open and migrate a database file, save, close,
// reopen and read back; and what a refused write looks like.
#include <musicbot/queue/queue.hpp>
#include <musicbot/store/sqlite_store.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <string>

namespace asio = boost::asio;
namespace mq = musicbot::queue;
namespace ms = musicbot::store;
using namespace std::chrono_literals;

namespace {

mq::track make_track(const std::string& title) {
  mq::track t;
  t.encoded = "QAAA-" + title;  // stands in for Lavalink's encoded track
  t.title = title;
  t.length = 3min;
  t.requester_id = 42;
  return t;
}

// A fresh directory under the system temp dir, removed with everything in it.
struct temp_dir {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("musicbot-example-store-" + std::to_string(std::random_device{}()));
  temp_dir() { std::filesystem::create_directories(path); }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

}  // namespace

int main() {
  constexpr std::uint64_t guild = 81'384'788'765'712'384;
  const temp_dir dir;
  ms::sqlite_config config;
  config.path = (dir.path / "musicbot.db").string();
  config.max_queue_tracks = 10;  // the store refuses anything larger: nothing grows without bound

  bool ok = true;
  auto check = [&ok](bool condition, const std::string& what) {
    if (!condition) std::cout << "  UNEXPECTED: " << what << '\n';
    ok = ok && condition;
  };

  // The user owns the io_context and the store lives outside the coroutine:
  // a store must be destroyed before the io_context its handlers run on.
  asio::io_context io;
  std::unique_ptr<ms::database> db;
  bool finished = false;

  auto session = [&]() -> asio::awaitable<void> {
    constexpr auto use_awaitable = asio::use_awaitable;
    constexpr auto as_tuple = asio::as_tuple(asio::use_awaitable);  // errors as values, not exceptions

    std::cout << "first run, database " << config.path << '\n';
    db = std::make_unique<ms::sqlite_store>(io.get_executor(), config);
    auto [early, nothing] = co_await db->async_load_queue(guild, as_tuple);
    std::cout << "  before async_start: " << early.message() << '\n';
    check(early == ms::error::not_started && !nothing, "nothing runs before start");
    co_await db->async_start(use_awaitable);  // creates the file and applies every migration
    std::cout << "  schema version " << db->current_schema_version() << '\n';
    check(db->current_schema_version() == ms::database::schema_version, "migrated to the current schema");

    // Settings go through the queue component's rules before they are saved.
    mq::guild_settings settings;
    settings.guild_id = guild;
    check(mq::set_volume(settings, 80) && mq::set_loop(settings, mq::loop_mode::queue), "settings valid");
    settings.dj_role_id = 555;
    co_await db->async_save_settings(settings, use_awaitable);

    // The whole queue (current track, position, upcoming, loop) is one transaction.
    mq::music_queue queue(mq::limits_of(settings), /*seed=*/1);
    queue.set_loop(settings.loop);
    for (const auto* title : {"intro", "verse", "chorus", "outro"}) check(queue.play_or_add(make_track(title)).has_value(), "add");
    const auto v1 = co_await db->async_replace_queue(guild, queue.state(), use_awaitable);
    check(queue.skip().has_value(), "skip intro");
    const auto saved = queue.state(95s);  // 1:35 into "verse"
    const auto v2 = co_await db->async_replace_queue(guild, saved, use_awaitable);
    std::cout << "  saved settings and queue, versions " << v1 << " then " << v2 << '\n';
    check(v2 > v1, "each commit gets a higher version");

    // Refused writes: settings that break the rules, a queue above the bound.
    auto bad = settings;
    bad.volume = 300;  // bypasses set_volume; the store validates again
    auto [bad_settings] = co_await db->async_save_settings(bad, as_tuple);
    mq::queue_state huge = saved;
    huge.upcoming.assign(20, make_track("filler"));
    auto [too_large, no_version] = co_await db->async_replace_queue(guild, huge, as_tuple);
    std::cout << "  volume 300: " << bad_settings.message() << "\n  20 tracks: " << too_large.message() << '\n';
    check(bad_settings == ms::error::invalid_argument, "invalid settings refused");
    check(too_large == ms::error::value_too_large && no_version == 0, "oversized queue refused");
    db.reset();  // closes the database: finishes queued work, joins the writer thread

    std::cout << "second run (after a restart)\n";
    db = std::make_unique<ms::sqlite_store>(io.get_executor(), config);
    co_await db->async_start(use_awaitable);  // already migrated: nothing to apply
    const auto loaded_settings = co_await db->async_load_settings(guild, use_awaitable);
    const auto stored = co_await db->async_load_queue(guild, use_awaitable);
    check(loaded_settings == settings, "settings read back as saved (volume 80, not 300)");
    check(stored && stored->state == saved && stored->version == v2, "queue read back as version " + std::to_string(v2));
    if (stored) {
      mq::music_queue resumed(mq::limits_of(settings));
      check(resumed.restore(stored->state).has_value(), "restore");
      const auto* current = resumed.current();
      std::cout << "  resumed \"" << (current ? current->title : "(nothing)") << "\" at "
                << std::chrono::duration_cast<std::chrono::seconds>(stored->state.position).count() << " s, "
                << resumed.size() << " upcoming, loop " << to_string(resumed.loop()) << ", version "
                << stored->version << '\n';
    }
    db.reset();
    finished = true;
  };

  asio::co_spawn(io, session, [&](std::exception_ptr error) {
    // use_awaitable turns an unexpected store error into an exception.
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      std::cout << "  UNEXPECTED exception: " << e.what() << '\n';
    }
  });
  io.run_for(10s);  // bounded: a store that never answers fails the example
  db.reset();
  check(finished, "the session completed");
  std::cout << (ok ? "all as described\n" : "example FAILED\n");
  return ok ? 0 : 1;
}
