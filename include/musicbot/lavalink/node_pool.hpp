#pragma once
/// @file
/// Many Lavalink nodes: player placement by penalty, client-side player
/// state, failover and on-purpose moves, and the voice bridge.

#include <musicbot/lavalink/node.hpp>
#include <musicbot/lavalink/protocol.hpp>
#include <musicbot/lavalink/voice_bridge.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spdlog {
class logger;
}  // namespace spdlog

namespace musicbot::lavalink {

namespace detail {
class pool_impl;
}  // namespace detail

/// Why a player moved to another node.
enum class move_reason {
  node_down,    ///< its node was lost past the resume window or unreachable
  rebalance,    ///< moved on purpose (move_player())
  drain,        ///< its node is being drained for maintenance
};

/// Emitted after a player was moved.
struct player_moved {
  std::string guild_id;         ///< guild of the player
  std::string from_node;        ///< previous node
  std::string to_node;          ///< new node
  std::int64_t position_ms = 0; ///< position it resumed at
  move_reason reason = move_reason::node_down; ///< why
};

/// What the pool knows of a player (client-side state, used to move and
/// rebuild it).
struct player_snapshot {
  std::string guild_id;                    ///< guild
  std::string node;                        ///< node it lives on
  std::optional<lavalink::track> track;    ///< current track
  std::int64_t position_ms = 0;            ///< position now (extrapolated while playing)
  std::optional<std::int64_t> end_time_ms; ///< end time, if set
  bool paused = false;                     ///< paused
  std::int64_t volume = 100;               ///< volume 0..1000
  lavalink::filters filters;               ///< filters
  std::optional<voice_state> voice;        ///< voice connection data
};

/// Settings of a node_pool.
struct pool_options {
  std::string user_id;                       ///< bot user id (nodes and voice bridge)
  std::string client_name = "musicbot/0.1";  ///< default `Client-Name` of nodes
  std::optional<std::string> region;         ///< preferred region tag for new players
  std::size_t max_players = 250'000;         ///< cap on tracked players
  std::shared_ptr<spdlog::logger> logger;    ///< logger; default "musicbot.lavalink"
  /// told about player counts and moves, and handed to every node added
  /// without an observer of its own (optional; see observer.hpp, metrics.hpp)
  std::shared_ptr<lavalink::observer> observer;
};

/// A pool of Lavalink nodes with players that survive node loss.
///
/// New players go to the available node with the lowest penalty
/// (node_penalty(), optional region preference). The pool keeps each
/// player's state (track, position, paused, volume, filters, voice, end
/// time) from its own updates and the node's messages. When a node goes
/// `down`, each of its players is re-created on the best other node at its
/// position and a player_moved is emitted; when a node reconnects without
/// resuming, its players are rebuilt on it. move_player() and drain() use the
/// same path.
///
/// @par Thread safety
/// Not thread-safe: use from its executor (single-threaded io_context or strand).
class node_pool {
 public:
  /// Every message of every node, after the pool updated its state.
  using event_handler = std::function<void(const node&, const message&)>;
  /// Every completed move.
  using moved_handler = std::function<void(const player_moved&)>;

  /// An empty pool.
  node_pool(boost::asio::any_io_executor executor, pool_options options);
  ~node_pool();                                     ///< Stops every node.
  node_pool(const node_pool&) = delete;             ///< Not copyable.
  node_pool& operator=(const node_pool&) = delete;  ///< Not copyable.

  /// Adds a node (user id and client name default to the pool's) and starts
  /// it if the pool is started. Throws std::invalid_argument for a duplicate name.
  node& add_node(node_options options);
  /// The node named `name`, or nullptr.
  [[nodiscard]] node* find_node(std::string_view name) noexcept;
  /// All nodes, in the order added.
  [[nodiscard]] std::vector<node*> nodes();
  /// The node a new player would go to now, or nullptr.
  [[nodiscard]] node* best_node(std::optional<std::string_view> region = std::nullopt);

  /// Sets the handler for every node message.
  void on_event(event_handler handler);
  /// Sets the handler for player moves.
  void on_player_moved(moved_handler handler);

  /// Starts every node.
  void start();
  /// Stops every node.
  void stop();

  /// Updates (creating if needed) the guild's player. A new player goes to
  /// best_node(). Completion: `void(error_code, player)`; errors as
  /// rest_client, plus `no_node_available`, and
  /// `boost::asio::error::operation_aborted` when async_destroy_player()
  /// was called while the update was in flight (the update then changes
  /// nothing the pool keeps: a later player of the guild starts afresh).
  template <class Token>
  auto async_update_player(std::string guild_id, player_update update, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, lavalink::player)>(
        [this](auto handler, std::string g, player_update u) {
          initiate_update(std::move(g), std::move(u), std::move(handler));
        },
        token, std::move(guild_id), std::move(update));
  }
  /// Destroys the guild's player. Completion: `void(error_code)`.
  template <class Token>
  auto async_destroy_player(std::string guild_id, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
        [this](auto handler, std::string g) { initiate_destroy(std::move(g), std::move(handler)); }, token,
        std::move(guild_id));
  }
  /// Loads tracks on the best node. Completion: `void(error_code, load_result)`.
  template <class Token>
  auto async_load_tracks(std::string identifier, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, load_result)>(
        [this](auto handler, std::string id) { initiate_load(std::move(id), std::move(handler)); }, token,
        std::move(identifier));
  }
  /// Moves the guild's player to `node_name` at its position.
  /// Completion: `void(error_code)`: `player_not_found` when the player was
  /// destroyed before or during the move, and
  /// `boost::asio::error::operation_aborted` when an update sent during the
  /// move put the player on another node first. In both cases the copy the
  /// move made on `node_name` is destroyed again.
  template <class Token>
  auto async_move_player(std::string guild_id, std::string node_name, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
        [this](auto handler, std::string g, std::string n) {
          initiate_move(std::move(g), std::move(n), std::move(handler));
        },
        token, std::move(guild_id), std::move(node_name));
  }

  /// Takes the node out of selection and moves all its players elsewhere.
  void drain(std::string_view node_name);
  /// Puts a drained node back into selection.
  void undrain(std::string_view node_name);

  /// Feeds Discord's VOICE_STATE_UPDATE: when the voice state becomes
  /// complete (or changes) it is sent to the guild's player; when the bot
  /// left, the player is destroyed.
  void on_voice_state(std::string_view guild_id, std::string_view user_id, std::string_view session_id,
                      std::optional<std::string_view> channel_id);
  /// Feeds Discord's VOICE_SERVER_UPDATE (endpoint null: wait).
  void on_voice_server(std::string_view guild_id, std::string_view token,
                       std::optional<std::string_view> endpoint);
  /// After a Discord gateway reconnect: every voice state is sent again on
  /// the next complete update.
  void on_discord_reconnected();

  /// What the pool knows of the guild's player.
  [[nodiscard]] std::optional<player_snapshot> player(std::string_view guild_id) const;
  /// Number of players tracked.
  [[nodiscard]] std::size_t player_count() const noexcept;
  /// Players moved since construction.
  [[nodiscard]] std::size_t moves() const noexcept;

 private:
  void initiate_update(std::string guild_id, player_update update,
                       boost::asio::any_completion_handler<void(boost::system::error_code, lavalink::player)> handler);
  void initiate_destroy(std::string guild_id,
                        boost::asio::any_completion_handler<void(boost::system::error_code)> handler);
  void initiate_load(std::string identifier,
                     boost::asio::any_completion_handler<void(boost::system::error_code, load_result)> handler);
  void initiate_move(std::string guild_id, std::string node_name,
                     boost::asio::any_completion_handler<void(boost::system::error_code)> handler);

  std::shared_ptr<detail::pool_impl> impl_;
};

}  // namespace musicbot::lavalink
