#include "musicbot/discord/gateway.hpp"

#include "detail_logger.hpp"
#include "musicbot/discord/close_codes.hpp"
#include "musicbot/discord/error.hpp"
#include "musicbot/discord/heartbeat.hpp"
#include "musicbot/discord/rest_client.hpp"
#include "musicbot/discord/send_limiter.hpp"
#include "musicbot/discord/zlib_stream.hpp"
#include "musicbot/net/websocket_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <random>

namespace musicbot::discord {

namespace asio = boost::asio;
using boost::system::error_code;
using namespace std::chrono_literals;

std::string_view to_string(shard_state state) noexcept {
  switch (state) {
    case shard_state::idle: return "idle";
    case shard_state::connecting: return "connecting";
    case shard_state::identifying: return "identifying";
    case shard_state::resuming: return "resuming";
    case shard_state::ready: return "ready";
    case shard_state::reconnecting: return "reconnecting";
    case shard_state::stopped: return "stopped";
  }
  return "unknown";
}

namespace {

// How one connection ended.
struct connection_end {
  close_action action = close_action::resume;
  error_code error;
  std::chrono::milliseconds delay{-1};  // -1: use the backoff
};

std::string with_query(std::string url, bool compress) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  const auto q = url.find('?');
  if (q != std::string::npos) url.resize(q);
  url += "/?v=10&encoding=json";
  if (compress) url += "&compress=zlib-stream";
  return url;
}

}  // namespace

struct gateway_shard::impl : std::enable_shared_from_this<impl> {
  impl(asio::any_io_executor ex, gateway_options o, std::shared_ptr<identify_coordinator> c)
      : executor(std::move(ex)),
        options(std::move(o)),
        coordinator(std::move(c)),
        logger(options.logger ? options.logger : detail::default_logger()),
        inflater(options.max_message_size),
        parser(options.max_message_size),
        backoff(options.reconnect_backoff),
        rng(std::random_device{}()),
        backoff_timer(executor) {
    status.shard_id = options.shard_id;
    if (options.resume_from && !options.resume_from->session_id.empty()) session = options.resume_from;
  }

  void set_state(shard_state s, error_code ec = {}) {
    status.state = s;
    if (ec) status.last_error = ec;
    if (on_state) on_state(s, ec);
  }

  // ---- sending ---------------------------------------------------------------

  asio::awaitable<error_code> send_now(std::shared_ptr<net::websocket_client> socket, std::string text,
                                       bool heartbeat) {
    if (!socket || !socket->is_open()) co_return make_error_code(error::not_connected);
    if (text.size() > max_outbound_payload) co_return make_error_code(error::payload_too_large);
    asio::steady_timer timer(executor);
    for (int i = 0; i < 1000; ++i) {
      const auto d = limiter.try_send(heartbeat);
      if (d.allowed) break;
      timer.expires_after(d.retry_after);
      auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return ec;
      if (socket != ws) co_return make_error_code(error::not_connected);
    }
    auto [ec] = co_await socket->async_write(std::move(text), asio::as_tuple(asio::use_awaitable));
    co_return ec;
  }

  asio::awaitable<void> send_heartbeat(bool scheduled) {
    auto ec = co_await send_now(ws, build_heartbeat(last_seq), true);
    if (!ec) hb.on_sent(scheduled);
  }

  asio::awaitable<void> close_socket(std::uint16_t code, const char* reason) {
    auto socket = ws;
    if (!socket || !socket->is_open()) co_return;
    auto [ec] = co_await socket->async_close(code, reason, asio::as_tuple(asio::use_awaitable));
    (void)ec;
  }

  // ---- one connection ------------------------------------------------------------

  asio::awaitable<connection_end> heartbeat_loop() {
    asio::steady_timer timer(executor);
    for (;;) {
      if (!hb.running()) {
        if (std::chrono::steady_clock::now() > hello_deadline) {
          logger->warn("discord shard {}: no HELLO within {} ms", options.shard_id, options.hello_timeout.count());
          co_await close_socket(gateway_close::client_resumable, "no hello");
          co_return connection_end{close_action::resume, make_error_code(error::timeout)};
        }
        timer.expires_after(20ms);
      } else {
        timer.expires_at(hb.next_due());
      }
      auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return connection_end{close_action::resume, ec};
      using action = heartbeat_scheduler<core::steady_clock>::action;
      switch (hb.poll()) {
        case action::wait: break;
        case action::send: co_await send_heartbeat(true); break;
        case action::zombie:
          ++status.zombies;
          logger->warn("discord shard {}: no heartbeat ACK, zombie connection; reconnecting to resume",
                       options.shard_id);
          co_await close_socket(gateway_close::client_resumable, "zombie");
          co_return connection_end{close_action::resume, make_error_code(error::zombie_connection)};
      }
    }
  }

  asio::awaitable<connection_end> read_loop() {
    auto socket = ws;
    for (;;) {
      auto [ec, msg] = co_await socket->async_read(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (ec == net::error::message_too_large) co_return co_await too_large();
        co_return end_from_close(ec);
      }
      std::string_view text = msg.data;
      std::size_t readable = 0;
      const bool compressed = msg.binary && options.compress;
      if (compressed) {
        auto r = inflater.feed(msg.data);
        if (!r) {
          if (r.error() == error::message_too_large) co_return co_await too_large();
          logger->warn("discord shard {}: zlib-stream error: {}; reconnecting to resume", options.shard_id,
                       r.error().message());
          co_await close_socket(gateway_close::client_resumable, "inflate");
          co_return connection_end{close_action::resume, r.error()};
        }
        if (!r->has_value()) continue;
        text = **r;
        readable = text.size() + json_padding;
      }
      if (auto perr = parser.parse_into(text, payload, readable)) {
        ++status.malformed;
        if (compressed) {
          // Discord sends valid JSON; garbage out of the inflater means the
          // stream lost or reordered bytes, and every later message would be
          // garbage too. Resume on a fresh connection (and inflate context).
          logger->warn("discord shard {}: inflated payload is malformed ({} bytes): {}; zlib-stream out of sync, "
                       "reconnecting to resume",
                       options.shard_id, text.size(), perr.message());
          co_await close_socket(gateway_close::client_resumable, "corrupt stream");
          co_return connection_end{close_action::resume, perr};
        }
        logger->warn("discord shard {}: dropped malformed payload ({} bytes): {}", options.shard_id, text.size(),
                     perr.message());
        continue;
      }
      if (payload.s) last_seq = *payload.s;
      if (session && payload.s) session->sequence = *payload.s;

      if (const auto* h = std::get_if<hello_event>(&payload.event)) {
        std::uniform_real_distribution<double> jitter(0.0, 1.0);
        hb.start(h->heartbeat_interval, jitter(rng));
        if (auto end = co_await authenticate()) co_return *end;
        continue;
      }
      if (std::holds_alternative<heartbeat_request>(payload.event)) {
        co_await send_heartbeat(false);
        continue;
      }
      if (std::holds_alternative<heartbeat_ack_event>(payload.event)) {
        hb.on_ack();
        if (auto l = hb.latency()) status.latency = std::chrono::duration_cast<std::chrono::milliseconds>(*l);
        continue;
      }
      if (std::holds_alternative<reconnect_event>(payload.event)) {
        logger->info("discord shard {}: op 7 reconnect requested", options.shard_id);
        co_await close_socket(gateway_close::client_resumable, "reconnect");
        co_return connection_end{close_action::resume, {}, 0ms};
      }
      if (const auto* inv = std::get_if<invalid_session_event>(&payload.event)) {
        co_await close_socket(gateway_close::client_resumable, "invalid session");
        if (inv->resumable && session) {
          logger->info("discord shard {}: op 9 (resumable), resuming", options.shard_id);
          co_return connection_end{close_action::resume, {}, 0ms};
        }
        const auto lo = options.invalid_session_min_wait.count();
        const auto hi = std::max(lo, options.invalid_session_max_wait.count());
        std::uniform_int_distribution<std::chrono::milliseconds::rep> wait(lo, hi);
        const auto delay = std::chrono::milliseconds(wait(rng));
        logger->info("discord shard {}: op 9 (not resumable), identifying again in {} ms", options.shard_id,
                     delay.count());
        co_return connection_end{close_action::reidentify, {}, delay};
      }
      if (payload.op != static_cast<int>(opcode::dispatch)) continue;
      ++status.events;
      if (const auto* ready = std::get_if<ready_event>(&payload.event)) {
        session = shard_session{ready->session_id, ready->resume_gateway_url, payload.s.value_or(0)};
        ++status.identifies;
        oversize_streak = 0;
        status.identify_budget_wait_until.reset();
        backoff.reset();
        set_state(shard_state::ready);
        logger->info("discord shard {}: ready ({} guilds)", options.shard_id, ready->guild_ids.size());
      } else if (std::holds_alternative<resumed_event>(payload.event)) {
        ++status.resumes;
        oversize_streak = 0;
        backoff.reset();
        set_state(shard_state::ready);
        logger->info("discord shard {}: resumed at sequence {}", options.shard_id, last_seq.value_or(0));
      }
      if (on_event) on_event(payload);
    }
  }

  // RESUME or IDENTIFY after HELLO; an ending when the shard must not go on.
  asio::awaitable<std::optional<connection_end>> authenticate() {
    if (session) {
      set_state(shard_state::resuming);
      auto ec = co_await send_now(ws, build_resume(options.token, session->session_id, session->sequence), false);
      if (ec) co_return connection_end{close_action::resume, ec};
      co_return std::nullopt;
    }
    set_state(shard_state::identifying);
    auto [ec] = co_await coordinator->async_acquire(options.shard_id, asio::as_tuple(asio::use_awaitable));
    if (ec == error::identify_budget_exhausted) {
      // Never identify over the budget (Discord resets the token): wait for
      // the reset, visible in status(), then connect and identify again.
      const auto reset_in = coordinator->budget_reset_in();
      ++status.budget_waits;
      co_await close_socket(gateway_close::client_resumable, "identify budget");
      if (reset_in.count() <= 0) {
        logger->error("discord shard {}: daily identify budget exhausted, reset time unknown; retrying with backoff",
                      options.shard_id);
        status.identify_budget_wait_until.reset();
        co_return connection_end{close_action::reidentify, ec};
      }
      const auto spread = std::max<std::chrono::milliseconds::rep>(1, std::min<std::chrono::milliseconds::rep>(
                                                                          1000, reset_in.count() / 10));
      std::uniform_int_distribution<std::chrono::milliseconds::rep> jitter(0, spread);
      const auto wait = reset_in + std::chrono::milliseconds(jitter(rng));
      status.identify_budget_wait_until = std::chrono::steady_clock::now() + wait;
      logger->error("discord shard {}: daily identify budget exhausted; waiting {} ms for it to reset, then "
                    "identifying",
                    options.shard_id, wait.count());
      co_return connection_end{close_action::reidentify, ec, wait};
    }
    if (ec) co_return connection_end{close_action::reidentify, ec};
    identify_options id;
    id.token = options.token;
    id.intents = options.intents;
    id.shard = {options.shard_id, options.shard_count};
    id.initial_presence = options.initial_presence;
    auto sent = co_await send_now(ws, build_identify(id), false);
    if (sent) co_return connection_end{close_action::reidentify, sent};
    co_return std::nullopt;
  }

  // An inbound message over gateway_options::max_message_size: a clear error,
  // then a new connection resuming the session (a transient oversize message,
  // e.g. a huge GUILD_CREATE, is not silently skipped).
  asio::awaitable<connection_end> too_large() {
    ++status.oversized;
    const auto ec = make_error_code(error::message_too_large);
    if (++oversize_streak >= max_oversize_streak) {
      // Every retry costs an IDENTIFY (or replays the same message): stop
      // before the daily budget burns.
      logger->error("discord shard {}: {} gateway messages in a row exceed max_message_size ({} bytes); stopping "
                    "the shard (raise gateway_options::max_message_size)",
                    options.shard_id, oversize_streak, options.max_message_size);
      co_await close_socket(gateway_close::client_resumable, "message too large");
      co_return connection_end{close_action::stop, ec};
    }
    logger->error("discord shard {}: a gateway message exceeds max_message_size ({} bytes); reconnecting to "
                  "resume (raise gateway_options::max_message_size if this repeats)",
                  options.shard_id, options.max_message_size);
    co_await close_socket(gateway_close::client_resumable, "message too large");
    co_return connection_end{close_action::resume, ec};
  }

  connection_end end_from_close(error_code ec) {
    if (stopping) return {close_action::stop, make_error_code(error::shard_stopped)};
    const auto reason = ws ? ws->peer_close_reason() : std::nullopt;
    const std::uint16_t code = reason ? reason->code : 0;
    const auto d = classify_gateway_close(code);
    if (d.action == close_action::stop) {
      logger->error("discord shard {}: gateway closed with {} ({}): {}; not reconnecting", options.shard_id, code,
                    d.name, d.error.message());
      return {close_action::stop, d.error};
    }
    logger->info("discord shard {}: connection closed (code {}, {}): {}", options.shard_id, code, d.name,
                 ec.message());
    return {d.action, ec};
  }

  asio::awaitable<connection_end> run_connection() {
    const bool resuming = session.has_value();
    const std::string base = resuming && !session->resume_gateway_url.empty() ? session->resume_gateway_url
                                                                                : options.gateway_url;
    net::websocket_options wo;
    wo.max_message_bytes = options.max_message_size;
    wo.handshake_timeout = options.connect_timeout;
    wo.idle_timeout = 0ms;  // the heartbeat detects dead connections
    wo.keep_alive_pings = false;
    wo.tls = options.tls;
    auto socket = std::make_shared<net::websocket_client>(executor, wo);
    ws = socket;
    inflater.reset();
    limiter.reset();
    hb.stop();
    hello_deadline = std::chrono::steady_clock::now() + options.connect_timeout + options.hello_timeout;
    set_state(shard_state::connecting);
    auto [ec, hs] = co_await socket->async_connect(with_query(base, options.compress), net::http_headers{},
                                                   asio::as_tuple(asio::use_awaitable));
    if (ec) {
      logger->warn("discord shard {}: connect failed: {}", options.shard_id, ec.message());
      co_return connection_end{resuming ? close_action::resume : close_action::reidentify, ec};
    }
    using namespace asio::experimental::awaitable_operators;
    auto result = co_await (read_loop() || heartbeat_loop());
    hb.stop();
    socket->abort();
    co_return std::visit([](auto&& e) { return e; }, result);
  }

  asio::awaitable<void> run() {
    auto self = shared_from_this();
    bool first = true;
    while (!stopping) {
      if (!first) ++status.reconnects;
      first = false;
      auto end = co_await run_connection();
      ws.reset();
      if (stopping) break;
      if (end.action == close_action::stop) {
        set_state(shard_state::stopped, end.error);
        co_return;
      }
      if (end.action == close_action::reidentify) session.reset();
      if (end.error) status.last_error = end.error;
      const auto delay = end.delay.count() >= 0 ? end.delay : backoff.next();
      set_state(shard_state::reconnecting, end.error);
      backoff_timer.expires_after(delay);
      auto [ec] = co_await backoff_timer.async_wait(asio::as_tuple(asio::use_awaitable));
      (void)ec;
    }
    set_state(shard_state::stopped, make_error_code(error::shard_stopped));
  }

  void start() {
    if (running) return;
    running = true;
    stopping = false;
    std::weak_ptr<impl> weak = weak_from_this();
    asio::co_spawn(executor, run(), asio::bind_cancellation_slot(stop_signal.slot(), [weak](std::exception_ptr) {
                     // The coroutine is gone: nothing may emit into its slot any more.
                     if (auto self = weak.lock()) {
                       self->running = false;
                       self->stop_signal.slot().clear();
                     }
                   }));
  }

  void stop(bool keep_session) {
    if (stopping) return;
    stopping = true;
    backoff_timer.cancel();
    auto self = shared_from_this();
    auto socket = ws;
    if (socket && socket->is_open()) {
      const std::uint16_t code = keep_session ? gateway_close::client_resumable : std::uint16_t{1000};
      if (!keep_session) session.reset();
      socket->async_close(code, "shutdown", [self](error_code) { self->cancel_run(); });
    } else {
      cancel_run();
    }
  }

  void cancel_run() {
    if (running) stop_signal.emit(asio::cancellation_type::terminal);
  }

  asio::any_io_executor executor;
  gateway_options options;
  std::shared_ptr<identify_coordinator> coordinator;
  std::shared_ptr<spdlog::logger> logger;
  event_handler on_event;
  state_handler on_state;
  zlib_stream_inflater inflater;
  gateway_parser parser;
  gateway_payload payload;
  heartbeat_scheduler<core::steady_clock> hb;
  gateway_send_limiter<core::steady_clock> limiter;
  net::backoff backoff;
  std::mt19937_64 rng;
  asio::steady_timer backoff_timer;
  asio::cancellation_signal stop_signal;
  std::shared_ptr<net::websocket_client> ws;
  std::optional<shard_session> session;
  std::optional<std::int64_t> last_seq;
  std::chrono::steady_clock::time_point hello_deadline{};
  shard_status status;
  static constexpr int max_oversize_streak = 3;
  int oversize_streak = 0;  // oversize messages since the last READY/RESUMED
  bool running = false;
  bool stopping = false;
};

gateway_shard::gateway_shard(executor_type executor, gateway_options options,
                             std::shared_ptr<identify_coordinator> coordinator) {
  if (!coordinator) {
    coordinator = std::make_shared<local_identify_coordinator>(executor, session_start_limit{});
  }
  if (options.shard_count == 0 || options.shard_id >= options.shard_count) {
    throw std::invalid_argument("gateway_options: shard_id must be < shard_count");
  }
  impl_ = std::make_shared<impl>(std::move(executor), std::move(options), std::move(coordinator));
}

gateway_shard::~gateway_shard() {
  if (impl_ && impl_->running && !impl_->stopping) {
    impl_->stopping = true;
    impl_->backoff_timer.cancel();
    if (impl_->ws) impl_->ws->abort();
    impl_->cancel_run();
  }
}

void gateway_shard::set_event_handler(event_handler handler) { impl_->on_event = std::move(handler); }
void gateway_shard::set_state_handler(state_handler handler) { impl_->on_state = std::move(handler); }
void gateway_shard::start() { impl_->start(); }
void gateway_shard::stop(bool keep_session) { impl_->stop(keep_session); }
std::uint32_t gateway_shard::id() const noexcept { return impl_->options.shard_id; }
shard_status gateway_shard::status() const { return impl_->status; }
std::optional<shard_session> gateway_shard::session() const { return impl_->session; }

void gateway_shard::initiate_send(std::string payload,
                                  asio::any_completion_handler<void(error_code)> handler) {
  auto self = impl_;
  if (self->stopping) {
    asio::post(self->executor, [h = std::move(handler)]() mutable { std::move(h)(make_error_code(error::shard_stopped)); });
    return;
  }
  if (self->status.state != shard_state::ready) {
    asio::post(self->executor, [h = std::move(handler)]() mutable { std::move(h)(make_error_code(error::not_connected)); });
    return;
  }
  asio::co_spawn(
      self->executor,
      [self, p = std::move(payload)]() mutable -> asio::awaitable<error_code> {
        co_return co_await self->send_now(self->ws, std::move(p), false);
      },
      [h = std::move(handler)](std::exception_ptr e, error_code ec) mutable {
        std::move(h)(e ? make_error_code(error::not_connected) : ec);
      });
}

// ---- shard manager ---------------------------------------------------------------

struct shard_manager::impl : std::enable_shared_from_this<impl> {
  impl(asio::any_io_executor ex, shard_manager_options o, rest_client& r, std::shared_ptr<identify_coordinator> c)
      : executor(std::move(ex)), options(std::move(o)), rest(r), coordinator(std::move(c)),
        logger(options.gateway.logger ? options.gateway.logger : detail::default_logger()) {}

  asio::any_io_executor executor;
  shard_manager_options options;
  rest_client& rest;
  std::shared_ptr<identify_coordinator> coordinator;
  std::shared_ptr<spdlog::logger> logger;
  event_handler on_event;
  std::function<void(std::uint32_t, shard_state, error_code)> on_state;
  voice_state_tracker voice;
  std::vector<std::unique_ptr<gateway_shard>> shards;
  shard_range range;
  std::uint32_t total = 0;
};

shard_manager::shard_manager(executor_type executor, shard_manager_options options, rest_client& rest,
                             std::shared_ptr<identify_coordinator> coordinator)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(options), rest, std::move(coordinator))) {}

shard_manager::~shard_manager() {
  for (auto& s : impl_->shards) s.reset();
}

void shard_manager::set_event_handler(event_handler handler) { impl_->on_event = std::move(handler); }
void shard_manager::set_voice_handler(voice_state_tracker::handler handler) {
  impl_->voice.set_handler(std::move(handler));
}
void shard_manager::set_state_handler(std::function<void(std::uint32_t, shard_state, error_code)> handler) {
  impl_->on_state = std::move(handler);
}

void shard_manager::initiate_start(asio::any_completion_handler<void(error_code)> handler) {
  auto self = impl_;
  rest_client& rest = self->rest;
  rest.async_get_gateway_bot([self, h = std::move(handler)](error_code ec, gateway_bot_info info) mutable {
    if (ec) {
      self->logger->error("discord: GET /gateway/bot failed: {}", ec.message());
      return std::move(h)(ec);
    }
    self->total = self->options.shard_count.value_or(info.shards);
    self->range = self->options.range.value_or(shard_range{0, self->total - 1, self->total});
    if (self->range.total != self->total || self->range.last >= self->total || self->range.first > self->range.last) {
      return std::move(h)(make_error_code(error::invalid_shard));
    }
    if (!self->coordinator) {
      self->coordinator = std::make_shared<local_identify_coordinator>(self->executor, info.limit);
    } else {
      self->coordinator->update(info.limit);
    }
    self->logger->info("discord: starting shards {}..{} of {} (max_concurrency {}, {} identifies left today)",
                       self->range.first, self->range.last, self->total, info.limit.max_concurrency,
                       info.limit.remaining);
    const std::string url = self->options.gateway_url.value_or(info.url);
    for (std::uint32_t id = self->range.first; id <= self->range.last; ++id) {
      gateway_options go = self->options.gateway;
      go.gateway_url = url;
      go.shard_id = id;
      go.shard_count = self->total;
      auto shard = std::make_unique<gateway_shard>(self->executor, std::move(go), self->coordinator);
      std::weak_ptr<impl> weak = self;
      shard->set_event_handler([weak, id](const gateway_payload& p) {
        auto s = weak.lock();
        if (!s) return;
        s->voice.feed(p);
        if (s->on_event) s->on_event(id, p);
      });
      shard->set_state_handler([weak, id](shard_state st, error_code e) {
        auto s = weak.lock();
        if (s && s->on_state) s->on_state(id, st, e);
      });
      self->shards.push_back(std::move(shard));
    }
    for (auto& s : self->shards) s->start();
    std::move(h)(error_code{});
  });
}

void shard_manager::stop(bool keep_sessions) {
  for (auto& s : impl_->shards) s->stop(keep_sessions);
}

gateway_shard* shard_manager::shard_for_guild(snowflake guild_id) noexcept {
  if (impl_->total == 0) return nullptr;
  const auto id = shard_for(guild_id, impl_->total);
  if (!impl_->range.contains(id)) return nullptr;
  return impl_->shards[id - impl_->range.first].get();
}

std::uint32_t shard_manager::shard_count() const noexcept { return impl_->total; }

std::vector<shard_status> shard_manager::status() const {
  std::vector<shard_status> out;
  out.reserve(impl_->shards.size());
  for (const auto& s : impl_->shards) out.push_back(s->status());
  return out;
}

const voice_state_tracker& shard_manager::voice() const noexcept { return impl_->voice; }

void shard_manager::initiate_voice(snowflake guild_id, std::optional<snowflake> channel_id, bool self_mute,
                                   bool self_deaf, asio::any_completion_handler<void(error_code)> handler) {
  gateway_shard* shard = shard_for_guild(guild_id);
  if (shard == nullptr) {
    asio::post(impl_->executor, [h = std::move(handler)]() mutable { std::move(h)(make_error_code(error::invalid_shard)); });
    return;
  }
  shard->async_update_voice_state(guild_id, channel_id, self_mute, self_deaf, std::move(handler));
}

}  // namespace musicbot::discord
