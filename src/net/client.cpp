// http_client and websocket_client: the Beast (+ OpenSSL) client side.
#include "musicbot/net/http_client.hpp"
#include "musicbot/net/url.hpp"
#include "musicbot/net/websocket_client.hpp"

#include "beast_util.hpp"
#include "completion.hpp"
#include "ws_stream_channel.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <openssl/ssl.h>

#include <chrono>
#include <deque>
#include <optional>
#include <set>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace musicbot::net {
namespace detail {

namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::unique_ptr<ssl::context> make_ssl_context(const tls_options& tls) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  ctx->set_default_verify_paths(ec);  // missing system store: verification fails later, loudly
  if (!tls.ca_pem.empty()) {
    ctx->add_certificate_authority(asio::buffer(tls.ca_pem), ec);
    if (ec) throw std::invalid_argument("musicbot::net: tls_options::ca_pem is not a valid PEM certificate");
  }
  ctx->set_verify_mode(tls.verify_peer ? ssl::verify_peer : ssl::verify_none);
  return ctx;
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

/// Resolves and connects `stream`, bounded by `deadline`.
asio::awaitable<error_code> connect_tcp(beast::tcp_stream& stream, const endpoint& ep, clock_type::time_point deadline) {
  tcp::resolver resolver(stream.get_executor());
  auto timed_out = std::make_shared<bool>(false);
  asio::steady_timer watchdog(stream.get_executor());
  watchdog.expires_at(deadline);
  watchdog.async_wait([timed_out, &resolver](error_code ec) {
    if (!ec) {
      *timed_out = true;
      resolver.cancel();
    }
  });
  auto [rec, results] = co_await resolver.async_resolve(ep.host, std::to_string(ep.port), use_tuple);
  watchdog.cancel();
  if (*timed_out) co_return make_error_code(error::timeout);
  if (rec) co_return rec;
  // The watchdog handler (cancelled) may still be queued: it only touches
  // `resolver` when it fired, which it did not.
  stream.expires_at(deadline);
  auto [cec, connected] = co_await stream.async_connect(results, use_tuple);
  (void)connected;
  co_return map_error(cec);
}

/// TLS client handshake with SNI and host name verification.
asio::awaitable<error_code> tls_handshake(beast::ssl_stream<beast::tcp_stream>& stream, const endpoint& ep,
                                          bool verify, clock_type::time_point deadline) {
  if (!is_ip_literal(ep.host)) {
    // SSL_set_tlsext_host_name is a macro with an old-style cast.
    if (SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(ep.host.c_str())) != 1) {
      co_return make_error_code(error::tls_error);
    }
  }
  if (verify) stream.set_verify_callback(ssl::host_name_verification(ep.host));
  beast::get_lowest_layer(stream).expires_at(deadline);
  auto [ec] = co_await stream.async_handshake(ssl::stream_base::client, use_tuple);
  if (ec == beast::error::timeout) co_return make_error_code(error::timeout);
  if (ec && (ec.category() == asio::error::get_ssl_category() ||
             ec.category() == ssl::error::make_error_code(ssl::error::stream_truncated).category())) {
    co_return make_error_code(error::tls_error);
  }
  co_return ec;
}

// ---------------------------------------------------------------- http_client

struct http_connection {
  http_connection(const asio::any_io_executor& ex, ssl::context* ctx) {
    if (ctx != nullptr) {
      secure.emplace(ex, *ctx);
    } else {
      plain.emplace(ex);
    }
  }
  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  clock_type::time_point idle_since{};
};

class http_client_impl : public std::enable_shared_from_this<http_client_impl> {
 public:
  http_client_impl(asio::any_io_executor ex, http_client_options options)
      : ex_(std::move(ex)), options_(std::move(options)) {
    auto parsed = parse_endpoint(options_.base_url);
    if (!parsed || (parsed->scheme != scheme::http && parsed->scheme != scheme::https)) {
      throw std::invalid_argument("musicbot::net::http_client: base_url must be an http:// or https:// URL");
    }
    if (options_.max_connections == 0) {
      throw std::invalid_argument("musicbot::net::http_client: max_connections must be > 0");
    }
    base_ = std::move(*parsed);
    // "/" base path adds nothing; "/api/" and "/api" both prefix "/api".
    base_path_ = base_.target.substr(0, base_.target.find('?'));
    while (!base_path_.empty() && base_path_.back() == '/') base_path_.pop_back();
    if (base_.tls) ssl_ = make_ssl_context(options_.tls);
  }

  asio::awaitable<std::pair<error_code, http_response>> run(http_request request);
  void shutdown();

  asio::any_io_executor ex_;
  http_client_options options_;
  endpoint base_;
  std::string base_path_;
  std::unique_ptr<ssl::context> ssl_;
  http_client_stats stats_;

 private:
  struct waiter {
    explicit waiter(const asio::any_io_executor& ex) : timer(ex) {}
    asio::steady_timer timer;
    bool woken = false;
  };

  asio::awaitable<error_code> acquire(std::unique_ptr<http_connection>& out, bool& reused,
                                      clock_type::time_point deadline);
  void release(std::unique_ptr<http_connection> conn, bool reusable);
  asio::awaitable<error_code> open(http_connection& conn, clock_type::time_point deadline);

  std::vector<std::unique_ptr<http_connection>> idle_;
  std::set<http_connection*> active_;
  std::deque<std::shared_ptr<waiter>> waiters_;
  bool stopped_ = false;
};

asio::awaitable<error_code> http_client_impl::acquire(std::unique_ptr<http_connection>& out, bool& reused,
                                                      clock_type::time_point deadline) {
  for (;;) {
    if (stopped_) co_return make_error_code(error::stopped);
    const auto now = clock_type::now();
    while (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      --stats_.idle_connections;
      if (now - conn->idle_since < options_.idle_connection_timeout && conn->lowest().socket().is_open()) {
        out = std::move(conn);
        reused = true;
        active_.insert(out.get());
        co_return error_code{};
      }
      --stats_.open_connections;  // stale: dropped
    }
    if (stats_.open_connections < options_.max_connections) {
      ++stats_.open_connections;
      out = std::make_unique<http_connection>(ex_, ssl_.get());
      reused = false;
      active_.insert(out.get());
      co_return error_code{};
    }
    auto w = std::make_shared<waiter>(ex_);
    w->timer.expires_at(deadline);
    waiters_.push_back(w);
    auto [ec] = co_await w->timer.async_wait(use_tuple);
    std::erase(waiters_, w);
    if (w->woken) continue;
    if (!ec) co_return make_error_code(error::timeout);
    co_return ec;  // cancelled by the caller
  }
}

void http_client_impl::release(std::unique_ptr<http_connection> conn, bool reusable) {
  if (conn) active_.erase(conn.get());
  if (conn && reusable && !stopped_) {
    conn->idle_since = clock_type::now();
    idle_.push_back(std::move(conn));
    ++stats_.idle_connections;
  } else {
    if (conn) conn->lowest().close();
    --stats_.open_connections;
  }
  if (!waiters_.empty()) {
    auto w = waiters_.front();
    waiters_.pop_front();
    w->woken = true;
    w->timer.cancel();
  }
}

void http_client_impl::shutdown() {
  stopped_ = true;
  for (auto& c : idle_) c->lowest().close();
  stats_.open_connections -= idle_.size();
  idle_.clear();
  stats_.idle_connections = 0;
  for (auto* c : active_) c->lowest().close();
  for (auto& w : waiters_) w->timer.cancel();
}

asio::awaitable<error_code> http_client_impl::open(http_connection& conn, clock_type::time_point deadline) {
  ++stats_.connections_created;
  auto ec = co_await connect_tcp(conn.lowest(), base_, deadline);
  if (ec) co_return ec;
  conn.lowest().socket().set_option(tcp::no_delay(true), ec);
  if (conn.secure) co_return co_await tls_handshake(*conn.secure, base_, options_.tls.verify_peer, deadline);
  co_return error_code{};
}

template <class Stream>
asio::awaitable<error_code> exchange(Stream& stream, http_connection& conn, http::request<http::string_body>& req,
                                     http::response_parser<http::string_body>& parser, clock_type::time_point deadline) {
  conn.lowest().expires_at(deadline);
  auto [wec, written] = co_await http::async_write(stream, req, use_tuple);
  (void)written;
  if (wec) co_return wec;
  auto [rec, read] = co_await http::async_read(stream, conn.buffer, parser, use_tuple);
  (void)read;
  co_return rec;
}

bool stale_connection_error(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::ssl::error::stream_truncated;
}

asio::awaitable<std::pair<error_code, http_response>> http_client_impl::run(http_request request) {
  auto self = shared_from_this();
  ++stats_.requests;
  const auto timeout = request.timeout.count() > 0 ? request.timeout : options_.default_timeout;
  const auto deadline = clock_type::now() + timeout;

  const auto verb = http::string_to_verb(request.method);
  if (!is_token(request.method) || request.target.empty() || request.target.front() != '/' ||
      !valid_headers(request.headers)) {
    co_return std::pair{make_error_code(error::bad_request), http_response{}};
  }
  for (const char c : request.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      co_return std::pair{make_error_code(error::bad_request), http_response{}};
    }
  }

  http::request<http::string_body> req;
  if (verb == http::verb::unknown) {
    req.method_string(request.method);
  } else {
    req.method(verb);
  }
  req.target(base_path_ + request.target);
  req.version(11);
  for (const auto& h : request.headers) req.insert(h.name, h.value);
  if (req.find(http::field::host) == req.end()) req.set(http::field::host, base_.host_header());
  if (req.find(http::field::user_agent) == req.end() && !options_.user_agent.empty()) {
    req.set(http::field::user_agent, options_.user_agent);
  }
  req.body() = std::move(request.body);
  req.prepare_payload();
  req.keep_alive(true);

  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<http_connection> conn;
    bool reused = false;
    if (auto ec = co_await acquire(conn, reused, deadline)) {
      co_return std::pair{stopped_ ? make_error_code(error::stopped) : map_error(ec), http_response{}};
    }
    if (!reused) {
      if (auto ec = co_await open(*conn, deadline)) {
        release(std::move(conn), false);
        co_return std::pair{stopped_ ? make_error_code(error::stopped) : map_error(ec), http_response{}};
      }
    }

    http::response_parser<http::string_body> parser;
    parser.body_limit(options_.max_response_body_bytes);
    parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(options_.max_response_header_bytes, UINT32_MAX)));
    if (verb == http::verb::head) parser.skip(true);

    error_code ec;
    if (conn->secure) {
      ec = co_await exchange(*conn->secure, *conn, req, parser, deadline);
    } else {
      ec = co_await exchange(*conn->plain, *conn, req, parser, deadline);
    }
    if (ec) {
      const bool retry = reused && attempt == 0 && !parser.got_some() && stale_connection_error(ec) && !stopped_;
      release(std::move(conn), false);
      if (retry) continue;
      co_return std::pair{stopped_ ? make_error_code(error::stopped) : map_error(ec), http_response{}};
    }

    auto& msg = parser.get();
    http_response res;
    res.status = msg.result_int();
    res.reason = std::string(msg.reason());
    res.headers = to_headers(msg.base());
    res.body = std::move(msg.body());
    const bool reusable = msg.keep_alive() && conn->buffer.size() == 0;
    conn->lowest().expires_never();
    release(std::move(conn), reusable);
    co_return std::pair{error_code{}, std::move(res)};
  }
  co_return std::pair{make_error_code(error::connection_closed), http_response{}};
}

// ----------------------------------------------------------- websocket client

using plain_channel = ws_stream_channel<beast::tcp_stream>;
using tls_channel = ws_stream_channel<beast::ssl_stream<beast::tcp_stream>>;

template <class Channel>
asio::awaitable<std::pair<error_code, handshake_result>> ws_handshake(Channel& ch, const endpoint& ep,
                                                                      const http_headers& headers,
                                                                      const websocket_options& options) {
  ch.use_websocket_timeouts(false);
  ch.stream().set_option(websocket::stream_base::decorator([headers, user_agent = options.user_agent](websocket::request_type& req) {
    if (!user_agent.empty()) req.set(http::field::user_agent, user_agent);
    for (const auto& h : headers) req.set(h.name, h.value);
  }));
  websocket::response_type res;
  auto [ec] = co_await ch.stream().async_handshake(res, ep.host_header(), ep.target, use_tuple);
  handshake_result result;
  result.status = res.result_int();
  result.headers = to_headers(res.base());
  if (ec) {
    result.body = std::move(res.body());
    if (ec == websocket::error::upgrade_declined ||
        (result.status != 0 && ec.category() == websocket::make_error_code(websocket::error::closed).category())) {
      co_return std::pair{make_error_code(error::handshake_failed), std::move(result)};
    }
    co_return std::pair{map_error(ec), std::move(result)};
  }
  ch.mark_open();
  co_return std::pair{error_code{}, std::move(result)};
}

ws_limits limits_of(const websocket_options& o) {
  ws_limits l;
  l.max_message_bytes = o.max_message_bytes;
  l.max_queued_writes = o.max_queued_writes;
  l.handshake_timeout = o.handshake_timeout;
  l.idle_timeout = o.idle_timeout;
  l.keep_alive_pings = o.keep_alive_pings;
  return l;
}

template <class Channel>
asio::awaitable<std::pair<error_code, handshake_result>> ws_connect(std::shared_ptr<Channel> ch, endpoint ep,
                                                                    http_headers headers, websocket_options options) {
  const auto deadline = clock_type::now() + options.handshake_timeout;
  auto& lowest = beast::get_lowest_layer(ch->stream());
  if (auto ec = co_await connect_tcp(lowest, ep, deadline)) co_return std::pair{ec, handshake_result{}};
  error_code ignored;
  lowest.socket().set_option(tcp::no_delay(true), ignored);
  if constexpr (std::is_same_v<Channel, tls_channel>) {
    if (auto ec = co_await tls_handshake(ch->stream().next_layer(), ep, options.tls.verify_peer, deadline)) {
      co_return std::pair{ec, handshake_result{}};
    }
  }
  co_return co_await ws_handshake(*ch, ep, headers, options);
}

}  // namespace detail

// ------------------------------------------------------------ public surface

http_client::http_client(executor_type executor, http_client_options options)
    : impl_(std::make_shared<detail::http_client_impl>(std::move(executor), std::move(options))) {}

http_client::~http_client() {
  if (impl_) impl_->shutdown();
}

void http_client::initiate_request(
    http_request request,
    boost::asio::any_completion_handler<void(boost::system::error_code, http_response)> handler) {
  // The coroutine owns a reference to the impl, so destroying the client
  // before the request starts is safe.
  auto op = [](std::shared_ptr<detail::http_client_impl> impl, http_request r)
      -> boost::asio::awaitable<std::pair<boost::system::error_code, http_response>> {
    co_return co_await impl->run(std::move(r));
  };
  detail::launch(impl_->ex_, op(impl_, std::move(request)), std::move(handler));
}

http_client::executor_type http_client::get_executor() const noexcept { return impl_->ex_; }

http_client_stats http_client::stats() const noexcept { return impl_->stats_; }

const http_client_options& http_client::options() const noexcept { return impl_->options_; }

websocket_client::websocket_client(executor_type executor, websocket_options options)
    : websocket_connection(std::move(executor)), options_(std::move(options)) {}

websocket_client::~websocket_client() {
  if (channel_) channel_->abort();
}

void websocket_client::initiate_connect(
    std::string url, http_headers headers,
    boost::asio::any_completion_handler<void(boost::system::error_code, handshake_result)> handler) {
  if (channel_) channel_->abort();
  channel_.reset();
  auto ep = parse_endpoint(url);
  if (!ep) {
    detail::post_completion(executor_, std::move(handler), ep.error(), handshake_result{});
    return;
  }
  if (ep->scheme != scheme::ws && ep->scheme != scheme::wss) {
    detail::post_completion(executor_, std::move(handler), make_error_code(error::unsupported_scheme),
                            handshake_result{});
    return;
  }
  if (!detail::valid_headers(headers)) {
    detail::post_completion(executor_, std::move(handler), make_error_code(error::bad_request), handshake_result{});
    return;
  }
  const auto limits = detail::limits_of(options_);
  // The channel exists before the connect starts, so abort() and the
  // destructor can interrupt a connect in progress.
  if (ep->tls) {
    if (!tls_context_) tls_context_ = detail::make_ssl_context(options_.tls);
    auto ctx = std::static_pointer_cast<boost::asio::ssl::context>(tls_context_);
    auto ch = std::make_shared<detail::tls_channel>(limits, executor_, *ctx);
    ch->keep_alive(ctx);
    channel_ = ch;
    detail::launch(executor_, detail::ws_connect(ch, std::move(*ep), std::move(headers), options_), std::move(handler));
  } else {
    auto ch = std::make_shared<detail::plain_channel>(limits, executor_);
    channel_ = ch;
    detail::launch(executor_, detail::ws_connect(ch, std::move(*ep), std::move(headers), options_), std::move(handler));
  }
}

}  // namespace musicbot::net
