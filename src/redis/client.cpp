// redis::client: connection loop, pipelining, timeouts, breaker, scripts.

// GCC 12 at -O1 and above reports a false "potential null pointer
// dereference" inside Boost.Asio's scheduler (scheduler.ipp,
// compensating_work_started) once its reactor code is inlined here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif
#include "client_impl.hpp"
#include "tracing.hpp"

#include <musicbot/redis/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

namespace musicbot::redis {

namespace asio = boost::asio;
using boost::system::error_code;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace detail {

namespace {

// Completion for internal commands (health-check PING): nothing to do.
class ignore_completion final : public completion {
 public:
  void complete(error_code, reply&&) override {}
};

std::shared_ptr<spdlog::logger> default_logger() {
  if (auto existing = spdlog::get("musicbot.redis")) return existing;
  return spdlog::default_logger()->clone("musicbot.redis");
}

// "*N $name $first <tail>": EVALSHA <sha> / EVAL <source> followed by the
// shared numkeys, keys and args.
void append_script_call(std::string& out, std::string_view name, std::string_view first, const command& tail) {
  out += '*';
  out += std::to_string(tail.size() + 2);
  out += "\r\n$";
  out += std::to_string(name.size());
  out += "\r\n";
  out += name;
  out += "\r\n$";
  out += std::to_string(first.size());
  out += "\r\n";
  out += first;
  out += "\r\n";
  out += tail.encoded_arguments();
}

// Ends the command's span with its outcome, then completes the command.
class traced_completion final : public completion {
 public:
  traced_completion(trace::span span, std::unique_ptr<completion> inner)
      : span_(std::move(span)), inner_(std::move(inner)) {}
  void complete(error_code ec, reply&& r) override {
    end_command_span(span_, ec, r);
    inner_->complete(ec, std::move(r));
  }

 private:
  trace::span span_;
  std::unique_ptr<completion> inner_;
};

// `done` wrapped in a span when tracing applies (see config::tracer).
std::unique_ptr<completion> traced(const config& cfg, std::string_view operation, std::unique_ptr<completion> done) {
  if (!cfg.tracer) return done;
  auto span = start_command_span(cfg, operation);
  if (!span.recording()) return done;
  return std::make_unique<traced_completion>(std::move(span), std::move(done));
}

bool is_network_failure(const error_code& ec) {
  return ec == error::timeout || ec == error::connection_closed || ec == error::not_connected ||
         ec == error::protocol_error || ec == error::reply_too_large;
}

}  // namespace

client_impl::client_impl(asio::any_io_executor ex, config c, std::shared_ptr<spdlog::logger> logger)
    : executor(ex),
      cfg(std::move(c)),
      log(logger ? std::move(logger) : default_logger()),
      resolver_(ex),
      socket_(ex),
      write_signal_(ex),
      watchdog_(ex),
      backoff_timer_(ex),
      health_timer_(ex),
      parser_(cfg.limits),
      rng_(std::random_device{}()),
      breaker_(cfg.breaker) {
  if (cfg.command_timeout.count() <= 0 || cfg.connect_timeout.count() <= 0)
    throw std::invalid_argument("redis::config: timeouts must be positive");
  if (cfg.reconnect_initial_delay.count() <= 0 || cfg.reconnect_max_delay < cfg.reconnect_initial_delay)
    throw std::invalid_argument("redis::config: reconnect delays must be positive and initial <= max");
  if (cfg.max_in_flight == 0) throw std::invalid_argument("redis::config: max_in_flight must be positive");
  read_buffer_.resize(64 * 1024);
  shortest_timeout_ = cfg.command_timeout;
  breaker_.set_listener([this](core::circuit_state from, core::circuit_state to) {
    if (to == core::circuit_state::open) {
      log->warn("redis: circuit breaker {} -> open for {} ms: failing fast", core::to_string(from),
                std::chrono::duration_cast<std::chrono::milliseconds>(cfg.breaker.wait_in_open).count());
    } else if (to == core::circuit_state::closed) {
      log->info("redis: circuit breaker {} -> closed ({} answers again)", core::to_string(from), redacted_url(cfg));
    }
  });
}

client_impl::~client_impl() = default;

void client_impl::start() {
  if (started_ || closed_) return;
  started_ = true;
  asio::co_spawn(executor, [self = shared_from_this()] { return self->run(); }, asio::detached);
}

void client_impl::close() {
  if (closed_) return;
  closed_ = true;
  state = connection_state::closed;
  backoff_timer_.cancel();
  resolver_.cancel();
  drop_connection(error::closed);
  fail_all(error::closed);
  notify_connect_waiters(error::closed);
}

std::chrono::milliseconds client_impl::backoff(int attempt) {
  // Exponential with "equal jitter": uniform in [d/2, d], d capped.
  const auto cap = cfg.reconnect_max_delay.count();
  auto d = cfg.reconnect_initial_delay.count();
  for (int i = 0; i < attempt && d < cap; ++i) d *= 2;
  d = std::min<std::int64_t>(d, cap);
  std::uniform_int_distribution<std::int64_t> dist(d / 2, d);
  return std::chrono::milliseconds(dist(rng_));
}

asio::awaitable<void> client_impl::run() {
  using namespace asio::experimental::awaitable_operators;
  auto self = shared_from_this();
  int attempt = 0;
  while (!closed_) {
    state = connection_state::connecting;
    const error_code ec = co_await connect_once();
    if (closed_) break;
    if (!ec) {
      ++stats.connects;
      attempt = 0;
      state = connection_state::connected;
      connection_lost_ = false;
      last_read_ = clock::now();
      if (outage_logged_ || stats.connects > 1) log->info("redis: connected to {}", redacted_url(cfg));
      outage_logged_ = false;
      notify_connect_waiters({});
      co_await (reader_loop() && writer_loop() && watchdog_loop() && health_loop());
      state = connection_state::disconnected;
      active_.clear();
      // Say why when the stream itself was bad; otherwise it simply closed.
      const bool bad_stream = lost_reason_ == error::reply_too_large || lost_reason_ == error::protocol_error;
      fail_all(closed_      ? error_code(error::closed)
               : bad_stream ? lost_reason_
                            : error_code(error::connection_closed));
      if (closed_) break;
      log->warn("redis: connection to {} lost ({})", redacted_url(cfg), lost_reason_.message());
      outage_logged_ = true;
    } else {
      ++stats.failed_connects;
      state = connection_state::disconnected;
      close_socket();
      notify_connect_waiters(ec);
      if (!outage_logged_ || ec != last_connect_error_)
        log->warn("redis: cannot connect to {}: {}", redacted_url(cfg), ec.message());
      outage_logged_ = true;
      last_connect_error_ = ec;
    }
    backoff_timer_.expires_after(backoff(attempt++));
    co_await backoff_timer_.async_wait(use_tuple);
  }
  state = connection_state::closed;
}

void client_impl::close_socket() {
  error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  tls_.reset();
}

asio::awaitable<error_code> client_impl::connect_once() {
  auto self = shared_from_this();
  close_socket();
  parser_.reset();
  // A connect deadline: on expiry cancel whatever step is in progress.
  auto finished = std::make_shared<bool>(false);
  auto timed_out = std::make_shared<bool>(false);
  asio::steady_timer deadline(executor);
  deadline.expires_after(cfg.connect_timeout);
  deadline.async_wait([self, finished, timed_out](error_code ec) {
    if (ec || *finished) return;
    *timed_out = true;
    self->resolver_.cancel();
    self->close_socket();
  });
  auto outcome = [&](error_code ec) {
    *finished = true;
    deadline.cancel();
    if (*timed_out) return error_code(error::timeout);
    return ec;
  };

  auto [rec, endpoints] = co_await resolver_.async_resolve(cfg.host, std::to_string(cfg.port), use_tuple);
  if (rec || *timed_out) co_return outcome(rec);
  auto [cec, endpoint] = co_await asio::async_connect(socket_, endpoints, use_tuple);
  if (cec || *timed_out) co_return outcome(cec);
  error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  // Synchronous writes (the writer's first attempt) never block; the
  // asynchronous operations do not depend on this mode.
  socket_.non_blocking(true, ignored);

  if (cfg.tls) {
    if (!tls_context_) {
      tls_context_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
      if (cfg.tls_ca_file.empty()) {
        tls_context_->set_default_verify_paths(ignored);
      } else {
        error_code ca_error;
        tls_context_->load_verify_file(cfg.tls_ca_file, ca_error);
        if (ca_error) {
          tls_context_.reset();
          log->error("redis: cannot load TLS CA file {}: {}", cfg.tls_ca_file, ca_error.message());
          co_return outcome(error::tls_failed);
        }
      }
      tls_context_->set_verify_mode(cfg.tls_verify_peer ? asio::ssl::verify_peer : asio::ssl::verify_none);
    }
    tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, *tls_context_);
    // SNI (the SSL_set_tlsext_host_name macro hides a C cast).
    SSL_ctrl(tls_->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(cfg.host.c_str()));
    if (cfg.tls_verify_peer) tls_->set_verify_callback(asio::ssl::host_name_verification(cfg.host));
    auto [hec] = co_await tls_->async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (hec && !*timed_out) log->warn("redis: TLS handshake with {} failed: {}", redacted_url(cfg), hec.message());
    if (hec || *timed_out) co_return outcome(hec ? error_code(error::tls_failed) : hec);
  }
  const error_code hs = co_await handshake_commands();
  co_return outcome(hs);
}

// AUTH, SELECT and (pub/sub) SUBSCRIBE, with their replies read here.
asio::awaitable<error_code> client_impl::handshake_commands() {
  std::string out;
  // One allocation: a reallocation would free a copy of the password unwiped.
  std::size_t size = 128 + cfg.username.size() + cfg.password.size();
  for (const auto& channel : subscriptions_) size += channel.size() + 32;
  out.reserve(size);
  std::vector<error> on_failure;
  if (!cfg.password.empty()) {
    // Encoded straight into `out` (wiped after the write) so that no other
    // buffer keeps a copy of the password.
    const auto bulk = [&out](std::string_view v) {
      out += '$';
      out += std::to_string(v.size());
      out += "\r\n";
      out.append(v);
      out += "\r\n";
    };
    out += cfg.username.empty() ? "*2\r\n" : "*3\r\n";
    bulk("AUTH");
    if (!cfg.username.empty()) bulk(cfg.username);
    bulk(cfg.password.reveal());
    on_failure.push_back(error::auth_failed);
  }
  if (cfg.database != 0) {
    command select{"SELECT"};
    select.arg(cfg.database);
    select.append_to(out);
    on_failure.push_back(error::select_failed);
  }
  if (push_) {
    for (const auto& channel : subscriptions_) command{"SUBSCRIBE", channel}.append_to(out);
  }
  if (out.empty()) co_return error_code{};
  error_code ec;
  co_await write_all(asio::buffer(out), ec);
  std::fill(out.begin(), out.end(), '\0');  // it held the password
  if (ec) co_return ec;

  std::size_t answered = 0;
  const std::size_t expected = on_failure.size();
  error_code result;
  while (answered < expected) {
    const std::size_t n = co_await read_some(asio::buffer(read_buffer_), ec);
    if (ec) co_return ec;
    if (auto fe = parser_.feed(std::string_view(read_buffer_.data(), n))) co_return fe;
    for (;;) {
      auto next = parser_.next();
      if (!next) co_return next.error();
      if (!*next) break;
      reply& r = **next;
      if (push_ && is_push(r)) {
        on_push(r);
        continue;
      }
      if (answered < expected && r.is_error() && !result) {
        // A precise auth error beats the generic step error.
        const auto classified = classify_server_error(r.text());
        result = classified == error::auth_failed ? error_code(error::auth_failed) : error_code(on_failure[answered]);
        log->error("redis: {} failed on {}: {}", on_failure[answered] == error::auth_failed ? "AUTH" : "SELECT",
                   redacted_url(cfg), r.text());
      }
      ++answered;
    }
  }
  co_return result;
}

asio::awaitable<std::size_t> client_impl::read_some(asio::mutable_buffer buf, error_code& ec) {
  if (tls_) {
    auto [e, n] = co_await tls_->async_read_some(buf, use_tuple);
    ec = e;
    co_return n;
  }
  auto [e, n] = co_await socket_.async_read_some(buf, use_tuple);
  ec = e;
  co_return n;
}

asio::awaitable<void> client_impl::write_all(asio::const_buffer buf, error_code& ec) {
  if (tls_) {
    auto [e, n] = co_await asio::async_write(*tls_, buf, use_tuple);
    ec = e;
    co_return;
  }
  auto [e, n] = co_await asio::async_write(socket_, buf, use_tuple);
  ec = e;
}

asio::awaitable<void> client_impl::reader_loop() {
  auto self = shared_from_this();
  while (!connection_lost_) {
    error_code ec;
    const std::size_t n = co_await read_some(asio::buffer(read_buffer_), ec);
    if (connection_lost_) break;
    if (ec) {
      drop_connection(ec == asio::error::eof ? error_code(error::connection_closed) : ec);
      break;
    }
    last_read_ = clock::now();
    if (auto fe = parser_.feed(std::string_view(read_buffer_.data(), n))) {
      log->error("redis: dropping connection: {}", fe.message());
      drop_connection(fe);
      break;
    }
    // Commands that completions issue while this read's replies are handed
    // out leave in one write when they all have run (see write_hold).
    const write_hold hold(*this);
    while (!connection_lost_) {
      auto next = parser_.next();
      if (!next) {
        log->error("redis: dropping connection: {}", next.error().message());
        drop_connection(next.error());
        break;
      }
      if (!*next) break;
      on_reply(std::move(**next), last_read_);
    }
  }
}

asio::awaitable<void> client_impl::writer_loop() {
  auto self = shared_from_this();
  while (!connection_lost_) {
    if (write_buffer_.empty()) {
      writer_waiting_ = true;
      write_signal_.expires_at(clock::time_point::max());
      co_await write_signal_.async_wait(use_tuple);
      writer_waiting_ = false;
      continue;
    }
    writing_.clear();
    writing_.swap(write_buffer_);
    error_code ec;
    std::size_t written = 0;
    if (!tls_) {
      // Plain TCP: write what the socket takes now (usually everything), so
      // the common round trip needs no completion handler for the write;
      // the rest, if any, goes through the asynchronous write.
      written = socket_.write_some(asio::buffer(writing_), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        ec = {};
        written = 0;
      }
    }
    if (!ec && written < writing_.size()) co_await write_all(asio::buffer(writing_) + written, ec);
    if (ec && !connection_lost_) drop_connection(ec);
  }
}

asio::awaitable<void> client_impl::watchdog_loop() {
  auto self = shared_from_this();
  while (!connection_lost_) {
    // A tenth of the shortest timeout in use: a command completes with
    // error::timeout at most 10 % after its deadline.
    const auto tick = std::max(std::chrono::milliseconds(1), shortest_timeout_ / 10);
    watchdog_waiting_ = pending_.empty();
    watchdog_.expires_after(watchdog_waiting_ ? std::chrono::hours(24) : std::chrono::duration_cast<clock::duration>(tick));
    co_await watchdog_.async_wait(use_tuple);
    watchdog_waiting_ = false;
    if (connection_lost_) break;
    const auto now = clock::now();
    // By index: a timed-out command's handler runs inline and may issue
    // commands (push_back invalidates deque iterators) or close the client
    // (pending_ is then emptied).
    for (std::size_t i = 0; i < pending_.size(); ++i) {
      auto& p = pending_[i];
      if (p.done && p.deadline <= now) {
        ++stats.timeouts;
        record(p, false, now);
        finish(p, error::timeout, reply{});
      }
    }
    // Replies come in order: if the oldest command waited longer than both
    // its own timeout and the default one, the server or the path to it is
    // stalled (a blocking command with a long timeout is not a stall).
    if (!pending_.empty() && now - pending_.front().sent > std::max(pending_.front().timeout, cfg.command_timeout)) {
      log->warn("redis: no reply from {} for {} ms; reconnecting", redacted_url(cfg), cfg.command_timeout.count());
      drop_connection(error::timeout);
    }
  }
}

asio::awaitable<void> client_impl::health_loop() {
  auto self = shared_from_this();
  if (cfg.health_check_interval.count() <= 0) {
    health_timer_.expires_at(clock::time_point::max());
    co_await health_timer_.async_wait(use_tuple);
    co_return;
  }
  while (!connection_lost_) {
    health_timer_.expires_after(cfg.health_check_interval);
    co_await health_timer_.async_wait(use_tuple);
    if (connection_lost_) break;
    if (pending_.empty() && clock::now() - last_read_ >= cfg.health_check_interval) {
      enqueue([](std::string& out) { command{"PING"}.append_to(out); }, std::chrono::milliseconds::zero(), {},
              std::make_unique<ignore_completion>(), nullptr, true);
    }
  }
}

void client_impl::wake_writer() {
  if (writer_waiting_) {
    writer_waiting_ = false;
    write_signal_.cancel();
  }
}

void client_impl::hold_writes() noexcept { ++write_hold_; }

void client_impl::release_writes() noexcept {
  if (--write_hold_ > 0 || write_buffer_.empty()) return;
  // The writer is parked (nothing in flight): on plain TCP, write now what
  // the socket takes, from this handler, instead of waking the writer
  // (which costs a handler hop); whatever is left goes to the writer.
  if (writer_waiting_ && !tls_ && !connection_lost_ && state == connection_state::connected) {
    error_code ec;
    const std::size_t written = socket_.write_some(asio::buffer(write_buffer_), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ec = {};
    } else if (ec) {
      drop_connection(ec);
      return;
    } else {
      write_buffer_.erase(0, written);
    }
    if (write_buffer_.empty()) return;
  }
  wake_writer();
}

void client_impl::drop_connection(error_code why) {
  if (connection_lost_) return;
  connection_lost_ = true;
  lost_reason_ = why;
  close_socket();
  write_signal_.cancel();
  watchdog_.cancel();
  health_timer_.cancel();
}

bool client_impl::breaker_allows() const noexcept {
  const auto st = breaker_.state();
  return st != core::circuit_state::open && st != core::circuit_state::forced_open;
}

void client_impl::record(pending& p, bool success, clock::time_point now) {
  if (!p.permit) return;
  const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(now - p.sent);
  if (success) {
    p.permit->success(elapsed);
  } else {
    p.permit->failure(elapsed);
  }
  p.permit.reset();
}

void client_impl::fail_now(std::unique_ptr<completion> done, error_code ec) {
  asio::post(executor, [d = std::move(done), ec]() mutable { d->complete(ec, reply{}); });
}

template <class Encode>
void client_impl::enqueue(Encode&& encode, std::chrono::milliseconds timeout, asio::cancellation_slot slot,
                          std::unique_ptr<completion> done, std::shared_ptr<const script_retry> eval_retry,
                          bool internal) {
  if (closed_) return fail_now(std::move(done), error::closed);
  pending p;
  if (!internal) {
    p.permit.emplace(breaker_.try_acquire());
    if (!p.permit->granted()) {
      ++stats.breaker_rejections;
      return fail_now(std::move(done), error::circuit_open);
    }
  }
  if (state != connection_state::connected || connection_lost_) {
    record(p, false, clock::now());
    return fail_now(std::move(done), error::not_connected);
  }
  if (pending_.size() >= cfg.max_in_flight) return fail_now(std::move(done), error::too_many_in_flight);
  if (!internal) ++stats.commands;
  // Encoded straight into the write buffer (no intermediate string).
  std::forward<Encode>(encode)(write_buffer_);
  const auto now = clock::now();
  p.id = next_id_++;
  p.done = std::move(done);
  p.sent = now;
  p.timeout = timeout.count() > 0 ? timeout : cfg.command_timeout;
  shortest_timeout_ = std::min(shortest_timeout_, p.timeout);
  p.deadline = now + p.timeout;
  p.eval_retry = std::move(eval_retry);
  p.internal = internal;
  if (slot.is_connected()) {
    p.slot = slot;
    slot.emplace<cancel_handler>(weak_from_this(), p.id);
  }
  pending_.push_back(std::move(p));
  // Inside a write hold the command goes out with the others at its end.
  if (write_hold_ == 0) wake_writer();
  if (watchdog_waiting_) {
    watchdog_waiting_ = false;
    watchdog_.cancel();
  }
}

void client_impl::cancel_handler::operator()(asio::cancellation_type type) const {
  if ((type & (asio::cancellation_type::terminal | asio::cancellation_type::partial |
               asio::cancellation_type::total)) == asio::cancellation_type::none)
    return;
  if (auto self = owner.lock()) self->cancel_request(id);
}

void client_impl::cancel_request(std::uint64_t id) {
  for (auto& p : pending_) {
    if (p.id == id) {
      if (p.done) finish(p, asio::error::operation_aborted, reply{});
      return;
    }
  }
}

void client_impl::finish(pending& p, error_code ec, reply&& r) {
  if (p.slot.is_connected()) p.slot.clear();
  auto done = std::move(p.done);
  if (done) done->complete(ec, std::move(r));
}

bool client_impl::is_push(const reply& r) const {
  if (!r.is_array() || r.elements().empty()) return false;
  const auto& kind = r.elements().front().text();
  return kind == "message" || kind == "pmessage" || kind == "subscribe" || kind == "unsubscribe" ||
         kind == "psubscribe" || kind == "punsubscribe";
}

void client_impl::on_push(const reply& r) {
  const auto& e = r.elements();
  const auto& kind = e.front().text();
  if (kind == "subscribe" && e.size() == 3) {
    active_.insert(e[1].text());
  } else if (kind == "unsubscribe" && e.size() == 3) {
    active_.erase(e[1].text());
  } else if (kind == "message" && e.size() == 3) {
    if (push_) push_(kind, e[1].text(), e[2].text());
  } else if (kind == "pmessage" && e.size() == 4) {
    if (push_) push_(kind, e[2].text(), e[3].text());
  }
}

void client_impl::on_reply(reply&& r, clock::time_point received) {
  if (push_ && is_push(r)) return on_push(r);
  if (pending_.empty()) {
    log->error("redis: reply without a pending command; dropping connection");
    drop_connection(error::protocol_error);
    return;
  }
  pending p = std::move(pending_.front());
  pending_.pop_front();
  ++stats.replies;
  record(p, true, received);
  if (p.eval_retry && p.done && r.is_error() && classify_server_error(r.text()) == error::noscript) {
    // The script cache was flushed (restart, failover, SCRIPT FLUSH): send the
    // source once with EVAL, which also caches it again.
    ++stats.script_reloads;
    // One line per burst: after a flush every in-flight call reloads.
    if (clock::now() - last_reload_log_ > std::chrono::seconds(1)) {
      log->debug("redis: script not cached on the server (NOSCRIPT); reloading it with EVAL");
      last_reload_log_ = clock::now();
    }
    auto retry = std::move(p.eval_retry);
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(p.deadline - clock::now());
    enqueue([&retry](std::string& out) { append_script_call(out, "EVAL", retry->code.source(), retry->tail); },
            std::max(left, std::chrono::milliseconds(1)), p.slot, std::move(p.done), nullptr, false);
    return;
  }
  finish(p, {}, std::move(r));
}

void client_impl::fail_all(error_code ec) {
  auto victims = std::move(pending_);
  pending_.clear();
  write_buffer_.clear();
  const auto now = clock::now();
  for (auto& p : victims) {
    if (!p.done) continue;
    if (is_network_failure(ec)) record(p, false, now);
    finish(p, ec, reply{});
  }
}

void client_impl::notify_connect_waiters(error_code ec) {
  auto waiters = std::move(connect_waiters_);
  connect_waiters_.clear();
  for (auto& w : waiters) w->complete(ec, reply{});
}

void client_impl::submit(const command& cmd, std::chrono::milliseconds timeout, asio::cancellation_slot slot,
                         std::unique_ptr<completion> done) {
  if (cfg.tracer) done = traced(cfg, first_argument(cmd.encoded_arguments()), std::move(done));
  enqueue([&cmd](std::string& out) { cmd.append_to(out); }, timeout, slot, std::move(done), nullptr, false);
}

void client_impl::submit_script(const script& s, command tail, std::chrono::milliseconds timeout,
                                asio::cancellation_slot slot, std::unique_ptr<completion> done) {
  if (cfg.tracer) done = traced(cfg, "EVALSHA", std::move(done));
  auto retry = std::make_shared<script_retry>(script_retry{s, std::move(tail)});
  const auto& call = *retry;
  enqueue([&call](std::string& out) { append_script_call(out, "EVALSHA", call.code.sha1(), call.tail); }, timeout,
          slot, std::move(done), std::move(retry), false);
}

void client_impl::submit_connect_waiter(std::unique_ptr<completion> done) {
  if (closed_) return fail_now(std::move(done), error::closed);
  if (state == connection_state::connected && !connection_lost_) {
    return asio::post(executor, [d = std::move(done)]() mutable { d->complete({}, reply{}); });
  }
  connect_waiters_.push_back(std::move(done));
  start();
}

void client_impl::enable_pubsub(push_handler handler) { push_ = std::move(handler); }

void client_impl::subscribe(const std::string& channel) {
  if (!subscriptions_.insert(channel).second) return;
  if (state == connection_state::connected && !connection_lost_) {
    command{"SUBSCRIBE", channel}.append_to(write_buffer_);
    wake_writer();
  }
}

void client_impl::unsubscribe(const std::string& channel) {
  if (subscriptions_.erase(channel) == 0) return;
  if (state == connection_state::connected && !connection_lost_) {
    command{"UNSUBSCRIBE", channel}.append_to(write_buffer_);
    wake_writer();
  }
}

}  // namespace detail

// ---------------------------------------------------------------------------

client::client(executor_type executor, config cfg, std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_shared<detail::client_impl>(std::move(executor), std::move(cfg), std::move(logger))) {}

client::~client() { impl_->close(); }

client::executor_type client::get_executor() const noexcept { return impl_->executor; }
const config& client::configuration() const noexcept { return impl_->cfg; }
void client::start() { impl_->start(); }
void client::close() { impl_->close(); }
connection_state client::state() const noexcept { return impl_->state; }
bool client::healthy() const noexcept {
  return impl_->state == connection_state::connected && impl_->breaker_allows();
}
client_stats client::stats() const noexcept { return impl_->stats; }

void client::submit(const command& cmd, std::chrono::milliseconds timeout, asio::cancellation_slot slot,
                    std::unique_ptr<detail::completion> done) {
  impl_->submit(cmd, timeout, slot, std::move(done));
}

void client::submit_script(const script& s, const std::vector<std::string>& keys,
                           const std::vector<std::string>& args, std::chrono::milliseconds timeout,
                           asio::cancellation_slot slot, std::unique_ptr<detail::completion> done) {
  command tail;
  tail.arg(keys.size());
  for (const auto& k : keys) tail.arg(k);
  for (const auto& a : args) tail.arg(a);
  impl_->submit_script(s, std::move(tail), timeout, slot, std::move(done));
}

void client::submit_script(const script& s, const command& tail, std::chrono::milliseconds timeout,
                           asio::cancellation_slot slot, std::unique_ptr<detail::completion> done) {
  impl_->submit_script(s, tail, timeout, slot, std::move(done));
}

void client::submit_script(const script& s, command&& tail, std::chrono::milliseconds timeout,
                           asio::cancellation_slot slot, std::unique_ptr<detail::completion> done) {
  impl_->submit_script(s, std::move(tail), timeout, slot, std::move(done));
}


void client::submit_connect_waiter(std::unique_ptr<detail::completion> done) {
  impl_->submit_connect_waiter(std::move(done));
}

}  // namespace musicbot::redis
