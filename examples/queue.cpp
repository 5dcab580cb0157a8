// One guild's queue as a bot drives it: settings set its rules, users add,
// reorder and loop tracks, and every refused command says why and changes
// nothing. No Lavalink here: the tracks stand in for a loadTracks result.
#include <musicbot/queue/queue.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

namespace mq = musicbot::queue;

namespace {

constexpr std::uint64_t alice = 1, bob = 2, carol = 3;

mq::track make_track(const std::string& title, std::uint64_t requester) {
  mq::track t;
  t.encoded = "QAAA-" + title;  // Lavalink's encoded track; also the de-duplication key
  t.title = title;
  t.length = std::chrono::minutes(3);
  t.source = "youtube";
  t.requester_id = requester;
  return t;
}

std::string show(const mq::music_queue& q) {
  std::string out = q.current() ? q.current()->title : "(nothing)";
  out += " |";
  for (const auto& t : q.upcoming()) out += " " + t.title;
  return out;
}

}  // namespace

int main() {
  bool ok = true;
  auto check = [&ok](bool condition, const std::string& what) {
    if (!condition) std::cout << "  UNEXPECTED: " << what << '\n';
    ok = ok && condition;
  };

  // Settings are validated by their setters: a bad value is an error, not a clamp.
  mq::guild_settings settings;
  settings.guild_id = 81'384'788'765'712'384;
  auto volume = mq::set_volume(settings, 250);
  std::cout << "volume 250: " << volume.error().message() << '\n';
  check(volume.error() == mq::error::invalid_volume && settings.volume == 100, "volume 250 refused, 100 kept");
  check(mq::set_queue_limits(settings, 5, 2).has_value(), "limits 5 tracks, 2 per user");

  // The queue takes its limits from the settings; de-duplication is the bot's choice.
  mq::queue_limits base;
  base.deduplicate = true;
  mq::music_queue queue(mq::limits_of(settings, base), /*seed=*/7);

  check(queue.play_or_add(make_track("intro", alice)).value_or(false), "intro starts playing");
  for (const auto* title : {"a1", "a2"}) check(queue.add(make_track(title, alice)).has_value(), "alice adds");
  check(queue.add(make_track("b1", bob)).has_value(), "bob adds b1");
  std::cout << "queued:   " << show(queue) << '\n';

  auto third = queue.add(make_track("a3", alice));  // alice already has 2 upcoming
  auto again = queue.add(make_track("a1", bob));    // same encoded track as alice's a1
  std::cout << "alice a3: " << third.error().message() << "\nbob a1:   " << again.error().message() << '\n';
  check(third.error() == mq::error::user_limit_reached && again.error() == mq::error::duplicate, "a3/a1 refused");

  check(queue.insert(0, make_track("c1", carol)).has_value(), "carol plays c1 next");
  check(queue.move(3, 1).has_value(), "b1 moves to position 1");
  auto removed = queue.remove(2);
  check(removed && removed->title == "a1", "position 2 (a1) removed");
  std::cout << "edited:   " << show(queue) << '\n';
  check(show(queue) == "intro | c1 b1 a2", "order after insert/move/remove");

  // A failed command leaves the queue exactly as it was.
  const auto before = queue.upcoming();
  auto far = queue.move(9, 0);
  std::vector<mq::track> playlist{make_track("p1", 0), make_track("p2", 0), make_track("p3", 0)};
  auto batch = queue.add_all(playlist);  // 3 + 3 > 5: all or nothing
  std::cout << "move 9:   " << far.error().message() << "\nplaylist: " << batch.error().message() << '\n';
  check(far.error() == mq::error::out_of_range && batch.error() == mq::error::queue_full, "move/add_all refused");
  check(queue.upcoming() == before, "queue unchanged after refused commands");

  // Loop and autoplay exclude each other; nothing is switched off silently.
  // (Autoplay itself is the bot's job: when advance() returns nullptr it
  // queues related tracks with requester 0.)
  check(mq::set_autoplay(settings, true).has_value(), "autoplay on");
  auto loop = mq::set_loop(settings, mq::loop_mode::queue);
  std::cout << "loop on while autoplay: " << loop.error().message() << '\n';
  check(loop.error() == mq::error::loop_autoplay_conflict && settings.loop == mq::loop_mode::off, "loop refused");
  check(mq::set_autoplay(settings, false) && mq::set_loop(settings, mq::loop_mode::queue), "autoplay off, loop on");
  queue.set_loop(settings.loop);

  queue.advance();  // intro ended: loop queue puts it back at the end
  std::cout << "loop " << to_string(queue.loop()) << ": " << show(queue) << '\n';
  check(show(queue) == "c1 | b1 a2 intro", "intro re-queued at the back");
  queue.set_loop(mq::loop_mode::track);
  queue.advance();                                      // a natural end replays c1...
  const bool replayed = show(queue) == "c1 | b1 a2 intro";
  auto skipped = queue.skip();                          // ...an explicit skip moves on
  std::cout << "loop track, end then skip: " << show(queue) << '\n';
  check(replayed && skipped && show(queue) == "b1 | a2 intro", "track loop replays, skip moves on");

  // The playlist fits now; requester 0 (autoplay, system) has no per-user limit.
  check(queue.add_all(playlist).has_value(), "playlist added");
  // Shuffle is reproducible: the same seed gives the same order everywhere.
  mq::music_queue copy = queue;
  queue.shuffle();
  copy.shuffle();
  std::cout << "playlist, shuffled: " << show(queue) << '\n';
  check(queue.upcoming() == copy.upcoming() && queue.size() == 5, "same seed, same order");

  // DJ rules: with a DJ role set, only DJs (or a listener alone with the bot) may skip.
  settings.dj_role_id = 555;
  const mq::voice_state voice{900, 900, 3};  // bot and member in channel 900, 3 listeners
  const auto bob_skip = mq::can_control({bob, {}, false}, settings, voice);
  const auto dj_skip = mq::can_control({alice, {555}, false}, settings, voice);
  std::cout << std::boolalpha << "bob may skip: " << bob_skip.allowed << ", alice (DJ) may skip: " << dj_skip.allowed << '\n';
  check(!bob_skip && bob_skip.reason == mq::control_reason::not_dj && dj_skip, "DJ policy");

  // What users type is validated before it reaches Lavalink.
  auto search = mq::parse_play_input("  daft\tpunk   around  ");
  auto metadata = mq::parse_play_input("http://169.254.169.254/latest/meta-data/");
  auto id = mq::parse_snowflake("12abc", std::chrono::system_clock::now());
  std::cout << "search -> " << (search ? search->identifier : search.error().message()) << '\n'
            << "metadata URL -> " << metadata.error().message() << "\nid 12abc -> " << id.error().message() << '\n';
  check(search && search->identifier == "ytsearch:daft punk around", "query cleaned, default prefix");
  check(metadata.error() == mq::error::url_host_forbidden && id.error() == mq::error::invalid_snowflake, "refused");

  std::cout << (ok ? "all as described\n" : "example FAILED\n");
  return ok ? 0 : 1;
}
