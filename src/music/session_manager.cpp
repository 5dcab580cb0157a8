// Guild music sessions. Each use case mutates the guild's queue
// synchronously (so concurrent commands never see a half-applied change),
// then awaits the player update and schedules a coalesced persist.
#include <musicbot/music/session_manager.hpp>

#include "event_hub.hpp"
#include "resumable_context.hpp"

#include <musicbot/lavalink/node_pool.hpp>
#include <musicbot/queue/validation.hpp>
#include <musicbot/store/repository.hpp>
#include <musicbot/trace/current.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <deque>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

namespace musicbot::music {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::string guild_key(std::uint64_t guild_id) { return std::to_string(guild_id); }

queue::track from_lavalink(const lavalink::track& t, std::uint64_t requester) {
  queue::track out;
  out.encoded = t.encoded;
  out.identifier = t.info.identifier;
  out.title = t.info.title;
  out.author = t.info.author;
  out.length = std::chrono::milliseconds(t.info.length_ms);
  out.is_stream = t.info.is_stream;
  out.uri = t.info.uri.value_or("");
  out.source = t.info.source_name;
  out.artwork_url = t.info.artwork_url.value_or("");
  out.requester_id = requester;
  out.added_at = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  return out;
}

lavalink::player_update play_update(const queue::track& t, std::chrono::milliseconds position, bool paused, int volume) {
  lavalink::player_update u;
  lavalink::track_update tu;
  tu.encoded = lavalink::omissible<std::string>(t.encoded);
  u.track = std::move(tu);
  if (position.count() > 0) u.position_ms = position.count();
  u.paused = paused;
  u.volume = volume;
  return u;
}

// A client span for one outbound call, tagged the way every component's are.
trace::span outbound(const trace::tracer& tracer, const trace::span_context& parent, std::string_view component,
                     std::string_view operation) {
  auto span = tracer.start_span(std::string(component) + "." + std::string(operation), parent, trace::span_kind::client);
  span.set_attribute("component", component);
  span.set_attribute("operation", operation);
  return span;
}

void finish(trace::span& span, const error_code& ec) {
  span.set_attribute("outcome", ec ? "error" : "ok");
  if (ec) span.set_status(trace::span_status::error, ec.message());
  span.end();
}

trace::span_context current_parent() {
  const auto* ctx = trace::current_context();
  return ctx != nullptr ? *ctx : trace::span_context{};
}

lavalink::player_update stop_update() {
  lavalink::player_update u;
  lavalink::track_update tu;
  tu.encoded = lavalink::omissible<std::string>(nullptr);
  u.track = std::move(tu);
  return u;
}

}  // namespace

namespace detail {

struct guild_session {
  guild_session(std::uint64_t id, const session_options& o, const asio::any_io_executor& ex)
      : guild_id(id), queue(o.limits, id ^ 0x9e3779b97f4a7c15ULL), volume(o.default_volume), idle_timer(ex) {}

  std::uint64_t guild_id;
  queue::music_queue queue;
  bool paused = false;
  int volume;
  bool autoplay = false;
  std::deque<std::string> recent;  // dedup keys of recently played tracks, newest last
  bool persist_in_flight = false;
  bool persist_dirty = false;
  bool idle_armed = false;
  asio::steady_timer idle_timer;
  std::string node;  // Lavalink node the player was last seen on
};

class manager_impl : public std::enable_shared_from_this<manager_impl> {
 public:
  manager_impl(asio::any_io_executor ex, lavalink::node_pool& p, store::database& d, session_options o)
      : executor(std::move(ex)), pool(p), db(d), options(std::move(o)) {
    if (!options.logger) options.logger = spdlog::default_logger();
    if (options.max_sessions == 0) throw std::invalid_argument("session_options: max_sessions must be > 0");
    if (options.default_volume < 0 || options.default_volume > 200) {
      throw std::invalid_argument("session_options: default_volume must be 0-200");
    }
    if (options.idle_disconnect.count() <= 0) throw std::invalid_argument("session_options: idle_disconnect must be > 0");
    if (auto v = queue::validate(options.limits); !v) {
      throw std::invalid_argument("session_options: invalid queue limits: " + v.error().message());
    }
    query.allowed_prefixes = options.search_prefixes;
    query.default_prefix = options.default_search_prefix;
    query.max_length = options.max_query_length;
    events = std::make_shared<event_hub>(options.max_subscribers, options.logger);
  }

  asio::any_io_executor executor;
  lavalink::node_pool& pool;
  store::database& db;
  session_options options;
  queue::query_policy query;
  std::unordered_map<std::uint64_t, std::unique_ptr<guild_session>> sessions;
  session_manager::now_playing_handler now_playing;
  session_manager::idle_handler idle;
  std::shared_ptr<event_hub> events;

  // Runs `start(*this)`, a member coroutine, detached, and keeps this object
  // alive until it ends: the session_manager may be destroyed meanwhile.
  template <class Start>
  void spawn(Start start) {
    asio::co_spawn(
        executor,
        [self = shared_from_this(), start = std::move(start)]() mutable -> asio::awaitable<void> {
          co_await start(*self);
        },
        asio::detached);
  }

  // --- events ------------------------------------------------------------
  void emit(session_event_kind kind, std::uint64_t guild_id, std::chrono::milliseconds position = {}) {
    session_event e;
    e.kind = kind;
    e.guild_id = guild_id;
    e.position = position;
    events->emit(std::move(e));
  }

  void emit_now_playing(std::uint64_t guild_id, const queue::track& t, std::chrono::milliseconds position) {
    session_event e;
    e.kind = session_event_kind::now_playing;
    e.guild_id = guild_id;
    e.track = t;
    e.position = position;
    events->emit(std::move(e));
  }

  // A message about the guild's player came from `node_name`: when that is
  // where the pool has the player now and not where the session saw it
  // last, the player moved (failover, drain or rebalance). Messages a
  // previous node sent late are ignored by the pool check.
  void observe_node(std::uint64_t guild_id, const std::string& node_name) {
    auto* s = find(guild_id);
    if (s == nullptr || s->node == node_name) return;
    const auto snap = pool.player(guild_key(guild_id));
    if (!snap || snap->node != node_name) return;
    const bool moved = !s->node.empty();
    s->node = node_name;
    if (!moved) return;
    options.logger->info("music: guild {} player moved to node {}", guild_id, node_name);
    session_event e;
    e.kind = session_event_kind::player_moved;
    e.guild_id = guild_id;
    e.node = node_name;
    e.position = std::chrono::milliseconds(snap->position_ms);
    events->emit(std::move(e));
  }

  void on_node_message(const lavalink::node& n, const lavalink::message& m) {
    if (const auto* update = std::get_if<lavalink::player_update_op>(&m)) {
      const auto guild_id = parse_guild(update->guild_id);
      if (!guild_id || find(*guild_id) == nullptr) return;
      observe_node(*guild_id, n.name());
      if (find(*guild_id) != nullptr) {
        emit(session_event_kind::position, *guild_id, std::chrono::milliseconds(update->state.position_ms));
      }
    } else if (const auto* start = std::get_if<lavalink::track_start_event>(&m)) {
      if (const auto guild_id = parse_guild(start->guild_id)) observe_node(*guild_id, n.name());
    } else if (const auto* end = std::get_if<lavalink::track_end_event>(&m)) {
      if (const auto guild_id = parse_guild(end->guild_id)) {
        spawn([guild_id = *guild_id, next = end->may_start_next()](manager_impl& self) {
          return self.on_track_end(guild_id, next);
        });
      }
    }
  }

  static std::optional<std::uint64_t> parse_guild(const std::string& text) {
    std::uint64_t value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || ptr != end || text.empty()) return std::nullopt;
    return value;
  }

  template <class Handler, class... Args>
  void complete(Handler h, Args&&... args) {
    auto ex = asio::get_associated_executor(h, executor);
    asio::dispatch(ex, [h = std::move(h), ... a = std::forward<Args>(args)]() mutable { std::move(h)(std::move(a)...); });
  }

  guild_session* find(std::uint64_t guild_id) {
    const auto it = sessions.find(guild_id);
    return it == sessions.end() ? nullptr : it->second.get();
  }

  guild_session* get_or_create(std::uint64_t guild_id) {
    if (auto* s = find(guild_id)) return s;
    if (sessions.size() >= options.max_sessions) return nullptr;
    auto [it, _] = sessions.emplace(guild_id, std::make_unique<guild_session>(guild_id, options, executor));
    return it->second.get();
  }

  // --- persistence: coalesced, the last state always lands -------------
  void persist(guild_session& s, const trace::span_context& parent = {}) {
    if (s.persist_in_flight) {
      s.persist_dirty = true;
      return;
    }
    s.persist_in_flight = true;
    s.persist_dirty = false;
    auto state = s.queue.state(current_position(s));
    const auto guild_id = s.guild_id;
    auto span = std::make_shared<trace::span>(outbound(options.tracer, parent, "store", "replace_queue"));
    db.async_replace_queue(guild_id, std::move(state),
                           [self = shared_from_this(), guild_id, span, parent](error_code ec, std::uint64_t /*version*/) {
                             const resumable_context traced(parent);  // the command's trace id on these lines
                             finish(*span, ec);
                             auto* again = self->find(guild_id);
                             if (ec) self->options.logger->warn("music: persisting guild {} failed: {}", guild_id, ec.message());
                             if (again == nullptr) return;
                             again->persist_in_flight = false;
                             if (again->persist_dirty) self->persist(*again);
                           });
  }

  std::chrono::milliseconds current_position(const guild_session& s) const {
    if (auto snap = pool.player(guild_key(s.guild_id)); snap && snap->track) {
      return std::chrono::milliseconds(snap->position_ms);
    }
    return std::chrono::milliseconds(0);
  }

  // --- idle handling ---------------------------------------------------
  void touch(guild_session& s) {
    const bool idle_now = s.queue.current() == nullptr || s.paused;
    if (!idle_now) {
      if (s.idle_armed) {
        s.idle_armed = false;
        s.idle_timer.cancel();
      }
      return;
    }
    if (s.idle_armed) return;
    s.idle_armed = true;
    s.idle_timer.expires_after(options.idle_disconnect);
    const auto guild_id = s.guild_id;
    s.idle_timer.async_wait([self = shared_from_this(), guild_id](error_code ec) {
      if (ec) return;
      auto* session = self->find(guild_id);
      if (session == nullptr || !session->idle_armed) return;
      self->options.logger->info("music: guild {} idle, leaving", guild_id);
      self->spawn([guild_id](manager_impl& m) { return m.leave(guild_id); });
      if (self->idle) self->idle(guild_id);
    });
  }

  // --- playback ----------------------------------------------------------
  asio::awaitable<error_code> start_current(guild_session& s, std::chrono::milliseconds position = {},
                                            trace::span_context parent = {}) {
    const auto guild_id = s.guild_id;
    const auto* current = s.queue.current();
    if (current == nullptr) co_return error_code{};
    const auto t = *current;
    remember(s, t);
    resumable_context traced(parent);
    auto span = outbound(options.tracer, parent, "lavalink", "update_player");
    auto [ec, player] = co_await traced.await(
        pool.async_update_player(guild_key(guild_id), play_update(t, position, s.paused, s.volume), use_tuple));
    (void)player;
    finish(span, ec);
    if (ec) {
      options.logger->warn("music: starting a track in guild {} failed: {}", guild_id, ec.message());
      co_return ec;
    }
    if (const auto snap = pool.player(guild_key(guild_id))) observe_node(guild_id, snap->node);
    options.logger->debug("music: guild {} now playing \"{}\"", guild_id, t.title);
    emit_now_playing(guild_id, t, position);
    if (now_playing) now_playing(guild_id, t);
    co_return error_code{};
  }

  void remember(guild_session& s, const queue::track& t) {
    s.recent.push_back(t.dedup_key());
    while (s.recent.size() > options.autoplay_history) s.recent.pop_front();
  }

  // Autoplay: search around the last track's author and queue the first
  // result not among the recent tracks.
  asio::awaitable<bool> autoplay_next(guild_session& s, const queue::track& last, trace::span_context parent = {}) {
    const auto guild_id = s.guild_id;
    resumable_context traced(parent);
    std::string seed = last.author.empty() ? last.title : last.author;
    if (seed.empty()) co_return false;
    auto cleaned = queue::clean_search_query(seed, query);
    if (!cleaned) co_return false;
    auto [ec, result] = co_await traced.await(pool.async_load_tracks(*cleaned, use_tuple));
    auto* again = find(guild_id);
    if (ec || again == nullptr) co_return false;
    const auto* list = std::get_if<std::vector<lavalink::track>>(&result.data);
    if (list == nullptr) co_return false;
    for (const auto& candidate : *list) {
      auto t = from_lavalink(candidate, 0);
      if (std::find(again->recent.begin(), again->recent.end(), t.dedup_key()) != again->recent.end()) continue;
      if (!again->queue.play_or_add(std::move(t))) co_return false;
      co_return true;
    }
    co_return false;
  }

  asio::awaitable<void> on_track_end(std::uint64_t guild_id, bool may_start_next) {
    auto* s = find(guild_id);
    if (s == nullptr || !may_start_next) co_return;
    const auto ended = s->queue.current() ? std::optional<queue::track>(*s->queue.current()) : std::nullopt;
    const auto* next = s->queue.advance();
    if (next == nullptr && s->autoplay && ended) {
      if (co_await autoplay_next(*s, *ended)) {
        s = find(guild_id);
        if (s == nullptr) co_return;
      }
    }
    if (s->queue.current() != nullptr) (void)co_await start_current(*s);
    if ((s = find(guild_id)) == nullptr) co_return;
    if (s->queue.current() == nullptr) emit(session_event_kind::stopped, guild_id);
    emit(session_event_kind::queue_changed, guild_id);
    persist(*s);
    touch(*s);
  }

  asio::awaitable<void> leave(std::uint64_t guild_id, trace::span_context parent = {}) {
    resumable_context traced(parent);
    auto* s = find(guild_id);
    if (s == nullptr) co_return;
    s->idle_timer.cancel();
    s->queue.stop();
    auto state = s->queue.state();
    sessions.erase(guild_id);  // memory is bounded: the store keeps the queue
    emit(session_event_kind::session_ended, guild_id);
    auto [store_ec, version] = co_await traced.await(db.async_replace_queue(guild_id, std::move(state), use_tuple));
    (void)version;
    if (store_ec) options.logger->warn("music: persisting guild {} on leave failed: {}", guild_id, store_ec.message());
    auto [destroy_ec] = co_await traced.await(pool.async_destroy_player(guild_key(guild_id), use_tuple));
    if (destroy_ec) options.logger->debug("music: destroying the player of guild {}: {}", guild_id, destroy_ec.message());
  }
};

}  // namespace detail

session_manager::session_manager(asio::any_io_executor executor, lavalink::node_pool& pool, store::database& db,
                                 session_options options)
    : impl_(std::make_shared<detail::manager_impl>(std::move(executor), pool, db, std::move(options))) {
  std::weak_ptr<detail::manager_impl> weak = impl_;
  pool.on_event([weak](const lavalink::node& n, const lavalink::message& m) {
    if (auto impl = weak.lock()) impl->on_node_message(n, m);
  });
}

session_manager::~session_manager() {
  for (auto& [_, s] : impl_->sessions) s->idle_timer.cancel();
  // Operations still in flight finish on their own (they keep the state
  // they use alive) but no longer call back into the owner's code.
  impl_->now_playing = nullptr;
  impl_->idle = nullptr;
}

void session_manager::on_now_playing(now_playing_handler handler) { impl_->now_playing = std::move(handler); }
void session_manager::on_idle(idle_handler handler) { impl_->idle = std::move(handler); }

session_manager::subscription session_manager::subscribe(event_handler handler) {
  return impl_->events->subscribe(std::move(handler));
}

std::size_t session_manager::subscriber_count() const noexcept { return impl_->events->size(); }

void session_manager::do_play(std::uint64_t guild_id, std::uint64_t user_id, std::string query_text,
                              value_handler<play_outcome> h) {
  auto impl = impl_;
  const auto caller = current_parent();
  auto play_span = std::make_shared<trace::span>(impl->options.tracer.start_span("music.play", caller));
  // Spans hang off music.play; with tracing off, log lines still carry the caller's context.
  const auto ctx = play_span->context().valid() ? play_span->context() : caller;
  asio::co_spawn(
      impl->executor,
      [impl, guild_id, user_id, query_text = std::move(query_text), h = std::move(h), play_span,
       ctx]() mutable -> asio::awaitable<void> {
        detail::resumable_context traced(ctx);
        auto parsed = queue::parse_play_input(query_text, impl->query);
        play_span->set_attribute("validated", static_cast<bool>(parsed));
        if (!parsed) {
          finish(*play_span, error::invalid_query);
          impl->complete(std::move(h), error_code(error::invalid_query), play_outcome{});
          co_return;
        }
        if (impl->find(guild_id) == nullptr && impl->sessions.size() >= impl->options.max_sessions) {
          impl->complete(std::move(h), error_code(error::too_many_sessions), play_outcome{});
          co_return;
        }
        auto load_span = outbound(impl->options.tracer, ctx, "lavalink", "load_tracks");
        auto [ec, result] = co_await traced.await(impl->pool.async_load_tracks(parsed->identifier, use_tuple));
        finish(load_span, ec);
        if (ec) {
          impl->options.logger->info("music: guild {} loading a query failed: {}", guild_id, ec.message());
          finish(*play_span, ec);
          impl->complete(std::move(h), ec, play_outcome{});
          co_return;
        }
        play_outcome out;
        std::vector<queue::track> tracks;
        if (const auto* one = std::get_if<lavalink::track>(&result.data)) {
          tracks.push_back(from_lavalink(*one, user_id));
        } else if (const auto* list = std::get_if<std::vector<lavalink::track>>(&result.data); list && !list->empty()) {
          tracks.push_back(from_lavalink(list->front(), user_id));  // a search plays its best match
        } else if (const auto* pl = std::get_if<lavalink::playlist>(&result.data)) {
          out.playlist_name = pl->info.name;
          for (const auto& t : pl->tracks) tracks.push_back(from_lavalink(t, user_id));
        } else if (std::holds_alternative<lavalink::exception_info>(result.data)) {
          impl->complete(std::move(h), error_code(error::load_failed), play_outcome{});
          co_return;
        }
        if (tracks.empty()) {
          impl->complete(std::move(h), error_code(error::no_results), play_outcome{});
          co_return;
        }
        auto* s = impl->get_or_create(guild_id);
        if (s == nullptr) {
          impl->complete(std::move(h), error_code(error::too_many_sessions), play_outcome{});
          co_return;
        }
        const bool was_idle = s->queue.current() == nullptr;
        out.position = s->queue.size();
        if (was_idle) {
          auto first = tracks.front();
          if (auto r = s->queue.play_or_add(std::move(first)); !r) {
            impl->complete(std::move(h), error_code(error::queue_full), play_outcome{});
            co_return;
          }
          std::vector<queue::track> rest(tracks.begin() + 1, tracks.end());
          if (!rest.empty() && !s->queue.add_all(std::move(rest))) tracks.resize(1);  // the rest did not fit
          out.started = true;
        } else if (auto r = s->queue.add_all(tracks); !r) {
          impl->complete(std::move(h), error_code(error::queue_full), play_outcome{});
          co_return;
        }
        out.added = std::move(tracks);
        if (out.started) {
          if (auto start_ec = co_await traced.await(impl->start_current(*s, {}, ctx)); start_ec) {
            s = impl->find(guild_id);
            if (s != nullptr) {
              s->queue.stop();
              impl->emit(session_event_kind::queue_changed, guild_id);
              impl->persist(*s);
            }
            impl->complete(std::move(h), error_code(error::player_unavailable), play_outcome{});
            co_return;
          }
        }
        if ((s = impl->find(guild_id)) != nullptr) {
          impl->emit(session_event_kind::queue_changed, guild_id);
          impl->persist(*s, ctx);
          impl->touch(*s);
        }
        impl->options.logger->debug("music: guild {} queued {} track(s) at position {}", guild_id, out.added.size(),
                                    out.position);
        play_span->set_attribute("tracks_added", out.added.size());
        finish(*play_span, {});
        impl->complete(std::move(h), error_code{}, std::move(out));
      },
      asio::detached);
}

namespace {

// Runs `body(session)` for an existing session; body returns a coroutine
// yielding the error to report. No session means nothing is playing.
// `body(session, traced)` runs under the caller's trace context and awaits
// through `traced` (see resumable_context.hpp).
template <class Body>
void run_void(const std::shared_ptr<detail::manager_impl>& impl, std::uint64_t guild_id,
              asio::any_completion_handler<void(error_code)> h, Body body) {
  asio::co_spawn(
      impl->executor,
      [impl, guild_id, h = std::move(h), body = std::move(body),
       ctx = current_parent()]() mutable -> asio::awaitable<void> {
        detail::resumable_context traced(ctx);
        auto* s = impl->find(guild_id);
        if (s == nullptr) {
          impl->complete(std::move(h), error_code(error::nothing_playing));
          co_return;
        }
        const error_code ec = co_await body(*s, traced);
        if ((s = impl->find(guild_id)) != nullptr && !ec) {
          impl->persist(*s, ctx);
          impl->touch(*s);
        }
        impl->complete(std::move(h), ec);
      },
      asio::detached);
}

}  // namespace

void session_manager::do_pause(std::uint64_t guild_id, bool paused, void_handler h) {
  auto impl = impl_;
  run_void(impl, guild_id, std::move(h), [impl, guild_id, paused](detail::guild_session& s,
                                                  detail::resumable_context& traced) -> asio::awaitable<error_code> {
    if (s.queue.current() == nullptr) co_return error::nothing_playing;
    s.paused = paused;
    lavalink::player_update u;
    u.paused = paused;
    auto [ec, p] = co_await traced.await(impl->pool.async_update_player(guild_key(guild_id), std::move(u), use_tuple));
    if (!ec && impl->find(guild_id) != nullptr) {
      impl->emit(paused ? session_event_kind::paused : session_event_kind::resumed, guild_id,
                 std::chrono::milliseconds(p.state.position_ms));
    }
    co_return ec;
  });
}

void session_manager::do_skip(std::uint64_t guild_id, value_handler<std::optional<queue::track>> h) {
  auto impl = impl_;
  asio::co_spawn(
      impl->executor,
      [impl, guild_id, h = std::move(h), ctx = current_parent()]() mutable -> asio::awaitable<void> {
        detail::resumable_context traced(ctx);
        auto* s = impl->find(guild_id);
        if (s == nullptr || s->queue.current() == nullptr) {
          impl->complete(std::move(h), error_code(error::nothing_playing), std::optional<queue::track>{});
          co_return;
        }
        const auto ended = *s->queue.current();
        auto next = s->queue.skip();
        if (next && *next == nullptr && s->autoplay) (void)co_await traced.await(impl->autoplay_next(*s, ended, ctx));
        if ((s = impl->find(guild_id)) == nullptr) co_return;
        error_code ec;
        std::optional<queue::track> now;
        if (s->queue.current() != nullptr) {
          now = *s->queue.current();
          ec = co_await traced.await(impl->start_current(*s, {}, ctx));
        } else {
          auto [stop_ec, p] =
              co_await traced.await(impl->pool.async_update_player(guild_key(guild_id), stop_update(), use_tuple));
          (void)p;
          ec = stop_ec;
          if (impl->find(guild_id) != nullptr) impl->emit(session_event_kind::stopped, guild_id);
        }
        if ((s = impl->find(guild_id)) != nullptr) {
          impl->emit(session_event_kind::queue_changed, guild_id);
          impl->persist(*s, ctx);
          impl->touch(*s);
        }
        impl->complete(std::move(h), ec, std::move(now));
      },
      asio::detached);
}

void session_manager::do_stop(std::uint64_t guild_id, void_handler h) {
  auto impl = impl_;
  run_void(impl, guild_id, std::move(h), [impl, guild_id](detail::guild_session& s,
                                                  detail::resumable_context& traced) -> asio::awaitable<error_code> {
    if (s.queue.current() == nullptr) co_return error::nothing_playing;
    s.queue.stop();
    impl->emit(session_event_kind::stopped, guild_id);
    auto [ec, p] = co_await traced.await(impl->pool.async_update_player(guild_key(guild_id), stop_update(), use_tuple));
    (void)p;
    co_return ec;
  });
}

void session_manager::do_seek(std::uint64_t guild_id, std::chrono::milliseconds position, void_handler h) {
  auto impl = impl_;
  run_void(impl, guild_id, std::move(h), [impl, guild_id, position](detail::guild_session& s,
                                                  detail::resumable_context& traced) -> asio::awaitable<error_code> {
    const auto* current = s.queue.current();
    if (current == nullptr) co_return error::nothing_playing;
    if (current->is_stream) co_return error::not_seekable;
    if (position.count() < 0 || position > current->length) co_return error::out_of_range;
    lavalink::player_update u;
    u.position_ms = position.count();
    auto [ec, p] = co_await traced.await(impl->pool.async_update_player(guild_key(guild_id), std::move(u), use_tuple));
    (void)p;
    if (!ec && impl->find(guild_id) != nullptr) impl->emit(session_event_kind::position, guild_id, position);
    co_return ec;
  });
}

void session_manager::do_volume(std::uint64_t guild_id, int volume, void_handler h) {
  auto impl = impl_;
  run_void(impl, guild_id, std::move(h), [impl, guild_id, volume](detail::guild_session& s,
                                                  detail::resumable_context& traced) -> asio::awaitable<error_code> {
    if (volume < 0 || volume > 200) co_return error::invalid_value;
    s.volume = volume;
    if (s.queue.current() == nullptr) co_return error_code{};
    lavalink::player_update u;
    u.volume = volume;
    auto [ec, p] = co_await traced.await(impl->pool.async_update_player(guild_key(guild_id), std::move(u), use_tuple));
    (void)p;
    co_return ec;
  });
}

void session_manager::do_loop(std::uint64_t guild_id, queue::loop_mode mode, void_handler h) {
  auto impl = impl_;
  run_void(impl, guild_id, std::move(h), [impl, mode](detail::guild_session& s,
                                                  detail::resumable_context& /*traced*/) -> asio::awaitable<error_code> {
    s.queue.set_loop(mode);
    if (mode != queue::loop_mode::off) s.autoplay = false;  // the later choice wins (guild_settings rules)
    impl->emit(session_event_kind::queue_changed, s.guild_id);
    co_return error_code{};
  });
}

void session_manager::do_autoplay(std::uint64_t guild_id, bool on, void_handler h) {
  run_void(impl_, guild_id, std::move(h), [on](detail::guild_session& s,
                                                  detail::resumable_context& /*traced*/) -> asio::awaitable<error_code> {
    if (on && s.queue.loop() != queue::loop_mode::off) co_return error::invalid_value;
    s.autoplay = on;
    co_return error_code{};
  });
}

void session_manager::do_shuffle(std::uint64_t guild_id, void_handler h) {
  auto impl = impl_;
  run_void(impl, guild_id, std::move(h), [impl](detail::guild_session& s,
                                                  detail::resumable_context& /*traced*/) -> asio::awaitable<error_code> {
    s.queue.shuffle();
    impl->emit(session_event_kind::queue_changed, s.guild_id);
    co_return error_code{};
  });
}

void session_manager::do_remove(std::uint64_t guild_id, std::size_t position, value_handler<queue::track> h) {
  auto impl = impl_;
  auto* s = impl->find(guild_id);
  if (s == nullptr) return impl->complete(std::move(h), error_code(error::nothing_playing), queue::track{});
  auto removed = s->queue.remove(position);
  if (!removed) return impl->complete(std::move(h), error_code(error::out_of_range), queue::track{});
  impl->emit(session_event_kind::queue_changed, guild_id);
  impl->persist(*s);
  impl->complete(std::move(h), error_code{}, std::move(*removed));
}

void session_manager::do_move(std::uint64_t guild_id, std::size_t from, std::size_t to, void_handler h) {
  auto impl = impl_;
  run_void(impl, guild_id, std::move(h), [impl, from, to](detail::guild_session& s,
                                                  detail::resumable_context& /*traced*/) -> asio::awaitable<error_code> {
    if (!s.queue.move(from, to)) co_return error::out_of_range;
    impl->emit(session_event_kind::queue_changed, s.guild_id);
    co_return error_code{};
  });
}

void session_manager::do_clear(std::uint64_t guild_id, value_handler<std::size_t> h) {
  auto* s = impl_->find(guild_id);
  if (s == nullptr) return impl_->complete(std::move(h), error_code(error::nothing_playing), std::size_t{0});
  const auto n = s->queue.clear();
  impl_->emit(session_event_kind::queue_changed, guild_id);
  impl_->persist(*s);
  impl_->complete(std::move(h), error_code{}, n);
}

void session_manager::do_leave(std::uint64_t guild_id, void_handler h) {
  auto impl = impl_;
  asio::co_spawn(
      impl->executor,
      [impl, guild_id, h = std::move(h), ctx = current_parent()]() mutable -> asio::awaitable<void> {
        detail::resumable_context traced(ctx);
        co_await traced.await(impl->leave(guild_id, ctx));
        impl->complete(std::move(h), error_code{});
      },
      asio::detached);
}

void session_manager::do_restore(value_handler<std::size_t> h) {
  auto impl = impl_;
  asio::co_spawn(
      impl->executor,
      [impl, h = std::move(h), ctx = current_parent()]() mutable -> asio::awaitable<void> {
        detail::resumable_context traced(ctx);
        auto [ec, guilds] = co_await traced.await(impl->db.async_list_queues(use_tuple));
        if (ec) {
          impl->complete(std::move(h), ec, std::size_t{0});
          co_return;
        }
        std::size_t restored = 0;
        for (const auto guild_id : guilds) {
          auto [load_ec, stored] = co_await traced.await(impl->db.async_load_queue(guild_id, use_tuple));
          if (load_ec || !stored || (!stored->state.current && stored->state.upcoming.empty())) continue;
          auto* s = impl->get_or_create(guild_id);
          if (s == nullptr) break;  // the session cap: the rest stay in the store
          const auto position = stored->state.position;
          if (!s->queue.restore(std::move(stored->state))) continue;
          ++restored;
          if (s->queue.current() != nullptr) (void)co_await traced.await(impl->start_current(*s, position, ctx));
          if ((s = impl->find(guild_id)) != nullptr) {
            impl->emit(session_event_kind::queue_changed, guild_id);
            impl->touch(*s);
          }
        }
        impl->complete(std::move(h), error_code{}, restored);
      },
      asio::detached);
}

void session_manager::do_persist_all(void_handler h) {
  auto impl = impl_;
  asio::co_spawn(
      impl->executor,
      [impl, h = std::move(h), ctx = current_parent()]() mutable -> asio::awaitable<void> {
        detail::resumable_context traced(ctx);
        error_code first;
        std::vector<std::uint64_t> ids;
        for (const auto& [id, _] : impl->sessions) ids.push_back(id);
        for (const auto id : ids) {
          auto* s = impl->find(id);
          if (s == nullptr) continue;
          auto [ec, version] =
              co_await traced.await(impl->db.async_replace_queue(id, s->queue.state(impl->current_position(*s)), use_tuple));
          (void)version;
          if (ec && !first) first = ec;
        }
        impl->complete(std::move(h), first);
      },
      asio::detached);
}

std::optional<session_view> session_manager::view(std::uint64_t guild_id) const {
  const auto* s = impl_->find(guild_id);
  if (s == nullptr) return std::nullopt;
  session_view v;
  v.guild_id = guild_id;
  if (const auto* c = s->queue.current()) v.current = *c;
  v.position = impl_->current_position(*s);
  v.paused = s->paused;
  v.volume = s->volume;
  v.loop = s->queue.loop();
  v.autoplay = s->autoplay;
  v.queued = s->queue.size();
  v.remaining = s->queue.remaining_duration(v.position);
  if (auto snap = impl_->pool.player(guild_key(guild_id))) v.node = snap->node;
  return v;
}

std::optional<queue::queue_page> session_manager::page(std::uint64_t guild_id, std::size_t page_index,
                                                       std::size_t page_size) const {
  const auto* s = impl_->find(guild_id);
  if (s == nullptr) return std::nullopt;
  auto p = s->queue.page(page_index, page_size);
  if (!p) return std::nullopt;
  return std::move(*p);
}

std::size_t session_manager::session_count() const noexcept { return impl_->sessions.size(); }

std::size_t session_manager::playing_count() const noexcept {
  std::size_t n = 0;
  for (const auto& [_, s] : impl_->sessions) n += s->queue.current() != nullptr ? 1U : 0U;
  return n;
}

}  // namespace musicbot::music
