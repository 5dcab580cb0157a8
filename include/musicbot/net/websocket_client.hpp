#pragma once
/// @file
/// WebSocket client (ws and wss) for the Lavalink node socket and the
/// Discord gateway.

#include "musicbot/net/http_types.hpp"
#include "musicbot/net/tls.hpp"
#include "musicbot/net/websocket.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace musicbot::net {

/// Settings of a websocket_client.
struct websocket_options {
  std::size_t max_message_bytes = 16u * 1024u * 1024u; ///< larger incoming messages fail the read (error::message_too_large)
  std::size_t max_queued_writes = 1024;                ///< bound of the write queue
  std::chrono::milliseconds handshake_timeout{10'000}; ///< resolve + connect + TLS + upgrade, and the close handshake
  std::chrono::milliseconds idle_timeout{60'000};      ///< no data for this long closes with error::timeout; 0 = never
  bool keep_alive_pings = true;   ///< send a ping after half the idle timeout so quiet peers stay alive
  std::string user_agent = "musicbot/0.1"; ///< User-Agent of the upgrade request (unless given in the headers)
  tls_options tls;                ///< verification settings for wss
};

/// The server's answer to the upgrade request.
///
/// Filled on success (status 101) and on error::handshake_failed (the
/// status, headers and body of the refusal, e.g. 401 or 404).
struct handshake_result {
  unsigned status = 0;   ///< HTTP status of the answer; 0 if none arrived
  http_headers headers;  ///< response headers (e.g. Lavalink's `Session-Resumed`)
  std::string body;      ///< body of a refusal (empty on success)
};

/// A WebSocket client connection.
///
/// Per-message deflate is off. Incoming messages are limited to
/// websocket_options::max_message_bytes. Pings from the peer are answered
/// automatically. async_connect() may be called again after the connection
/// ended to reconnect (the previous stream is dropped).
///
/// @par Thread safety
/// Distinct objects: safe. Shared objects: unsafe; use from one executor
/// (single-threaded io_context or strand).
class websocket_client : public websocket_connection {
 public:
  /// Creates an unconnected client whose operations run on `executor`.
  explicit websocket_client(executor_type executor, websocket_options options = {});
  websocket_client(const websocket_client&) = delete;             ///< not copyable
  websocket_client& operator=(const websocket_client&) = delete;  ///< not copyable
  websocket_client(websocket_client&&) noexcept = default;        ///< movable (not while operations are pending)
  websocket_client& operator=(websocket_client&&) noexcept = default; ///< movable (not while operations are pending)
  /// Drops the connection (no close handshake; call async_close() first for one).
  ~websocket_client();

  /// Connects to a ws:// or wss:// URL and performs the upgrade.
  ///
  /// `headers` are added to the upgrade request (e.g. `Authorization`,
  /// `User-Id`, `Session-Id`). Bounded by websocket_options::handshake_timeout.
  ///
  /// Completion signature: `void(boost::system::error_code, handshake_result)`.
  /// Errors: error::bad_url, error::unsupported_scheme, error::timeout,
  /// error::tls_error, error::handshake_failed (the result carries the
  /// status and headers), error::bad_request (a header with CR/LF), or the
  /// resolver/socket error.
  template <class CompletionToken>
  auto async_connect(std::string url, http_headers headers, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken,
                                       void(boost::system::error_code, handshake_result)>(
        [this](auto handler, std::string u, http_headers h) {
          initiate_connect(std::move(u), std::move(h), std::move(handler));
        },
        token, std::move(url), std::move(headers));
  }

  /// The options this client was created with.
  [[nodiscard]] const websocket_options& options() const noexcept { return options_; }

 private:
  void initiate_connect(std::string url, http_headers headers,
                        boost::asio::any_completion_handler<void(boost::system::error_code, handshake_result)> handler);

  websocket_options options_;
  std::shared_ptr<void> tls_context_;  // created on the first wss connect, shared by reconnects
};

}  // namespace musicbot::net
