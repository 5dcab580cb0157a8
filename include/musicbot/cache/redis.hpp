#pragma once
/// @file
/// Redis implementations of the L2 store and the invalidation backplane
/// (built when the redis component is; link musicbot::cache and musicbot::redis).

#include <musicbot/cache/l2.hpp>
#include <musicbot/redis/client.hpp>
#include <musicbot/redis/config.hpp>
#include <musicbot/redis/script.hpp>
#include <musicbot/redis/subscriber.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <cstddef>
#include <map>
#include <memory>
#include <string>

namespace musicbot::cache {

/// L2 on Redis: `GET`+`PTTL` (pipelined) to read, `SET PX` to write, a set
/// per tag (`SADD`, kept alive as long as its longest-lived member) and a
/// Lua script for erase_by_tag.
///
/// Timeouts and outages come from the client (its per-command timeout and
/// breaker) and from the cache (l2_timeout and its own L2 breaker).
///
/// @par Thread safety
/// Use from the client's executor only.
class redis_l2_store final : public l2_store {
 public:
  /// Uses `client` (which must outlive the store and be started).
  explicit redis_l2_store(redis::client& client);

  /// @copydoc l2_store::get
  boost::asio::awaitable<boost::system::result<std::optional<l2_item>>> get(std::string key) override;
  /// @copydoc l2_store::set
  boost::asio::awaitable<boost::system::error_code> set(std::string key, std::string payload,
                                                        std::chrono::milliseconds ttl,
                                                        std::vector<std::string> tags) override;
  /// @copydoc l2_store::erase
  boost::asio::awaitable<boost::system::error_code> erase(std::string key) override;
  /// @copydoc l2_store::erase_by_tag
  boost::asio::awaitable<boost::system::error_code> erase_by_tag(std::string tag) override;

 private:
  redis::client& client_;
  redis::script tag_add_;
  redis::script tag_erase_;
};

/// Backplane on Redis pub/sub: publishes with `client`, listens on its own
/// subscriber connection (re-subscribed after every reconnect). Messages
/// published while a process is disconnected are lost (Redis pub/sub), so
/// keep L1 TTLs bounded.
///
/// @par Thread safety
/// Use from the executor's thread only; handlers run there.
class redis_backplane final : public backplane {
 public:
  /// Publishes through `client` (must outlive this object) and subscribes to
  /// `channel` with a new connection configured by `cfg`. Call start().
  redis_backplane(boost::asio::any_io_executor executor, redis::client& client, redis::config cfg,
                  std::string channel = "musicbot:cache:invalidate");
  /// Starts the subscriber connection.
  void start();
  /// Waits for the subscriber's next connect outcome.
  /// Completion signature: `void(boost::system::error_code)`.
  template <class CompletionToken>
  auto async_connect(CompletionToken&& token) {
    return subscriber_.async_connect(std::forward<CompletionToken>(token));
  }
  /// Channels the server has confirmed (1 once subscribed).
  [[nodiscard]] std::size_t active_subscriptions() const noexcept { return subscriber_.active_subscriptions(); }
  /// Number of malformed messages ignored.
  [[nodiscard]] std::size_t malformed() const noexcept { return state_->malformed; }

  /// @copydoc backplane::publish
  boost::asio::awaitable<boost::system::error_code> publish(invalidation message) override;
  /// @copydoc backplane::subscribe
  std::size_t subscribe(handler on_message) override;
  /// @copydoc backplane::unsubscribe
  void unsubscribe(std::size_t id) override;

 private:
  struct state {
    std::map<std::size_t, handler> handlers;
    std::size_t next_id = 0;
    std::size_t malformed = 0;
  };
  redis::client& client_;
  std::string channel_;
  std::shared_ptr<state> state_;
  redis::subscriber subscriber_;
};

}  // namespace musicbot::cache
