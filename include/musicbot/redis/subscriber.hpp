#pragma once
/// @file
/// `musicbot::redis::subscriber`: pub/sub on its own connection, with
/// automatic re-subscription after every reconnect.

#include <musicbot/redis/client.hpp>
#include <musicbot/redis/config.hpp>
#include <musicbot/redis/detail/completion.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}

namespace musicbot::redis {

/// Receives messages published on a set of channels.
///
/// A subscribed Redis connection cannot run ordinary commands, so the
/// subscriber owns a connection separate from any redis::client. The set of
/// channels is remembered: after a connection loss the subscriber reconnects
/// (exponential backoff with jitter) and subscribes to all of them again.
/// Messages published while disconnected are lost (that is Redis pub/sub).
///
/// @code
/// redis::subscriber sub(io.get_executor(), cfg,
///     [](std::string_view channel, std::string_view payload) { ... });
/// sub.subscribe("musicbot:events");
/// sub.start();
/// @endcode
///
/// @par Thread safety
/// Not thread-safe: use from the executor's thread. The handler runs there.
class subscriber {
 public:
  /// Called for each message: (channel, payload). The views are valid only
  /// during the call.
  using message_handler = std::function<void(std::string_view channel, std::string_view payload)>;

  /// A subscriber for `cfg` delivering to `handler`.
  subscriber(boost::asio::any_io_executor executor, config cfg, message_handler handler,
             std::shared_ptr<spdlog::logger> logger = nullptr);
  /// Closes the connection.
  ~subscriber();
  subscriber(const subscriber&) = delete;             ///< Not copyable.
  subscriber& operator=(const subscriber&) = delete;  ///< Not copyable.

  /// Adds a channel (sent at once when connected, and after every reconnect).
  void subscribe(const std::string& channel);
  /// Removes a channel.
  void unsubscribe(const std::string& channel);
  /// Channels the server has confirmed on the current connection.
  [[nodiscard]] std::size_t active_subscriptions() const noexcept;

  /// Starts the connection loop. Idempotent.
  void start();
  /// Starts if needed and waits for the next connect outcome.
  /// Completion signature: `void(boost::system::error_code)`.
  template <class CompletionToken>
  auto async_connect(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
        [this](auto handler) {
          auto convert = [](boost::system::error_code ec, reply&&, auto&& h) { std::move(h)(ec); };
          using op = detail::completion_op<decltype(handler), decltype(convert)>;
          submit_connect_waiter(std::make_unique<op>(std::move(handler), std::move(convert), executor_));
        },
        token);
  }
  /// Closes the connection; no reconnect. Idempotent.
  void close();
  /// The connection state.
  [[nodiscard]] connection_state state() const noexcept;

 private:
  void submit_connect_waiter(std::unique_ptr<detail::completion> done);

  boost::asio::any_io_executor executor_;
  std::shared_ptr<detail::client_impl> impl_;
};

}  // namespace musicbot::redis
