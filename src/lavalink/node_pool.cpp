// Node connection loop (WebSocket session, resume, reconnect) and the node
// pool (placement, client-side player state, failover, voice bridge).
#include <musicbot/lavalink/node.hpp>
#include <musicbot/lavalink/node_pool.hpp>
#include <musicbot/lavalink/node_selection.hpp>
#include <musicbot/lavalink/observer.hpp>
#include <musicbot/net/websocket_client.hpp>

#include "logging.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <unordered_map>

namespace musicbot::lavalink {
namespace asio = boost::asio;
using ec_t = boost::system::error_code;
using clock_type = std::chrono::steady_clock;

std::string_view to_string(node_state state) noexcept {
  switch (state) {
    case node_state::idle: return "idle";
    case node_state::connecting: return "connecting";
    case node_state::connected: return "connected";
    case node_state::reconnecting: return "reconnecting";
    case node_state::down: return "down";
    case node_state::stopped: return "stopped";
  }
  return "unknown";
}

namespace {

rest_options make_rest_options(const node_options& o) {
  rest_options r;
  r.base_url = o.url;
  r.password = o.password;
  r.timeout = o.request_timeout;
  r.logger = o.logger;
  r.observer = o.observer;
  r.node_name = o.name;
  return r;
}

net::websocket_options make_ws_options(const node_options& o) {
  net::websocket_options w;
  w.max_message_bytes = o.max_message_bytes;
  w.handshake_timeout = o.handshake_timeout;
  w.idle_timeout = o.idle_timeout;
  w.keep_alive_pings = o.idle_timeout.count() > 0;
  w.user_agent = o.client_name;
  return w;
}

std::string websocket_url(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.rfind("https://", 0) == 0) {
    url = "wss://" + url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    url = "ws://" + url.substr(7);
  } else {
    throw std::invalid_argument("lavalink node url must start with http:// or https://");
  }
  return url + "/v4/websocket";
}

}  // namespace

namespace detail {

class node_impl : public std::enable_shared_from_this<node_impl> {
 public:
  node_impl(asio::any_io_executor ex, node_options o)
      : executor(ex),
        options(std::move(o)),
        logger(options.logger ? options.logger : default_logger()),
        ws_url(websocket_url(options.url)),
        rest(ex, make_rest_options(options)),
        ws(ex, make_ws_options(options)),
        backoff(options.reconnect),
        timer(ex),
        watchdog_timer(ex) {}

  void set_state(node_state s, bool resumed = false) {
    if (state == s && s != node_state::connected) return;
    const node_state from = state;
    state = s;
    if (options.observer) options.observer->on_node_state(options.name, from, s);
    logger->info("lavalink node {}: {}{}", options.name, to_string(s),
                 s == node_state::connected ? (resumed ? " (session resumed)" : " (new session)") : "");
    if (on_state && owner != nullptr) on_state(*owner, s, resumed);
  }

  void start() {
    if (started) return;
    started = true;
    stopping = false;
    asio::co_spawn(executor, run(shared_from_this()), asio::detached);
    if (options.idle_timeout.count() > 0) asio::co_spawn(executor, watchdog(shared_from_this()), asio::detached);
  }

  // Drops a connection that stays open but delivers no message (Lavalink
  // sends stats every minute), which transport pings alone cannot detect.
  static asio::awaitable<void> watchdog(std::shared_ptr<node_impl> self) {
    const auto period = std::max<std::chrono::milliseconds>(self->options.idle_timeout / 4, std::chrono::milliseconds(5));
    while (!self->stopping) {
      self->watchdog_timer.expires_after(period);
      auto [ec] = co_await self->watchdog_timer.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec || self->stopping) co_return;
      if (self->ws.is_open() && clock_type::now() - self->last_message > self->options.idle_timeout) {
        self->logger->warn("lavalink node {}: no message for {} ms, reconnecting", self->options.name,
                           self->options.idle_timeout.count());
        self->ws.abort();
      }
    }
  }

  void stop() {
    if (stopping) return;
    stopping = true;
    timer.cancel();
    watchdog_timer.cancel();
    if (ws.is_open()) {
      ws.async_close(net::close_codes::normal, "client stopping", asio::detached);
    } else {
      ws.abort();
    }
    if (state != node_state::idle) set_state(node_state::stopped);
  }

  static asio::awaitable<void> run(std::shared_ptr<node_impl> self) { co_await self->loop(); }

  asio::awaitable<void> loop() {
    set_state(node_state::connecting);
    int failures = 0;
    std::optional<clock_type::time_point> lost_at;
    while (!stopping) {
      net::http_headers headers;
      net::set_header(headers, "Authorization", options.password.reveal());
      net::set_header(headers, "User-Id", options.user_id);
      net::set_header(headers, "Client-Name", options.client_name);
      if (options.resume && !session_id.empty()) net::set_header(headers, "Session-Id", session_id);
      auto [ec, hs] = co_await ws.async_connect(ws_url, std::move(headers), asio::as_tuple(asio::use_awaitable));
      if (stopping) break;
      if (ec) {
        ++failures;
        logger->warn("lavalink node {}: connect failed: {}{}", options.name, ec.message(),
                     hs.status != 0 ? fmt::format(" (HTTP {})", hs.status) : std::string());
        const bool window_over = lost_at && clock_type::now() - *lost_at >= options.resume_timeout;
        if (failures >= options.connect_failures_before_down || window_over) set_state(node_state::down);
        co_await wait(backoff.next());
        continue;
      }
      failures = 0;
      last_message = clock_type::now();
      co_await read_messages();
      if (stopping) break;
      const auto reason = ws.peer_close_reason();
      logger->warn("lavalink node {}: socket lost{}", options.name,
                   reason ? fmt::format(" (close {} {})", reason->code, reason->reason) : std::string());
      ++reconnects;
      if (options.observer) options.observer->on_reconnect(options.name);
      if (!lost_at || state == node_state::connected) lost_at = clock_type::now();
      if (state != node_state::down) set_state(node_state::reconnecting);
      co_await wait(backoff.next());
    }
    if (state != node_state::stopped) set_state(node_state::stopped);
  }

  asio::awaitable<void> read_messages() {
    for (;;) {
      auto [ec, msg] = co_await ws.async_read(asio::as_tuple(asio::use_awaitable));
      if (ec || stopping) co_return;
      last_message = clock_type::now();
      auto parsed = parser.parse(msg.data);
      if (!parsed) {
        logger->warn("lavalink node {}: unparsable message ({}), {} bytes", options.name,
                     parsed.error().message(), msg.data.size());
        if (options.observer) options.observer->on_invalid_message(options.name);
        continue;
      }
      if (options.observer) options.observer->on_message(options.name, *parsed);
      if (auto* ready = std::get_if<ready_op>(&*parsed)) {
        const bool had_session = !session_id.empty();
        session_id = ready->session_id;
        backoff.reset();
        if (options.resume) {
          session_update update{true, options.resume_timeout.count()};
          auto [sec, info] =
              co_await rest.async_update_session(session_id, update, asio::as_tuple(asio::use_awaitable));
          if (sec) logger->warn("lavalink node {}: enabling resume failed: {}", options.name, sec.message());
        }
        if (stopping) co_return;
        set_state(node_state::connected, ready->resumed);
        if (had_session && options.observer) options.observer->on_session_restored(options.name, ready->resumed);
      } else if (auto* st = std::get_if<stats_op>(&*parsed)) {
        stats = st->stats;
      }
      if (on_message && owner != nullptr) on_message(*owner, *parsed);
    }
  }

  asio::awaitable<void> wait(std::chrono::milliseconds delay) {
    timer.expires_after(delay);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)ec;
  }

  asio::any_io_executor executor;
  node_options options;
  std::shared_ptr<spdlog::logger> logger;
  std::string ws_url;
  rest_client rest;
  net::websocket_client ws;
  net::backoff backoff;
  asio::steady_timer timer;
  asio::steady_timer watchdog_timer;
  clock_type::time_point last_message = clock_type::now();
  message_parser parser;
  node_state state = node_state::idle;
  std::string session_id;
  std::optional<node_stats> stats;
  node::message_handler on_message;
  node::state_handler on_state;
  node* owner = nullptr;
  bool started = false;
  bool stopping = false;
  std::size_t reconnects = 0;
};

}  // namespace detail

node::node(asio::any_io_executor executor, node_options options)
    : impl_(std::make_shared<detail::node_impl>(std::move(executor), std::move(options))) {
  impl_->owner = this;
}

node::~node() {
  impl_->on_message = nullptr;
  impl_->on_state = nullptr;
  impl_->owner = nullptr;
  impl_->stop();
}

void node::on_message(message_handler handler) { impl_->on_message = std::move(handler); }
void node::on_state(state_handler handler) { impl_->on_state = std::move(handler); }
void node::start() { impl_->start(); }
void node::stop() { impl_->stop(); }
void node::drop_connection() { impl_->ws.abort(); }
const std::string& node::name() const noexcept { return impl_->options.name; }
node_state node::state() const noexcept { return impl_->state; }
const std::string& node::session_id() const noexcept { return impl_->session_id; }
const std::optional<node_stats>& node::stats() const noexcept { return impl_->stats; }
rest_client& node::rest() noexcept { return impl_->rest; }
const node_options& node::options() const noexcept { return impl_->options; }
std::size_t node::reconnects() const noexcept { return impl_->reconnects; }

// --- pool -----------------------------------------------------------------

namespace detail {

// Which update last wrote each part of a player_record, by the pool-wide
// number given to every player PATCH when it is sent (0: nothing written,
// or only seen in a reply). The REST client uses several connections, so
// replies of concurrent updates of one guild can arrive in any order; the
// numbers keep a late reply from undoing what a later-sent update wrote.
struct written_by {
  std::uint64_t node = 0;
  std::uint64_t track = 0;
  std::uint64_t position = 0;  // seeks, track changes, pause/resume (the extrapolation restarts)
  std::uint64_t end_time = 0;
  std::uint64_t paused = 0;
  std::uint64_t volume = 0;
  std::uint64_t filters = 0;
  std::uint64_t voice = 0;
};

// What a reply to a player update stands for (see pool_impl::apply()).
enum class reply_scope {
  partial,  // only the fields its update carried
  created,  // the record is new: the reply describes the whole player
  full,     // the update was a full_update() (move, rebuild): every field
};

// A track whose TrackEndEvent reached the pool before the reply of the
// update that started it (the event and the reply travel on different
// connections). `seen_after` is the number of the last update sent when the
// event arrived: a reply from that node, of an update sent up to then, that
// still shows this track is older than the event, and the track has ended.
struct ended_track {
  std::string node;
  std::string encoded;
  std::uint64_t seen_after = 0;
};

// Updates in flight that create the player of one guild (none of their
// replies has arrived yet, or the record was destroyed meanwhile). Shared
// by the updates, so that destroy() can cancel exactly these and later
// updates start a new player.
struct creation {
  std::string node;              // where the first of them went: the others follow
  std::uint64_t first_seq = 0;   // the record's `born` (see player_record)
  std::size_t in_flight = 0;
  bool cancelled = false;        // destroy() was called while they were in flight
  std::optional<ended_track> ended;  // a TrackEndEvent seen before the record existed
};

struct player_record {
  std::string node;
  written_by stamps;
  // Number of the first update of this player's life. A reply of an update
  // sent before it belongs to a player destroyed since, and is ignored.
  std::uint64_t born = 0;
  std::optional<ended_track> ended;
  std::optional<track> current;
  std::int64_t position_ms = 0;
  clock_type::time_point position_at = clock_type::now();
  std::optional<std::int64_t> end_time_ms;
  bool paused = false;
  std::int64_t volume = 100;
  filters filter_set;
  std::optional<voice_state> voice;
};

class pool_impl : public std::enable_shared_from_this<pool_impl> {
 public:
  pool_impl(asio::any_io_executor ex, pool_options o)
      : executor(std::move(ex)),
        options(std::move(o)),
        logger(options.logger ? options.logger : default_logger()),
        bridge(options.user_id) {}

  // Keeps the per-node player counts (and the observer) in step with the
  // records: every change of a record's node goes through here.
  void assign_node(player_record& rec, const std::string& name) {
    if (rec.node == name) return;
    if (!rec.node.empty()) count_player(rec.node, -1);
    rec.node = name;
    if (!rec.node.empty()) count_player(rec.node, +1);
  }

  void count_player(const std::string& name, int delta) {
    auto& count = players_on[name];
    count = delta > 0 ? count + 1 : (count > 0 ? count - 1 : 0);
    if (options.observer) options.observer->on_node_players(name, count);
  }

  node* find(std::string_view name) {
    for (auto& n : nodes) {
      if (n->name() == name) return n.get();
    }
    return nullptr;
  }

  std::int64_t local_players(const std::string& name) const {
    return static_cast<std::int64_t>(std::count_if(players.begin(), players.end(),
                                                   [&](const auto& kv) { return kv.second.node == name; }));
  }

  node* best(std::optional<std::string_view> region, const node* exclude = nullptr) {
    std::vector<node_candidate> candidates;
    candidates.reserve(nodes.size());
    for (auto& n : nodes) {
      node_candidate c;
      c.name = n->name();
      const auto breaker = n->rest().breaker().state();
      const bool breaker_down = breaker == core::circuit_state::open || breaker == core::circuit_state::forced_open;
      c.available = n->available() && !breaker_down && n.get() != exclude && drained.count(n->name()) == 0;
      c.stats = n->stats();
      c.local_players = local_players(n->name());
      c.regions = n->options().regions;
      candidates.push_back(std::move(c));
    }
    if (!region && options.region) region = *options.region;
    auto index = select_node(candidates, region);
    return index ? nodes[*index].get() : nullptr;
  }

  static std::int64_t position_now(const player_record& r) {
    if (!r.current || r.paused) return r.position_ms;
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - r.position_at).count();
    std::int64_t pos = r.position_ms + elapsed;
    if (!r.current->info.is_stream && r.current->info.length_ms > 0) pos = std::min(pos, r.current->info.length_ms);
    return pos;
  }

  static player_update full_update(const player_record& r) {
    player_update u;
    if (r.voice && r.voice->channel_id) u.voice = r.voice;
    u.volume = r.volume;
    u.paused = r.paused;
    u.filters = r.filter_set;
    if (r.current) {
      track_update t;
      t.encoded = r.current->encoded;
      if (r.current->user_data != "{}") t.user_data = r.current->user_data;
      u.track = std::move(t);
      u.position_ms = position_now(r);
      if (r.end_time_ms) u.end_time_ms = *r.end_time_ms;
    }
    return u;
  }

  // Copies the reply `p` of update `u` (sent as number `seq` to node `from`)
  // into the record. A reply reflects every update the node applied before
  // it, in an order the pool cannot see, so it is trusted only for the
  // fields its own update carried (the rest of the record is newer or as
  // new: other updates and the node's events keep it), and only where no
  // update sent after it has written since. When the record is created by
  // this reply, the fields the update did not carry are taken too, marked 0
  // so that any update's own value still replaces them. A track the node
  // has since reported ended (see ended_track) is not taken back.
  static void apply(player_record& r, const std::string& from, const player_update& u, const player& p,
                    std::uint64_t seq, reply_scope scope) {
    auto take = [&](std::uint64_t& stamp, bool carried) {
      std::uint64_t by = seq;
      if (!carried && scope != reply_scope::full) {
        if (scope == reply_scope::partial) return false;
        by = 0;
      }
      if (stamp > by) return false;
      stamp = by;
      return true;
    };
    // The track it started may have ended before the reply arrived.
    const bool ended_meanwhile = p.track && r.ended && seq <= r.ended->seen_after && r.ended->node == from &&
                                 r.ended->encoded == p.track->encoded;
    const bool took_track = take(r.stamps.track, u.track.has_value());
    if (took_track) r.current = ended_meanwhile ? std::nullopt : p.track;
    if (take(r.stamps.position, u.track || u.position_ms || u.paused)) {
      r.position_ms = u.position_ms ? *u.position_ms : (p.track ? p.state.position_ms : 0);
      r.position_at = clock_type::now();
    }
    if (take(r.stamps.end_time, u.end_time_ms.is_present())) {
      if (u.end_time_ms.has_value()) {
        r.end_time_ms = *u.end_time_ms;
      } else {
        r.end_time_ms.reset();
      }
    }
    if (took_track && ended_meanwhile) {  // as the TrackEndEvent would have left it
      r.position_ms = 0;
      r.end_time_ms.reset();
    }
    if (take(r.stamps.paused, u.paused.has_value())) r.paused = p.paused;
    if (take(r.stamps.volume, u.volume.has_value())) r.volume = p.volume;
    if (take(r.stamps.filters, u.filters.has_value())) r.filter_set = p.filters;
    if (take(r.stamps.voice, u.voice.has_value()) && u.voice) r.voice = u.voice;
  }

  // Puts the record on the node that answered update `seq`, unless an update
  // sent later placed it since.
  void place(player_record& r, const std::string& name, std::uint64_t seq) {
    if (r.stamps.node > seq) return;
    r.stamps.node = seq;
    assign_node(r, name);
  }

  asio::awaitable<std::pair<ec_t, player>> update(std::string guild, player_update u) {
    auto self = shared_from_this();
    auto it = players.find(guild);
    node* target = nullptr;
    bool full_state = false;
    if (it != players.end()) {
      node* current = find(it->second.node);
      // A node that is reconnecting keeps its session (and players) for the
      // resume window: REST calls still reach them.
      const bool usable = current != nullptr && !current->session_id().empty() &&
                          (current->state() == node_state::connected ||
                           current->state() == node_state::reconnecting);
      if (usable) {
        target = current;
      } else {
        // Its node is unavailable: re-create the player elsewhere with the
        // full state, then apply this update on top.
        target = best(std::nullopt);
        if (target != nullptr) {
          player_update full = full_update(it->second);
          merge(full, u);
          u = std::move(full);
          full_state = true;
        }
      }
    } else {
      if (players.size() >= options.max_players) co_return std::pair{make_error_code(error::invalid_value), player{}};
      // The player's creation may already be in flight (a voice update while
      // the first track is being set, or the other way round): send this one
      // to the same node, or the two updates create the player on two nodes.
      if (const auto c = creating.find(guild); c != creating.end()) target = find(c->second->node);
      if (target == nullptr || target->session_id().empty() || target->state() != node_state::connected) {
        target = best(std::nullopt);
      }
    }
    if (target == nullptr) co_return std::pair{make_error_code(error::no_node_available), player{}};
    const std::string node_name = target->name();
    // An update re-creating the player elsewhere carries its full state.
    const reply_scope scope = full_state ? reply_scope::full : reply_scope::partial;
    const std::uint64_t seq = ++sent;
    std::shared_ptr<creation> cohort;  // set when this update may create the player
    if (players.count(guild) == 0) {
      auto& slot = creating[guild];
      if (!slot) slot = std::make_shared<creation>(creation{node_name, seq, 0, false, std::nullopt});
      cohort = slot;
      ++cohort->in_flight;
    }
    auto [ec, p] = co_await target->rest().async_update_player(target->session_id(), guild, u, false,
                                                               asio::as_tuple(asio::use_awaitable));
    if (cohort) {
      if (--cohort->in_flight == 0) {
        if (const auto c = creating.find(guild); c != creating.end() && c->second == cohort) creating.erase(c);
      }
      if (cohort->cancelled) {  // destroyed while being created
        if (!ec && !player_lives_on(guild, node_name)) {
          if (node* n = find(node_name)) n->rest().async_destroy_player(n->session_id(), guild, asio::detached);
        }
        co_return std::pair{make_error_code(asio::error::operation_aborted), player{}};
      }
    }
    if (ec) co_return std::pair{ec, player{}};
    auto it_now = players.find(guild);
    if (it_now == players.end()) {
      // No record and not created by this update: destroyed while it was in flight.
      if (!cohort) co_return std::pair{make_error_code(asio::error::operation_aborted), player{}};
      if (players.size() >= options.max_players) co_return std::pair{make_error_code(error::invalid_value), player{}};
      it_now = players.try_emplace(guild).first;
      it_now->second.born = cohort->first_seq;
      it_now->second.ended = cohort->ended;
      place(it_now->second, node_name, seq);
      apply(it_now->second, node_name, u, p, seq, reply_scope::created);
      co_return std::pair{ec_t{}, std::move(p)};
    }
    auto& rec = it_now->second;
    // Sent before the player was destroyed and created again: it changed the
    // player that is gone, and says nothing of this one.
    if (seq < rec.born) co_return std::pair{make_error_code(asio::error::operation_aborted), player{}};
    place(rec, node_name, seq);
    apply(rec, node_name, u, p, seq, scope);
    co_return std::pair{ec_t{}, std::move(p)};
  }

  static void merge(player_update& base, const player_update& u) {
    if (u.track) base.track = u.track;
    if (u.position_ms) base.position_ms = u.position_ms;
    if (u.end_time_ms.is_present()) base.end_time_ms = u.end_time_ms;
    if (u.volume) base.volume = u.volume;
    if (u.paused) base.paused = u.paused;
    if (u.filters) base.filters = u.filters;
    if (u.voice) base.voice = u.voice;
  }

  asio::awaitable<ec_t> move(std::string guild, node* target, move_reason reason) {
    auto self = shared_from_this();
    auto it = players.find(guild);
    if (it == players.end()) co_return make_error_code(error::player_not_found);
    if (target == nullptr || !target->available()) co_return make_error_code(error::no_node_available);
    const std::string from = it->second.node;
    const std::string to = target->name();
    if (from == to) co_return ec_t{};
    player_update u = full_update(it->second);
    const std::int64_t position = u.position_ms.value_or(0);
    const std::uint64_t seq = ++sent;
    auto [ec, p] = co_await target->rest().async_update_player(target->session_id(), guild, u, false,
                                                               asio::as_tuple(asio::use_awaitable));
    it = players.find(guild);
    // Destroyed (and perhaps created again) while the move was in flight.
    const bool gone = it == players.end() || it->second.born > seq;
    if (ec) {
      if (gone) co_return make_error_code(error::player_not_found);
      logger->warn("lavalink: moving player of guild {} from {} to {} failed: {}", guild, from, to, ec.message());
      if (options.observer) options.observer->on_player_move_failed(from, reason);
      co_return ec;
    }
    if (gone || it->second.stamps.node > seq) {
      // Or put on another node by an update sent after the move: the copy
      // made on `to` belongs to no record, unless that record lives there.
      if (!player_lives_on(guild, to)) {
        if (node* n = find(to)) n->rest().async_destroy_player(n->session_id(), guild, asio::detached);
      }
      if (gone) co_return make_error_code(error::player_not_found);
      co_return make_error_code(asio::error::operation_aborted);
    }
    place(it->second, to, seq);
    apply(it->second, to, u, p, seq, reply_scope::full);
    ++move_count;
    logger->info("lavalink: player of guild {} moved from {} to {} at {} ms", guild, from, to, position);
    if (node* old = find(from); old != nullptr && old->available()) {
      old->rest().async_destroy_player(old->session_id(), guild, asio::detached);
    }
    const player_moved moved{guild, from, to, position, reason};
    if (options.observer) options.observer->on_player_moved(moved);
    if (on_moved) on_moved(moved);
    co_return ec_t{};
  }

  void move_all_from(const std::string& name, move_reason reason) {
    node* source = find(name);
    for (auto& [guild, rec] : players) {
      if (rec.node != name) continue;
      node* target = best(std::nullopt, source);
      if (target == nullptr) {
        logger->error("lavalink: no node available for the player of guild {} (node {} {})", guild, name,
                      reason == move_reason::drain ? "draining" : "down");
        if (options.observer) options.observer->on_player_move_failed(name, reason);
        continue;
      }
      asio::co_spawn(executor, move(guild, target, reason), asio::detached);
    }
  }

  asio::awaitable<void> rebuild(std::string guild, node* n) {
    auto self = shared_from_this();
    auto it = players.find(guild);
    if (it == players.end() || it->second.node != n->name()) co_return;
    player_update u = full_update(it->second);
    const std::uint64_t seq = ++sent;
    auto [ec, p] = co_await n->rest().async_update_player(n->session_id(), guild, u, false,
                                                          asio::as_tuple(asio::use_awaitable));
    it = players.find(guild);
    // Destroyed, created again or moved while the rebuild was in flight.
    if (it == players.end() || it->second.born > seq || it->second.node != n->name()) co_return;
    if (ec) {
      logger->warn("lavalink: rebuilding player of guild {} on {} failed: {}", guild, n->name(), ec.message());
      co_return;
    }
    apply(it->second, n->name(), u, p, seq, reply_scope::full);
    logger->info("lavalink: rebuilt player of guild {} on {}", guild, n->name());
  }

  void handle_state(node& n, node_state state, bool resumed) {
    if (state == node_state::connected && !resumed) {
      for (auto& [guild, rec] : players) {
        if (rec.node == n.name()) asio::co_spawn(executor, rebuild(guild, &n), asio::detached);
      }
    } else if (state == node_state::down) {
      move_all_from(n.name(), move_reason::node_down);
    }
  }

  // Whether the player of `guild` that the pool knows of now, or is
  // creating, is on node `name`: a copy found there is that player.
  bool player_lives_on(const std::string& guild, const std::string& name) const {
    if (const auto r = players.find(guild); r != players.end() && r->second.node == name) return true;
    const auto c = creating.find(guild);
    return c != creating.end() && c->second->node == name;
  }

  player_record* record_on(const node& n, const std::string& guild) {
    auto it = players.find(guild);
    if (it == players.end() || it->second.node != n.name()) return nullptr;
    return &it->second;
  }

  void handle_message(node& n, const message& m) {
    if (const auto* u = std::get_if<player_update_op>(&m)) {
      if (auto* r = record_on(n, u->guild_id)) {
        if (r->current) {
          r->position_ms = u->state.position_ms;
          r->position_at = clock_type::now();
        }
      }
    } else if (const auto* s = std::get_if<track_start_event>(&m)) {
      // A start after an end of the same track is a new play of it.
      auto restarted = [&](std::optional<ended_track>& ended) {
        if (ended && ended->node == n.name() && ended->encoded == s->track.encoded) ended.reset();
      };
      if (auto* r = record_on(n, s->guild_id)) {
        r->current = s->track;
        restarted(r->ended);
      } else if (const auto c = creating.find(s->guild_id); c != creating.end()) {
        restarted(c->second->ended);
      }
    } else if (const auto* e = std::get_if<track_end_event>(&m)) {
      if (e->reason != track_end_reason::replaced) {
        // Remembered too, for a reply still on its way that shows the track.
        ended_track ended{n.name(), e->track.encoded, sent};
        if (auto* r = record_on(n, e->guild_id)) {
          if (r->current && r->current->encoded == e->track.encoded) {
            r->current.reset();
            r->position_ms = 0;
            r->end_time_ms.reset();
          }
          r->ended = std::move(ended);
        } else if (const auto c = creating.find(e->guild_id); c != creating.end() && c->second->node == n.name()) {
          c->second->ended = std::move(ended);
        }
      }
    }
    if (on_event) on_event(n, m);
  }

  void send_voice(const std::string& guild, voice_state voice) {
    player_update u;
    u.voice = std::move(voice);
    auto self = shared_from_this();
    asio::co_spawn(
        executor,
        [self, guild, u]() -> asio::awaitable<void> {
          auto [ec, p] = co_await self->update(guild, u);
          if (ec) self->logger->warn("lavalink: sending voice state of guild {} failed: {}", guild, ec.message());
        },
        asio::detached);
  }

  asio::awaitable<ec_t> destroy(std::string guild) {
    auto self = shared_from_this();
    // Updates still in flight that would create the player are cancelled;
    // updates after this one start a new player.
    if (const auto c = creating.find(guild); c != creating.end()) {
      c->second->cancelled = true;
      creating.erase(c);
    }
    auto it = players.find(guild);
    if (it == players.end()) co_return ec_t{};
    node* n = find(it->second.node);
    assign_node(it->second, std::string());
    players.erase(it);
    if (n == nullptr || !n->available()) co_return ec_t{};
    auto [ec, reply] = co_await n->rest().async_destroy_player(n->session_id(), guild,
                                                               asio::as_tuple(asio::use_awaitable));
    if (ec == error::player_not_found) co_return ec_t{};
    co_return ec;
  }

  asio::any_io_executor executor;
  pool_options options;
  std::shared_ptr<spdlog::logger> logger;
  std::vector<std::unique_ptr<node>> nodes;
  std::set<std::string, std::less<>> drained;
  std::unordered_map<std::string, player_record> players;
  std::unordered_map<std::string, std::size_t> players_on;  // per node name (configured: bounded)
  std::unordered_map<std::string, std::shared_ptr<creation>> creating;  // players being created, by guild
  voice_bridge bridge;
  node_pool::event_handler on_event;
  node_pool::moved_handler on_moved;
  bool started = false;
  std::size_t move_count = 0;
  std::uint64_t sent = 0;  // player PATCHes sent: numbers them (see written_by)
};

}  // namespace detail

node_pool::node_pool(asio::any_io_executor executor, pool_options options)
    : impl_(std::make_shared<detail::pool_impl>(std::move(executor), std::move(options))) {}

node_pool::~node_pool() {
  impl_->on_event = nullptr;
  impl_->on_moved = nullptr;
  for (auto& n : impl_->nodes) {
    n->on_message(nullptr);
    n->on_state(nullptr);
    n->stop();
  }
}

node& node_pool::add_node(node_options options) {
  if (impl_->find(options.name) != nullptr) {
    throw std::invalid_argument("duplicate lavalink node name: " + options.name);
  }
  if (options.user_id.empty()) options.user_id = impl_->options.user_id;
  if (options.client_name.empty() || options.client_name == "musicbot/0.1") {
    options.client_name = impl_->options.client_name;
  }
  if (!options.logger) options.logger = impl_->logger;
  if (!options.observer) options.observer = impl_->options.observer;
  auto n = std::make_unique<node>(impl_->executor, std::move(options));
  std::weak_ptr<detail::pool_impl> weak = impl_;
  n->on_message([weak](node& source, const message& m) {
    if (auto pool = weak.lock()) pool->handle_message(source, m);
  });
  n->on_state([weak](node& source, node_state state, bool resumed) {
    if (auto pool = weak.lock()) pool->handle_state(source, state, resumed);
  });
  node& ref = *n;
  // A node whose breaker opens is treated as down: its players move.
  ref.rest().breaker().set_listener([weak, name = ref.name()](core::circuit_state, core::circuit_state to) {
    if (to != core::circuit_state::open && to != core::circuit_state::forced_open) return;
    auto pool = weak.lock();
    if (!pool) return;
    pool->logger->warn("lavalink node {}: circuit breaker open, moving its players", name);
    asio::post(pool->executor, [weak, name] {
      if (auto p = weak.lock()) p->move_all_from(name, move_reason::node_down);
    });
  });
  impl_->nodes.push_back(std::move(n));
  if (impl_->started) ref.start();
  return ref;
}

node* node_pool::find_node(std::string_view name) noexcept { return impl_->find(name); }

std::vector<node*> node_pool::nodes() {
  std::vector<node*> out;
  for (auto& n : impl_->nodes) out.push_back(n.get());
  return out;
}

node* node_pool::best_node(std::optional<std::string_view> region) { return impl_->best(region); }
void node_pool::on_event(event_handler handler) { impl_->on_event = std::move(handler); }
void node_pool::on_player_moved(moved_handler handler) { impl_->on_moved = std::move(handler); }

void node_pool::start() {
  impl_->started = true;
  for (auto& n : impl_->nodes) n->start();
}

void node_pool::stop() {
  impl_->started = false;
  for (auto& n : impl_->nodes) n->stop();
}

void node_pool::initiate_update(std::string guild_id, player_update update,
                                asio::any_completion_handler<void(ec_t, lavalink::player)> handler) {
  auto self = impl_;
  asio::co_spawn(impl_->executor, self->update(std::move(guild_id), std::move(update)),
                 [h = std::move(handler)](std::exception_ptr e, std::pair<ec_t, lavalink::player> r) mutable {
                   if (e) r.first = make_error_code(boost::system::errc::io_error);
                   std::move(h)(r.first, std::move(r.second));
                 });
}

void node_pool::initiate_destroy(std::string guild_id, asio::any_completion_handler<void(ec_t)> handler) {
  impl_->bridge.forget(guild_id);
  asio::co_spawn(impl_->executor, impl_->destroy(std::move(guild_id)),
                 [h = std::move(handler)](std::exception_ptr e, ec_t ec) mutable {
                   if (e) ec = make_error_code(boost::system::errc::io_error);
                   std::move(h)(ec);
                 });
}

void node_pool::initiate_load(std::string identifier,
                              asio::any_completion_handler<void(ec_t, load_result)> handler) {
  node* n = impl_->best(std::nullopt);
  if (n == nullptr) {
    asio::post(impl_->executor, [h = std::move(handler)]() mutable {
      std::move(h)(make_error_code(error::no_node_available), load_result{});
    });
    return;
  }
  n->rest().async_load_tracks(std::move(identifier), std::move(handler));
}

void node_pool::initiate_move(std::string guild_id, std::string node_name,
                              asio::any_completion_handler<void(ec_t)> handler) {
  node* target = impl_->find(node_name);
  asio::co_spawn(impl_->executor, impl_->move(std::move(guild_id), target, move_reason::rebalance),
                 [h = std::move(handler)](std::exception_ptr e, ec_t ec) mutable {
                   if (e) ec = make_error_code(boost::system::errc::io_error);
                   std::move(h)(ec);
                 });
}

void node_pool::drain(std::string_view node_name) {
  impl_->drained.emplace(node_name);
  impl_->move_all_from(std::string(node_name), move_reason::drain);
}

void node_pool::undrain(std::string_view node_name) {
  auto it = impl_->drained.find(node_name);
  if (it != impl_->drained.end()) impl_->drained.erase(it);
}

void node_pool::on_voice_state(std::string_view guild_id, std::string_view user_id, std::string_view session_id,
                               std::optional<std::string_view> channel_id) {
  auto d = impl_->bridge.on_voice_state(guild_id, user_id, session_id, channel_id);
  if (d.action == voice_action::send) {
    impl_->send_voice(std::string(guild_id), std::move(*d.voice));
  } else if (d.action == voice_action::disconnect) {
    asio::co_spawn(impl_->executor, impl_->destroy(std::string(guild_id)), asio::detached);
  }
}

void node_pool::on_voice_server(std::string_view guild_id, std::string_view token,
                                std::optional<std::string_view> endpoint) {
  auto d = impl_->bridge.on_voice_server(guild_id, token, endpoint);
  if (d.action == voice_action::send) impl_->send_voice(std::string(guild_id), std::move(*d.voice));
}

void node_pool::on_discord_reconnected() { impl_->bridge.invalidate_sent(); }

std::optional<player_snapshot> node_pool::player(std::string_view guild_id) const {
  auto it = impl_->players.find(std::string(guild_id));
  if (it == impl_->players.end()) return std::nullopt;
  const auto& r = it->second;
  return player_snapshot{it->first,  r.node,   r.current,    detail::pool_impl::position_now(r),
                         r.end_time_ms, r.paused, r.volume, r.filter_set, r.voice};
}

std::size_t node_pool::player_count() const noexcept { return impl_->players.size(); }
std::size_t node_pool::moves() const noexcept { return impl_->move_count; }

}  // namespace musicbot::lavalink
