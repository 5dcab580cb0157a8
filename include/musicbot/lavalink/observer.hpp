#pragma once
/// @file
/// Hooks for what the Lavalink client does — node states, REST calls,
/// messages, reconnects, resumes, player moves — so metrics (see
/// lavalink/metrics.hpp) or tracing can follow it without the lavalink
/// component depending on them.

#include <musicbot/lavalink/node.hpp>
#include <musicbot/lavalink/node_pool.hpp>
#include <musicbot/lavalink/protocol.hpp>
#include <musicbot/lavalink/rest_client.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <string_view>

namespace musicbot::lavalink {

/// Receives the client's events. Every hook has an empty default, so an
/// observer overrides only what it needs. Set it as
/// `pool_options::observer` (the pool hands it to its nodes and their REST
/// clients) or per node in `node_options::observer`.
///
/// Hooks run inline on the executor of the pool/node that reports: keep
/// them short and never call back into the pool from them.
///
/// @par Thread safety
/// Called from the executors of the nodes that share it: an observer shared
/// by pools on several threads must be thread-safe itself.
class observer {
 public:
  virtual ~observer() = default;

  /// A node went from `from` to `to`.
  virtual void on_node_state(std::string_view /*node*/, node_state /*from*/, node_state /*to*/) {}
  /// The number of players the pool keeps on `node` changed to `players`.
  virtual void on_node_players(std::string_view /*node*/, std::size_t /*players*/) {}
  /// A REST request of `node` finished (or was refused by the breaker, with
  /// a zero duration).
  virtual void on_rest_request(std::string_view /*node*/, rest_operation /*operation*/,
                               rest_outcome /*outcome*/, std::chrono::nanoseconds /*elapsed*/) {}
  /// `node` delivered a message (see message_label()).
  virtual void on_message(std::string_view /*node*/, const message& /*msg*/) {}
  /// `node` delivered a message that could not be parsed (it was dropped).
  virtual void on_invalid_message(std::string_view /*node*/) {}
  /// `node` lost its socket and starts reconnecting.
  virtual void on_reconnect(std::string_view /*node*/) {}
  /// `node` got a session again after losing one: `resumed` tells whether
  /// the old session was resumed (players kept) or a new one started
  /// (players rebuilt from client state).
  virtual void on_session_restored(std::string_view /*node*/, bool /*resumed*/) {}
  /// A player moved to another node.
  virtual void on_player_moved(const player_moved& /*move*/) {}
  /// Moving a player off `from_node` failed (no other node, or the new node
  /// refused it).
  virtual void on_player_move_failed(std::string_view /*from_node*/, move_reason /*reason*/) {}
};

/// The label of a message for metrics: its op (`ready`, `playerUpdate`,
/// `stats`), the type of the five known events (`TrackStartEvent`, ...), or
/// `other` for unknown ops and plugin events — a fixed set.
[[nodiscard]] constexpr std::string_view message_label(const message& msg) noexcept {
  constexpr std::array<std::string_view, std::variant_size_v<message>> labels{
      "ready",           "playerUpdate",    "stats",
      "TrackStartEvent", "TrackEndEvent",   "TrackExceptionEvent",
      "TrackStuckEvent", "WebSocketClosedEvent", "other",
      "other"};
  return msg.index() < labels.size() ? labels[msg.index()] : std::string_view("other");
}

}  // namespace musicbot::lavalink
