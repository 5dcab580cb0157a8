#pragma once
/// @file
/// `musicbot::redis::client`: asynchronous Redis client on Boost.Asio.
///
/// One connection, many commands in flight (pipelining: commands issued while
/// a write is in progress are coalesced into the next write; replies are
/// matched in order), a timeout per command, per-operation cancellation,
/// EVALSHA with transparent NOSCRIPT reload, AUTH/SELECT on every (re)connect,
/// reconnect with exponential backoff and jitter, a PING health check, and a
/// circuit breaker so an outage fails fast instead of piling up timeouts.

#include <musicbot/redis/command.hpp>
#include <musicbot/redis/config.hpp>
#include <musicbot/redis/detail/completion.hpp>
#include <musicbot/redis/error.hpp>
#include <musicbot/redis/reply.hpp>
#include <musicbot/redis/script.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spdlog {
class logger;
}

namespace musicbot::redis {

/// Where the client's connection is.
enum class connection_state {
  disconnected,  ///< not connected; a reconnect is scheduled (or start() not called)
  connecting,    ///< TCP/TLS/AUTH/SELECT in progress
  connected,     ///< ready for commands
  closed,        ///< close() was called; the client does nothing more
};

/// Counters of one client (monotonic since construction).
struct client_stats {
  std::uint64_t commands = 0;            ///< commands accepted for sending
  std::uint64_t replies = 0;             ///< replies received
  std::uint64_t timeouts = 0;            ///< commands that timed out
  std::uint64_t connects = 0;            ///< successful connects (first + reconnects)
  std::uint64_t failed_connects = 0;     ///< connect attempts that failed
  std::uint64_t breaker_rejections = 0;  ///< commands refused by the open breaker
  std::uint64_t script_reloads = 0;      ///< NOSCRIPT answers followed by EVAL
};

namespace detail {
class client_impl;
}  // namespace detail

/// Asynchronous Redis client.
///
/// @code
/// boost::asio::io_context io;
/// auto cfg = redis::parse_url("redis://:pw@127.0.0.1:6379/0").value();
/// redis::client redis(io.get_executor(), cfg);
/// boost::asio::co_spawn(io, [&]() -> boost::asio::awaitable<void> {
///   auto [ec] = co_await redis.async_connect(boost::asio::as_tuple(boost::asio::use_awaitable));
///   auto [ec2, n] = co_await redis.async_incr("visits", boost::asio::as_tuple(boost::asio::use_awaitable));
/// }, boost::asio::detached);
/// io.run();
/// @endcode
///
/// Every asynchronous operation takes an Asio completion token; its
/// completion signature is given in its documentation. Server error replies
/// complete with the classified error (see classify_server_error()) and, for
/// async_execute(), the error reply itself. Operations honour the
/// per-operation cancellation slot of their handler: a cancelled command
/// completes with `boost::asio::error::operation_aborted` (its reply, which
/// Redis still sends, is discarded).
///
/// Timeouts: a command without a reply within its timeout completes with
/// error::timeout and the connection is considered stalled: it is closed
/// (pending commands complete with error::connection_closed) and re-opened.
///
/// @par Thread safety
/// Not thread-safe: call every member from the client's executor (a single
/// thread running the io_context, or a strand passed as the executor).
/// Destroying the client closes it; pending operations complete with
/// error::closed.
class client {
 public:
  /// The executor type all I/O runs on.
  using executor_type = boost::asio::any_io_executor;

  /// A client for `cfg`; nothing happens before start() / async_connect().
  /// `logger` defaults to the spdlog logger "musicbot.redis" (created if needed).
  client(executor_type executor, config cfg, std::shared_ptr<spdlog::logger> logger = nullptr);
  /// Closes the client.
  ~client();
  client(const client&) = delete;             ///< Not copyable.
  client& operator=(const client&) = delete;  ///< Not copyable.

  /// The executor.
  [[nodiscard]] executor_type get_executor() const noexcept;
  /// The configuration.
  [[nodiscard]] const config& configuration() const noexcept;

  /// Starts the connection loop: connect, and on any loss reconnect with
  /// exponential backoff and jitter until close(). Idempotent.
  void start();

  /// Starts the connection loop if needed and waits for the outcome of the
  /// next connect attempt (or completes at once when connected). The loop
  /// keeps retrying in the background whatever the outcome.
  /// Completion signature: `void(boost::system::error_code)`; errors include
  /// error::auth_failed, error::select_failed, error::timeout,
  /// error::tls_failed and resolver/socket errors.
  template <class CompletionToken>
  auto async_connect(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
        [this](auto handler) {
          auto convert = [](boost::system::error_code ec, reply&&, auto&& h) { std::move(h)(ec); };
          submit_connect_waiter(make_completion(std::move(handler), std::move(convert)));
        },
        token);
  }

  /// Stops everything: the connection is closed, pending commands complete
  /// with error::closed, no reconnect happens. Idempotent.
  void close();

  /// The connection state.
  [[nodiscard]] connection_state state() const noexcept;
  /// True when connected and the breaker is not open (closed or half-open).
  [[nodiscard]] bool healthy() const noexcept;
  /// Counters.
  [[nodiscard]] client_stats stats() const noexcept;

  /// Sends any command with the configured default timeout.
  /// Completion signature: `void(boost::system::error_code, redis::reply)`.
  template <class CompletionToken>
  auto async_execute(command cmd, CompletionToken&& token) {
    return async_execute(std::move(cmd), std::chrono::milliseconds::zero(), std::forward<CompletionToken>(token));
  }

  /// Sends any command with its own timeout (zero: the default).
  /// Completion signature: `void(boost::system::error_code, redis::reply)`.
  template <class CompletionToken>
  auto async_execute(command cmd, std::chrono::milliseconds timeout, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code, reply)>(
        [this](auto handler, command c, std::chrono::milliseconds t) {
          auto slot = boost::asio::get_associated_cancellation_slot(handler);
          auto convert = [](boost::system::error_code ec, reply&& r, auto&& h) {
            if (!ec) ec = reply_error(r);
            std::move(h)(ec, std::move(r));
          };
          submit(c, t, slot, make_completion(std::move(handler), std::move(convert)));
        },
        token, std::move(cmd), timeout);
  }

  /// Runs `s` with `keys` and `args` (EVALSHA; EVAL on NOSCRIPT, counted in
  /// client_stats::script_reloads).
  /// Completion signature: `void(boost::system::error_code, redis::reply)`.
  template <class CompletionToken>
  auto async_eval(script s, std::vector<std::string> keys, std::vector<std::string> args, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code, reply)>(
        [this](auto handler, script sc, std::vector<std::string> k, std::vector<std::string> a) {
          auto slot = boost::asio::get_associated_cancellation_slot(handler);
          auto convert = [](boost::system::error_code ec, reply&& r, auto&& h) {
            if (!ec) ec = reply_error(r);
            std::move(h)(ec, std::move(r));
          };
          submit_script(sc, k, a, std::chrono::milliseconds::zero(), slot,
                        make_completion(std::move(handler), std::move(convert)));
        },
        token, std::move(s), std::move(keys), std::move(args));
  }

  /// PING. Completion signature: `void(boost::system::error_code, std::string)` ("PONG").
  template <class CompletionToken>
  auto async_ping(CompletionToken&& token) {
    return typed<std::string>(command{"PING"}, &redis::to_string, std::forward<CompletionToken>(token));
  }
  /// GET key. Completion signature:
  /// `void(boost::system::error_code, std::optional<std::string>)` (nullopt: no such key).
  template <class CompletionToken>
  auto async_get(std::string_view key, CompletionToken&& token) {
    return typed<std::optional<std::string>>(command{"GET", key}, &redis::to_optional_string,
                                             std::forward<CompletionToken>(token));
  }
  /// SET key value [PX ttl] (ttl zero: no expiry).
  /// Completion signature: `void(boost::system::error_code)`.
  template <class CompletionToken>
  auto async_set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl,
                 CompletionToken&& token) {
    command cmd{"SET", key, value};
    if (ttl.count() > 0) cmd.arg("PX").arg(ttl.count());
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
        [this](auto handler, command c) {
          auto slot = boost::asio::get_associated_cancellation_slot(handler);
          auto convert = [](boost::system::error_code ec, reply&& r, auto&& h) {
            if (!ec) {
              auto ok = to_ok(r);
              if (!ok) ec = ok.error();
            }
            std::move(h)(ec);
          };
          submit(c, std::chrono::milliseconds::zero(), slot, make_completion(std::move(handler), std::move(convert)));
        },
        token, std::move(cmd));
  }
  /// DEL key. Completion signature: `void(boost::system::error_code, std::int64_t)` (keys removed).
  template <class CompletionToken>
  auto async_del(std::string_view key, CompletionToken&& token) {
    return typed<std::int64_t>(command{"DEL", key}, &redis::to_integer, std::forward<CompletionToken>(token));
  }
  /// INCR key. Completion signature: `void(boost::system::error_code, std::int64_t)` (new value).
  template <class CompletionToken>
  auto async_incr(std::string_view key, CompletionToken&& token) {
    return typed<std::int64_t>(command{"INCR", key}, &redis::to_integer, std::forward<CompletionToken>(token));
  }
  /// PEXPIRE key ttl. Completion signature: `void(boost::system::error_code, std::int64_t)`
  /// (1 if the key exists).
  template <class CompletionToken>
  auto async_pexpire(std::string_view key, std::chrono::milliseconds ttl, CompletionToken&& token) {
    command cmd{"PEXPIRE", key};
    cmd.arg(ttl.count());
    return typed<std::int64_t>(std::move(cmd), &redis::to_integer, std::forward<CompletionToken>(token));
  }
  /// PUBLISH channel message. Completion signature:
  /// `void(boost::system::error_code, std::int64_t)` (subscribers reached).
  template <class CompletionToken>
  auto async_publish(std::string_view channel, std::string_view message, CompletionToken&& token) {
    return typed<std::int64_t>(command{"PUBLISH", channel, message}, &redis::to_integer,
                               std::forward<CompletionToken>(token));
  }

 private:
  friend class subscriber;
  friend class distributed_rate_limiter;

  template <class Handler, class Convert>
  std::unique_ptr<detail::completion> make_completion(Handler&& handler, Convert convert) {
    return std::make_unique<detail::completion_op<std::decay_t<Handler>, Convert>>(
        std::forward<Handler>(handler), std::move(convert), get_executor());
  }

  template <class T, class CompletionToken>
  auto typed(command cmd, boost::system::result<T> (*conv)(const reply&), CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code, T)>(
        [this, conv](auto handler, command c) {
          auto slot = boost::asio::get_associated_cancellation_slot(handler);
          auto convert = [conv](boost::system::error_code ec, reply&& r, auto&& h) {
            if (ec) {
              std::move(h)(ec, T{});
              return;
            }
            auto v = conv(r);
            if (!v) {
              std::move(h)(v.error(), T{});
              return;
            }
            std::move(h)(ec, std::move(*v));
          };
          submit(c, std::chrono::milliseconds::zero(), slot, make_completion(std::move(handler), std::move(convert)));
        },
        token, std::move(cmd));
  }

  void submit(const command& cmd, std::chrono::milliseconds timeout, boost::asio::cancellation_slot slot,
              std::unique_ptr<detail::completion> done);
  void submit_script(const script& s, const std::vector<std::string>& keys, const std::vector<std::string>& args,
                     std::chrono::milliseconds timeout, boost::asio::cancellation_slot slot,
                     std::unique_ptr<detail::completion> done);
  // `tail` holds numkeys, keys and args (the arguments after the script).
  void submit_script(const script& s, const command& tail, std::chrono::milliseconds timeout,
                     boost::asio::cancellation_slot slot, std::unique_ptr<detail::completion> done);
  // The same, taking over `tail` (kept for a NOSCRIPT reload without a copy).
  void submit_script(const script& s, command&& tail, std::chrono::milliseconds timeout,
                     boost::asio::cancellation_slot slot, std::unique_ptr<detail::completion> done);
  void submit_connect_waiter(std::unique_ptr<detail::completion> done);

  std::shared_ptr<detail::client_impl> impl_;
};

}  // namespace musicbot::redis
