#pragma once
/// @file
/// A fake Lavalink v4 node on loopback for tests and offline demos: real
/// sessions and players, resume with event replay, scripted search results,
/// time-scaled playback and fault injection.

#include <musicbot/core/secret.hpp>
#include <musicbot/lavalink/protocol.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spdlog {
class logger;
}  // namespace spdlog

namespace musicbot::testing {

namespace detail {
class fake_lavalink_impl;
}  // namespace detail

/// Settings of a fake_lavalink.
struct fake_lavalink_options {
  std::string address = "127.0.0.1";          ///< address to bind
  std::uint16_t port = 0;                     ///< port; 0 picks a free one
  core::secret password{std::string("youshallnotpass")}; ///< expected `Authorization`
  double time_scale = 1.0;                    ///< playback speed: 10 plays a 3-minute track in 18 s
  std::chrono::milliseconds player_update_interval{5'000}; ///< `playerUpdate` period (real time)
  std::chrono::milliseconds stats_interval{60'000};        ///< `stats` period (real time)
  std::chrono::milliseconds tick{20};                      ///< playback simulation step
  std::size_t max_queued_events = 1'000;      ///< events kept per disconnected resumable session
  std::string version = "4.2.0";              ///< reported Lavalink version
  std::shared_ptr<spdlog::logger> logger;     ///< logger; default "musicbot.fake_lavalink"
};

/// A fake Lavalink v4 node.
///
/// Implements `GET /v4/websocket` (Authorization, User-Id, Client-Name,
/// Session-Id resume with `Session-Resumed`), `GET /v4/loadtracks`,
/// `GET /v4/decodetrack`, `POST /v4/decodetracks`,
/// `GET|PATCH|DELETE /v4/sessions/{id}/players[/{guild}]` (noReplace,
/// tri-state fields, filters, voice — 400 without `channelId` like a
/// >= 4.2 node), `PATCH /v4/sessions/{id}`, `GET /v4/info`, `GET /version`,
/// `GET /v4/stats`, and the route planner endpoints (no planner: 204).
///
/// Playback is simulated: a track advances at `time_scale` × real time,
/// emitting `TrackStartEvent`, `playerUpdate`s and `TrackEndEvent`
/// (finished, replaced, stopped). While a resumable session is
/// disconnected its events are queued and replayed on resume; past the
/// resume window the session and its players are destroyed.
///
/// Search: `ytsearch:`/`scsearch:`/any `xxsearch:` prefix matches catalog
/// titles and authors (case-insensitive); a catalog identifier or URI loads
/// that track; `playlist:all` loads the catalog as a playlist; scripted
/// results (script_load_result()) win over all of these.
///
/// @par Thread safety
/// Not thread-safe: call from the executor's thread (or before it runs).
class fake_lavalink {
 public:
  /// A stopped fake node.
  fake_lavalink(boost::asio::any_io_executor executor, fake_lavalink_options options = {});
  ~fake_lavalink();                                       ///< Stops the node.
  fake_lavalink(const fake_lavalink&) = delete;            ///< Not copyable.
  fake_lavalink& operator=(const fake_lavalink&) = delete; ///< Not copyable.

  /// Binds and starts serving; returns the bound port.
  boost::system::result<std::uint16_t> start();
  /// Closes every connection and the listener (the node "dies"). Sessions are lost.
  void stop();
  /// The bound port (0 before start()).
  [[nodiscard]] std::uint16_t port() const noexcept;
  /// `http://address:port`.
  [[nodiscard]] std::string base_url() const;

  /// Adds a track to the catalog searched by loadtracks.
  void add_track(lavalink::track track);
  /// Adds a track from its encoded form (metadata decoded locally); false if it does not decode.
  bool add_encoded_track(std::string_view encoded);
  /// Loads a catalog file: a JSON array whose items are tracks (`{encoded, info}`)
  /// or objects with an `encoded` string (the format of tracks.json).
  /// @return the number of tracks added, or an error.
  boost::system::result<std::size_t> load_catalog(const std::string& path);
  /// Number of tracks in the catalog.
  [[nodiscard]] std::size_t catalog_size() const noexcept;
  /// Answers `identifier` with this exact load result from now on.
  void script_load_result(std::string identifier, const lavalink::load_result& result);
  /// Answers `identifier` with this raw JSON body (e.g. an unknown loadType).
  void script_raw_load_result(std::string identifier, std::string raw_json);

  /// The player of `guild_id` in any session, as the node would report it.
  [[nodiscard]] std::optional<lavalink::player> player(std::string_view guild_id) const;
  /// Players across all sessions.
  [[nodiscard]] std::size_t player_count() const noexcept;
  /// Sessions (connected or awaiting resume).
  [[nodiscard]] std::size_t session_count() const noexcept;
  /// Open WebSocket connections.
  [[nodiscard]] std::size_t connected_clients() const noexcept;
  /// Successful resumes since start.
  [[nodiscard]] std::size_t resumes() const noexcept;
  /// Headers of the last WebSocket handshake (for assertions on User-Id,
  /// Client-Name, Session-Id); `Authorization` is replaced by `***`.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> last_handshake_headers() const;

  /// Sends a raw text message to every connected client (plugin events, unknown ops).
  void send_raw(std::string text);
  /// Reports these statistics from now on (players/playing still counted)
  /// and sends a `stats` op at once.
  void set_stats(lavalink::node_stats stats);

  /// Fault: drops every WebSocket abruptly; sessions stay resumable.
  void drop_connections();
  /// Fault: forgets every session and player (the next reconnect is not resumed).
  void expire_sessions();
  /// Fault: answers WebSocket upgrades with 503 while true.
  void refuse_connections(bool refuse);
  /// Fault: answers the next `count` REST calls with `status` (error body included).
  void fail_rest(unsigned status, std::size_t count = static_cast<std::size_t>(-1));
  /// Fault: delays every REST answer by `delay` (before the call is applied).
  void delay_rest(std::chrono::milliseconds delay);
  /// Fault: the next REST call whose path contains `path_part` and whose
  /// body contains `body_part` (empty matches anything) is applied at once
  /// but answered only `delay` later, so that calls applied after it can be
  /// answered before it: "processed first, answered last", as when
  /// concurrent requests travel on several connections. Each call arms one
  /// delay, used once; clear_faults() disarms the unused ones.
  void delay_rest_reply_once(std::string path_part, std::string body_part, std::chrono::milliseconds delay);
  /// Fault: sends nothing on the WebSockets while true (events are dropped).
  void go_silent(bool silent);
  /// Removes every REST fault and silence.
  void clear_faults();

 private:
  std::shared_ptr<detail::fake_lavalink_impl> impl_;
};

}  // namespace musicbot::testing
