#pragma once
/// @file
/// Small HTTP/1.1 + WebSocket server with routing, limits and prompt stop:
/// the base of the fake Lavalink/Discord servers, the control API and the
/// observability endpoints.

#include "musicbot/net/error.hpp"
#include "musicbot/net/http_types.hpp"
#include "musicbot/net/websocket.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace musicbot::net {

namespace detail {
class server_impl;
struct response_stream_state;
struct server_websocket_state;
}  // namespace detail

/// Settings of an http_server.
struct server_options {
  std::string address = "127.0.0.1";  ///< IP address to bind (loopback by default)
  std::uint16_t port = 0;             ///< port to bind; 0 picks a free (ephemeral) port
  std::size_t max_header_bytes = 16u * 1024u;   ///< larger request headers get 431
  std::size_t max_body_bytes = 1024u * 1024u;   ///< larger request bodies get 413
  std::size_t max_connections = 256;  ///< further connections get 503 and are closed
  std::chrono::milliseconds idle_timeout{30'000};    ///< keep-alive connections idle this long are closed
  std::chrono::milliseconds request_timeout{30'000}; ///< bound on reading a request body and writing a response
  std::size_t max_ws_message_bytes = 1024u * 1024u;  ///< larger incoming WebSocket messages close the socket (1009)
  std::size_t max_ws_queued_writes = 1024;           ///< bound of each WebSocket's write queue
  std::chrono::milliseconds ws_idle_timeout{0};      ///< WebSocket idle timeout (0 = none); pings after half of it
  std::chrono::milliseconds ws_handshake_timeout{10'000}; ///< bound on the accept and close handshakes
  std::string server_name = "musicbot";  ///< value of the `Server` header
};

/// A request as a route handler sees it.
struct server_request {
  std::string method;  ///< request method, e.g. "GET"
  std::string target;  ///< raw request target, e.g. "/v4/sessions/abc/players/1?noReplace=true"
  std::string path;    ///< the target's path, percent-encoded as received
  std::vector<std::pair<std::string, std::string>> path_params;  ///< `{name}` segments of the route, decoded
  std::vector<std::pair<std::string, std::string>> query_params; ///< query parameters in order, decoded
  http_headers headers; ///< request headers
  std::string body;     ///< complete request body (empty for WebSocket upgrades)
  std::string remote_address; ///< peer address "ip:port"

  /// The first header named `name` (case-insensitive), if any.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const noexcept {
    return find_header(headers, name);
  }
  /// The path parameter `name` (from a `{name}` pattern segment), if any.
  [[nodiscard]] std::optional<std::string_view> param(std::string_view name) const noexcept;
  /// The first query parameter `name`, if any.
  [[nodiscard]] std::optional<std::string_view> query(std::string_view name) const noexcept;
};

/// A streamed (chunked) response, for Server-Sent Events and long downloads.
///
/// The handler calls start() once, then write() any number of times; the
/// final chunk is sent and the connection closed when the handler returns.
/// A failing write (client gone, server stopping) returns an error: the
/// handler should then return. Only valid during the handler call.
class response_stream {
 public:
  /// Internal: created by the server for each streamed route call.
  explicit response_stream(detail::response_stream_state& state) noexcept : state_(&state) {}

  /// Sends the status line and headers (`Transfer-Encoding: chunked` is added).
  /// For SSE pass `Content-Type: text/event-stream`.
  [[nodiscard]] boost::asio::awaitable<boost::system::error_code> start(unsigned status, http_headers headers);

  /// Sends one chunk (ignored when empty). Bounded by server_options::request_timeout.
  [[nodiscard]] boost::asio::awaitable<boost::system::error_code> write(std::string_view data);

  /// True after start() and before any failure.
  [[nodiscard]] bool is_open() const noexcept;

 private:
  detail::response_stream_state* state_;
};

/// Formats one Server-Sent Event (`event:`, `id:`, one `data:` line per line
/// of `data`, blank line). Empty `event`/`id` are left out; CR and LF in
/// `event` and `id` are removed so the framing cannot be broken.
[[nodiscard]] std::string format_sse_event(std::string_view data, std::string_view event = {},
                                           std::string_view id = {});

/// The server side of a WebSocket route, given to the route's handler.
///
/// The handler first inspects request() and then either async_accept()s
/// (sends 101; the connection is then read/written like any
/// websocket_connection) or async_reject()s with an HTTP status (e.g. 401).
/// If it does neither, the server answers 500. The connection is closed
/// (1000, or abruptly on stop) when the handler returns.
///
/// The handle may be copied (e.g. into a registry of connected clients so
/// other coroutines can write to it); copies share the connection.
///
/// @par Thread safety
/// Use only from the server's executor (http_server::get_executor()).
class server_websocket : public websocket_connection {
 public:
  /// Internal: created by the server for each upgrade request.
  server_websocket(executor_type executor, std::shared_ptr<detail::server_websocket_state> state);

  /// The upgrade request (headers, path and query params).
  [[nodiscard]] const server_request& request() const noexcept;

  /// Accepts the upgrade, adding `headers` to the 101 response.
  ///
  /// Completion signature: `void(boost::system::error_code)`.
  template <class CompletionToken>
  auto async_accept(http_headers headers, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
        [this](auto handler, http_headers h) { initiate_accept(std::move(h), std::move(handler)); },
        token, std::move(headers));
  }

  /// Refuses the upgrade with an HTTP `response` (status such as 400, 401,
  /// 404) and closes the connection.
  ///
  /// Completion signature: `void(boost::system::error_code)`.
  template <class CompletionToken>
  auto async_reject(http_response response, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
        [this](auto handler, http_response r) { initiate_reject(std::move(r), std::move(handler)); },
        token, std::move(response));
  }

  /// True once async_accept() succeeded.
  [[nodiscard]] bool accepted() const noexcept;

 private:
  void initiate_accept(http_headers headers,
                       boost::asio::any_completion_handler<void(boost::system::error_code)> handler);
  void initiate_reject(http_response response,
                       boost::asio::any_completion_handler<void(boost::system::error_code)> handler);

  std::shared_ptr<detail::server_websocket_state> state_;
};

/// Handler of a plain route: a coroutine returning the response.
using http_handler = std::function<boost::asio::awaitable<http_response>(server_request)>;
/// Handler of a streamed route (see response_stream).
using stream_handler = std::function<boost::asio::awaitable<void>(server_request, response_stream&)>;
/// Handler of a WebSocket route (see server_websocket).
using websocket_handler = std::function<boost::asio::awaitable<void>(server_websocket)>;

/// An HTTP/1.1 server with path-pattern routing and WebSocket routes.
///
/// Patterns are absolute paths whose segments are literals or `{name}`
/// placeholders matching one non-empty segment, e.g.
/// `/v4/sessions/{session}/players/{guild}`. Answers 404 for unknown paths,
/// 405 (with `Allow`) for a known path with another method, 413 for bodies
/// over the limit, 431 for oversized headers, 400 for malformed requests,
/// 500 when a handler throws, 503 past max_connections. Keep-alive is
/// honoured; idle connections are closed after idle_timeout.
///
/// Handlers are coroutines run on the server's executor: they may await
/// other async work but must never block.
///
/// @par Thread safety
/// Register routes and call start() before the executor runs or from the
/// thread that runs it; stop() is safe from any thread. Internally everything
/// runs on a strand of the given executor.
class http_server {
 public:
  /// The executor type of this server.
  using executor_type = boost::asio::any_io_executor;

  /// Creates a stopped server.
  http_server(executor_type executor, server_options options = {});
  http_server(const http_server&) = delete;             ///< not copyable
  http_server& operator=(const http_server&) = delete;  ///< not copyable
  /// Stops the server.
  ~http_server();

  /// Adds a route. Throws std::invalid_argument for a malformed method
  /// token or pattern (must start with '/'; placeholders must be whole segments).
  void route(std::string_view method, std::string_view pattern, http_handler handler);

  /// Adds a streamed route (chunked response, e.g. Server-Sent Events).
  void stream_route(std::string_view method, std::string_view pattern, stream_handler handler);

  /// Adds a WebSocket route (GET + `Upgrade: websocket`).
  void websocket_route(std::string_view pattern, websocket_handler handler);

  /// Binds, listens and starts accepting. Returns the bound port.
  [[nodiscard]] boost::system::result<std::uint16_t> start();

  /// Closes the acceptor and every connection (handlers awaiting anything
  /// are cancelled). Runs at once when called on the server's strand,
  /// otherwise as soon as the strand runs it (so it is safe from any
  /// thread). Idempotent.
  void stop();

  /// The bound port (0 before start()).
  [[nodiscard]] std::uint16_t port() const noexcept;

  /// Open connections right now (HTTP and WebSocket).
  [[nodiscard]] std::size_t connection_count() const noexcept;

  /// The server's strand; handlers run on it.
  [[nodiscard]] executor_type get_executor() const noexcept;

 private:
  std::shared_ptr<detail::server_impl> impl_;
};

}  // namespace musicbot::net
