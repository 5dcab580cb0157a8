#pragma once
/// @file
/// One Lavalink node: its WebSocket session (ready, resume, reconnect with
/// backoff and jitter) and its REST client.

#include <musicbot/core/secret.hpp>
#include <musicbot/lavalink/protocol.hpp>
#include <musicbot/lavalink/rest_client.hpp>
#include <musicbot/net/backoff.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace spdlog {
class logger;
}  // namespace spdlog

namespace musicbot::lavalink {

namespace detail {
class node_impl;
}  // namespace detail

/// Settings of a node.
struct node_options {
  std::string name = "default";                ///< unique name (metrics label, logs)
  std::string url = "http://127.0.0.1:2333";   ///< `http://` or `https://` base URL; the socket uses ws(s)://.../v4/websocket
  core::secret password;                       ///< `Authorization`; never logged
  std::string user_id;                         ///< bot user id (`User-Id`)
  std::string client_name = "musicbot/0.1";    ///< `Client-Name` (NAME/VERSION)
  std::vector<std::string> regions;            ///< region tags for node selection
  bool resume = true;                          ///< enable session resuming
  std::chrono::seconds resume_timeout{60};     ///< resume window asked of the node
  /// reconnect delays (exponential with full jitter)
  net::backoff_options reconnect{std::chrono::milliseconds(250), std::chrono::milliseconds(30'000),
                                 net::jitter::full, 0};
  int connect_failures_before_down = 2; ///< consecutive failed reconnects after which the node is `down` (players move), even inside the resume window
  std::chrono::milliseconds request_timeout{10'000};   ///< REST per-request deadline
  std::chrono::milliseconds handshake_timeout{10'000}; ///< WebSocket connect + upgrade deadline
  std::chrono::milliseconds idle_timeout{150'000}; ///< a socket silent this long is dropped and reconnected (stats come every minute); 0 disables
  std::size_t max_message_bytes = 4u * 1024u * 1024u; ///< largest accepted WebSocket message
  std::shared_ptr<spdlog::logger> logger;              ///< logger; default "musicbot.lavalink"
  std::shared_ptr<lavalink::observer> observer;        ///< told about states, messages, reconnects, resumes and REST calls (optional)
};

/// Connection state of a node.
enum class node_state {
  idle,          ///< not started
  connecting,    ///< first connection in progress
  connected,     ///< socket open and `ready` received: usable
  reconnecting,  ///< socket lost; reconnecting within the resume window
  down,          ///< lost past its resume window or unreachable: players must move
  stopped,       ///< stopped by the user
};

/// Name of a node state ("connected", ...).
[[nodiscard]] std::string_view to_string(node_state state) noexcept;

/// A Lavalink node connection.
///
/// start() spawns the connection loop on the executor: connect with
/// `Authorization`, `User-Id`, `Client-Name` (and `Session-Id` when
/// resuming), read messages, configure resuming via REST after `ready`,
/// reconnect with backoff and jitter when the socket drops. Every message is
/// handed to the message handler (unknown ops/events included, raw).
///
/// @par Thread safety
/// Not thread-safe: use from its executor (single-threaded io_context or strand).
class node {
 public:
  /// Called for every message received (after `ready` handling).
  using message_handler = std::function<void(node&, const message&)>;
  /// Called on every state change; `resumed` is meaningful for `connected`.
  using state_handler = std::function<void(node&, node_state state, bool resumed)>;

  /// Creates a stopped node; throws std::invalid_argument for a bad URL.
  node(boost::asio::any_io_executor executor, node_options options);
  ~node();                                ///< Stops the node.
  node(const node&) = delete;             ///< Not copyable.
  node& operator=(const node&) = delete;  ///< Not copyable.

  /// Sets the message handler (before start()).
  void on_message(message_handler handler);
  /// Sets the state handler (before start()).
  void on_state(state_handler handler);

  /// Starts connecting (idempotent).
  void start();
  /// Closes the socket (normal closure) and stops reconnecting. Idempotent.
  void stop();
  /// Drops the socket abruptly, as a network failure would; the node then
  /// reconnects and resumes (for tests and maintenance tooling).
  void drop_connection();

  /// The node's name.
  [[nodiscard]] const std::string& name() const noexcept;
  /// The current state.
  [[nodiscard]] node_state state() const noexcept;
  /// True when connected with a session.
  [[nodiscard]] bool available() const noexcept { return state() == node_state::connected; }
  /// The current (or last) session id; empty before the first `ready`.
  [[nodiscard]] const std::string& session_id() const noexcept;
  /// The last statistics received, if any.
  [[nodiscard]] const std::optional<node_stats>& stats() const noexcept;
  /// The node's REST client.
  [[nodiscard]] rest_client& rest() noexcept;
  /// The options.
  [[nodiscard]] const node_options& options() const noexcept;
  /// Number of reconnects since start().
  [[nodiscard]] std::size_t reconnects() const noexcept;

 private:
  std::shared_ptr<detail::node_impl> impl_;
};

}  // namespace musicbot::lavalink
