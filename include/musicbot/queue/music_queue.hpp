#pragma once
/// @file
/// `musicbot::queue::music_queue`: one guild's queue (current track, upcoming
/// tracks, bounded history, loop mode, reproducible shuffle).

#include <musicbot/core/result.hpp>
#include <musicbot/queue/error.hpp>
#include <musicbot/queue/loop_mode.hpp>
#include <musicbot/queue/track.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>
#include <vector>

namespace musicbot::queue {

/// Limits of one queue. Every limit is checked before anything changes.
struct queue_limits {
  /// Hard cap on any configured length: nothing user-controlled is unbounded.
  static constexpr std::size_t hard_max_length = 100'000;

  std::size_t max_length = 1'000;  ///< maximum number of upcoming tracks (1..hard_max_length)
  std::size_t max_per_user = 0;    ///< maximum upcoming tracks per requester; 0 = no per-user limit
  std::size_t max_history = 50;    ///< finished tracks kept for `previous()` (0..hard_max_length)
  bool deduplicate = false;        ///< refuse a track already current or upcoming

  /// Member-wise equality.
  friend bool operator==(const queue_limits&, const queue_limits&) = default;
};

/// Checks that `limits` is usable: max_length in 1..hard_max_length,
/// max_per_user and max_history at most hard_max_length.
[[nodiscard]] core::result<void> validate(const queue_limits& limits);

/// A page of the upcoming list, for display.
struct queue_page {
  std::size_t page = 0;            ///< zero-based page index
  std::size_t page_count = 0;      ///< number of pages (at least 1, even when empty)
  std::size_t total = 0;           ///< number of upcoming tracks
  std::size_t first_position = 0;  ///< zero-based position of `items.front()` in the upcoming list
  std::vector<track> items;        ///< at most page_size tracks
};

/// Everything that must survive a restart: what the store persists in one
/// transaction and `music_queue::restore()` takes back.
struct queue_state {
  std::optional<track> current;               ///< the playing track, if any
  std::chrono::milliseconds position{0};      ///< playback position within `current`
  std::vector<track> upcoming;                ///< the tracks after it, in order
  loop_mode loop = loop_mode::off;            ///< loop mode

  /// Member-wise equality.
  friend bool operator==(const queue_state&, const queue_state&) = default;
};

/// One guild's queue.
///
/// Positions are zero-based indexes into the upcoming list (the current
/// track is not part of it); a bot shows them one-based. Every operation
/// either succeeds completely or returns an error and leaves the queue
/// exactly as it was.
///
/// Loop rules: on a natural end (`advance()`), `loop_mode::track` replays
/// the current track, `loop_mode::queue` moves it to the back of the
/// upcoming list, `loop_mode::off` moves it to the history. An explicit
/// `skip()` always moves on (even in `loop_mode::track`); in
/// `loop_mode::queue` the skipped tracks go to the back, otherwise to the
/// history.
///
/// @par Thread safety
/// Not thread-safe: one queue belongs to one guild session, used from one
/// strand.
class music_queue {
 public:
  /// An empty queue with default limits and a random shuffle seed.
  music_queue();
  /// An empty queue; `limits` must pass `validate()` (throws
  /// `std::invalid_argument` otherwise: a configuration error). `seed` makes
  /// `shuffle()` reproducible.
  explicit music_queue(queue_limits limits, std::uint64_t seed = 0x9e3779b97f4a7c15ULL);

  /// The playing track, or nullptr.
  [[nodiscard]] const track* current() const noexcept { return current_ ? &*current_ : nullptr; }
  /// The tracks after the current one.
  [[nodiscard]] const std::deque<track>& upcoming() const noexcept { return upcoming_; }
  /// Finished tracks, oldest first, at most `limits().max_history`.
  [[nodiscard]] const std::deque<track>& history() const noexcept { return history_; }
  /// Number of upcoming tracks.
  [[nodiscard]] std::size_t size() const noexcept { return upcoming_.size(); }
  /// True if nothing is upcoming.
  [[nodiscard]] bool empty() const noexcept { return upcoming_.empty(); }
  /// The limits in force.
  [[nodiscard]] const queue_limits& limits() const noexcept { return limits_; }
  /// The loop mode.
  [[nodiscard]] loop_mode loop() const noexcept { return loop_; }
  /// Number of upcoming tracks queued by `user_id`.
  [[nodiscard]] std::size_t count_for(std::uint64_t user_id) const noexcept;
  /// Sum of the upcoming lengths plus what is left of the current track
  /// (`position` into it). Streams count as zero.
  [[nodiscard]] std::chrono::milliseconds remaining_duration(std::chrono::milliseconds position = {}) const noexcept;

  /// Replaces the limits. Fails with `invalid_limit` if they do not pass
  /// `validate()`. Tracks already queued stay even if now above a limit;
  /// the history is trimmed to the new maximum.
  core::result<void> set_limits(const queue_limits& limits);
  /// Sets the loop mode.
  void set_loop(loop_mode mode) noexcept { loop_ = mode; }

  /// Appends a track; returns its position. Errors: `queue_full`,
  /// `user_limit_reached`, `duplicate`.
  core::result<std::size_t> add(track t);
  /// Appends all tracks or none (a playlist); returns the position of the
  /// first. Errors as add(), checked for the whole batch (duplicates inside
  /// the batch count too).
  core::result<std::size_t> add_all(std::vector<track> tracks);
  /// Inserts at `position` (0 = play next; size() = append). Errors: as
  /// add(), plus `out_of_range`.
  core::result<void> insert(std::size_t position, track t);
  /// Removes and returns the track at `position`. Error: `out_of_range`.
  core::result<track> remove(std::size_t position);
  /// Removes positions [first, last) and returns them. Error:
  /// `out_of_range` unless first < last <= size().
  core::result<std::vector<track>> remove_range(std::size_t first, std::size_t last);
  /// Removes every upcoming track queued by `user_id`; returns how many.
  std::size_t remove_by(std::uint64_t user_id);
  /// Moves the track at `from` so it ends up at `to`. Error: `out_of_range`.
  core::result<void> move(std::size_t from, std::size_t to);
  /// Removes every upcoming track; returns how many. Current track and
  /// history are kept.
  std::size_t clear() noexcept;
  /// Shuffles the upcoming tracks (Fisher–Yates on the queue's own
  /// generator, identical on every platform for the same seed).
  void shuffle() noexcept;
  /// Reseeds the shuffle generator.
  void reseed(std::uint64_t seed) noexcept { rng_state_ = seed; }

  /// Makes `t` current if nothing plays (returns true) — otherwise appends
  /// it like add() (returns false).
  core::result<bool> play_or_add(track t);
  /// The current track ended naturally: applies the loop mode and returns
  /// the new current track (nullptr when the queue ran out).
  const track* advance();
  /// Skips the current track (ignores `loop_mode::track`). Returns the new
  /// current track (nullptr when nothing is left). Error: `nothing_playing`.
  core::result<const track*> skip();
  /// Jumps to upcoming `position`: the current track and those before the
  /// target are skipped. Returns the new current track. Error: `out_of_range`.
  core::result<const track*> skip_to(std::size_t position);
  /// Goes back one track: the newest history entry becomes current and the
  /// current one goes to the front of the upcoming list. Errors:
  /// `no_previous`, `queue_full` (no room to put the current track back).
  core::result<const track*> previous();
  /// Stops: the current track (if any) goes to history; upcoming is kept.
  void stop() noexcept;

  /// Page `page` (zero-based) of the upcoming list with `page_size` items.
  /// Page 0 of an empty queue is an empty page. Errors: `invalid_argument`
  /// for page_size 0, `out_of_range` for a page after the last.
  [[nodiscard]] core::result<queue_page> page(std::size_t page, std::size_t page_size = 10) const;

  /// The state to persist (history is not persisted).
  [[nodiscard]] queue_state state(std::chrono::milliseconds position = {}) const;
  /// Replaces current, upcoming and loop mode with `s` (history is cleared).
  /// Error: `queue_full` if `s.upcoming` exceeds max_length; nothing changes then.
  core::result<void> restore(queue_state s);

 private:
  core::result<void> check_can_add(const std::vector<const track*>& batch) const;
  void push_history(track t);
  std::uint64_t next_random() noexcept;
  // De-duplication index (maintained only while limits_.deduplicate):
  // hash of dedup_key() of the current and upcoming tracks -> count.
  void index_add(const track& t);
  void index_remove(const track& t);
  void rebuild_index();
  [[nodiscard]] bool is_queued(const track& t) const;

  queue_limits limits_;
  std::optional<track> current_;
  std::deque<track> upcoming_;
  std::deque<track> history_;
  loop_mode loop_ = loop_mode::off;
  std::uint64_t rng_state_;
  std::unordered_map<std::uint64_t, std::uint32_t> keys_;
};

}  // namespace musicbot::queue
