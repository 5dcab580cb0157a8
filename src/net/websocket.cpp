#include "musicbot/net/websocket.hpp"

#include "completion.hpp"
#include "ws_channel.hpp"

namespace musicbot::net {

void websocket_connection::initiate_read(detail::read_handler handler) {
  if (!channel_) {
    detail::post_completion(executor_, std::move(handler), make_error_code(error::not_connected),
                            websocket_message{});
    return;
  }
  channel_->read(std::move(handler));
}

void websocket_connection::initiate_write(websocket_message message, detail::write_handler handler) {
  if (!channel_) {
    detail::post_completion(executor_, std::move(handler), make_error_code(error::not_connected));
    return;
  }
  channel_->write(std::move(message), std::move(handler));
}

void websocket_connection::initiate_close(std::uint16_t code, std::string reason, detail::write_handler handler) {
  if (!channel_) {
    detail::post_completion(executor_, std::move(handler), make_error_code(error::not_connected));
    return;
  }
  channel_->close(code, std::move(reason), std::move(handler));
}

std::optional<close_reason> websocket_connection::peer_close_reason() const {
  return channel_ ? channel_->peer_close() : std::nullopt;
}

bool websocket_connection::is_open() const noexcept { return channel_ && channel_->is_open(); }

void websocket_connection::abort() noexcept {
  if (channel_) channel_->abort();
}

std::size_t websocket_connection::queued_writes() const noexcept { return channel_ ? channel_->queued() : 0; }

}  // namespace musicbot::net
