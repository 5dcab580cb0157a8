#pragma once
/// @file
/// Keep-alive HTTP/1.1 client (http and https) for one base URL.

#include "musicbot/net/error.hpp"
#include "musicbot/net/http_types.hpp"
#include "musicbot/net/tls.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace musicbot::net {

namespace detail {
class http_client_impl;
}  // namespace detail

/// Settings of an http_client.
struct http_client_options {
  /// Base URL: `http://host:port` or `https://host[/base-path]`. Request
  /// targets are appended to its path. Required.
  std::string base_url;
  std::size_t max_connections = 8;                       ///< pool size; extra requests wait (within their timeout)
  std::chrono::milliseconds default_timeout{10'000};     ///< whole-exchange deadline when the request sets none
  std::chrono::milliseconds idle_connection_timeout{30'000}; ///< idle pooled connections older than this are not reused
  std::size_t max_response_body_bytes = 8u * 1024u * 1024u;  ///< larger bodies fail with error::body_too_large
  std::size_t max_response_header_bytes = 64u * 1024u;       ///< larger headers fail with error::header_too_large
  std::string user_agent = "musicbot/0.1";               ///< User-Agent unless the request sets one
  tls_options tls;                                       ///< verification settings for https
};

/// Counters of an http_client's connection pool (for tests and metrics).
struct http_client_stats {
  std::size_t open_connections = 0;  ///< connections open (idle + in use)
  std::size_t idle_connections = 0;  ///< connections waiting in the pool
  std::size_t connections_created = 0; ///< connections opened since construction
  std::size_t requests = 0;          ///< requests started since construction
};

/// An HTTP/1.1 client with a keep-alive connection pool for ONE base endpoint.
///
/// Each request is bounded by its timeout (pool wait, resolve, connect, TLS,
/// write and read together) and by the response size limits. The client
/// never retries a request, with one exception that cannot duplicate work:
/// when a pooled connection turns out to have been closed by the server
/// before any response byte arrived, the request is sent once more on a
/// fresh connection.
///
/// @par Thread safety
/// Distinct objects: safe. Shared objects: unsafe; initiate requests from the
/// client's executor (single-threaded io_context or a strand). Any number of
/// requests may be in flight at once.
///
/// Destroying the client aborts its requests in flight (they complete with
/// error::stopped).
class http_client {
 public:
  /// The executor type of this client.
  using executor_type = boost::asio::any_io_executor;

  /// Creates a client. Throws std::invalid_argument if `options.base_url` is
  /// not a valid http(s) URL or `max_connections` is 0 (configuration errors).
  http_client(executor_type executor, http_client_options options);
  http_client(const http_client&) = delete;             ///< not copyable
  http_client& operator=(const http_client&) = delete;  ///< not copyable
  http_client(http_client&&) noexcept = default;        ///< movable
  http_client& operator=(http_client&&) noexcept = default; ///< movable
  /// Aborts requests in flight and closes pooled connections.
  ~http_client();

  /// Sends `request` and reads the whole response.
  ///
  /// Completion signature: `void(boost::system::error_code, http_response)`.
  /// Any status (including 4xx/5xx) is a success at this level. Errors:
  /// error::timeout, error::body_too_large, error::header_too_large,
  /// error::bad_response, error::bad_request (invalid method, target or a
  /// header containing CR/LF), error::tls_error, error::stopped, the socket
  /// or resolver error, `operation_aborted` when cancelled through the
  /// token's cancellation slot.
  template <class CompletionToken>
  auto async_request(http_request request, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken,
                                       void(boost::system::error_code, http_response)>(
        [this](auto handler, http_request r) { initiate_request(std::move(r), std::move(handler)); },
        token, std::move(request));
  }

  /// The executor requests run on.
  [[nodiscard]] executor_type get_executor() const noexcept;

  /// Pool counters.
  [[nodiscard]] http_client_stats stats() const noexcept;

  /// The options this client was created with.
  [[nodiscard]] const http_client_options& options() const noexcept;

 private:
  void initiate_request(http_request request,
                        boost::asio::any_completion_handler<void(boost::system::error_code, http_response)> handler);

  std::shared_ptr<detail::http_client_impl> impl_;
};

}  // namespace musicbot::net
