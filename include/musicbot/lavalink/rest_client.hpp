#pragma once
/// @file
/// REST client of one Lavalink v4 node: every endpoint, keep-alive, a
/// per-request timeout, the `lavalink` circuit-breaker preset, and error
/// bodies turned into clear errors.

#include <musicbot/core/circuit_breaker.hpp>
#include <musicbot/core/secret.hpp>
#include <musicbot/lavalink/error.hpp>
#include <musicbot/lavalink/json.hpp>
#include <musicbot/lavalink/protocol.hpp>
#include <musicbot/net/http_client.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spdlog {
class logger;
}  // namespace spdlog

namespace musicbot::lavalink {

class observer;

/// The REST operations, a fixed set (a metrics label).
enum class rest_operation {
  load_tracks,           ///< GET /v4/loadtracks
  decode_track,          ///< GET /v4/decodetrack
  decode_tracks,         ///< POST /v4/decodetracks
  get_players,           ///< GET /v4/sessions/{id}/players
  get_player,            ///< GET /v4/sessions/{id}/players/{guild}
  update_player,         ///< PATCH /v4/sessions/{id}/players/{guild}
  destroy_player,        ///< DELETE /v4/sessions/{id}/players/{guild}
  update_session,        ///< PATCH /v4/sessions/{id}
  info,                  ///< GET /v4/info
  version,               ///< GET /version
  stats,                 ///< GET /v4/stats
  route_planner_status,  ///< GET /v4/routeplanner/status
  unmark_address,        ///< POST /v4/routeplanner/free/address
  unmark_all,            ///< POST /v4/routeplanner/free/all
};

/// How a REST request ended, a fixed set (a metrics label).
enum class rest_outcome {
  success,        ///< a 2xx answer
  client_error,   ///< a 4xx answer
  server_error,   ///< a 5xx answer (or another non-2xx status)
  timeout,        ///< no answer within the request timeout
  network_error,  ///< connection refused, reset, TLS failure, ...
  breaker_open,   ///< refused locally by the node's circuit breaker
  cancelled,      ///< cancelled by the caller or the client's destruction
};

/// Name of an operation ("load_tracks", ...), as used in metric labels.
[[nodiscard]] std::string_view to_string(rest_operation operation) noexcept;
/// Name of an outcome ("success", ...), as used in metric labels.
[[nodiscard]] std::string_view to_string(rest_outcome outcome) noexcept;

/// Settings of a rest_client.
struct rest_options {
  std::string base_url;           ///< `http://host:port` or `https://host:port`
  core::secret password;          ///< sent as `Authorization`; never logged
  std::chrono::milliseconds timeout{10'000}; ///< per-request deadline
  std::size_t max_connections = 4;          ///< keep-alive pool size
  core::circuit_breaker_config breaker = core::circuit_breaker_config::lavalink(); ///< breaker settings (default: the `lavalink` preset)
  std::shared_ptr<spdlog::logger> logger;   ///< logger; default "musicbot.lavalink"
  std::shared_ptr<lavalink::observer> observer; ///< told about every request (optional)
  std::string node_name;                    ///< the node's name, passed to the observer
};

/// Result of a raw call: the status and body of a 2xx answer.
struct rest_reply {
  unsigned status = 0; ///< HTTP status
  std::string body;    ///< response body
};

namespace detail {
// Parsers used by rest_client's templates (one per result type).
boost::system::result<load_result> parse_reply(std::string_view body, const load_result*);
boost::system::result<track> parse_reply(std::string_view body, const track*);
boost::system::result<std::vector<track>> parse_reply(std::string_view body, const std::vector<track>*);
boost::system::result<player> parse_reply(std::string_view body, const player*);
boost::system::result<std::vector<player>> parse_reply(std::string_view body, const std::vector<player>*);
boost::system::result<session_info> parse_reply(std::string_view body, const session_info*);
boost::system::result<node_info> parse_reply(std::string_view body, const node_info*);
boost::system::result<node_stats> parse_reply(std::string_view body, const node_stats*);
boost::system::result<route_planner_status> parse_reply(std::string_view body, const route_planner_status*);
boost::system::result<std::string> parse_reply(std::string_view body, const std::string*);
boost::system::result<rest_reply> parse_reply(std::string_view body, const rest_reply*);
}  // namespace detail

/// The REST API of one Lavalink node.
///
/// Every operation completes with `void(boost::system::error_code, T)`.
/// Errors: the net errors (timeout, connection refused, ...);
/// `error::breaker_open` when the node's breaker refuses the call;
/// `error::http_status` for a non-2xx answer, whose parsed body (status,
/// message, path) is then in last_error() and in the log;
/// `error::missing_channel_id` for a 400 about the voice channel id;
/// `error::player_not_found` for 404 on a player; JSON errors
/// (`invalid_json`, `missing_field`, `wrong_type`) for unparsable answers.
/// 5xx answers, timeouts and transport failures count as breaker failures.
///
/// @par Thread safety
/// Not thread-safe: use from its executor (single-threaded io_context or strand).
class rest_client {
 public:
  /// The executor type.
  using executor_type = boost::asio::any_io_executor;

  /// Creates a client; throws std::invalid_argument for a bad base URL.
  rest_client(executor_type executor, rest_options options);
  ~rest_client();                                       ///< Aborts requests in flight.
  rest_client(const rest_client&) = delete;             ///< Not copyable.
  rest_client& operator=(const rest_client&) = delete;  ///< Not copyable.

  /// `GET /v4/loadtracks?identifier=...`. Completion: `void(error_code, load_result)`.
  template <class Token>
  auto async_load_tracks(std::string identifier, Token&& token) {
    return call<load_result>(rest_operation::load_tracks, "GET", "/v4/loadtracks?identifier=" + url_encode(identifier), {},
                             std::forward<Token>(token));
  }
  /// `GET /v4/decodetrack?encodedTrack=...`. Completion: `void(error_code, track)`.
  template <class Token>
  auto async_decode_track(std::string encoded, Token&& token) {
    return call<track>(rest_operation::decode_track, "GET", "/v4/decodetrack?encodedTrack=" + url_encode(encoded), {},
                       std::forward<Token>(token));
  }
  /// `POST /v4/decodetracks`. Completion: `void(error_code, std::vector<track>)`.
  template <class Token>
  auto async_decode_tracks(const std::vector<std::string>& encoded, Token&& token) {
    return call<std::vector<track>>(rest_operation::decode_tracks, "POST", "/v4/decodetracks", json_array(encoded),
                                    std::forward<Token>(token));
  }
  /// `GET /v4/sessions/{session}/players`. Completion: `void(error_code, std::vector<player>)`.
  template <class Token>
  auto async_get_players(std::string_view session_id, Token&& token) {
    return call<std::vector<player>>(rest_operation::get_players, "GET", session_path(session_id) + "/players", {},
                                     std::forward<Token>(token));
  }
  /// `GET /v4/sessions/{session}/players/{guild}`. Completion: `void(error_code, player)`.
  template <class Token>
  auto async_get_player(std::string_view session_id, std::string_view guild_id, Token&& token) {
    return call<player>(rest_operation::get_player, "GET", player_path(session_id, guild_id), {}, std::forward<Token>(token));
  }
  /// `PATCH /v4/sessions/{session}/players/{guild}?noReplace=...`.
  /// The update is validated first (exclusive fields, channelId, ranges).
  /// Completion: `void(error_code, player)`.
  template <class Token>
  auto async_update_player(std::string_view session_id, std::string_view guild_id,
                           const player_update& update, bool no_replace, Token&& token) {
    auto body = serialize_update(update);
    std::string target = player_path(session_id, guild_id) + (no_replace ? "?noReplace=true" : "?noReplace=false");
    if (!body) return fail<player>(body.error(), std::forward<Token>(token));
    return call<player>(rest_operation::update_player, "PATCH", std::move(target), std::move(*body), std::forward<Token>(token));
  }
  /// `DELETE /v4/sessions/{session}/players/{guild}`. Completion: `void(error_code, rest_reply)`.
  template <class Token>
  auto async_destroy_player(std::string_view session_id, std::string_view guild_id, Token&& token) {
    return call<rest_reply>(rest_operation::destroy_player, "DELETE", player_path(session_id, guild_id), {}, std::forward<Token>(token));
  }
  /// `PATCH /v4/sessions/{session}`. Completion: `void(error_code, session_info)`.
  template <class Token>
  auto async_update_session(std::string_view session_id, const session_update& update, Token&& token) {
    return call<session_info>(rest_operation::update_session, "PATCH", session_path(session_id), serialize_session(update),
                              std::forward<Token>(token));
  }
  /// `GET /v4/info`. Completion: `void(error_code, node_info)`.
  template <class Token>
  auto async_info(Token&& token) {
    return call<node_info>(rest_operation::info, "GET", "/v4/info", {}, std::forward<Token>(token));
  }
  /// `GET /version` (plain text). Completion: `void(error_code, std::string)`.
  template <class Token>
  auto async_version(Token&& token) {
    return call<std::string>(rest_operation::version, "GET", "/version", {}, std::forward<Token>(token));
  }
  /// `GET /v4/stats`. Completion: `void(error_code, node_stats)`.
  template <class Token>
  auto async_stats(Token&& token) {
    return call<node_stats>(rest_operation::stats, "GET", "/v4/stats", {}, std::forward<Token>(token));
  }
  /// `GET /v4/routeplanner/status`; 204 (no planner) gives an empty status.
  /// Completion: `void(error_code, route_planner_status)`.
  template <class Token>
  auto async_route_planner_status(Token&& token) {
    return call<route_planner_status>(rest_operation::route_planner_status, "GET", "/v4/routeplanner/status", {}, std::forward<Token>(token));
  }
  /// `POST /v4/routeplanner/free/address`. Completion: `void(error_code, rest_reply)`.
  template <class Token>
  auto async_unmark_address(std::string_view address, Token&& token) {
    return call<rest_reply>(rest_operation::unmark_address, "POST", "/v4/routeplanner/free/address", address_body(address),
                            std::forward<Token>(token));
  }
  /// `POST /v4/routeplanner/free/all`. Completion: `void(error_code, rest_reply)`.
  template <class Token>
  auto async_unmark_all(Token&& token) {
    return call<rest_reply>(rest_operation::unmark_all, "POST", "/v4/routeplanner/free/all", {}, std::forward<Token>(token));
  }

  /// The parsed body of the last non-2xx answer (diagnostics).
  [[nodiscard]] const std::optional<rest_error>& last_error() const noexcept { return last_error_; }
  /// The node's circuit breaker.
  [[nodiscard]] core::circuit_breaker<>& breaker() noexcept { return *breaker_; }
  /// The executor.
  [[nodiscard]] executor_type get_executor() const noexcept { return executor_; }
  /// The options (the password stays masked when printed).
  [[nodiscard]] const rest_options& options() const noexcept { return options_; }

  /// Percent-encodes a query value.
  [[nodiscard]] static std::string url_encode(std::string_view text);

 private:
  using raw_handler = boost::asio::any_completion_handler<void(boost::system::error_code, std::string)>;

  template <class T, class Token>
  auto call(rest_operation op, std::string method, std::string target, std::string body, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, T)>(
        [this, op](auto handler, std::string m, std::string t, std::string b) {
          auto slot = boost::asio::get_associated_cancellation_slot(handler);
          auto done = [h = std::move(handler)](boost::system::error_code ec, std::string reply) mutable {
            if (ec) {
              std::move(h)(ec, T{});
              return;
            }
            auto parsed = detail::parse_reply(reply, static_cast<const T*>(nullptr));
            if (!parsed) {
              std::move(h)(parsed.error(), T{});
              return;
            }
            std::move(h)(boost::system::error_code{}, std::move(*parsed));
          };
          initiate(op, std::move(m), std::move(t), std::move(b),
                   boost::asio::bind_cancellation_slot(slot, std::move(done)));
        },
        token, std::move(method), std::move(target), std::move(body));
  }

  template <class T, class Token>
  auto fail(boost::system::error_code ec, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, T)>(
        [this](auto handler, boost::system::error_code e) {
          post_error(e, raw_handler([h = std::move(handler)](boost::system::error_code e2, std::string) mutable {
            std::move(h)(e2, T{});
          }));
        },
        token, ec);
  }

  void initiate(rest_operation op, std::string method, std::string target, std::string body,
                raw_handler handler);
  void post_error(boost::system::error_code ec, raw_handler handler);
  static boost::system::result<std::string> serialize_update(const player_update& update);
  static std::string serialize_session(const session_update& update);
  static std::string json_array(const std::vector<std::string>& values);
  static std::string address_body(std::string_view address);
  static std::string session_path(std::string_view session_id);
  static std::string player_path(std::string_view session_id, std::string_view guild_id);

  executor_type executor_;
  rest_options options_;
  std::unique_ptr<net::http_client> http_;
  std::shared_ptr<core::circuit_breaker<>> breaker_;
  std::optional<rest_error> last_error_;
  std::shared_ptr<spdlog::logger> logger_;
  std::shared_ptr<bool> alive_;
};

}  // namespace musicbot::lavalink
