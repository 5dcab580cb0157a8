// The fake Lavalink v4 node (see fake_lavalink.hpp).
#include <musicbot/testing/fake_lavalink.hpp>

#include <musicbot/lavalink/json.hpp>
#include <musicbot/lavalink/track_codec.hpp>
#include <musicbot/net/http_server.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <unordered_map>

namespace musicbot::testing {
namespace asio = boost::asio;
namespace ll = musicbot::lavalink;
namespace json = boost::json;
using clock_type = std::chrono::steady_clock;

namespace {

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view reason_phrase(unsigned status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

net::http_response error_response(unsigned status, std::string_view message, std::string_view path) {
  ll::rest_error e;
  e.timestamp = unix_ms();
  e.status = status;
  e.error = std::string(reason_phrase(status));
  e.message = std::string(message);
  e.path = std::string(path);
  return net::http_response::json(status, json::serialize(ll::to_json(e)));
}

std::optional<ll::track> track_from_encoded(std::string_view encoded) {
  auto d = ll::decode_track(encoded);
  if (!d) return std::nullopt;
  ll::track t;
  t.encoded = std::string(encoded);
  t.info.identifier = d->identifier;
  t.info.is_seekable = !d->is_stream;
  t.info.author = d->author;
  t.info.length_ms = d->length_ms;
  t.info.is_stream = d->is_stream;
  t.info.position_ms = d->position_ms;
  t.info.title = d->title;
  t.info.uri = d->uri;
  t.info.artwork_url = d->artwork_url;
  t.info.isrc = d->isrc;
  t.info.source_name = d->source_name;
  return t;
}

struct fake_player {
  std::string guild_id;
  std::optional<ll::track> current;
  double position_ms = 0;
  std::optional<std::int64_t> end_time_ms;
  bool paused = false;
  std::int64_t volume = 100;
  ll::filters filters;
  std::optional<ll::voice_state> voice;
};

struct fake_session {
  std::string id;
  bool resuming = false;
  std::int64_t timeout_s = 60;
  std::optional<net::server_websocket> socket;
  std::optional<clock_type::time_point> disconnected_at;
  std::deque<std::string> queued;
  std::map<std::string, fake_player> players;
  clock_type::time_point last_player_update = clock_type::now();
};

}  // namespace

namespace detail {

class fake_lavalink_impl : public std::enable_shared_from_this<fake_lavalink_impl> {
 public:
  fake_lavalink_impl(asio::any_io_executor ex, fake_lavalink_options o)
      : executor(std::move(ex)), options(std::move(o)), ticker(executor), rng(std::random_device{}()) {
    logger = options.logger;
    if (!logger) {
      logger = spdlog::get("musicbot.fake_lavalink");
      if (!logger) {
        logger = std::make_shared<spdlog::logger>("musicbot.fake_lavalink", spdlog::default_logger()->sinks().begin(),
                                                  spdlog::default_logger()->sinks().end());
      }
    }
  }

  // --- lifecycle ---------------------------------------------------------

  boost::system::result<std::uint16_t> start() {
    if (server) return server->port();
    net::server_options so;
    so.address = options.address;
    so.port = options.port;
    so.server_name = "fake-lavalink";
    so.max_body_bytes = 4u * 1024u * 1024u;
    server = std::make_unique<net::http_server>(executor, so);
    std::weak_ptr<fake_lavalink_impl> weak = shared_from_this();
    server->websocket_route("/v4/websocket", [weak](net::server_websocket ws) -> asio::awaitable<void> {
      if (auto self = weak.lock()) co_await self->on_websocket(std::move(ws));
    });
    auto add = [&](std::string_view method, std::string_view pattern, rest_fn fn) {
      server->route(method, pattern, [weak, fn](net::server_request req) -> asio::awaitable<net::http_response> {
        auto self = weak.lock();
        if (!self) co_return net::http_response::text(503, "stopped");
        co_return co_await self->guarded(std::move(req), fn);
      });
    };
    add("GET", "/v4/loadtracks", &fake_lavalink_impl::load_tracks);
    add("GET", "/v4/decodetrack", &fake_lavalink_impl::decode_track);
    add("POST", "/v4/decodetracks", &fake_lavalink_impl::decode_tracks);
    add("GET", "/v4/sessions/{session}/players", &fake_lavalink_impl::get_players);
    add("GET", "/v4/sessions/{session}/players/{guild}", &fake_lavalink_impl::get_player);
    add("PATCH", "/v4/sessions/{session}/players/{guild}", &fake_lavalink_impl::update_player);
    add("DELETE", "/v4/sessions/{session}/players/{guild}", &fake_lavalink_impl::destroy_player);
    add("PATCH", "/v4/sessions/{session}", &fake_lavalink_impl::update_session);
    add("GET", "/v4/info", &fake_lavalink_impl::info);
    add("GET", "/version", &fake_lavalink_impl::version);
    add("GET", "/v4/stats", &fake_lavalink_impl::stats_route);
    add("GET", "/v4/routeplanner/status", &fake_lavalink_impl::no_content);
    add("POST", "/v4/routeplanner/free/address", &fake_lavalink_impl::no_content);
    add("POST", "/v4/routeplanner/free/all", &fake_lavalink_impl::no_content);
    auto port = server->start();
    if (!port) {
      server.reset();
      return port.error();
    }
    running = true;
    last_tick = clock_type::now();
    last_stats = last_tick;
    asio::co_spawn(executor, tick_loop(shared_from_this()), asio::detached);
    logger->info("fake lavalink listening on {}:{}", options.address, *port);
    return *port;
  }

  void stop() {
    running = false;
    ticker.cancel();
    for (auto& [id, s] : sessions) {
      if (s.socket) s.socket->abort();
    }
    sessions.clear();
    if (server) server->stop();
  }

  // --- websocket ---------------------------------------------------------

  asio::awaitable<void> on_websocket(net::server_websocket ws) {
    auto self = shared_from_this();
    const auto& req = ws.request();
    last_headers.clear();
    for (const auto& h : req.headers) {
      last_headers.emplace_back(h.name, net::iequals(h.name, "Authorization") ? std::string("***") : h.value);
    }
    auto reject = [&](unsigned status, std::string_view message) {
      return ws.async_reject(error_response(status, message, "/v4/websocket"), asio::as_tuple(asio::use_awaitable));
    };
    if (refuse) {
      co_await reject(503, "refusing connections (fault injection)");
      co_return;
    }
    const auto auth = req.header("Authorization");
    if (!auth || *auth != options.password.reveal()) {
      co_await reject(401, "Authorization header missing or wrong");
      co_return;
    }
    const auto user = req.header("User-Id");
    if (!user || user->empty()) {
      co_await reject(400, "User-Id header missing");
      co_return;
    }
    std::string sid;
    bool resumed = false;
    if (auto wanted = req.header("Session-Id")) {
      auto it = sessions.find(std::string(*wanted));
      if (it != sessions.end() && it->second.resuming && !it->second.socket) {
        sid = it->first;
        resumed = true;
      }
    }
    if (!resumed) {
      sid = new_session_id();
      sessions[sid].id = sid;
    }
    net::http_headers headers;
    net::set_header(headers, "Session-Resumed", resumed ? "true" : "false");
    net::set_header(headers, "Lavalink-Api-Version", "4");
    auto [ec] = co_await ws.async_accept(std::move(headers), asio::as_tuple(asio::use_awaitable));
    auto it = sessions.find(sid);
    if (ec || it == sessions.end()) {
      if (!resumed && it != sessions.end()) sessions.erase(it);
      co_return;
    }
    fake_session& s = it->second;
    s.socket = ws;
    s.disconnected_at.reset();
    write(s, json::serialize(json::object{{"op", "ready"}, {"resumed", resumed}, {"sessionId", sid}}));
    if (resumed) {
      ++resume_count;
      while (!s.queued.empty()) {
        write(s, std::move(s.queued.front()));
        s.queued.pop_front();
      }
    }
    write(s, stats_message());
    logger->info("fake lavalink: client connected, session {} ({})", sid, resumed ? "resumed" : "new");

    for (;;) {
      auto [rec, msg] = co_await ws.async_read(asio::as_tuple(asio::use_awaitable));
      if (rec) break;
    }
    it = sessions.find(sid);
    if (it == sessions.end()) co_return;
    it->second.socket.reset();
    if (it->second.resuming && running) {
      it->second.disconnected_at = clock_type::now();
      logger->info("fake lavalink: session {} disconnected, resumable for {} s", sid, it->second.timeout_s);
    } else {
      sessions.erase(it);
      logger->info("fake lavalink: session {} closed", sid);
    }
  }

  std::string new_session_id() {
    static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::uniform_int_distribution<std::size_t> pick(0, sizeof(alphabet) - 2);
    std::string id;
    for (int i = 0; i < 16; ++i) id.push_back(alphabet[pick(rng)]);
    return id;
  }

  // Sends to the session's socket, or queues while it awaits a resume.
  void write(fake_session& s, std::string text) {
    if (silent) return;
    if (s.socket && s.socket->is_open()) {
      s.socket->async_write(std::move(text), asio::detached);
    } else if (s.resuming) {  // disconnected (or being dropped): keep for the resume
      if (s.queued.size() >= options.max_queued_events) s.queued.pop_front();
      s.queued.push_back(std::move(text));
    }
  }

  void write_event(fake_session& s, const ll::message& m) { write(s, json::serialize(ll::to_json(m))); }

  // --- playback ----------------------------------------------------------

  static asio::awaitable<void> tick_loop(std::shared_ptr<fake_lavalink_impl> self) {
    while (self->running) {
      self->ticker.expires_after(self->options.tick);
      auto [ec] = co_await self->ticker.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec || !self->running) co_return;
      self->tick();
    }
  }

  void tick() {
    const auto now = clock_type::now();
    const double dt_ms = std::chrono::duration<double, std::milli>(now - last_tick).count() * options.time_scale;
    last_tick = now;
    for (auto it = sessions.begin(); it != sessions.end();) {
      fake_session& s = it->second;
      if (s.disconnected_at && now - *s.disconnected_at >= std::chrono::seconds(s.timeout_s)) {
        logger->info("fake lavalink: session {} expired with {} players", s.id, s.players.size());
        it = sessions.erase(it);
        continue;
      }
      for (auto& [guild, p] : s.players) advance(s, p, dt_ms);
      if (now - s.last_player_update >= options.player_update_interval) {
        s.last_player_update = now;
        for (auto& [guild, p] : s.players) write_event(s, ll::player_update_op{guild, state_of(p)});
      }
      ++it;
    }
    if (now - last_stats >= options.stats_interval) {
      last_stats = now;
      const std::string msg = stats_message();
      for (auto& [id, s] : sessions) {
        if (s.socket) write(s, msg);
      }
    }
  }

  void advance(fake_session& s, fake_player& p, double dt_ms) {
    if (!p.current || p.paused) return;
    p.position_ms += dt_ms;
    const auto pos = static_cast<std::int64_t>(p.position_ms);
    const bool at_end_time = p.end_time_ms && pos >= *p.end_time_ms;
    const bool at_length = !p.current->info.is_stream && pos >= p.current->info.length_ms;
    if (at_end_time || at_length) {
      ll::track ended = *p.current;
      p.current.reset();
      p.position_ms = 0;
      p.end_time_ms.reset();
      write_event(s, ll::track_end_event{p.guild_id, std::move(ended), ll::track_end_reason::finished, "finished"});
    }
  }

  static ll::player_state state_of(const fake_player& p) {
    return ll::player_state{unix_ms(), static_cast<std::int64_t>(p.position_ms), p.voice.has_value(),
                            p.voice ? 0 : -1};
  }

  static ll::player to_player(const fake_player& p) {
    ll::player out;
    out.guild_id = p.guild_id;
    if (p.current) {
      out.track = *p.current;
      out.track->info.position_ms = static_cast<std::int64_t>(p.position_ms);
    }
    out.volume = p.volume;
    out.paused = p.paused;
    out.state = state_of(p);
    if (p.voice) out.voice = *p.voice;
    out.filters = p.filters;
    return out;
  }

  ll::node_stats current_stats() const {
    ll::node_stats st = scripted_stats.value_or(ll::node_stats{});
    std::int64_t players = 0;
    std::int64_t playing = 0;
    for (const auto& [id, s] : sessions) {
      for (const auto& [g, p] : s.players) {
        ++players;
        if (p.current && !p.paused) ++playing;
      }
    }
    st.players = std::max(st.players, players);
    st.playing_players = std::max(st.playing_players, playing);
    if (!scripted_stats) {
      st.uptime_ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - started_at).count();
      st.cpu.cores = 4;
      st.memory = ll::memory_stats{512 << 20, 256 << 20, 768 << 20, 1024 << 20};
    }
    return st;
  }

  std::string stats_message() const { return json::serialize(ll::to_json(ll::message{ll::stats_op{current_stats()}})); }

  // --- REST --------------------------------------------------------------

  using rest_fn = net::http_response (fake_lavalink_impl::*)(const net::server_request&);

  asio::awaitable<net::http_response> guarded(net::server_request req, rest_fn fn) {
    auto self = shared_from_this();
    if (rest_delay.count() > 0) {
      asio::steady_timer timer(executor, rest_delay);
      auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      (void)ec;
    }
    const auto auth = req.header("Authorization");
    if (!auth || *auth != options.password.reveal()) {
      co_return error_response(401, "Authorization header missing or wrong", req.path);
    }
    if (fail_count > 0) {
      if (fail_count != static_cast<std::size_t>(-1)) --fail_count;
      co_return error_response(fail_status, "injected failure", req.path);
    }
    net::http_response response = (this->*fn)(req);
    // Applied above, answered only now: see delay_rest_reply_once().
    const auto armed = std::find_if(reply_delays.begin(), reply_delays.end(), [&](const reply_delay& d) {
      return req.path.find(d.path_part) != std::string::npos && req.body.find(d.body_part) != std::string::npos;
    });
    if (armed != reply_delays.end()) {
      asio::steady_timer timer(executor, armed->delay);
      reply_delays.erase(armed);
      auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      (void)ec;
    }
    co_return response;
  }

  fake_session* session_of(const net::server_request& req) {
    auto id = req.param("session");
    if (!id) return nullptr;
    auto it = sessions.find(std::string(*id));
    return it == sessions.end() ? nullptr : &it->second;
  }

  std::string load_body(std::string_view identifier) const {
    auto scripted_it = scripted.find(std::string(identifier));
    if (scripted_it != scripted.end()) return scripted_it->second;
    ll::load_result r;
    const auto colon = identifier.find(':');
    const bool search = colon != std::string_view::npos && colon >= 6 &&
                        identifier.substr(colon - 6, 6) == "search";
    if (identifier == "playlist:all") {
      ll::playlist pl;
      pl.info.name = "Fake catalog";
      pl.tracks = catalog;
      r.type = ll::load_type::playlist;
      r.data = std::move(pl);
    } else if (search) {
      const std::string query = lower(identifier.substr(colon + 1));
      std::vector<ll::track> found;
      for (const auto& t : catalog) {
        if (lower(t.info.title).find(query) != std::string::npos ||
            lower(t.info.author).find(query) != std::string::npos) {
          found.push_back(t);
        }
      }
      if (found.empty()) {
        r.type = ll::load_type::empty;
      } else {
        r.type = ll::load_type::search;
        r.data = std::move(found);
      }
    } else {
      r.type = ll::load_type::empty;
      for (const auto& t : catalog) {
        if (t.info.identifier == identifier || (t.info.uri && *t.info.uri == identifier) || t.encoded == identifier) {
          r.type = ll::load_type::track;
          r.data = t;
          break;
        }
      }
    }
    return json::serialize(ll::to_json(r));
  }

  net::http_response load_tracks(const net::server_request& req) {
    auto id = req.query("identifier");
    if (!id) return error_response(400, "Required parameter 'identifier' is missing", req.path);
    return net::http_response::json(200, load_body(*id));
  }

  net::http_response decode_track(const net::server_request& req) {
    auto encoded = req.query("encodedTrack");
    if (!encoded) return error_response(400, "Required parameter 'encodedTrack' is missing", req.path);
    auto t = track_from_encoded(*encoded);
    if (!t) return error_response(400, "Invalid encoded track", req.path);
    return net::http_response::json(200, json::serialize(ll::to_json(*t)));
  }

  net::http_response decode_tracks(const net::server_request& req) {
    boost::system::error_code ec;
    auto v = json::parse(req.body, ec);
    if (ec || !v.is_array()) return error_response(400, "Body must be an array of encoded tracks", req.path);
    json::array out;
    for (const auto& item : v.as_array()) {
      if (!item.is_string()) return error_response(400, "Body must be an array of encoded tracks", req.path);
      auto t = track_from_encoded(item.as_string());
      if (!t) return error_response(400, "Invalid encoded track", req.path);
      out.push_back(ll::to_json(*t));
    }
    return net::http_response::json(200, json::serialize(out));
  }

  net::http_response get_players(const net::server_request& req) {
    auto* s = session_of(req);
    if (s == nullptr) return error_response(404, "Session not found", req.path);
    json::array out;
    for (const auto& [g, p] : s->players) out.push_back(ll::to_json(to_player(p)));
    return net::http_response::json(200, json::serialize(out));
  }

  net::http_response get_player(const net::server_request& req) {
    auto* s = session_of(req);
    if (s == nullptr) return error_response(404, "Session not found", req.path);
    auto it = s->players.find(std::string(req.param("guild").value_or("")));
    if (it == s->players.end()) return error_response(404, "Player not found", req.path);
    return net::http_response::json(200, json::serialize(ll::to_json(to_player(it->second))));
  }

  net::http_response update_player(const net::server_request& req) {
    auto* s = session_of(req);
    if (s == nullptr) return error_response(404, "Session not found", req.path);
    auto parsed = ll::parse_player_update(req.body);
    if (!parsed) return error_response(400, "Invalid body: " + parsed.error().message(), req.path);
    const ll::player_update& u = *parsed;
    if (u.track && u.track->encoded.is_present() && u.track->identifier) {
      return error_response(400, "Cannot specify both track.encoded and track.identifier", req.path);
    }
    if (u.voice) {
      if (!u.voice->channel_id || u.voice->channel_id->empty()) {
        return error_response(400, "Voice state is missing channelId: required since Lavalink 4.2 (DAVE)", req.path);
      }
      if (u.voice->token.empty() || u.voice->endpoint.empty() || u.voice->session_id.empty()) {
        return error_response(400, "Voice state requires token, endpoint and sessionId", req.path);
      }
    }
    if (u.volume && (*u.volume < 0 || *u.volume > 1000)) {
      return error_response(400, "Volume must be between 0 and 1000", req.path);
    }
    std::optional<ll::track> next;
    bool stop_track = false;
    if (u.track) {
      if (u.track->encoded.is_null()) {
        stop_track = true;
      } else if (u.track->encoded.has_value()) {
        next = track_from_encoded(*u.track->encoded);
        if (!next) return error_response(400, "Invalid encoded track", req.path);
      } else if (u.track->identifier) {
        auto body = ll::parse_load_result(load_body(*u.track->identifier));
        if (!body || body->type != ll::load_type::track) {
          return error_response(400, "Identifier did not resolve to a single track", req.path);
        }
        next = std::get<ll::track>(body->data);
      }
      if (next && u.track->user_data) next->user_data = *u.track->user_data;
    }
    const std::string guild(req.param("guild").value_or(""));
    auto& p = s->players[guild];
    p.guild_id = guild;
    if (u.voice) p.voice = u.voice;
    const bool no_replace = req.query("noReplace") == std::optional<std::string_view>("true");
    bool started = false;
    if (stop_track && p.current) {
      ll::track ended = *p.current;
      p.current.reset();
      p.position_ms = 0;
      write_event(*s, ll::track_end_event{guild, std::move(ended), ll::track_end_reason::stopped, "stopped"});
    } else if (next && !(no_replace && p.current)) {
      if (p.current) {
        write_event(*s, ll::track_end_event{guild, *p.current, ll::track_end_reason::replaced, "replaced"});
      }
      p.current = std::move(next);
      p.position_ms = static_cast<double>(u.position_ms.value_or(0));
      p.end_time_ms.reset();
      started = true;
    }
    if (u.position_ms && !started) p.position_ms = static_cast<double>(*u.position_ms);
    if (u.end_time_ms.has_value()) p.end_time_ms = *u.end_time_ms;
    if (u.end_time_ms.is_null()) p.end_time_ms.reset();
    if (u.paused) p.paused = *u.paused;
    if (u.volume) p.volume = *u.volume;
    if (u.filters) p.filters = *u.filters;
    if (started) write_event(*s, ll::track_start_event{guild, *p.current});
    return net::http_response::json(200, json::serialize(ll::to_json(to_player(p))));
  }

  net::http_response destroy_player(const net::server_request& req) {
    auto* s = session_of(req);
    if (s == nullptr) return error_response(404, "Session not found", req.path);
    s->players.erase(std::string(req.param("guild").value_or("")));
    return net::http_response{204, {}, {}, {}};
  }

  net::http_response update_session(const net::server_request& req) {
    auto* s = session_of(req);
    if (s == nullptr) return error_response(404, "Session not found", req.path);
    auto u = ll::parse_session_update(req.body);
    if (!u) return error_response(400, "Invalid body: " + u.error().message(), req.path);
    if (u->resuming) s->resuming = *u->resuming;
    if (u->timeout_s) {
      if (*u->timeout_s < 0) return error_response(400, "Timeout must be >= 0", req.path);
      s->timeout_s = *u->timeout_s;
    }
    return net::http_response::json(200, json::serialize(ll::to_json(ll::session_info{s->resuming, s->timeout_s})));
  }

  net::http_response info(const net::server_request&) {
    ll::node_info i;
    i.version.semver = options.version;
    std::sscanf(options.version.c_str(), "%ld.%ld.%ld", &i.version.major, &i.version.minor, &i.version.patch);
    i.build_time = 0;
    i.git_branch = "main";
    i.git_commit = "fake";
    i.jvm = "none (musicbot fake node)";
    i.lavaplayer = "none";
    i.source_managers = {"youtube", "soundcloud", "http", "spotify"};
    i.filters = {"volume", "equalizer", "karaoke", "timescale", "tremolo", "vibrato",
                 "distortion", "rotation", "channelMix", "lowPass"};
    return net::http_response::json(200, json::serialize(ll::to_json(i)));
  }

  net::http_response version(const net::server_request&) {
    return net::http_response::text(200, options.version);
  }

  net::http_response stats_route(const net::server_request&) {
    auto st = current_stats();
    st.frames.reset();  // the REST stats carry no frame figures
    return net::http_response::json(200, json::serialize(ll::to_json(st)));
  }

  net::http_response no_content(const net::server_request&) { return net::http_response{204, {}, {}, {}}; }

  asio::any_io_executor executor;
  fake_lavalink_options options;
  std::shared_ptr<spdlog::logger> logger;
  std::unique_ptr<net::http_server> server;
  std::unordered_map<std::string, fake_session> sessions;
  std::vector<ll::track> catalog;
  std::map<std::string, std::string, std::less<>> scripted;
  std::optional<ll::node_stats> scripted_stats;
  asio::steady_timer ticker;
  std::mt19937_64 rng;
  clock_type::time_point started_at = clock_type::now();
  clock_type::time_point last_tick = clock_type::now();
  clock_type::time_point last_stats = clock_type::now();
  std::vector<std::pair<std::string, std::string>> last_headers;
  bool running = false;
  bool refuse = false;
  bool silent = false;
  unsigned fail_status = 500;
  std::size_t fail_count = 0;
  std::chrono::milliseconds rest_delay{0};
  struct reply_delay {
    std::string path_part;
    std::string body_part;
    std::chrono::milliseconds delay;
  };
  std::vector<reply_delay> reply_delays;  // armed by tests, each used once
  std::size_t resume_count = 0;
};

}  // namespace detail

fake_lavalink::fake_lavalink(asio::any_io_executor executor, fake_lavalink_options options)
    : impl_(std::make_shared<detail::fake_lavalink_impl>(std::move(executor), std::move(options))) {}

fake_lavalink::~fake_lavalink() { impl_->stop(); }

boost::system::result<std::uint16_t> fake_lavalink::start() { return impl_->start(); }
void fake_lavalink::stop() { impl_->stop(); }
std::uint16_t fake_lavalink::port() const noexcept { return impl_->server ? impl_->server->port() : 0; }
std::string fake_lavalink::base_url() const {
  return "http://" + impl_->options.address + ":" + std::to_string(port());
}

void fake_lavalink::add_track(ll::track track) { impl_->catalog.push_back(std::move(track)); }

bool fake_lavalink::add_encoded_track(std::string_view encoded) {
  auto t = track_from_encoded(encoded);
  if (!t) return false;
  impl_->catalog.push_back(std::move(*t));
  return true;
}

boost::system::result<std::size_t> fake_lavalink::load_catalog(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return boost::system::error_code(ENOENT, boost::system::generic_category());
  std::ostringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  auto v = json::parse(text.str(), ec);
  if (ec || !v.is_array()) return make_error_code(ll::error::invalid_json);
  std::size_t added = 0;
  for (const auto& item : v.as_array()) {
    if (!item.is_object() || !item.as_object().contains("encoded")) continue;
    const auto& obj = item.as_object();
    if (obj.contains("info")) {
      auto t = ll::parse_track(json::serialize(obj));
      if (t) {
        impl_->catalog.push_back(std::move(*t));
        ++added;
      }
    } else if (obj.at("encoded").is_string() && add_encoded_track(obj.at("encoded").as_string())) {
      ++added;
    }
  }
  return added;
}

std::size_t fake_lavalink::catalog_size() const noexcept { return impl_->catalog.size(); }

void fake_lavalink::script_load_result(std::string identifier, const ll::load_result& result) {
  impl_->scripted[std::move(identifier)] = json::serialize(ll::to_json(result));
}

void fake_lavalink::script_raw_load_result(std::string identifier, std::string raw_json) {
  impl_->scripted[std::move(identifier)] = std::move(raw_json);
}

std::optional<ll::player> fake_lavalink::player(std::string_view guild_id) const {
  for (const auto& [id, s] : impl_->sessions) {
    auto it = s.players.find(std::string(guild_id));
    if (it != s.players.end()) return detail::fake_lavalink_impl::to_player(it->second);
  }
  return std::nullopt;
}

std::size_t fake_lavalink::player_count() const noexcept {
  std::size_t n = 0;
  for (const auto& [id, s] : impl_->sessions) n += s.players.size();
  return n;
}

std::size_t fake_lavalink::session_count() const noexcept { return impl_->sessions.size(); }

std::size_t fake_lavalink::connected_clients() const noexcept {
  std::size_t n = 0;
  for (const auto& [id, s] : impl_->sessions) n += s.socket ? 1u : 0u;
  return n;
}

std::size_t fake_lavalink::resumes() const noexcept { return impl_->resume_count; }

std::vector<std::pair<std::string, std::string>> fake_lavalink::last_handshake_headers() const {
  return impl_->last_headers;
}

void fake_lavalink::send_raw(std::string text) {
  for (auto& [id, s] : impl_->sessions) {
    if (s.socket) impl_->write(s, text);
  }
}

void fake_lavalink::set_stats(ll::node_stats stats) {
  impl_->scripted_stats = std::move(stats);
  const std::string msg = impl_->stats_message();
  for (auto& [id, s] : impl_->sessions) {
    if (s.socket) impl_->write(s, msg);
  }
}

void fake_lavalink::drop_connections() {
  for (auto& [id, s] : impl_->sessions) {
    if (s.socket) s.socket->abort();
  }
}

void fake_lavalink::expire_sessions() {
  for (auto& [id, s] : impl_->sessions) {
    if (s.socket) s.socket->abort();
  }
  impl_->sessions.clear();
}

void fake_lavalink::refuse_connections(bool refuse) { impl_->refuse = refuse; }

void fake_lavalink::fail_rest(unsigned status, std::size_t count) {
  impl_->fail_status = status;
  impl_->fail_count = count;
}

void fake_lavalink::delay_rest(std::chrono::milliseconds delay) { impl_->rest_delay = delay; }

void fake_lavalink::delay_rest_reply_once(std::string path_part, std::string body_part,
                                          std::chrono::milliseconds delay) {
  impl_->reply_delays.push_back({std::move(path_part), std::move(body_part), delay});
}

void fake_lavalink::go_silent(bool silent) { impl_->silent = silent; }

void fake_lavalink::clear_faults() {
  impl_->refuse = false;
  impl_->silent = false;
  impl_->fail_count = 0;
  impl_->rest_delay = std::chrono::milliseconds(0);
  impl_->reply_delays.clear();
}

}  // namespace musicbot::testing
