// The control API: routes under /api/v1 on net::http_server, each request
// admitted by the Origin check, the per-IP limit, the bearer token, its guild
// scope and the per-token limit, then served by the session_manager use
// cases; Server-Sent Events fed by the session events; the embedded
// dashboard files.
#include <musicbot/api/control_server.hpp>
#include <musicbot/api/requests.hpp>
#include <musicbot/api/token.hpp>
#include <musicbot/core/keyed_rate_limiter.hpp>
#include <musicbot/core/ttl_map.hpp>
#include <musicbot/music/events.hpp>
#include <musicbot/music/session_manager.hpp>
#include <musicbot/net/http_server.hpp>
#include <musicbot/store/error.hpp>
#include <musicbot/store/repository.hpp>
#include <musicbot/trace/context.hpp>
#include <musicbot/trace/current.hpp>

#include "resources.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <deque>
#include <list>
#include <map>
#include <stdexcept>
#include <tuple>

namespace musicbot::api {
namespace detail {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using boost::system::error_code;
using namespace std::chrono_literals;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

constexpr std::string_view page_csp =
    "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'";
constexpr std::string_view allowed_request_headers = "Authorization, Content-Type, Last-Event-ID";

// ---------------------------------------------------------------- helpers

std::string id_string(std::uint64_t id) { return std::to_string(id); }

// Truncates to at most `max` bytes without splitting a UTF-8 sequence.
std::string truncate_utf8(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0U) == 0x80U) --n;
  s.resize(n);
  return s;
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  std::uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string_view ip_of(std::string_view remote) {
  const auto colon = remote.rfind(':');
  return colon == std::string_view::npos ? remote : remote.substr(0, colon);
}

std::string_view content_type_of(std::string_view name) {
  const auto dot = name.rfind('.');
  const auto ext = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "json") return "application/json";
  if (ext == "webmanifest") return "application/manifest+json";
  if (ext == "woff2") return "font/woff2";
  if (ext == "txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

json::object track_json(const queue::track& t) {
  json::object o;
  o["title"] = t.title;
  o["author"] = t.author;
  o["length_ms"] = t.length.count();
  o["is_stream"] = t.is_stream;
  o["uri"] = t.uri;
  o["source"] = t.source;
  o["identifier"] = t.identifier;
  o["artwork_url"] = t.artwork_url;
  o["requester_id"] = id_string(t.requester_id);
  o["added_at"] = t.added_at.time_since_epoch().count();
  return o;
}

json::object settings_json(const queue::guild_settings& s) {
  json::object o;
  o["guild_id"] = id_string(s.guild_id);
  o["volume"] = s.volume;
  o["loop"] = std::string(queue::to_string(s.loop));
  o["autoplay"] = s.autoplay;
  o["automix"] = s.automix;
  o["dj_role_id"] = s.dj_role_id ? json::value(id_string(*s.dj_role_id)) : json::value(nullptr);
  o["announce_channel_id"] =
      s.announce_channel_id ? json::value(id_string(*s.announce_channel_id)) : json::value(nullptr);
  o["max_queue_length"] = s.max_queue_length;
  o["max_per_user"] = s.max_per_user;
  return o;
}

net::http_response json_response(unsigned status, const json::value& body) {
  return net::http_response::json(status, json::serialize(body));
}

net::http_response error_response(unsigned status, std::string_view code, std::string_view message,
                                  const std::vector<field_error>& details = {}) {
  json::object o;
  o["error"] = code;
  o["message"] = message;
  json::array d;
  for (const auto& e : details) d.push_back(json::object{{"field", e.field}, {"message", e.message}});
  o["details"] = std::move(d);
  return json_response(status, o);
}

net::http_response validation_error(const std::vector<field_error>& details) {
  return error_response(400, "invalid_request", "the request has invalid fields", details);
}

// How a use-case error is told to an API caller.
net::http_response use_case_error(const error_code& ec) {
  if (ec.category() == music::music_category()) {
    const auto msg = ec.message();
    switch (static_cast<music::error>(ec.value())) {
      case music::error::invalid_query: return error_response(400, "invalid_query", msg);
      case music::error::no_results: return error_response(404, "no_results", msg);
      case music::error::load_failed: return error_response(502, "load_failed", msg);
      case music::error::nothing_playing: return error_response(409, "nothing_playing", msg);
      case music::error::queue_full: return error_response(409, "queue_full", msg);
      case music::error::out_of_range: return error_response(400, "out_of_range", msg);
      case music::error::invalid_value: return error_response(400, "invalid_value", msg);
      case music::error::not_seekable: return error_response(409, "not_seekable", msg);
      case music::error::too_many_sessions: return error_response(503, "too_many_sessions", msg);
      case music::error::player_unavailable: return error_response(503, "player_unavailable", msg);
      case music::error::persistence_failed: return error_response(500, "persistence_failed", msg);
      case music::error::too_many_subscribers: return error_response(503, "too_many_subscribers", msg);
    }
  }
  return error_response(500, "internal_error", "the operation failed; see the bot's log");
}

const char* outcome_of(unsigned status) {
  if (status < 400) return "ok";
  if (status == 401 || status == 403) return "denied";
  if (status < 500) return "rejected";
  return "error";
}

// ------------------------------------------------------------ event stream

struct stream_client {
  stream_client(asio::any_io_executor ex, std::uint64_t guild) : guild_id(guild), wake(std::move(ex)) {}
  std::uint64_t guild_id;
  std::deque<std::string> pending;
  asio::steady_timer wake;
  bool ended = false;
  std::string end_reason;
};

std::string_view event_name(music::session_event_kind kind) { return music::to_string(kind); }

}  // namespace

struct auth_info {
  std::string token_id;
  std::uint64_t guild_id = 0;
  std::uint64_t user_id = 0;
  store::timestamp expires_at{};
};

// One request on its way through the API.
struct api_call {
  const net::server_request* req = nullptr;
  auth_info auth;
  std::uint64_t guild_id = 0;
  trace::span_context span;
  net::http_headers cors;   // headers to add for an allowed cross-origin caller
  std::string audit_detail; // what the audit entry says besides the op
};

class control_impl;
using api_handler = std::function<asio::awaitable<net::http_response>(control_impl&, api_call&)>;

struct api_route {
  std::string method;
  std::string pattern;
  std::string op;        // audit / span name, e.g. "skip"
  bool authenticated = true;
  bool guild_scoped = true;
  bool mutating = false;
  api_handler handler;
};

class control_impl : public std::enable_shared_from_this<control_impl> {
 public:
  control_impl(asio::any_io_executor ex, music::session_manager& s, store::database& d, control_options o)
      : executor(std::move(ex)), sessions(s), db(d), options(validated(std::move(o))),
        log(options.logger ? options.logger : default_logger()),
        server(executor, server_options_of(options)),
        token_limiter(options.per_token, options.max_limiter_keys),
        ip_limiter(options.per_ip, options.max_limiter_keys),
        token_cache(options.token_cache_size,
                    std::chrono::duration_cast<core::coarse_steady_clock::duration>(options.token_cache_ttl)),
        ticker(executor) {}

  static control_options validated(control_options o) {
    o.per_token.validate();
    o.per_ip.validate();
    if (o.max_limiter_keys == 0) throw std::invalid_argument("control_options: max_limiter_keys must be > 0");
    if (o.max_body_bytes == 0) throw std::invalid_argument("control_options: max_body_bytes must be > 0");
    if (o.default_token_ttl.count() <= 0 || o.max_token_ttl < o.default_token_ttl) {
      throw std::invalid_argument("control_options: need 0 < default_token_ttl <= max_token_ttl");
    }
    if (o.token_cache_size == 0 || o.token_cache_ttl.count() <= 0) {
      throw std::invalid_argument("control_options: token cache size and ttl must be > 0");
    }
    if (o.max_page_size == 0 || o.max_tokens_per_guild == 0 || o.max_stream_backlog == 0) {
      throw std::invalid_argument("control_options: page size, tokens per guild and stream backlog must be > 0");
    }
    if (o.position_interval < 10ms || o.keepalive_interval < 10ms) {
      throw std::invalid_argument("control_options: position and keep-alive intervals must be >= 10 ms");
    }
    for (const auto& origin : o.allowed_origins) {
      if (origin.empty() || origin == "*" || origin == "null" || origin.back() == '/') {
        throw std::invalid_argument("control_options: allowed_origins must be exact origins like https://host");
      }
    }
    if (!o.clock) o.clock = [] { return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()); };
    return o;
  }

  static std::shared_ptr<spdlog::logger> default_logger() {
    if (auto l = spdlog::get("musicbot.api")) return l;
    return spdlog::default_logger()->clone("musicbot.api");
  }

  static net::server_options server_options_of(const control_options& o) {
    net::server_options so;
    so.address = o.host;
    so.port = o.port;
    // Bodies somewhat over our limit are read so the API can answer its own
    // JSON 413; far larger ones get the server's plain 413.
    so.max_body_bytes = std::max<std::size_t>(o.max_body_bytes * 4, 64u * 1024u);
    so.max_connections = std::max<std::size_t>(256, o.max_event_streams + 64);
    return so;
  }

  // ---------------------------------------------------------------- routes

  void register_routes();
  void add(api_route r);

  asio::awaitable<net::http_response> handle(const api_route& r, const net::server_request& req);
  asio::awaitable<std::optional<net::http_response>> admit(const api_route& r, api_call& c);
  asio::awaitable<std::optional<net::http_response>> authenticate(api_call& c);
  net::http_response preflight(const net::server_request& req, const std::string& methods);
  void finish(net::http_response& res, const api_call& c) const;

  enum class origin_check { none, same, allowed, refused };
  origin_check check_origin(const net::server_request& req) const {
    const auto origin = req.header("Origin");
    if (!origin) return origin_check::none;
    for (const auto& o : options.allowed_origins) {
      if (o == *origin) return origin_check::allowed;
    }
    if (const auto host = req.header("Host")) {
      const auto scheme_end = origin->find("://");
      if (scheme_end != std::string_view::npos) {
        const auto scheme = origin->substr(0, scheme_end);
        if ((scheme == "http" || scheme == "https") && origin->substr(scheme_end + 3) == *host) {
          return origin_check::same;
        }
      }
    }
    return origin_check::refused;
  }

  static net::http_response rate_limited(const core::rate_limit_decision& d, std::string_view who) {
    auto res = error_response(429, "rate_limited", std::string("too many requests ") + std::string(who));
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d.retry_after).count();
    res.headers.push_back({"Retry-After", std::to_string(std::max<std::int64_t>(1, (ms + 999) / 1000))});
    return res;
  }

  // Awaits a session_manager / store operation started with the span's
  // context current (so its spans are children of the request's), holding
  // the context only for the synchronous start.
  template <class Sig, class Init>
  auto traced(const trace::span_context& ctx, Init init) {
    auto token = asio::as_tuple(asio::use_awaitable);
    return asio::async_initiate<decltype(token), Sig>(
        [ctx](auto handler, Init start) {
          trace::context_scope scope(ctx);
          start(std::move(handler));
        },
        token, std::move(init));
  }

  template <class Handler, class... Args>
  void complete(Handler h, Args... args) {
    // Never inline from the initiating call: post to our executor, then run
    // on the handler's own.
    asio::post(executor, [ex = executor, h = std::move(h), ... args = std::move(args)]() mutable {
      auto target = asio::get_associated_executor(h, ex);
      asio::dispatch(target, [h = std::move(h), ... a = std::move(args)]() mutable { std::move(h)(std::move(a)...); });
    });
  }

  store::timestamp now() const { return options.clock(); }

  void audit(const api_call& c, const api_route& r, unsigned status);

  // ---------------------------------------------------------------- handlers

  json::object session_json(std::uint64_t guild, std::size_t page, std::size_t size) const;
  asio::awaitable<net::http_response> events(const net::server_request& req, net::response_stream& rs);
  void on_session_event(const music::session_event& ev);
  void push(stream_client& client, std::string event);
  asio::awaitable<void> tick_positions();
  void stream_finished();

  asio::any_io_executor executor;
  music::session_manager& sessions;
  store::database& db;
  control_options options;
  std::shared_ptr<spdlog::logger> log;
  net::http_server server;
  core::keyed_rate_limiter<> token_limiter;
  core::keyed_rate_limiter<> ip_limiter;
  core::ttl_map<std::string, auth_info, core::string_hash, std::equal_to<>> token_cache;
  std::list<std::shared_ptr<stream_client>> streams;
  std::optional<music::subscription> subscription;
  asio::steady_timer ticker;
  std::vector<route_info> route_list;
  std::function<void(const queue::guild_settings&)> settings_changed;
  std::function<void(const store::audit_entry&)> audit_hook;
  bool started = false;
  bool stopping = false;
  bool server_stopped = false;
};

namespace {

// Shorthand for the route table below.
using call_ref = api_call&;
using impl_ref = control_impl&;
using response_awaitable = asio::awaitable<net::http_response>;

std::optional<std::size_t> query_size(const net::server_request& req, std::string_view name, std::size_t fallback,
                                      std::size_t max, std::vector<field_error>& errors) {
  const auto text = req.query(name);
  if (!text) return fallback;
  const auto v = parse_u64(*text);
  if (!v || *v > max) {
    errors.push_back({std::string(name), "must be an integer 0-" + std::to_string(max)});
    return std::nullopt;
  }
  return static_cast<std::size_t>(*v);
}

}  // namespace

json::object control_impl::session_json(std::uint64_t guild, std::size_t page, std::size_t size) const {
  json::object o;
  o["guild_id"] = id_string(guild);
  const auto view = sessions.view(guild);
  o["active"] = view.has_value();
  const music::session_view v = view.value_or(music::session_view{});
  o["now_playing"] = v.current ? json::value(track_json(*v.current)) : json::value(nullptr);
  o["position_ms"] = v.position.count();
  o["paused"] = v.paused;
  o["volume"] = v.volume;
  o["loop"] = std::string(queue::to_string(v.loop));
  o["autoplay"] = v.autoplay;
  o["node"] = v.node;
  o["queued"] = v.queued;
  o["remaining_ms"] = v.remaining.count();
  json::object q;
  q["page"] = page;
  q["size"] = size;
  json::array items;
  if (auto p = sessions.page(guild, page, size)) {
    q["page_count"] = p->page_count;
    q["total"] = p->total;
    for (std::size_t i = 0; i < p->items.size(); ++i) {
      auto t = track_json(p->items[i]);
      t["position"] = p->first_position + i;
      items.push_back(std::move(t));
    }
  } else {
    q["page_count"] = view ? std::max<std::size_t>(1, (v.queued + size - 1) / size) : 1;
    q["total"] = v.queued;
  }
  q["items"] = std::move(items);
  o["queue"] = std::move(q);
  return o;
}

namespace {

// True if `path` (as received) has the segments of route `pattern`.
bool path_matches(std::string_view pattern, std::string_view path) {
  while (!pattern.empty() && !path.empty()) {
    const auto pn = pattern.find('/', 1);
    const auto qn = path.find('/', 1);
    const auto pseg = pattern.substr(1, pn == std::string_view::npos ? std::string_view::npos : pn - 1);
    const auto qseg = path.substr(1, qn == std::string_view::npos ? std::string_view::npos : qn - 1);
    const bool placeholder = pseg.size() > 2 && pseg.front() == '{' && pseg.back() == '}';
    if (placeholder ? qseg.empty() : pseg != qseg) return false;
    pattern = pn == std::string_view::npos ? std::string_view{} : pattern.substr(pn);
    path = qn == std::string_view::npos ? std::string_view{} : path.substr(qn);
  }
  return pattern.empty() && path.empty();
}

}  // namespace

void control_impl::add(api_route r) {
  route_list.push_back({r.method, r.pattern});
  auto shared = std::make_shared<api_route>(std::move(r));
  std::weak_ptr<control_impl> weak = weak_from_this();
  server.route(shared->method, shared->pattern, [weak, shared](net::server_request req) -> response_awaitable {
    auto self = weak.lock();
    if (!self) co_return error_response(503, "shutting_down", "the server is stopping");
    co_return co_await self->handle(*shared, req);
  });
}

void control_impl::register_routes() {
  const std::string g = "/api/v1/guilds/{guild}";
  auto plain = [](std::string m, std::string p, std::string op, api_handler h) {
    return api_route{std::move(m), std::move(p), std::move(op), true, true, false, std::move(h)};
  };
  auto mutation = [](std::string m, std::string p, std::string op, api_handler h) {
    return api_route{std::move(m), std::move(p), std::move(op), true, true, true, std::move(h)};
  };

  add(api_route{"GET", "/api/v1/guilds", "guilds", true, false, false,
                [](impl_ref self, call_ref c) -> response_awaitable {
                  json::array guilds;
                  const auto v = self.sessions.view(c.auth.guild_id);
                  guilds.push_back(json::object{{"id", id_string(c.auth.guild_id)},
                                                {"active", v.has_value()},
                                                {"playing", v && v->current.has_value()}});
                  co_return json_response(200, json::object{{"guilds", std::move(guilds)}});
                }});

  add(plain("GET", g + "/session", "session", [](impl_ref self, call_ref c) -> response_awaitable {
    std::vector<field_error> errors;
    const auto page = query_size(*c.req, "page", 0, queue::queue_limits::hard_max_length, errors);
    const auto size = query_size(*c.req, "size", 10, self.options.max_page_size, errors);
    if (size && *size == 0) errors.push_back({"size", "must be at least 1"});
    if (!errors.empty()) co_return validation_error(errors);
    co_return json_response(200, self.session_json(c.guild_id, *page, *size));
  }));

  add(mutation("POST", g + "/queue", "queue", [](impl_ref self, call_ref c) -> response_awaitable {
    auto body = parse_queue_request(c.req->body);
    if (!body) co_return validation_error(body.errors);
    c.audit_detail = "query: " + body.value->query;
    auto [ec, out] = co_await self.traced<void(error_code, music::play_outcome)>(c.span, [&](auto h) {
      self.sessions.async_play(c.guild_id, c.auth.user_id, std::move(body.value->query), std::move(h));
    });
    if (ec) co_return use_case_error(ec);
    json::array added;
    for (const auto& t : out.added) added.push_back(track_json(t));
    co_return json_response(201, json::object{{"added", std::move(added)},
                                              {"started", out.started},
                                              {"position", out.position},
                                              {"playlist", out.playlist_name.empty()
                                                               ? json::value(nullptr)
                                                               : json::value(out.playlist_name)}});
  }));

  add(mutation("POST", g + "/skip", "skip", [](impl_ref self, call_ref c) -> response_awaitable {
    auto [ec, next] = co_await self.traced<void(error_code, std::optional<queue::track>)>(
        c.span, [&](auto h) { self.sessions.async_skip(c.guild_id, std::move(h)); });
    if (ec) co_return use_case_error(ec);
    co_return json_response(200, json::object{{"now_playing", next ? json::value(track_json(*next)) : nullptr}});
  }));

  for (const bool pause : {true, false}) {
    add(mutation("POST", g + (pause ? "/pause" : "/resume"), pause ? "pause" : "resume",
                 [pause](impl_ref self, call_ref c) -> response_awaitable {
                   auto [ec] = co_await self.traced<void(error_code)>(
                       c.span, [&](auto h) { self.sessions.async_pause(c.guild_id, pause, std::move(h)); });
                   if (ec) co_return use_case_error(ec);
                   co_return json_response(200, json::object{{"paused", pause}});
                 }));
  }

  add(mutation("POST", g + "/seek", "seek", [](impl_ref self, call_ref c) -> response_awaitable {
    auto body = parse_seek_request(c.req->body);
    if (!body) co_return validation_error(body.errors);
    const auto pos = body.value->position;
    c.audit_detail = "position_ms: " + std::to_string(pos.count());
    auto [ec] = co_await self.traced<void(error_code)>(
        c.span, [&](auto h) { self.sessions.async_seek(c.guild_id, pos, std::move(h)); });
    if (ec) co_return use_case_error(ec);
    co_return json_response(200, json::object{{"position_ms", pos.count()}});
  }));

  add(mutation("POST", g + "/volume", "volume", [](impl_ref self, call_ref c) -> response_awaitable {
    auto body = parse_volume_request(c.req->body);
    if (!body) co_return validation_error(body.errors);
    const int volume = body.value->volume;
    c.audit_detail = "volume: " + std::to_string(volume);
    auto [ec] = co_await self.traced<void(error_code)>(
        c.span, [&](auto h) { self.sessions.async_set_volume(c.guild_id, volume, std::move(h)); });
    if (ec) co_return use_case_error(ec);
    co_return json_response(200, json::object{{"volume", volume}});
  }));

  add(mutation("POST", g + "/loop", "loop", [](impl_ref self, call_ref c) -> response_awaitable {
    auto body = parse_loop_request(c.req->body);
    if (!body) co_return validation_error(body.errors);
    const auto mode = body.value->mode;
    c.audit_detail = "mode: " + std::string(queue::to_string(mode));
    auto [ec] = co_await self.traced<void(error_code)>(
        c.span, [&](auto h) { self.sessions.async_set_loop(c.guild_id, mode, std::move(h)); });
    if (ec) co_return use_case_error(ec);
    co_return json_response(200, json::object{{"loop", queue::to_string(mode)}});
  }));

  add(mutation("POST", g + "/shuffle", "shuffle", [](impl_ref self, call_ref c) -> response_awaitable {
    auto [ec] = co_await self.traced<void(error_code)>(
        c.span, [&](auto h) { self.sessions.async_shuffle(c.guild_id, std::move(h)); });
    if (ec) co_return use_case_error(ec);
    co_return json_response(200, json::object{{"shuffled", true}});
  }));

  add(mutation("POST", g + "/autoplay", "autoplay", [](impl_ref self, call_ref c) -> response_awaitable {
    auto body = parse_autoplay_request(c.req->body);
    if (!body) co_return validation_error(body.errors);
    const bool on = body.value->enabled;
    c.audit_detail = on ? "enabled: true" : "enabled: false";
    auto [ec] = co_await self.traced<void(error_code)>(
        c.span, [&](auto h) { self.sessions.async_set_autoplay(c.guild_id, on, std::move(h)); });
    if (ec) co_return use_case_error(ec);
    co_return json_response(200, json::object{{"autoplay", on}});
  }));

  add(mutation("DELETE", g + "/queue/{position}", "remove", [](impl_ref self, call_ref c) -> response_awaitable {
    const auto text = c.req->param("position").value_or("");
    const auto position = parse_u64(text);
    if (!position || *position >= queue::queue_limits::hard_max_length) {
      co_return validation_error({{"position", "must be a queue position (integer >= 0)"}});
    }
    c.audit_detail = "position: " + std::to_string(*position);
    auto [ec, removed] = co_await self.traced<void(error_code, queue::track)>(c.span, [&](auto h) {
      self.sessions.async_remove(c.guild_id, static_cast<std::size_t>(*position), std::move(h));
    });
    if (ec) co_return use_case_error(ec);
    c.audit_detail += ", title: " + removed.title;
    co_return json_response(200, json::object{{"removed", track_json(removed)}});
  }));

  add(mutation("POST", g + "/queue/move", "move", [](impl_ref self, call_ref c) -> response_awaitable {
    auto body = parse_move_request(c.req->body);
    if (!body) co_return validation_error(body.errors);
    const auto m = *body.value;
    c.audit_detail = "from: " + std::to_string(m.from) + ", to: " + std::to_string(m.to);
    auto [ec] = co_await self.traced<void(error_code)>(
        c.span, [&](auto h) { self.sessions.async_move(c.guild_id, m.from, m.to, std::move(h)); });
    if (ec) co_return use_case_error(ec);
    co_return json_response(200, json::object{{"from", m.from}, {"to", m.to}});
  }));

  add(mutation("DELETE", g + "/queue", "clear", [](impl_ref self, call_ref c) -> response_awaitable {
    auto [ec, removed] = co_await self.traced<void(error_code, std::size_t)>(
        c.span, [&](auto h) { self.sessions.async_clear(c.guild_id, std::move(h)); });
    if (ec) co_return use_case_error(ec);
    c.audit_detail = "removed: " + std::to_string(removed);
    co_return json_response(200, json::object{{"removed", removed}});
  }));

  add(plain("GET", g + "/settings", "settings", [](impl_ref self, call_ref c) -> response_awaitable {
    auto [ec, loaded] = co_await self.traced<void(error_code, std::optional<queue::guild_settings>)>(
        c.span, [&](auto h) { self.db.async_load_settings(c.guild_id, std::move(h)); });
    if (ec) {
      self.log->warn("api: loading settings of guild {} failed: {}", c.guild_id, ec.message());
      co_return error_response(503, "store_unavailable", "the settings could not be loaded");
    }
    queue::guild_settings s = loaded.value_or(queue::guild_settings{});
    s.guild_id = c.guild_id;
    co_return json_response(200, settings_json(s));
  }));

  add(mutation("PATCH", g + "/settings", "settings", [](impl_ref self, call_ref c) -> response_awaitable {
    auto patch = parse_settings_patch(c.req->body);
    if (!patch) co_return validation_error(patch.errors);
    auto [ec, loaded] = co_await self.traced<void(error_code, std::optional<queue::guild_settings>)>(
        c.span, [&](auto h) { self.db.async_load_settings(c.guild_id, std::move(h)); });
    if (ec) {
      self.log->warn("api: loading settings of guild {} failed: {}", c.guild_id, ec.message());
      co_return error_response(503, "store_unavailable", "the settings could not be loaded");
    }
    queue::guild_settings s = loaded.value_or(queue::guild_settings{});
    s.guild_id = c.guild_id;
    if (auto errors = apply_settings_patch(s, *patch.value); !errors.empty()) {
      co_return error_response(409, "settings_conflict", "the new settings break a rule", errors);
    }
    c.audit_detail = truncate_utf8(json::serialize(settings_json(s)), 900);
    auto [sec] = co_await self.traced<void(error_code)>(
        c.span, [&](auto h) { self.db.async_save_settings(s, std::move(h)); });
    if (sec) {
      self.log->warn("api: saving settings of guild {} failed: {}", c.guild_id, sec.message());
      co_return error_response(503, "store_unavailable", "the settings could not be saved");
    }
    if (self.settings_changed) self.settings_changed(s);
    co_return json_response(200, settings_json(s));
  }));

  add(api_route{"GET", "/api/v1/openapi.json", "openapi", false, false, false,
                [](impl_ref, call_ref) -> response_awaitable {
                  co_return net::http_response::json(200, std::string(openapi_document()));
                }});

  // Server-Sent Events.
  {
    const std::string pattern = g + "/events";
    route_list.push_back({"GET", pattern});
    std::weak_ptr<control_impl> weak = weak_from_this();
    server.stream_route("GET", pattern,
                        [weak](net::server_request req, net::response_stream& rs) -> asio::awaitable<void> {
                          auto self = weak.lock();
                          if (!self) co_return;
                          auto res = co_await self->events(req, rs);
                          if (!rs.is_open() && res.status != 200) {
                            auto headers = res.headers;
                            if (!(co_await rs.start(res.status, std::move(headers)))) (void)co_await rs.write(res.body);
                          }
                        });
  }

  // CORS preflight for every API path.
  std::map<std::string, std::string> methods_of;
  for (const auto& r : route_list) {
    auto& m = methods_of[r.pattern];
    m += (m.empty() ? "" : ", ") + r.method;
  }
  for (auto& [pattern, methods] : methods_of) {
    std::weak_ptr<control_impl> weak = weak_from_this();
    route_list.push_back({"OPTIONS", pattern});
    server.route("OPTIONS", pattern, [weak, methods](net::server_request req) -> response_awaitable {
      auto self = weak.lock();
      if (!self) co_return error_response(503, "shutting_down", "the server is stopping");
      co_return self->preflight(req, methods);
    });
  }

  // JSON 404/405 for any other path under /api/v1 (the HTTP layer answers
  // those in plain text). Registered last: real routes match first.
  {
    std::weak_ptr<control_impl> weak = weak_from_this();
    std::string pattern = "/api/v1";
    for (int depth = 1; depth <= 6; ++depth) {
      pattern += "/{s" + std::to_string(depth) + "}";
      for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
        server.route(method, pattern, [weak](net::server_request req) -> response_awaitable {
          auto self = weak.lock();
          if (!self) co_return error_response(503, "shutting_down", "the server is stopping");
          std::string allow;
          for (const auto& r : self->route_list) {
            if (r.method == "OPTIONS" || !path_matches(r.pattern, req.path)) continue;
            if (allow.find(r.method) == std::string::npos) allow += (allow.empty() ? "" : ", ") + r.method;
          }
          api_call c;
          c.req = &req;
          if (self->check_origin(req) == origin_check::allowed) {
            c.cors.push_back({"Access-Control-Allow-Origin", std::string(*req.header("Origin"))});
          }
          auto res = allow.empty() ? error_response(404, "not_found", "no such API path")
                                   : error_response(405, "method_not_allowed", "use " + allow + " here");
          if (!allow.empty()) res.headers.push_back({"Allow", allow});
          self->finish(res, c);
          co_return res;
        });
      }
    }
  }

  // The dashboard.
  if (options.serve_dashboard) {
    const auto page_headers = [](net::http_response& res) {
      res.headers.push_back({"Content-Security-Policy", std::string(page_csp)});
      res.headers.push_back({"X-Content-Type-Options", "nosniff"});
      res.headers.push_back({"X-Frame-Options", "DENY"});
      res.headers.push_back({"Referrer-Policy", "no-referrer"});
      res.headers.push_back({"Cache-Control", "no-cache"});
    };
    route_list.push_back({"GET", "/"});
    server.route("GET", "/", [page_headers](net::server_request) -> response_awaitable {
      net::http_response res;
      const auto files = dashboard_files();
      const auto it = std::find_if(files.begin(), files.end(), [](const auto& f) { return f.name == "index.html"; });
      if (it == files.end()) {
        res = net::http_response::text(
            200,
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>musicbot</title></head>"
            "<body><h1>musicbot</h1><p>The dashboard is not built into this binary. The control API is at "
            "<code>/api/v1</code> (see <code>/api/v1/openapi.json</code>).</p></body></html>\n",
            "text/html; charset=utf-8");
      } else {
        res = net::http_response::text(200, std::string(it->data), content_type_of(it->name));
      }
      page_headers(res);
      co_return res;
    });
    route_list.push_back({"GET", "/assets/{file}"});
    server.route("GET", "/assets/{file}", [page_headers](net::server_request req) -> response_awaitable {
      const auto name = req.param("file").value_or("");
      for (const auto& f : dashboard_files()) {
        if (f.name == name) {
          auto res = net::http_response::text(200, std::string(f.data), content_type_of(f.name));
          page_headers(res);
          co_return res;
        }
      }
      auto res = error_response(404, "not_found", "no such file");
      page_headers(res);
      co_return res;
    });
  }
}

net::http_response control_impl::preflight(const net::server_request& req, const std::string& methods) {
  net::http_response res;
  res.status = 204;
  const auto check = check_origin(req);
  if (check == origin_check::refused) {
    res = error_response(403, "origin_not_allowed", "this origin may not call the API");
    res.headers.push_back({"Vary", "Origin"});
    return res;
  }
  if (check == origin_check::allowed) {
    const auto method = req.header("Access-Control-Request-Method").value_or("");
    bool method_ok = false;
    for (std::size_t pos = 0; pos < methods.size();) {
      const auto end = std::min(methods.find(", ", pos), methods.size());
      if (std::string_view(methods).substr(pos, end - pos) == method) method_ok = true;
      pos = end + 2;
    }
    bool headers_ok = true;
    std::string_view requested = req.header("Access-Control-Request-Headers").value_or("");
    while (!requested.empty()) {
      const auto comma = requested.find(',');
      auto name = requested.substr(0, comma);
      requested = comma == std::string_view::npos ? std::string_view{} : requested.substr(comma + 1);
      while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
      if (name.empty()) continue;
      if (!net::iequals(name, "authorization") && !net::iequals(name, "content-type") &&
          !net::iequals(name, "last-event-id")) {
        headers_ok = false;
      }
    }
    if (!method_ok || !headers_ok) {
      res = error_response(403, "cors_refused",
                           !method_ok ? "this method is not allowed here" : "a requested header is not allowed");
      res.headers.push_back({"Vary", "Origin"});
      return res;
    }
    res.headers.push_back({"Access-Control-Allow-Origin", std::string(*req.header("Origin"))});
    res.headers.push_back({"Access-Control-Allow-Methods", methods});
    res.headers.push_back({"Access-Control-Allow-Headers", std::string(allowed_request_headers)});
    res.headers.push_back({"Access-Control-Max-Age", "600"});
  }
  res.headers.push_back({"Allow", methods + ", OPTIONS"});
  res.headers.push_back({"Vary", "Origin"});
  return res;
}

asio::awaitable<std::optional<net::http_response>> control_impl::authenticate(api_call& c) {
  const auto header = c.req->header("Authorization");
  const auto unauthorized = [](std::string_view code, std::string_view message) {
    auto res = error_response(401, code, message);
    res.headers.push_back({"WWW-Authenticate", "Bearer realm=\"musicbot\""});
    return res;
  };
  if (!header) co_return unauthorized("missing_token", "send Authorization: Bearer <token>");
  const auto credentials = bearer_credentials(*header);
  if (!credentials) co_return unauthorized("missing_token", "send Authorization: Bearer <token>");
  const auto id = token_id_of(*credentials);
  if (!id) co_return unauthorized("invalid_token", "the token is not valid");
  const auto hash = token_hash(*credentials);
  const auto t = now();
  if (const auto* cached = token_cache.find(hash)) {
    if (cached->expires_at > t) {
      c.auth = *cached;
      co_return std::nullopt;
    }
    token_cache.erase(hash);
    co_return unauthorized("token_expired", "the token has expired; ask for a new one with /dashboard token");
  }
  auto [ec, record] = co_await db.async_find_api_token_by_hash(hash, use_tuple);
  if (ec) {
    log->warn("api: token lookup failed: {}", ec.message());
    co_return error_response(503, "store_unavailable", "the token could not be checked; try again");
  }
  if (!record || !constant_time_equals(record->hash, hash) || !constant_time_equals(record->id, *id)) {
    co_return unauthorized("invalid_token", "the token is not valid");
  }
  if (record->revoked) co_return unauthorized("token_revoked", "the token was revoked");
  if (record->expires_at <= t) {
    co_return unauthorized("token_expired", "the token has expired; ask for a new one with /dashboard token");
  }
  c.auth = auth_info{record->id, record->guild_id, record->created_by, record->expires_at};
  token_cache.insert_or_assign(hash, c.auth);
  co_return std::nullopt;
}

asio::awaitable<std::optional<net::http_response>> control_impl::admit(const api_route& r, api_call& c) {
  const auto& req = *c.req;
  if (stopping) co_return error_response(503, "shutting_down", "the server is stopping");
  switch (check_origin(req)) {
    case origin_check::refused:
      co_return error_response(403, "origin_not_allowed", "this origin may not call the API");
    case origin_check::allowed:
      c.cors.push_back({"Access-Control-Allow-Origin", std::string(*req.header("Origin"))});
      c.cors.push_back({"Access-Control-Expose-Headers", "Retry-After"});
      break;
    case origin_check::none:
    case origin_check::same: break;
  }
  if (const auto d = ip_limiter.try_acquire(ip_of(req.remote_address)); !d) co_return rate_limited(d, "from this address");
  if (req.body.size() > options.max_body_bytes) {
    co_return error_response(413, "body_too_large",
                             "the body is larger than " + std::to_string(options.max_body_bytes) + " bytes");
  }
  if (!r.authenticated) co_return std::nullopt;
  if (auto refused = co_await authenticate(c)) co_return refused;
  if (r.guild_scoped) {
    const auto param = req.param("guild").value_or("");
    if (param != id_string(c.auth.guild_id)) {
      co_return error_response(403, "forbidden_guild", "the token does not control this guild");
    }
    c.guild_id = c.auth.guild_id;
  }
  if (const auto d = token_limiter.try_acquire(c.auth.token_id); !d) co_return rate_limited(d, "for this token");
  co_return std::nullopt;
}

void control_impl::finish(net::http_response& res, const api_call& c) const {
  for (const auto& h : c.cors) res.headers.push_back(h);
  res.headers.push_back({"Vary", "Origin"});
  res.headers.push_back({"Cache-Control", "no-store"});
  res.headers.push_back({"X-Content-Type-Options", "nosniff"});
}

void control_impl::audit(const api_call& c, const api_route& r, unsigned status) {
  store::audit_entry e;
  e.guild_id = c.guild_id;
  e.user_id = c.auth.user_id;
  e.command = "api." + r.op;
  e.outcome = outcome_of(status);
  std::string detail = "status " + std::to_string(status) + ", token " + c.auth.token_id + ", ip " +
                       std::string(ip_of(c.req->remote_address));
  if (!c.audit_detail.empty()) detail += ", " + c.audit_detail;
  e.detail = truncate_utf8(std::move(detail), store::audit_limits::max_detail);
  e.at = now();
  db.async_record_audit(e, [log = log, command = e.command](error_code ec, std::int64_t) {
    if (ec) log->warn("api: writing the audit entry of {} failed: {}", command, ec.message());
  });
  if (audit_hook) audit_hook(e);
}

asio::awaitable<net::http_response> control_impl::handle(const api_route& r, const net::server_request& req) {
  const auto started_at = std::chrono::steady_clock::now();
  trace::span_context parent;
  if (const auto tp = req.header("traceparent")) {
    if (auto ctx = trace::extract_context(*tp, req.header("tracestate").value_or(""))) parent = *ctx;
  }
  auto span = options.tracer.start_span("api." + r.op, parent, trace::span_kind::server);
  span.set_attribute("http.request.method", r.method);
  span.set_attribute("http.route", r.pattern);

  api_call c;
  c.req = &req;
  c.span = span.context();
  net::http_response res;
  bool admitted = false;
  if (auto refused = co_await admit(r, c)) {
    res = std::move(*refused);
  } else {
    admitted = true;
    try {
      res = co_await r.handler(*this, c);
    } catch (const std::exception& e) {
      log->error("api: {} {} failed: {}", r.method, r.pattern, e.what());
      res = error_response(500, "internal_error", "the request failed; see the bot's log");
    }
  }
  if (admitted && r.mutating && r.authenticated) audit(c, r, res.status);
  finish(res, c);
  span.set_attribute("http.response.status_code", res.status);
  if (res.status >= 500) span.set_status(trace::span_status::error);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_at);
  log->debug("api: {} {} -> {} ({} ms, token {})", r.method, r.pattern, res.status, ms.count(),
             c.auth.token_id.empty() ? "-" : c.auth.token_id);
  co_return res;
}

// ------------------------------------------------------------ event stream

void control_impl::push(stream_client& client, std::string event) {
  if (client.ended) return;
  if (client.pending.size() >= options.max_stream_backlog) {
    // A reader this slow is dropped rather than buffered without bound; the
    // browser's EventSource reconnects and gets a fresh snapshot.
    client.pending.clear();
    client.ended = true;
    client.end_reason = "lagging";
  } else {
    client.pending.push_back(std::move(event));
  }
  client.wake.cancel();
}

void control_impl::on_session_event(const music::session_event& ev) {
  if (streams.empty()) return;
  json::object o;
  o["type"] = event_name(ev.kind);
  o["guild_id"] = id_string(ev.guild_id);
  o["sequence"] = ev.sequence;
  o["track"] = ev.track ? json::value(track_json(*ev.track)) : json::value(nullptr);
  o["position_ms"] = ev.position.count();
  o["node"] = ev.node;
  const auto text = net::format_sse_event(json::serialize(o), event_name(ev.kind), std::to_string(ev.sequence));
  for (const auto& client : streams) {
    if (client->guild_id == ev.guild_id) push(*client, text);
  }
}

asio::awaitable<void> control_impl::tick_positions() {
  auto keep = shared_from_this();
  while (!stopping) {
    ticker.expires_after(options.position_interval);
    auto [ec] = co_await ticker.async_wait(use_tuple);
    if (stopping) break;
    (void)ec;
    std::vector<std::uint64_t> guilds;
    for (const auto& client : streams) {
      if (std::find(guilds.begin(), guilds.end(), client->guild_id) == guilds.end()) guilds.push_back(client->guild_id);
    }
    for (const auto guild : guilds) {
      const auto v = sessions.view(guild);
      if (!v || !v->current || v->paused) continue;
      json::object o{{"type", "position"},
                     {"guild_id", id_string(guild)},
                     {"position_ms", v->position.count()},
                     {"length_ms", v->current->length.count()},
                     {"paused", false}};
      const auto text = net::format_sse_event(json::serialize(o), "position");
      for (const auto& client : streams) {
        if (client->guild_id == guild) push(*client, text);
      }
    }
  }
}

asio::awaitable<net::http_response> control_impl::events(const net::server_request& req, net::response_stream& rs) {
  static const api_route route{"GET", "/api/v1/guilds/{guild}/events", "events", true, true, false, {}};
  api_call c;
  c.req = &req;
  if (auto refused = co_await admit(route, c)) {
    finish(*refused, c);
    co_return std::move(*refused);
  }
  if (streams.size() >= options.max_event_streams) {
    auto res = error_response(503, "too_many_streams", "too many event streams are open; try again later");
    res.headers.push_back({"Retry-After", "5"});
    finish(res, c);
    co_return res;
  }
  auto client = std::make_shared<stream_client>(executor, c.guild_id);
  streams.push_back(client);
  const auto it = std::prev(streams.end());
  auto keep = shared_from_this();

  net::http_headers headers{{"Content-Type", "text/event-stream; charset=utf-8"},
                            {"Cache-Control", "no-store"},
                            {"X-Accel-Buffering", "no"},
                            {"X-Content-Type-Options", "nosniff"},
                            {"Vary", "Origin"}};
  for (const auto& h : c.cors) headers.push_back(h);
  log->debug("api: event stream opened for guild {} (token {})", c.guild_id, c.auth.token_id);
  error_code ec = co_await rs.start(200, std::move(headers));
  if (!ec) {
    // A snapshot first, so a (re)connecting client needs no separate GET.
    std::string first = "retry: 3000\n\n";
    first += net::format_sse_event(json::serialize(session_json(c.guild_id, 0, 10)), "session");
    ec = co_await rs.write(first);
  }
  while (!ec) {
    while (!ec && !client->pending.empty()) {
      auto next = std::move(client->pending.front());
      client->pending.pop_front();
      ec = co_await rs.write(next);
    }
    if (ec) break;
    if (client->ended) {
      json::object o{{"type", "end"}, {"reason", client->end_reason}};
      (void)co_await rs.write(net::format_sse_event(json::serialize(o), "end"));
      break;
    }
    client->wake.expires_after(options.keepalive_interval);
    auto [wec] = co_await client->wake.async_wait(use_tuple);
    if (!wec && client->pending.empty() && !client->ended) ec = co_await rs.write(": keep-alive\n\n");
  }
  streams.erase(it);
  log->debug("api: event stream closed for guild {}", c.guild_id);
  if (stopping) stream_finished();
  co_return net::http_response{};
}

void control_impl::stream_finished() {
  if (!streams.empty() || server_stopped) return;
  // Let the server send the final chunk of the last stream (it does so
  // right after the handler returns), then close everything.
  asio::post(executor, [self = shared_from_this()] {
    asio::post(self->executor, [self] {
      if (!self->server_stopped) {
        self->server_stopped = true;
        self->server.stop();
      }
    });
  });
}

}  // namespace detail

// ------------------------------------------------------------ control_server

control_server::control_server(boost::asio::any_io_executor ex, music::session_manager& sessions,
                               store::database& db, control_options options)
    : impl_(std::make_shared<detail::control_impl>(std::move(ex), sessions, db, std::move(options))) {
  impl_->register_routes();
}

control_server::~control_server() { stop(); }

boost::system::result<boost::asio::ip::tcp::endpoint> control_server::start() {
  auto& impl = *impl_;
  if (impl.stopping) return boost::system::error_code(error::stopped);
  auto port = impl.server.start();
  if (!port) return port.error();
  if (!impl.started) {
    impl.started = true;
    std::weak_ptr<detail::control_impl> weak = impl_;
    impl.subscription.emplace(impl.sessions.subscribe([weak](const music::session_event& ev) {
      if (auto self = weak.lock()) self->on_session_event(ev);
    }));
    if (!impl.subscription->active()) {
      impl.log->warn("api: no session events for the event streams: {}", impl.subscription->error().message());
    }
    boost::asio::co_spawn(impl.executor, impl.tick_positions(), boost::asio::detached);
  }
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(impl.options.host, ec);
  if (ec) return ec;
  impl.log->info("api: control API listening on {}:{}", impl.options.host, *port);
  return boost::asio::ip::tcp::endpoint(address, *port);
}

void control_server::stop() {
  auto& impl = *impl_;
  if (impl.stopping) return;
  impl.stopping = true;
  impl.subscription.reset();
  impl.ticker.cancel();
  if (impl.streams.empty()) {
    impl.server_stopped = true;
    impl.server.stop();
    return;
  }
  for (const auto& client : impl.streams) {
    client->ended = true;
    client->end_reason = "shutdown";
    client->wake.cancel();
  }
  // If a stream cannot finish (a client that does not read), close anyway.
  auto deadline = std::make_shared<boost::asio::steady_timer>(impl.executor, std::chrono::seconds(2));
  deadline->async_wait([self = impl_, deadline](boost::system::error_code) {
    if (!self->server_stopped) {
      self->server_stopped = true;
      self->server.stop();
    }
  });
}

void control_server::do_issue(std::uint64_t guild_id, std::uint64_t user_id, std::chrono::seconds ttl,
                              std::string label, issue_handler h) {
  auto impl = impl_;
  const auto fail = [&](boost::system::error_code ec) { impl->complete(std::move(h), ec, issued_token{}); };
  if (impl->stopping) return fail(error::stopped);
  if (guild_id == 0 || user_id == 0) return fail(error::invalid_guild);
  if (ttl.count() < 0 || ttl > impl->options.max_token_ttl) return fail(error::invalid_ttl);
  if (ttl.count() == 0) ttl = impl->options.default_token_ttl;
  if (label.size() > 64 || std::any_of(label.begin(), label.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
      })) {
    return fail(error::invalid_label);
  }
  boost::asio::co_spawn(
      impl->executor,
      [impl, guild_id, user_id, ttl, label = std::move(label), h = std::move(h)]() mutable -> boost::asio::awaitable<void> {
        using detail::use_tuple;
        const auto t = impl->now();
        auto [pec, pruned] = co_await impl->db.async_prune_api_tokens(t, use_tuple);
        if (pec) impl->log->warn("api: pruning expired tokens failed: {}", pec.message());
        (void)pruned;
        auto [lec, tokens] = co_await impl->db.async_list_api_tokens(guild_id, use_tuple);
        if (lec) co_return impl->complete(std::move(h), lec, issued_token{});
        const auto live = static_cast<std::size_t>(std::count_if(
            tokens.begin(), tokens.end(), [&](const auto& r) { return !r.revoked && r.expires_at > t; }));
        if (live >= impl->options.max_tokens_per_guild) {
          co_return impl->complete(std::move(h), boost::system::error_code(error::too_many_tokens), issued_token{});
        }
        auto generated = generate_token();
        if (!generated) co_return impl->complete(std::move(h), generated.error(), issued_token{});
        store::api_token_record record;
        record.id = generated->id;
        record.guild_id = guild_id;
        record.created_by = user_id;
        record.hash = token_hash(generated->token.reveal());
        record.label = label;
        record.created_at = t;
        record.expires_at = t + std::chrono::duration_cast<std::chrono::milliseconds>(ttl);
        record.revoked = false;
        const auto expires = record.expires_at;
        auto [cec] = co_await impl->db.async_create_api_token(std::move(record), use_tuple);
        if (cec == store::error::limit_reached) cec = error::too_many_tokens;  // the store's own bound
        if (cec) co_return impl->complete(std::move(h), cec, issued_token{});
        impl->log->info("api: token {} issued for guild {} by user {}", generated->id, guild_id, user_id);
        issued_token out{generated->id, std::move(generated->token), expires};
        impl->complete(std::move(h), boost::system::error_code{}, std::move(out));
      },
      boost::asio::detached);
}

void control_server::do_revoke(std::uint64_t guild_id, std::string id, revoke_handler h) {
  auto impl = impl_;
  impl->db.async_revoke_api_token(
      guild_id, id, [impl, guild_id, id, h = std::move(h)](boost::system::error_code ec, bool revoked) mutable {
        // Revocation takes effect at once for this server: verified tokens
        // are re-checked against the store.
        impl->token_cache.clear();
        if (!ec && revoked) impl->log->info("api: token {} of guild {} revoked", id, guild_id);
        impl->complete(std::move(h), ec, revoked);
      });
}

void control_server::on_settings_changed(std::function<void(const queue::guild_settings&)> handler) {
  impl_->settings_changed = std::move(handler);
}

void control_server::on_audit(std::function<void(const store::audit_entry&)> handler) {
  impl_->audit_hook = std::move(handler);
}

std::uint16_t control_server::port() const noexcept { return impl_->server.port(); }

std::vector<route_info> control_server::routes() const { return impl_->route_list; }

std::size_t control_server::stream_count() const noexcept { return impl_->streams.size(); }

}  // namespace musicbot::api
