#pragma once
// Internal: ws_channel over a Beast websocket::stream<Stream>, with a
// serialized write queue. Included by client.cpp and server.cpp only.

#include "beast_util.hpp"
#include "completion.hpp"
#include "ws_channel.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>
#include <deque>
#include <memory>

namespace musicbot::net::detail {

struct ws_limits {
  std::size_t max_message_bytes = 16u * 1024u * 1024u;
  std::size_t max_queued_writes = 1024;
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds idle_timeout{0};
  bool keep_alive_pings = true;
};

/// True for a close code an endpoint may send (RFC 6455 7.4).
inline bool sendable_close_code(std::uint16_t code) noexcept {
  if (code >= 3000 && code <= 4999) return true;
  if (code < 1000 || code > 1014) return false;
  return code != 1004 && code != 1005 && code != 1006;
}

template <class Stream>
class ws_stream_channel final : public ws_channel, public std::enable_shared_from_this<ws_stream_channel<Stream>> {
 public:
  using stream_type = websocket::stream<Stream>;

  template <class... Args>
  explicit ws_stream_channel(const ws_limits& limits, Args&&... args)
      : keep_alive_(), ws_(std::forward<Args>(args)...), limits_(limits) {
    ws_.read_message_max(limits_.max_message_bytes);
    websocket::permessage_deflate pmd;
    pmd.client_enable = false;
    pmd.server_enable = false;
    ws_.set_option(pmd);
  }

  stream_type& stream() noexcept { return ws_; }
  boost::asio::any_io_executor executor() { return ws_.get_executor(); }

  /// Switches from the transport's own timeouts to the WebSocket ones.
  void use_websocket_timeouts(bool server) {
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = limits_.handshake_timeout;
    t.idle_timeout = limits_.idle_timeout.count() > 0
                         ? std::chrono::duration_cast<std::chrono::steady_clock::duration>(limits_.idle_timeout)
                         : websocket::stream_base::none();
    t.keep_alive_pings = limits_.keep_alive_pings;
    (void)server;
    ws_.set_option(t);
  }

  void mark_open() noexcept { open_ = true; }

  /// Keeps `p` (e.g. the TLS context the stream refers to) alive as long as the stream.
  void keep_alive(std::shared_ptr<void> p) noexcept { keep_alive_ = std::move(p); }

  void read(read_handler h) override {
    if (reading_) {
      post_completion(executor(), std::move(h), make_error_code(error::operation_in_progress), websocket_message{});
      return;
    }
    if (!open_) {
      post_completion(executor(), std::move(h),
                      make_error_code(peer_close_ ? error::connection_closed : error::not_connected),
                      websocket_message{});
      return;
    }
    reading_ = true;
    auto slot = boost::asio::get_associated_cancellation_slot(h);
    ws_.async_read(buffer_, boost::asio::bind_cancellation_slot(
                                slot, [self = this->shared_from_this(), h = std::move(h)](
                                          boost::system::error_code ec, std::size_t) mutable {
                                  self->on_read(ec, std::move(h));
                                }));
  }

  void write(websocket_message m, write_handler h) override {
    if (!open_ || closing_) {
      post_completion(executor(), std::move(h), make_error_code(error::not_connected));
      return;
    }
    if (queue_.size() >= limits_.max_queued_writes) {
      post_completion(executor(), std::move(h), make_error_code(error::write_queue_full));
      return;
    }
    queue_.push_back(pending{std::move(m.data), m.binary, false, 0, std::move(h)});
    if (!writing_) pump();
  }

  void close(std::uint16_t code, std::string reason, write_handler h) override {
    if (!sendable_close_code(code)) {
      post_completion(executor(), std::move(h), make_error_code(error::bad_request));
      return;
    }
    if (!open_ || closing_) {
      post_completion(executor(), std::move(h), make_error_code(error::not_connected));
      return;
    }
    if (reason.size() > 123) reason.resize(123);  // control frame payload limit
    closing_ = true;
    queue_.push_back(pending{std::move(reason), false, true, code, std::move(h)});
    if (!writing_) pump();
  }

  [[nodiscard]] std::optional<close_reason> peer_close() const override { return peer_close_; }
  [[nodiscard]] bool is_open() const noexcept override { return open_ && !closing_ && ws_.is_open(); }
  [[nodiscard]] std::size_t queued() const noexcept override { return queue_.size(); }

  void abort() noexcept override {
    open_ = false;
    beast::get_lowest_layer(ws_).close();
    stop_timer();
  }

 private:
  struct pending {
    std::string data;
    bool binary = false;
    bool is_close = false;
    std::uint16_t code = 0;
    write_handler handler;
  };

  void on_read(boost::system::error_code ec, read_handler h) {
    reading_ = false;
    websocket_message m;
    if (!ec) {
      m.binary = ws_.got_binary();
      m.data = beast::buffers_to_string(buffer_.data());
      buffer_.consume(buffer_.size());
    } else {
      // A close frame may have arrived even when the read then failed on
      // the transport (e.g. EPIPE echoing it to a peer that already left).
      const bool got_close = ec == websocket::error::closed || ws_.reason().code != 0;
      if (got_close && !peer_close_) {
        peer_close_ = close_reason{ws_.reason().code, std::string(ws_.reason().reason.c_str())};
      }
      buffer_.consume(buffer_.size());
      open_ = false;
      ec = map_error(ec);
      if (got_close && ec != error::message_too_large) ec = make_error_code(error::connection_closed);
      if (!queue_.empty() && !writing_) fail_queue();
      if (!writing_) stop_timer();  // else the write in flight (a close, say) finishes first
    }
    dispatch_completion(executor(), std::move(h), ec, std::move(m));
  }

  void pump() {
    if (queue_.empty()) {
      writing_ = false;
      return;
    }
    if (!open_) {
      writing_ = false;
      fail_queue();
      return;
    }
    writing_ = true;
    auto& w = queue_.front();
    write_guard guard(this->shared_from_this());
    if (w.is_close) {
      websocket::close_reason cr;
      cr.code = w.code;
      cr.reason.assign(w.data.data(), w.data.size());
      ws_.async_close(cr, [g = std::move(guard)](boost::system::error_code ec) mutable {
        g.release()->on_written(ec);
      });
    } else {
      ws_.binary(w.binary);
      ws_.async_write(boost::asio::buffer(w.data),
                      [g = std::move(guard)](boost::system::error_code ec, std::size_t) mutable {
                        g.release()->on_written(ec);
                      });
    }
  }

  void on_written(boost::system::error_code ec) {
    pending w = std::move(queue_.front());
    queue_.pop_front();
    if (ec || w.is_close) {
      open_ = false;
      if (!reading_) stop_timer();  // else the read in flight finishes first
    }
    if (w.is_close && !ec && !peer_close_) {
      peer_close_ = close_reason{ws_.reason().code, std::string(ws_.reason().reason.c_str())};
    }
    writing_ = false;
    dispatch_completion(executor(), std::move(w.handler), map_error(ec));
    if (!writing_) pump();
  }

  // Owns the channel while a write is in flight. Destroyed without having
  // been invoked only when the io_context is destroyed with the write
  // pending: the queued handlers (coroutines that may own this channel) are
  // then dropped so the channel <-> handler cycle cannot leak.
  class write_guard {
   public:
    explicit write_guard(std::shared_ptr<ws_stream_channel> self) noexcept : self_(std::move(self)) {}
    write_guard(write_guard&& other) noexcept : self_(std::move(other.self_)) {}
    write_guard(const write_guard&) = delete;
    write_guard& operator=(const write_guard&) = delete;
    write_guard& operator=(write_guard&&) = delete;
    ~write_guard() {
      if (self_) self_->abandon_queue();
    }
    std::shared_ptr<ws_stream_channel> release() noexcept { return std::move(self_); }

   private:
    std::shared_ptr<ws_stream_channel> self_;
  };

  // Beast arms its timer for the close handshake and leaves it armed when
  // the handshake or the connection ends on a transport error; the pending
  // wait would keep the io_context busy for up to handshake_timeout after
  // the connection is gone (a program shutting down would hang that long).
  // Called once nothing is in flight on a connection that is finished.
  void stop_timer() noexcept {
    ws_.set_option(websocket::stream_base::timeout{websocket::stream_base::none(), websocket::stream_base::none(),
                                                   false});
  }

  void abandon_queue() noexcept {
    auto dropped = std::move(queue_);
    queue_.clear();
    writing_ = false;
    open_ = false;
    // `dropped` (and the handlers in it) is destroyed here.
  }

  void fail_queue() {
    while (!queue_.empty()) {
      pending w = std::move(queue_.front());
      queue_.pop_front();
      post_completion(executor(), std::move(w.handler), make_error_code(error::not_connected));
    }
  }

  std::shared_ptr<void> keep_alive_;  // declared first: destroyed after ws_
  stream_type ws_;
  ws_limits limits_;
  beast::flat_buffer buffer_;
  std::deque<pending> queue_;
  std::optional<close_reason> peer_close_;
  bool open_ = false;
  bool closing_ = false;
  bool reading_ = false;
  bool writing_ = false;
};

}  // namespace musicbot::net::detail
