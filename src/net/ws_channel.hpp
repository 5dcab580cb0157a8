#pragma once
// Internal: the abstract WebSocket stream behind websocket_connection.
// Implemented by ws_stream_channel<Stream> (ws_stream_channel.hpp, Beast).

#include "musicbot/net/websocket.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace musicbot::net::detail {

using read_handler = boost::asio::any_completion_handler<void(boost::system::error_code, websocket_message)>;
using write_handler = boost::asio::any_completion_handler<void(boost::system::error_code)>;

class ws_channel {
 public:
  ws_channel() = default;
  ws_channel(const ws_channel&) = delete;
  ws_channel& operator=(const ws_channel&) = delete;
  virtual ~ws_channel() = default;

  virtual void read(read_handler h) = 0;
  virtual void write(websocket_message m, write_handler h) = 0;
  virtual void close(std::uint16_t code, std::string reason, write_handler h) = 0;
  [[nodiscard]] virtual std::optional<close_reason> peer_close() const = 0;
  [[nodiscard]] virtual bool is_open() const noexcept = 0;
  [[nodiscard]] virtual std::size_t queued() const noexcept = 0;
  virtual void abort() noexcept = 0;
};

}  // namespace musicbot::net::detail
