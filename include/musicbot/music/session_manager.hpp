#pragma once
/// @file
/// Guild music sessions: each guild's queue, its Lavalink player, its
/// settings and its persistence, behind the use cases the bot's slash
/// commands and the control API share (one code path for both).

#include <musicbot/music/error.hpp>
#include <musicbot/music/events.hpp>
#include <musicbot/queue/guild_settings.hpp>
#include <musicbot/queue/loop_mode.hpp>
#include <musicbot/queue/music_queue.hpp>
#include <musicbot/queue/track.hpp>
#include <musicbot/trace/tracer.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace spdlog {
class logger;
}

namespace musicbot::lavalink {
class node_pool;
}
namespace musicbot::store {
class database;
}

namespace musicbot::music {

namespace detail {
class manager_impl;
}

/// How sessions behave; validated at construction.
struct session_options {
  queue::queue_limits limits{};                       ///< Queue bounds for every guild.
  std::chrono::milliseconds idle_disconnect{std::chrono::minutes(5)};  ///< Leave after this long idle.
  std::size_t autoplay_history = 20;                  ///< Autoplay never repeats the last N tracks.
  std::size_t max_sessions = 10'000;                  ///< Sessions held in memory at most.
  std::vector<std::string> search_prefixes{"ytsearch:", "scsearch:"};  ///< Allowed search prefixes.
  std::string default_search_prefix = "ytsearch:";    ///< Used for plain text queries.
  std::size_t max_query_length = 256;                  ///< Longest accepted query.
  int default_volume = 100;                            ///< Volume of new sessions (0–200).
  std::size_t max_subscribers = 1024;                  ///< Event subscribers at most (subscribe() refuses more).
  std::shared_ptr<spdlog::logger> logger;              ///< Default: "musicbot.music".
  /// Spans for every use case and its outbound calls (Lavalink, store), as
  /// children of the context current on the calling thread (see
  /// trace::context_scope). Disabled by default.
  trace::tracer tracer;
};

/// What /play did.
struct play_outcome {
  std::vector<queue::track> added;  ///< Tracks queued, in order (one unless a playlist).
  bool started = false;             ///< The first one started playing right away.
  std::size_t position = 0;         ///< Queue position of the first added track (0 = next).
  std::string playlist_name;        ///< Set when a playlist was loaded.
};

/// A snapshot of one guild's session for /nowplaying, /queue and the API.
struct session_view {
  std::uint64_t guild_id = 0;               ///< The guild.
  std::optional<queue::track> current;      ///< The playing track.
  std::chrono::milliseconds position{0};    ///< Position in it.
  bool paused = false;                      ///< Paused.
  int volume = 100;                         ///< Volume 0–200.
  queue::loop_mode loop = queue::loop_mode::off;  ///< Loop mode.
  bool autoplay = false;                    ///< Autoplay on.
  std::size_t queued = 0;                   ///< Upcoming tracks.
  std::chrono::milliseconds remaining{0};   ///< Time left in queue (incl. current).
  std::string node;                         ///< Lavalink node of the player.
};

/// Holds the sessions of every guild and runs the music use cases.
///
/// Every change that succeeds is written to the store (the whole queue in
/// one transaction); writes for one guild are coalesced so the last state
/// always lands. When a track ends naturally the next one starts (loop
/// modes and Lavalink's `mayStartNext` respected); when the queue runs out
/// and autoplay is on, a related track is searched from recent history.
/// Sessions idle (nothing playing, or paused, or alone) for
/// `idle_disconnect` are persisted and dropped, and the idle handler runs
/// (the bot leaves the voice channel).
///
/// All async operations complete with `void(error_code, T)` (or
/// `void(error_code)`), errors from music::error, lavalink and store.
///
/// @par Thread safety
/// Not thread-safe: use from its executor (a single-threaded io_context or
/// a strand); handlers of the pool and store must run there too.
class session_manager {
 public:
  /// Called when a track starts (for now-playing announcements).
  using now_playing_handler = std::function<void(std::uint64_t guild_id, const queue::track&)>;
  /// Called when a session went idle and was dropped.
  using idle_handler = std::function<void(std::uint64_t guild_id)>;

  /// Creates the manager; it subscribes to the pool's events.
  /// @throws std::invalid_argument for invalid options.
  session_manager(boost::asio::any_io_executor executor, lavalink::node_pool& pool, store::database& db,
                  session_options options);
  ~session_manager();                                        ///< Cancels timers; does not persist.
  session_manager(const session_manager&) = delete;          ///< Not copyable.
  session_manager& operator=(const session_manager&) = delete;  ///< Not copyable.

  /// Sets the now-playing handler.
  void on_now_playing(now_playing_handler handler);
  /// Sets the idle handler.
  void on_idle(idle_handler handler);

  /// Receives session events (see session_event).
  using event_handler = music::event_handler;
  /// RAII handle of an event subscription.
  using subscription = music::subscription;

  /// Subscribes `handler` to every guild's session events, delivered in
  /// `sequence` order on the manager's executor, synchronously after the
  /// state change they report (view() already shows it). A handler may
  /// subscribe or unsubscribe (itself or others) while it runs; an
  /// exception it throws is logged and dropped. Past `max_subscribers` the
  /// returned subscription is empty with error() ==
  /// error::too_many_subscribers; an empty handler gives error::invalid_value.
  [[nodiscard]] subscription subscribe(event_handler handler);
  /// Active subscriptions.
  [[nodiscard]] std::size_t subscriber_count() const noexcept;

  /// Loads (URL or search) and queues; starts playing if nothing plays.
  /// Completion: `void(error_code, play_outcome)`.
  template <class Token>
  auto async_play(std::uint64_t guild_id, std::uint64_t user_id, std::string query, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, play_outcome)>(
        [this](auto h, std::uint64_t g, std::uint64_t u, std::string q) { do_play(g, u, std::move(q), std::move(h)); },
        token, guild_id, user_id, std::move(query));
  }

  /// Pauses (true) or resumes (false). Completion: `void(error_code)`.
  template <class Token>
  auto async_pause(std::uint64_t guild_id, bool paused, Token&& token) {
    return initiate_void(token, [this, guild_id, paused](void_handler h) { do_pause(guild_id, paused, std::move(h)); });
  }
  /// Skips the current track. Completion: `void(error_code, std::optional<queue::track>)` (the new current).
  template <class Token>
  auto async_skip(std::uint64_t guild_id, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::optional<queue::track>)>(
        [this](auto h, std::uint64_t g) { do_skip(g, std::move(h)); }, token, guild_id);
  }
  /// Stops playback (the queue is kept). Completion: `void(error_code)`.
  template <class Token>
  auto async_stop(std::uint64_t guild_id, Token&& token) {
    return initiate_void(token, [this, guild_id](void_handler h) { do_stop(guild_id, std::move(h)); });
  }
  /// Seeks in the current track. Completion: `void(error_code)`.
  template <class Token>
  auto async_seek(std::uint64_t guild_id, std::chrono::milliseconds position, Token&& token) {
    return initiate_void(token, [this, guild_id, position](void_handler h) { do_seek(guild_id, position, std::move(h)); });
  }
  /// Sets the volume, 0–200. Completion: `void(error_code)`.
  template <class Token>
  auto async_set_volume(std::uint64_t guild_id, int volume, Token&& token) {
    return initiate_void(token, [this, guild_id, volume](void_handler h) { do_volume(guild_id, volume, std::move(h)); });
  }
  /// Sets the loop mode (turns autoplay off, see guild_settings rules). Completion: `void(error_code)`.
  template <class Token>
  auto async_set_loop(std::uint64_t guild_id, queue::loop_mode mode, Token&& token) {
    return initiate_void(token, [this, guild_id, mode](void_handler h) { do_loop(guild_id, mode, std::move(h)); });
  }
  /// Turns autoplay on or off (refused while loop is on). Completion: `void(error_code)`.
  template <class Token>
  auto async_set_autoplay(std::uint64_t guild_id, bool on, Token&& token) {
    return initiate_void(token, [this, guild_id, on](void_handler h) { do_autoplay(guild_id, on, std::move(h)); });
  }
  /// Shuffles the upcoming tracks. Completion: `void(error_code)`.
  template <class Token>
  auto async_shuffle(std::uint64_t guild_id, Token&& token) {
    return initiate_void(token, [this, guild_id](void_handler h) { do_shuffle(guild_id, std::move(h)); });
  }
  /// Removes the upcoming track at `position` (0-based). Completion: `void(error_code, queue::track)`.
  template <class Token>
  auto async_remove(std::uint64_t guild_id, std::size_t position, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, queue::track)>(
        [this](auto h, std::uint64_t g, std::size_t p) { do_remove(g, p, std::move(h)); }, token, guild_id, position);
  }
  /// Moves an upcoming track. Completion: `void(error_code)`.
  template <class Token>
  auto async_move(std::uint64_t guild_id, std::size_t from, std::size_t to, Token&& token) {
    return initiate_void(token, [this, guild_id, from, to](void_handler h) { do_move(guild_id, from, to, std::move(h)); });
  }
  /// Clears the upcoming tracks. Completion: `void(error_code, std::size_t removed)`.
  template <class Token>
  auto async_clear(std::uint64_t guild_id, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto h, std::uint64_t g) { do_clear(g, std::move(h)); }, token, guild_id);
  }
  /// Ends the guild's session: stops, destroys the player, persists.
  /// Completion: `void(error_code)`.
  template <class Token>
  auto async_leave(std::uint64_t guild_id, Token&& token) {
    return initiate_void(token, [this, guild_id](void_handler h) { do_leave(guild_id, std::move(h)); });
  }
  /// Rebuilds sessions from the store and resumes playback at the saved
  /// positions. Completion: `void(error_code, std::size_t restored)`.
  template <class Token>
  auto async_restore(Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto h) { do_restore(std::move(h)); }, token);
  }
  /// Persists every session now (graceful shutdown). Completion: `void(error_code)`.
  template <class Token>
  auto async_persist_all(Token&& token) {
    return initiate_void(token, [this](void_handler h) { do_persist_all(std::move(h)); });
  }

  /// The guild's session, if there is one.
  [[nodiscard]] std::optional<session_view> view(std::uint64_t guild_id) const;
  /// One page of the guild's upcoming tracks.
  [[nodiscard]] std::optional<queue::queue_page> page(std::uint64_t guild_id, std::size_t page,
                                                      std::size_t page_size = 10) const;
  /// Sessions in memory.
  [[nodiscard]] std::size_t session_count() const noexcept;
  /// Sessions with a current track.
  [[nodiscard]] std::size_t playing_count() const noexcept;

 private:
  using void_handler = boost::asio::any_completion_handler<void(boost::system::error_code)>;
  template <class T>
  using value_handler = boost::asio::any_completion_handler<void(boost::system::error_code, T)>;

  template <class Token, class Init>
  auto initiate_void(Token& token, Init init) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
        [init = std::move(init)](auto h) mutable { init(void_handler(std::move(h))); }, token);
  }

  void do_play(std::uint64_t guild_id, std::uint64_t user_id, std::string query, value_handler<play_outcome> h);
  void do_pause(std::uint64_t guild_id, bool paused, void_handler h);
  void do_skip(std::uint64_t guild_id, value_handler<std::optional<queue::track>> h);
  void do_stop(std::uint64_t guild_id, void_handler h);
  void do_seek(std::uint64_t guild_id, std::chrono::milliseconds position, void_handler h);
  void do_volume(std::uint64_t guild_id, int volume, void_handler h);
  void do_loop(std::uint64_t guild_id, queue::loop_mode mode, void_handler h);
  void do_autoplay(std::uint64_t guild_id, bool on, void_handler h);
  void do_shuffle(std::uint64_t guild_id, void_handler h);
  void do_remove(std::uint64_t guild_id, std::size_t position, value_handler<queue::track> h);
  void do_move(std::uint64_t guild_id, std::size_t from, std::size_t to, void_handler h);
  void do_clear(std::uint64_t guild_id, value_handler<std::size_t> h);
  void do_leave(std::uint64_t guild_id, void_handler h);
  void do_restore(value_handler<std::size_t> h);
  void do_persist_all(void_handler h);

  std::shared_ptr<detail::manager_impl> impl_;
};

}  // namespace musicbot::music
