// http_server: Beast HTTP/1.1 + WebSocket server side (plain TCP).
#include "musicbot/net/http_server.hpp"

#include "beast_util.hpp"
#include "completion.hpp"
#include "ws_stream_channel.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <list>
#include <stdexcept>

namespace musicbot::net {
namespace detail {

using tcp = boost::asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
using server_channel = ws_stream_channel<beast::tcp_stream>;

struct route_segment {
  std::string text;
  bool param = false;
};

enum class route_kind { plain, stream, websocket };

struct route_entry {
  route_kind kind = route_kind::plain;
  std::string method;
  std::vector<route_segment> segments;
  http_handler plain;
  stream_handler stream;
  websocket_handler websocket;
};

std::vector<route_segment> parse_pattern(std::string_view pattern) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("musicbot::net::http_server: route pattern must start with '/'");
  }
  std::vector<route_segment> out;
  std::string_view rest = pattern.substr(1);
  if (rest.empty()) return out;  // "/"
  for (;;) {
    const auto slash = rest.find('/');
    const std::string_view seg = rest.substr(0, slash);
    const bool open = seg.find('{') != std::string_view::npos;
    const bool close = seg.find('}') != std::string_view::npos;
    if (open || close) {
      if (seg.size() < 3 || seg.front() != '{' || seg.back() != '}' ||
          seg.substr(1, seg.size() - 2).find_first_of("{}") != std::string_view::npos) {
        throw std::invalid_argument("musicbot::net::http_server: placeholders must be whole segments like {name}");
      }
      out.push_back({std::string(seg.substr(1, seg.size() - 2)), true});
    } else {
      out.push_back({std::string(seg), false});
    }
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  return out;
}

bool match(const route_entry& r, const std::vector<std::string>& segments,
           std::vector<std::pair<std::string, std::string>>& params) {
  if (r.segments.size() != segments.size()) return false;
  std::vector<std::pair<std::string, std::string>> found;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (r.segments[i].param) {
      if (segments[i].empty()) return false;
      found.emplace_back(r.segments[i].text, segments[i]);
    } else if (r.segments[i].text != segments[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

struct response_stream_state {
  beast::tcp_stream& stream;
  std::chrono::milliseconds timeout;
  std::string server_name;
  unsigned version = 11;
  bool started = false;
  bool failed = false;
};

struct server_websocket_state {
  std::shared_ptr<server_channel> channel;
  server_request request;
  http::request<http::string_body> upgrade;
  std::string server_name;
  std::chrono::milliseconds timeout{};
  bool accepted = false;
  bool rejected = false;
};

http::response<http::string_body> to_beast(http_response r, unsigned version, bool keep_alive,
                                           const std::string& server_name) {
  http::response<http::string_body> res;
  res.version(version);
  const unsigned status = (r.status >= 100 && r.status <= 999) ? r.status : 500;
  res.result(status);
  if (!r.reason.empty() && is_header_value(r.reason)) res.reason(r.reason);
  for (const auto& h : r.headers) {
    if (!is_token(h.name) || !is_header_value(h.value)) continue;
    if (iequals(h.name, "Content-Length") || iequals(h.name, "Transfer-Encoding") || iequals(h.name, "Connection")) {
      continue;
    }
    res.insert(h.name, h.value);
  }
  if (res.find(http::field::server) == res.end() && !server_name.empty()) res.set(http::field::server, server_name);
  if (status < 200 || status == 204 || status == 304) {
    r.body.clear();
  }
  res.body() = std::move(r.body);
  res.keep_alive(keep_alive);
  if (!(status < 200 || status == 204 || status == 304)) res.prepare_payload();
  return res;
}

class server_impl : public std::enable_shared_from_this<server_impl> {
 public:
  server_impl(const asio::any_io_executor& ex, server_options options)
      : ex_(asio::make_strand(ex)), options_(std::move(options)), acceptor_(ex_) {}

  struct session {
    asio::cancellation_signal signal;
    std::function<void()> close;
  };
  using session_iter = std::list<session>::iterator;

  boost::system::result<std::uint16_t> start();
  void stop();
  void stop_now();

  asio::any_io_executor ex_;
  server_options options_;
  tcp::acceptor acceptor_;
  std::vector<route_entry> routes_;
  std::list<session> sessions_;
  std::uint16_t port_ = 0;
  bool started_ = false;
  bool stopped_ = false;
  std::size_t refusing_ = 0;

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> refuse(tcp::socket socket);
  asio::awaitable<void> run_session(tcp::socket socket, session_iter it);
  asio::awaitable<void> handle_upgrade(beast::tcp_stream& stream, http::request<http::string_body> req,
                                       server_request sreq, session_iter it);
  asio::awaitable<error_code> respond(beast::tcp_stream& stream, http_response r, unsigned version, bool keep_alive);
  std::optional<server_request> make_request(const http::request<http::string_body>& req, std::string remote,
                                             std::vector<std::string>& segments);
};

boost::system::result<std::uint16_t> server_impl::start() {
  if (stopped_) return make_error_code(error::stopped);
  if (started_) return make_error_code(error::operation_in_progress);
  error_code ec;
  const auto address = asio::ip::make_address(options_.address, ec);
  if (ec) return ec;
  const tcp::endpoint ep(address, options_.port);
  acceptor_.open(ep.protocol(), ec);
  if (ec) return ec;
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    acceptor_.close(ignored);
    return ec;
  }
  port_ = acceptor_.local_endpoint(ec).port();
  started_ = true;
  // The spawned function object (and its reference) lives as long as the loop.
  asio::co_spawn(ex_, [self = shared_from_this()] { return self->accept_loop(); }, asio::detached);
  return port_;
}

void server_impl::stop() {
  // Always on the strand: co_spawn's cancellation handler (Asio 1.81)
  // forwards the signal through the coroutine's executor and must not
  // outlive the session coroutine.
  asio::dispatch(ex_, [self = shared_from_this()] { self->stop_now(); });
}

void server_impl::stop_now() {
  if (stopped_) return;
  stopped_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  for (auto& s : sessions_) {
    s.signal.emit(asio::cancellation_type::terminal);
    if (s.close) s.close();
  }
}

asio::awaitable<void> server_impl::accept_loop() {
  auto self = shared_from_this();
  while (!stopped_ && acceptor_.is_open()) {
    auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
    if (stopped_) co_return;
    if (ec) {
      if (!acceptor_.is_open()) co_return;
      // e.g. EMFILE: pause instead of spinning.
      asio::steady_timer pause(ex_);
      pause.expires_after(std::chrono::milliseconds(50));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    if (sessions_.size() >= options_.max_connections) {
      if (refusing_ < 64) {
        asio::co_spawn(
            ex_, [self, s = std::move(socket)]() mutable { return self->refuse(std::move(s)); }, asio::detached);
      }
      continue;
    }
    auto it = sessions_.emplace(sessions_.end());
    asio::co_spawn(ex_, [self, s = std::move(socket), it]() mutable { return self->run_session(std::move(s), it); },
                   asio::bind_cancellation_slot(it->signal.slot(),
                                                [self, it](const std::exception_ptr&) { self->sessions_.erase(it); }));
  }
}

asio::awaitable<void> server_impl::refuse(tcp::socket socket) {
  ++refusing_;
  auto self = shared_from_this();
  try {
    beast::tcp_stream stream(std::move(socket));
    stream.expires_after(std::chrono::seconds(1));
    static constexpr std::string_view answer =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    auto [wec, n] = co_await asio::async_write(stream, asio::buffer(answer), use_tuple);
    (void)n;
    if (!wec) {
      error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      // Drain until the client closes (bounded by the timeout) so the
      // answer is not destroyed by a reset.
      std::array<char, 512> sink{};
      for (int i = 0; i < 64; ++i) {
        auto [rec, m] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
        (void)m;
        if (rec) break;
      }
    }
  } catch (...) {
  }
  --refusing_;
}

std::optional<server_request> server_impl::make_request(const http::request<http::string_body>& req,
                                                        std::string remote, std::vector<std::string>& segments) {
  server_request out;
  out.method = std::string(req.method_string());
  out.target = std::string(req.target());
  auto parsed = boost::urls::parse_origin_form(out.target);
  if (!parsed) return std::nullopt;
  out.path = std::string(parsed->encoded_path());
  segments.clear();
  for (auto seg : parsed->segments()) segments.push_back(std::string(seg));
  for (auto p : parsed->params()) out.query_params.emplace_back(std::string(p.key), std::string(p.value));
  out.headers = to_headers(req.base());
  out.remote_address = std::move(remote);
  return out;
}

asio::awaitable<error_code> server_impl::respond(beast::tcp_stream& stream, http_response r, unsigned version,
                                                 bool keep_alive) {
  auto res = to_beast(std::move(r), version, keep_alive, options_.server_name);
  stream.expires_after(options_.request_timeout);
  auto [ec, n] = co_await http::async_write(stream, res, use_tuple);
  (void)n;
  stream.expires_never();
  co_return ec;
}

asio::awaitable<void> server_impl::run_session(tcp::socket socket, session_iter it) {
  beast::tcp_stream stream(std::move(socket));
  it->close = [&stream] { stream.close(); };
  std::string remote;
  {
    error_code ec;
    // Small responses and WebSocket frames must not wait for Nagle +
    // delayed ACK (~40 ms per round trip otherwise).
    stream.socket().set_option(tcp::no_delay(true), ec);
    const auto ep = stream.socket().remote_endpoint(ec);
    if (!ec) remote = ep.address().to_string() + ":" + std::to_string(ep.port());
  }
  beast::flat_buffer buffer;
  try {
    while (!stopped_) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(options_.max_header_bytes, UINT32_MAX)));
      parser.body_limit(options_.max_body_bytes);
      stream.expires_after(options_.idle_timeout);
      auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
      (void)hn;
      if (hec) {
        if (hec == http::error::header_limit) {
          co_await respond(stream, http_response::text(431, "request header fields too large\n"), 11, false);
        } else if (hec == http::error::body_limit) {
          co_await respond(stream, http_response::text(413, "payload too large\n"), 11, false);
        } else if (parser.got_some() && hec != beast::error::timeout && hec != http::error::end_of_stream &&
                   hec != http::error::partial_message && !stopped_ &&
                   hec.category() == http::make_error_code(http::error::bad_version).category()) {
          co_await respond(stream, http_response::text(400, "bad request\n"), 11, false);
        }
        break;
      }
      const auto& header = parser.get();
      const unsigned version = header.version();
      if (const auto len = parser.content_length(); len && *len > options_.max_body_bytes) {
        co_await respond(stream, http_response::text(413, "payload too large\n"), version, false);
        break;
      }
      if (websocket::is_upgrade(header)) {
        auto req = parser.release();
        std::vector<std::string> segments;
        auto sreq = make_request(req, remote, segments);
        if (!sreq) {
          co_await respond(stream, http_response::text(400, "bad request target\n"), version, false);
          break;
        }
        co_await handle_upgrade(stream, std::move(req), std::move(*sreq), it);
        co_return;
      }
      if (iequals(header[http::field::expect], "100-continue")) {
        static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
        stream.expires_after(options_.request_timeout);
        auto [cec, cn] = co_await asio::async_write(stream, asio::buffer(cont), use_tuple);
        (void)cn;
        if (cec) break;
      }
      stream.expires_after(options_.request_timeout);
      auto [bec, bn] = co_await http::async_read(stream, buffer, parser, use_tuple);
      (void)bn;
      if (bec) {
        if (bec == http::error::body_limit) {
          co_await respond(stream, http_response::text(413, "payload too large\n"), version, false);
        }
        break;
      }
      stream.expires_never();
      auto req = parser.release();
      const bool keep_alive = req.keep_alive() && !stopped_;
      std::vector<std::string> segments;
      auto sreq = make_request(req, remote, segments);
      if (!sreq) {
        co_await respond(stream, http_response::text(400, "bad request target\n"), version, false);
        break;
      }
      sreq->body = std::move(req.body());

      const route_entry* found = nullptr;
      std::string allow;
      for (const auto& r : routes_) {
        if (r.kind == route_kind::websocket) continue;
        std::vector<std::pair<std::string, std::string>> params;
        if (!match(r, segments, params)) continue;
        if (r.method != sreq->method) {
          if (allow.find(r.method) == std::string::npos) {
            if (!allow.empty()) allow += ", ";
            allow += r.method;
          }
          continue;
        }
        sreq->path_params = std::move(params);
        found = &r;
        break;
      }
      if (found == nullptr) {
        // A websocket route answers 426 to a plain request.
        bool ws_path = false;
        for (const auto& r : routes_) {
          std::vector<std::pair<std::string, std::string>> params;
          if (r.kind == route_kind::websocket && match(r, segments, params)) ws_path = true;
        }
        http_response res;
        if (!allow.empty()) {
          res = http_response::text(405, "method not allowed\n");
          res.headers.push_back({"Allow", allow});
        } else if (ws_path) {
          res = http_response::text(426, "upgrade required\n");
          res.headers.push_back({"Upgrade", "websocket"});
        } else {
          res = http_response::text(404, "not found\n");
        }
        if (co_await respond(stream, std::move(res), version, keep_alive) || !keep_alive) break;
        continue;
      }
      if (found->kind == route_kind::stream) {
        response_stream_state state{stream, options_.request_timeout, options_.server_name, version};
        response_stream rs(state);
        const stream_handler handler = found->stream;  // routes_ may not change, but keep a copy alive
        bool threw = false;
        try {
          co_await handler(std::move(*sreq), rs);
        } catch (...) {
          threw = true;
        }
        if (!state.started && !state.failed && !stopped_) {
          co_await respond(stream, http_response::text(500, "internal server error\n"), version, false);
        } else if (state.started && !state.failed && !threw && !stopped_) {
          stream.expires_after(options_.request_timeout);
          co_await asio::async_write(stream, http::make_chunk_last(), use_tuple);
        }
        break;
      }
      const http_handler handler = found->plain;
      http_response res;
      try {
        res = co_await handler(std::move(*sreq));
      } catch (...) {
        if (stopped_) break;
        res = http_response::text(500, "internal server error\n");
      }
      if (stopped_) break;
      if (co_await respond(stream, std::move(res), version, keep_alive) || !keep_alive) break;
    }
  } catch (...) {
    // Cancelled by stop(): nothing left to do.
  }
  error_code ignored;
  if (stream.socket().is_open()) {
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
  }
  it->close = nullptr;
}

asio::awaitable<void> server_impl::handle_upgrade(beast::tcp_stream& stream, http::request<http::string_body> req,
                                                  server_request sreq, session_iter it) {
  std::vector<std::string> segments;
  {
    auto parsed = boost::urls::parse_origin_form(sreq.target);
    if (parsed) {
      for (auto seg : parsed->segments()) segments.push_back(std::string(seg));
    }
  }
  const route_entry* found = nullptr;
  for (const auto& r : routes_) {
    if (r.kind != route_kind::websocket) continue;
    std::vector<std::pair<std::string, std::string>> params;
    if (match(r, segments, params)) {
      sreq.path_params = std::move(params);
      found = &r;
      break;
    }
  }
  if (found == nullptr) {
    co_await respond(stream, http_response::text(404, "not found\n"), req.version(), false);
    co_return;
  }

  ws_limits limits;
  limits.max_message_bytes = options_.max_ws_message_bytes;
  limits.max_queued_writes = options_.max_ws_queued_writes;
  limits.handshake_timeout = options_.ws_handshake_timeout;
  limits.idle_timeout = options_.ws_idle_timeout;
  limits.keep_alive_pings = true;
  // Re-point stop() at the channel before the stream is moved into it.
  auto channel = std::make_shared<server_channel>(limits, std::move(stream));
  it->close = [weak = std::weak_ptr<server_channel>(channel)] {
    if (auto c = weak.lock()) c->abort();
  };
  auto state = std::make_shared<server_websocket_state>();
  state->channel = channel;
  state->request = std::move(sreq);
  state->upgrade = std::move(req);
  state->server_name = options_.server_name;
  state->timeout = options_.ws_handshake_timeout;

  const websocket_handler handler = found->websocket;
  server_websocket ws(ex_, state);
  try {
    co_await handler(ws);
  } catch (...) {
  }
  if (stopped_) {
    channel->abort();
    co_return;
  }
  if (!state->accepted && !state->rejected) {
    co_await ws.async_reject(http_response::text(500, "websocket handler neither accepted nor rejected\n"),
                             use_tuple);
  } else if (state->accepted && channel->is_open()) {
    co_await ws.async_close(close_codes::normal, "", use_tuple);
  }
  channel->abort();
}

}  // namespace detail

// ------------------------------------------------------------ public surface

std::optional<std::string_view> server_request::param(std::string_view name) const noexcept {
  for (const auto& [k, v] : path_params) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

std::optional<std::string_view> server_request::query(std::string_view name) const noexcept {
  for (const auto& [k, v] : query_params) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

boost::asio::awaitable<boost::system::error_code> response_stream::start(unsigned status, http_headers headers) {
  auto& st = *state_;
  if (st.started || st.failed) co_return make_error_code(error::bad_request);
  detail::http::response<detail::http::empty_body> res;
  res.version(st.version);
  res.result((status >= 100 && status <= 999) ? status : 500);
  for (const auto& h : headers) {
    if (!detail::is_token(h.name) || !detail::is_header_value(h.value)) continue;
    if (iequals(h.name, "Content-Length") || iequals(h.name, "Transfer-Encoding") || iequals(h.name, "Connection")) {
      continue;
    }
    res.insert(h.name, h.value);
  }
  if (res.find(detail::http::field::server) == res.end() && !st.server_name.empty()) {
    res.set(detail::http::field::server, st.server_name);
  }
  res.keep_alive(false);
  res.chunked(true);
  detail::http::response_serializer<detail::http::empty_body> sr(res);
  st.stream.expires_after(st.timeout);
  auto [ec, n] = co_await detail::http::async_write_header(st.stream, sr, detail::use_tuple);
  (void)n;
  st.stream.expires_never();
  st.started = !ec;
  st.failed = static_cast<bool>(ec);
  co_return detail::map_error(ec);
}

boost::asio::awaitable<boost::system::error_code> response_stream::write(std::string_view data) {
  auto& st = *state_;
  if (!st.started || st.failed) co_return make_error_code(error::not_connected);
  if (data.empty()) co_return boost::system::error_code{};
  st.stream.expires_after(st.timeout);
  auto [ec, n] = co_await boost::asio::async_write(
      st.stream, detail::http::make_chunk(boost::asio::const_buffer(data.data(), data.size())), detail::use_tuple);
  (void)n;
  st.stream.expires_never();
  if (ec) st.failed = true;
  co_return detail::map_error(ec);
}

bool response_stream::is_open() const noexcept { return state_->started && !state_->failed; }

std::string format_sse_event(std::string_view data, std::string_view event, std::string_view id) {
  auto clean = [](std::string_view s) {
    std::string out;
    for (const char c : s) {
      if (c != '\r' && c != '\n') out += c;
    }
    return out;
  };
  std::string out;
  if (!event.empty()) out += "event: " + clean(event) + "\n";
  if (!id.empty()) out += "id: " + clean(id) + "\n";
  std::size_t pos = 0;
  for (;;) {
    const auto nl = data.find('\n', pos);
    std::string_view line = data.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out += "data: ";
    out += line;
    out += '\n';
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  out += '\n';
  return out;
}

server_websocket::server_websocket(executor_type executor, std::shared_ptr<detail::server_websocket_state> state)
    : websocket_connection(std::move(executor), state->channel), state_(std::move(state)) {}

const server_request& server_websocket::request() const noexcept { return state_->request; }

bool server_websocket::accepted() const noexcept { return state_->accepted; }

void server_websocket::initiate_accept(http_headers headers,
                                       boost::asio::any_completion_handler<void(boost::system::error_code)> handler) {
  auto st = state_;
  if (st->accepted || st->rejected || !detail::valid_headers(headers)) {
    detail::post_completion(executor_, std::move(handler), make_error_code(error::bad_request));
    return;
  }
  st->accepted = true;  // no second accept/reject while this one runs
  auto& ws = st->channel->stream();
  ws.set_option(detail::websocket::stream_base::decorator(
      [headers = std::move(headers), name = st->server_name](detail::websocket::response_type& res) {
        if (!name.empty()) res.set(detail::http::field::server, name);
        for (const auto& h : headers) res.set(h.name, h.value);
      }));
  st->channel->use_websocket_timeouts(true);
  ws.async_accept(st->upgrade, [st, h = std::move(handler), ex = executor_](boost::system::error_code ec) mutable {
    if (!ec) {
      st->channel->mark_open();
    } else {
      st->accepted = false;
      st->rejected = true;  // the socket is unusable now
      st->channel->abort();
    }
    detail::dispatch_completion(ex, std::move(h), detail::map_error(ec));
  });
}

void server_websocket::initiate_reject(http_response response,
                                       boost::asio::any_completion_handler<void(boost::system::error_code)> handler) {
  auto st = state_;
  if (st->accepted || st->rejected) {
    detail::post_completion(executor_, std::move(handler), make_error_code(error::bad_request));
    return;
  }
  st->rejected = true;
  auto res = std::make_shared<detail::http::response<detail::http::string_body>>(
      detail::to_beast(std::move(response), st->upgrade.version(), false, st->server_name));
  auto& tcp = st->channel->stream().next_layer();
  tcp.expires_after(st->timeout);
  detail::http::async_write(tcp, *res,
                            [st, res, h = std::move(handler), ex = executor_](boost::system::error_code ec,
                                                                               std::size_t) mutable {
                              boost::system::error_code ignored;
                              auto& sock = st->channel->stream().next_layer().socket();
                              sock.shutdown(detail::tcp::socket::shutdown_send, ignored);
                              st->channel->abort();
                              detail::dispatch_completion(ex, std::move(h), detail::map_error(ec));
                            });
}

http_server::http_server(executor_type executor, server_options options)
    : impl_(std::make_shared<detail::server_impl>(executor, std::move(options))) {}

http_server::~http_server() { impl_->stop(); }

void http_server::route(std::string_view method, std::string_view pattern, http_handler handler) {
  if (!detail::is_token(method)) throw std::invalid_argument("musicbot::net::http_server: invalid method token");
  if (!handler) throw std::invalid_argument("musicbot::net::http_server: empty handler");
  detail::route_entry r;
  r.kind = detail::route_kind::plain;
  r.method = std::string(method);
  r.segments = detail::parse_pattern(pattern);
  r.plain = std::move(handler);
  impl_->routes_.push_back(std::move(r));
}

void http_server::stream_route(std::string_view method, std::string_view pattern, stream_handler handler) {
  if (!detail::is_token(method)) throw std::invalid_argument("musicbot::net::http_server: invalid method token");
  if (!handler) throw std::invalid_argument("musicbot::net::http_server: empty handler");
  detail::route_entry r;
  r.kind = detail::route_kind::stream;
  r.method = std::string(method);
  r.segments = detail::parse_pattern(pattern);
  r.stream = std::move(handler);
  impl_->routes_.push_back(std::move(r));
}

void http_server::websocket_route(std::string_view pattern, websocket_handler handler) {
  if (!handler) throw std::invalid_argument("musicbot::net::http_server: empty handler");
  detail::route_entry r;
  r.kind = detail::route_kind::websocket;
  r.method = "GET";
  r.segments = detail::parse_pattern(pattern);
  r.websocket = std::move(handler);
  impl_->routes_.push_back(std::move(r));
}

boost::system::result<std::uint16_t> http_server::start() { return impl_->start(); }

void http_server::stop() { impl_->stop(); }

std::uint16_t http_server::port() const noexcept { return impl_->port_; }

std::size_t http_server::connection_count() const noexcept { return impl_->sessions_.size(); }

http_server::executor_type http_server::get_executor() const noexcept { return impl_->ex_; }

}  // namespace musicbot::net
