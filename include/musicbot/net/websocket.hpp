#pragma once
/// @file
/// What the WebSocket client and the server-side WebSocket share: messages,
/// close codes, and websocket_connection (read / queued write / close).

#include "musicbot/net/error.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace musicbot::net {

namespace detail {
class ws_channel;
}  // namespace detail

/// One complete WebSocket message (fragments already joined).
struct websocket_message {
  std::string data;     ///< payload (UTF-8 text or raw bytes)
  bool binary = false;  ///< true for a binary message, false for text
};

/// A close code and reason as carried by a WebSocket close frame.
struct close_reason {
  std::uint16_t code = 0;  ///< RFC 6455 close code (see close_codes); 0 if the frame had none
  std::string reason;      ///< optional UTF-8 reason text (at most 123 bytes on the wire)
};

/// Common RFC 6455 close codes (applications add their own 4000–4999 codes).
namespace close_codes {
inline constexpr std::uint16_t normal = 1000;            ///< normal closure
inline constexpr std::uint16_t going_away = 1001;        ///< endpoint going away (shutdown, navigation)
inline constexpr std::uint16_t protocol_error = 1002;    ///< protocol error
inline constexpr std::uint16_t unsupported_data = 1003;  ///< data type cannot be accepted
inline constexpr std::uint16_t invalid_payload = 1007;   ///< inconsistent data (e.g. bad UTF-8)
inline constexpr std::uint16_t policy_violation = 1008;  ///< policy violation
inline constexpr std::uint16_t too_big = 1009;           ///< message too big
inline constexpr std::uint16_t internal_error = 1011;    ///< unexpected server condition
inline constexpr std::uint16_t service_restart = 1012;   ///< service restart
inline constexpr std::uint16_t try_again_later = 1013;   ///< try again later
}  // namespace close_codes

/// An open WebSocket connection: read messages, write (queued) and close.
///
/// Base of websocket_client and server_websocket. Operations complete through
/// Asio completion tokens (callbacks, `asio::use_awaitable`, `asio::deferred`,
/// `asio::use_future`, ...).
///
/// - At most one async_read() may be pending; a second one fails with
///   error::operation_in_progress.
/// - async_write() and async_close() may be called at any time and from
///   several coroutines: they are queued and sent in call order. The queue is
///   bounded (error::write_queue_full past it).
/// - When the peer closes, a pending or later read fails with
///   error::connection_closed and peer_close_reason() tells the code and reason.
/// - A read fails with error::message_too_large when a message exceeds the
///   configured maximum (the connection is then closed with code 1009).
///
/// @par Thread safety
/// Distinct objects: safe. Shared objects: unsafe; initiate every operation
/// from the connection's executor (get_executor()), e.g. a single-threaded
/// io_context or a strand.
class websocket_connection {
 public:
  /// The executor type of this connection.
  using executor_type = boost::asio::any_io_executor;

  /// The executor all operations run on.
  [[nodiscard]] executor_type get_executor() const noexcept { return executor_; }

  /// Reads the next complete message.
  ///
  /// Completion signature: `void(boost::system::error_code, websocket_message)`.
  /// Supports per-operation cancellation (terminal: the connection is closed).
  template <class CompletionToken>
  auto async_read(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken,
                                       void(boost::system::error_code, websocket_message)>(
        [this](auto handler) { initiate_read(std::move(handler)); }, token);
  }

  /// Queues a text message.
  ///
  /// Completion signature: `void(boost::system::error_code)`, called once the
  /// message was handed to the socket (or failed).
  template <class CompletionToken>
  auto async_write(std::string text, CompletionToken&& token) {
    return async_write(websocket_message{std::move(text), false},
                       std::forward<CompletionToken>(token));
  }

  /// Queues a message (text or binary).
  ///
  /// Completion signature: `void(boost::system::error_code)`.
  template <class CompletionToken>
  auto async_write(websocket_message message, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
        [this](auto handler, websocket_message m) { initiate_write(std::move(m), std::move(handler)); },
        token, std::move(message));
  }

  /// Queues a close frame with `code` and `reason` after the pending writes,
  /// then waits (bounded by the handshake timeout) for the peer's close frame.
  ///
  /// Later writes fail with error::not_connected. A pending read completes
  /// with error::connection_closed.
  /// Completion signature: `void(boost::system::error_code)`.
  template <class CompletionToken>
  auto async_close(std::uint16_t code, std::string reason, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
        [this](auto handler, std::uint16_t c, std::string r) {
          initiate_close(c, std::move(r), std::move(handler));
        },
        token, code, std::move(reason));
  }

  /// The close code and reason the peer sent, once its close frame arrived.
  [[nodiscard]] std::optional<close_reason> peer_close_reason() const;

  /// True while the connection can still send and receive.
  [[nodiscard]] bool is_open() const noexcept;

  /// Closes the socket at once, without a close handshake; pending
  /// operations complete with an error (`operation_aborted` or not_connected).
  void abort() noexcept;

  /// Number of writes waiting in the queue (including the one in flight).
  [[nodiscard]] std::size_t queued_writes() const noexcept;

 protected:
  /// Creates a connection handle without a channel (not connected).
  explicit websocket_connection(executor_type executor) : executor_(std::move(executor)) {}
  /// Creates a handle for an internal channel.
  websocket_connection(executor_type executor, std::shared_ptr<detail::ws_channel> channel)
      : executor_(std::move(executor)), channel_(std::move(channel)) {}

  executor_type executor_;                        ///< where operations run
  std::shared_ptr<detail::ws_channel> channel_;   ///< the open stream, if any

 private:
  void initiate_read(boost::asio::any_completion_handler<void(boost::system::error_code, websocket_message)> handler);
  void initiate_write(websocket_message message,
                      boost::asio::any_completion_handler<void(boost::system::error_code)> handler);
  void initiate_close(std::uint16_t code, std::string reason,
                      boost::asio::any_completion_handler<void(boost::system::error_code)> handler);
};

}  // namespace musicbot::net
