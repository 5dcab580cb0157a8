#pragma once
/// @file
/// The live event feed of music sessions: what happened in which guild, in
/// order, for any number of subscribers (the control API's event stream,
/// now-playing announcements, metrics).

#include <musicbot/queue/track.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace musicbot::music {

namespace detail {
class event_hub;
}

/// What a session_event reports.
enum class session_event_kind {
  now_playing,     ///< a track started (`track` and `position` set)
  queue_changed,   ///< the queue changed (play/enqueue, remove, move, clear, shuffle, skip, advance, loop mode)
  paused,          ///< playback was paused (`position` set)
  resumed,         ///< playback was resumed (`position` set)
  position,        ///< a position tick from the Lavalink node (`position` set)
  player_moved,    ///< the player moved to another Lavalink node (`node` set)
  stopped,         ///< playback stopped (stop, or the queue ran out); the queue is kept
  session_ended,   ///< the session ended (leave or idle) and was dropped from memory
};

/// The kind's name in snake_case ("now_playing", ...), for JSON and logs.
[[nodiscard]] std::string_view to_string(session_event_kind kind) noexcept;

/// One event of one guild's session.
struct session_event {
  session_event_kind kind = session_event_kind::queue_changed;  ///< What happened.
  std::uint64_t guild_id = 0;                                   ///< The guild it happened in.
  std::optional<queue::track> track;       ///< now_playing: the track that started.
  std::chrono::milliseconds position{0};   ///< position / paused / resumed / now_playing: position in the track.
  std::string node;                        ///< player_moved: the new node's name.
  std::uint64_t sequence = 0;              ///< Strictly increasing per session_manager, for ordering.
};

/// Receives session events; runs on the session manager's executor.
using event_handler = std::function<void(const session_event&)>;

/// A subscription to a session_manager's events (RAII).
///
/// Destroying or reset()ting it unsubscribes: the handler is not called
/// again once that returns (from the executor's thread; from another thread
/// a dispatch already running may still finish its call). It is movable,
/// and safe to keep after the manager is destroyed (it then does nothing).
/// An empty subscription (default-constructed, moved-from, or refused
/// because the manager has `max_subscribers` already) is not active();
/// error() says why a subscribe() was refused.
///
/// @par Thread safety
/// Distinct objects: safe. Shared objects: unsafe.
class subscription {
 public:
  subscription() noexcept = default;                           ///< An empty subscription.
  subscription(subscription&& other) noexcept;                 ///< Takes over `other`'s subscription.
  subscription& operator=(subscription&& other) noexcept;      ///< Unsubscribes, then takes over `other`'s.
  subscription(const subscription&) = delete;                  ///< Not copyable.
  subscription& operator=(const subscription&) = delete;       ///< Not copyable.
  ~subscription();                                             ///< Unsubscribes.

  /// Unsubscribes now (idempotent; callable from inside the handler).
  void reset() noexcept;
  /// True while subscribed.
  [[nodiscard]] bool active() const noexcept;
  /// Same as active().
  [[nodiscard]] explicit operator bool() const noexcept { return active(); }
  /// Why subscribe() refused (music::error::too_many_subscribers), else empty.
  [[nodiscard]] boost::system::error_code error() const noexcept { return error_; }

 private:
  friend class detail::event_hub;
  subscription(std::weak_ptr<detail::event_hub> hub, std::uint64_t id) noexcept : hub_(std::move(hub)), id_(id) {}
  explicit subscription(boost::system::error_code refused) noexcept : error_(refused) {}

  std::weak_ptr<detail::event_hub> hub_;
  std::uint64_t id_ = 0;
  boost::system::error_code error_;
};

}  // namespace musicbot::music
