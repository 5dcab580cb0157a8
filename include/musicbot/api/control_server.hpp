#pragma once
/// @file
/// `musicbot::api::control_server`: the bot's control API (JSON over HTTP
/// under `/api/v1`, Server-Sent Events per guild) and the dashboard's
/// static files, on top of net::http_server and music::session_manager.

#include <musicbot/api/error.hpp>
#include <musicbot/core/rate_limit.hpp>
#include <musicbot/core/secret.hpp>
#include <musicbot/queue/guild_settings.hpp>
#include <musicbot/store/records.hpp>
#include <musicbot/trace/tracer.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace spdlog {
class logger;
}
namespace musicbot::music {
class session_manager;
}
namespace musicbot::store {
class database;
}

namespace musicbot::api {

namespace detail {
class control_impl;
}

/// Settings of a control_server. Checked by the constructor.
struct control_options {
  std::string host = "127.0.0.1";  ///< address to bind (loopback by default; put a TLS proxy in front)
  std::uint16_t port = 8081;       ///< port to bind; 0 picks a free (ephemeral) one
  /// Exact origins (`scheme://host[:port]`) allowed to call the API from a
  /// browser page served elsewhere. Empty: same-origin only. `*` is never
  /// honoured.
  std::vector<std::string> allowed_origins;
  std::size_t max_body_bytes = 16u * 1024u;  ///< larger request bodies get 413
  /// Per-token limit: 20 requests/s with bursts of 40.
  core::rate_limit_config per_token{40, std::chrono::seconds(2), core::rate_limit_algorithm::gcra};
  /// Per-IP limit (applies before authentication too): 50/s, bursts of 100.
  core::rate_limit_config per_ip{100, std::chrono::seconds(2), core::rate_limit_algorithm::gcra};
  std::size_t max_limiter_keys = 10'000;  ///< tokens / IPs tracked by each limiter at most
  std::chrono::seconds default_token_ttl{30 * 24 * 3600};  ///< lifetime of a token issued with ttl 0
  std::chrono::seconds max_token_ttl{365 * 24 * 3600};     ///< longest lifetime a token may get
  std::size_t max_tokens_per_guild = 25;                   ///< live tokens a guild may hold at most
  std::chrono::seconds token_cache_ttl{30};                ///< how long a verified token is trusted without the store
  std::size_t token_cache_size = 4'096;                    ///< verified tokens cached at most
  std::size_t max_event_streams = 256;         ///< concurrent `/events` streams (more get 503)
  std::size_t max_stream_backlog = 256;        ///< events queued for a slow stream before it is ended
  std::chrono::milliseconds position_interval{1'000};   ///< `position` tick period while playing
  std::chrono::milliseconds keepalive_interval{15'000}; ///< SSE comment sent when nothing else was
  std::size_t max_page_size = 100;             ///< largest `?size=` of a queue page
  bool serve_dashboard = true;                 ///< serve the dashboard at `/` and `/assets/*`
  /// Wall clock for token expiry; default std::chrono::system_clock.
  std::function<store::timestamp()> clock;
  std::shared_ptr<spdlog::logger> logger;      ///< default: the "musicbot.api" logger
  trace::tracer tracer;                        ///< a server span per request (disabled by default)
};

/// A token just issued: shown once to its creator, never stored in clear.
struct issued_token {
  std::string id;                 ///< public id (lists, logs, revocation)
  core::secret token;             ///< the bearer token itself
  store::timestamp expires_at{};  ///< when it stops working
};

/// One route of the server, as registered.
struct route_info {
  std::string method;   ///< e.g. "GET"
  std::string pattern;  ///< e.g. "/api/v1/guilds/{guild}/session"
};

/// The control API server.
///
/// Every `/api/v1` request goes through, in order: the Origin check (CORS),
/// the per-IP limit, bearer-token authentication (401), the guild scope of
/// the token (403), the per-token limit (429 with `Retry-After`), body
/// parsing (400 listing every bad field, 413 over max_body_bytes), then the
/// same session_manager use case a slash command runs, acting as the admin
/// who created the token. Mutating calls write an audit entry
/// (`api.<op>`, user = token creator). Errors always have the body
/// `{"error": code, "message": text, "details": [...]}`. Tokens never appear
/// in responses (except once, from async_issue_token) or logs.
///
/// @par Thread safety
/// Not thread-safe: construct, start and use it on the executor of the
/// session_manager and the store's completion handlers (a single-threaded
/// io_context or one strand). stop() is idempotent.
class control_server {
 public:
  /// Creates a stopped server. `sessions` and `db` must outlive it.
  /// @throws std::invalid_argument for invalid options (rate limits, TTLs, sizes).
  control_server(boost::asio::any_io_executor ex, music::session_manager& sessions, store::database& db,
                 control_options options);
  /// Stops the server.
  ~control_server();
  control_server(const control_server&) = delete;             ///< not copyable
  control_server& operator=(const control_server&) = delete;  ///< not copyable

  /// Binds and listens; returns the bound endpoint.
  [[nodiscard]] boost::system::result<boost::asio::ip::tcp::endpoint> start();

  /// Ends every event stream cleanly (a final `end` event, then the last
  /// chunk), then closes the listener and every connection. Idempotent.
  void stop();

  /// Issues a token for `guild_id`, acting as `user_id` (the admin who ran
  /// `/dashboard token`). `ttl` 0 means control_options::default_token_ttl.
  /// Only the token's hash is stored.
  ///
  /// Completion signature: `void(boost::system::error_code, issued_token)`;
  /// errors api::error (invalid_ttl, invalid_label, too_many_tokens,
  /// invalid_guild, random_failed) and store errors.
  template <class Token>
  auto async_issue_token(std::uint64_t guild_id, std::uint64_t user_id, std::chrono::seconds ttl, std::string label,
                         Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, issued_token)>(
        [this](auto h, std::uint64_t g, std::uint64_t u, std::chrono::seconds t, std::string l) {
          do_issue(g, u, t, std::move(l), issue_handler(std::move(h)));
        },
        token, guild_id, user_id, ttl, std::move(label));
  }

  /// Revokes the token `id` of `guild_id`; cached verifications of it are
  /// dropped at once. Completion signature:
  /// `void(boost::system::error_code, bool revoked)` (false: no such token).
  template <class Token>
  auto async_revoke_token(std::uint64_t guild_id, std::string id, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, bool)>(
        [this](auto h, std::uint64_t g, std::string i) { do_revoke(g, std::move(i), revoke_handler(std::move(h))); },
        token, guild_id, std::move(id));
  }

  /// Called after `PATCH .../settings` saved new settings (e.g. so the bot
  /// drops its cached copy).
  void on_settings_changed(std::function<void(const queue::guild_settings&)> handler);

  /// Called for every audit entry the server writes (after it was handed
  /// to the store).
  void on_audit(std::function<void(const store::audit_entry&)> handler);

  /// The bound port (0 before start()).
  [[nodiscard]] std::uint16_t port() const noexcept;

  /// Every registered route (method and pattern), e.g. to check the
  /// OpenAPI document against.
  [[nodiscard]] std::vector<route_info> routes() const;

  /// Event streams open right now.
  [[nodiscard]] std::size_t stream_count() const noexcept;

 private:
  using issue_handler = boost::asio::any_completion_handler<void(boost::system::error_code, issued_token)>;
  using revoke_handler = boost::asio::any_completion_handler<void(boost::system::error_code, bool)>;

  void do_issue(std::uint64_t guild_id, std::uint64_t user_id, std::chrono::seconds ttl, std::string label,
                issue_handler h);
  void do_revoke(std::uint64_t guild_id, std::string id, revoke_handler h);

  std::shared_ptr<detail::control_impl> impl_;
};

}  // namespace musicbot::api
