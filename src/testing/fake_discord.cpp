#include "musicbot/testing/fake_discord.hpp"

#include "musicbot/discord/sharding.hpp"
#include "musicbot/net/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>
#include <zlib.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <tuple>
#include <unordered_map>

namespace musicbot::testing {

namespace asio = boost::asio;
namespace json = boost::json;
using boost::system::error_code;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// One zlib-stream compressor per connection (sync flush after each message).
class deflater {
 public:
  deflater() {
    std::memset(&zs_, 0, sizeof zs_);
    ok_ = deflateInit(&zs_, Z_DEFAULT_COMPRESSION) == Z_OK;
  }
  ~deflater() {
    if (ok_) deflateEnd(&zs_);
  }
  deflater(const deflater&) = delete;
  deflater& operator=(const deflater&) = delete;

  std::string compress(std::string_view in) {
    std::string out;
    if (!ok_) return out;
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs_.avail_in = static_cast<uInt>(in.size());
    char buf[16384];
    do {
      zs_.next_out = reinterpret_cast<Bytef*>(buf);
      zs_.avail_out = sizeof buf;
      deflate(&zs_, Z_SYNC_FLUSH);
      out.append(buf, sizeof buf - zs_.avail_out);
    } while (zs_.avail_out == 0);
    return out;
  }

 private:
  z_stream zs_{};
  bool ok_ = false;
};

std::string random_hex(std::mt19937_64& rng, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s(n, '0');
  for (auto& c : s) c = digits[rng() % 16];
  return s;
}

template <class T>
void push_bounded(std::vector<T>& v, T item, std::size_t cap) {
  if (v.size() >= cap) v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(cap / 10 + 1));
  v.push_back(std::move(item));
}

constexpr std::uint32_t privileged_intents = (1u << 1) | (1u << 8) | (1u << 15);

}  // namespace

struct fake_discord::impl : std::enable_shared_from_this<impl> {
  struct session;

  struct connection {
    explicit connection(net::server_websocket s) : ws(std::move(s)) {}
    net::server_websocket ws;
    bool compress = false;
    deflater zlib;
    std::optional<std::uint32_t> shard;
    std::shared_ptr<session> sess;
    clock_type::time_point last_heartbeat = clock_type::now();
    std::deque<clock_type::time_point> sent_log;  // client send rate (120/60 s)
    // Outbound messages in send order, handed to the socket one at a time by
    // pump(). Never dropped silently: with zlib-stream one lost message
    // desynchronizes the client's inflate window for the rest of the
    // connection. A close frame is queued behind the messages sent before it.
    struct outgoing {
      std::string text;
      bool is_close = false;
      std::uint16_t code = 0;
    };
    std::deque<outgoing> outbox;
    bool pumping = false;
    bool closed = false;  // no new message accepted (close queued or connection gone)
  };

  struct session {
    std::string id;
    std::uint32_t shard_id = 0;
    std::uint32_t shard_count = 1;
    std::int64_t seq = 0;
    std::deque<std::pair<std::int64_t, std::string>> log;  // replay buffer
    std::weak_ptr<connection> conn;
  };

  struct bucket_state {
    std::uint32_t used = 0;
    clock_type::time_point reset_at{};
  };

  impl(asio::any_io_executor ex, fake_discord_options o)
      : options(std::move(o)), server(ex, make_server_options(options)), rng(12345) {}

  static net::server_options make_server_options(const fake_discord_options& o) {
    net::server_options s;
    s.address = o.host;
    s.port = o.port;
    s.max_ws_message_bytes = 64 * 1024;
    s.max_body_bytes = 1024 * 1024;
    return s;
  }

  // ---- gateway -----------------------------------------------------------------

  std::string envelope(int op, json::value d, std::optional<std::int64_t> s = {}, std::string_view t = {}) {
    json::object o;
    o["t"] = t.empty() ? json::value(nullptr) : json::value(t);
    o["s"] = s ? json::value(*s) : json::value(nullptr);
    o["op"] = op;
    o["d"] = std::move(d);
    return json::serialize(o);
  }

  void send(const std::shared_ptr<connection>& c, std::string text) {
    if (c->closed) return;
    if (c->outbox.size() >= options.max_pending_sends) {
      // A client this far behind would be disconnected by Discord too.
      spdlog::warn("fake discord: {} messages pending for a client that does not read; closing", c->outbox.size());
      return close(c, 4000, "Unknown error");
    }
    c->outbox.push_back({std::move(text), false, 0});
    start_pump(c);
  }

  void close(const std::shared_ptr<connection>& c, std::uint16_t code, std::string reason) {
    if (c->closed) return;
    c->closed = true;
    c->outbox.push_back({std::move(reason), true, code});
    start_pump(c);
  }

  void start_pump(const std::shared_ptr<connection>& c) {
    if (c->pumping) return;
    c->pumping = true;
    asio::co_spawn(server.get_executor(), pump(c), asio::detached);
  }

  // Writes the outbox in order, one message in flight at a time, compressing
  // at write time so the zlib stream follows the wire order exactly.
  static asio::awaitable<void> pump(std::shared_ptr<connection> c) {
    // Named locals only around co_await: GCC 12 may destroy temporaries of a
    // full-expression containing co_await twice.
    while (!c->outbox.empty()) {
      connection::outgoing item = std::move(c->outbox.front());
      c->outbox.pop_front();
      if (item.is_close) {
        auto [ec] = co_await c->ws.async_close(item.code, std::move(item.text), asio::as_tuple(asio::use_awaitable));
        (void)ec;
        break;
      }
      net::websocket_message msg;
      if (c->compress) {
        msg.data = c->zlib.compress(item.text);
        msg.binary = true;
      } else {
        msg.data = std::move(item.text);
      }
      auto [ec] = co_await c->ws.async_write(std::move(msg), asio::as_tuple(asio::use_awaitable));
      if (ec) {
        c->closed = true;  // the connection is gone: the rest cannot be delivered in order
        break;
      }
    }
    c->outbox.clear();
    c->pumping = false;
  }

  // Appends a dispatch to the session's log and sends it if connected.
  void emit(const std::shared_ptr<session>& s, std::string_view t, json::value d) {
    const auto seq = ++s->seq;
    auto text = envelope(0, std::move(d), seq, t);
    s->log.emplace_back(seq, text);
    while (s->log.size() > options.replay_buffer) s->log.pop_front();
    if (auto c = s->conn.lock()) send(c, std::move(text));
  }

  json::object guild_create(std::uint64_t id, std::size_t index) {
    return json::object{{"id", std::to_string(id)},
                        {"name", "Fake Guild " + std::to_string(index)},
                        {"unavailable", false},
                        {"member_count", 10},
                        {"voice_states", json::array{}},
                        {"channels", json::array{json::object{{"id", std::to_string(id + 1)}, {"type", 2}, {"name", "Voice"}},
                                                 json::object{{"id", std::to_string(id + 2)}, {"type", 0}, {"name", "text"}}}}};
  }

  std::vector<std::uint64_t> guilds_of(std::uint32_t shard_id, std::uint32_t count) const {
    std::vector<std::uint64_t> out;
    for (std::uint32_t i = 0; i < options.guilds; ++i) {
      const std::uint64_t id = (static_cast<std::uint64_t>(1'000'000 + i) << 22) | 1u;
      if (discord::shard_for(id, count) == shard_id) out.push_back(id);
    }
    return out;
  }

  void refill_session_budget(clock_type::time_point now) {
    if (now < session_reset_at) return;
    session_remaining = options.session_start_total;
    const auto period = std::max<std::chrono::milliseconds>(options.session_start_reset_after, 1ms);
    while (session_reset_at <= now) session_reset_at += period;
  }

  bool identify_allowed(std::uint32_t shard_id, clock_type::time_point now) {
    const auto key = discord::rate_limit_key(shard_id, std::max<std::uint32_t>(1, options.max_concurrency));
    auto& last = identify_bucket[key];
    if (last != clock_type::time_point{} && now - last < options.identify_window) return false;
    last = now;
    return true;
  }

  void on_identify(const std::shared_ptr<connection>& c, const json::object& d) {
    const auto* token = d.if_contains("token");
    if (!token || !token->is_string() || token->as_string() != options.token) return close(c, 4004, "Authentication failed");
    std::uint32_t shard_id = 0;
    std::uint32_t count = 1;
    if (const auto* sh = d.if_contains("shard"); sh && sh->is_array() && sh->as_array().size() == 2) {
      shard_id = static_cast<std::uint32_t>(sh->as_array()[0].to_number<std::int64_t>());
      count = static_cast<std::uint32_t>(sh->as_array()[1].to_number<std::int64_t>());
    }
    if (count == 0 || shard_id >= count) return close(c, 4010, "Invalid shard");
    if (options.guilds > 2500 * count) return close(c, 4011, "Sharding required");
    std::uint32_t intents = 0;
    if (const auto* in = d.if_contains("intents"); in && in->is_number()) {
      intents = static_cast<std::uint32_t>(in->to_number<std::int64_t>());
    } else {
      return close(c, 4013, "Invalid intent(s)");
    }
    if ((intents & privileged_intents) != 0 && !options.allow_privileged_intents)
      return close(c, 4014, "Disallowed intent(s)");
    const auto now = clock_type::now();
    refill_session_budget(now);
    if (session_remaining == 0 || !identify_allowed(shard_id, now)) {
      send(c, envelope(9, false));
      return;
    }
    --session_remaining;
    {
      std::lock_guard lock(mutex);
      push_bounded(identifies, fake_identify{shard_id, count, intents, now}, options.max_recorded);
    }
    auto s = std::make_shared<session>();
    s->id = random_hex(rng, 32);
    s->shard_id = shard_id;
    s->shard_count = count;
    s->conn = c;
    sessions[s->id] = s;
    shard_sessions[shard_id] = s;
    c->sess = s;
    c->shard = shard_id;
    set_connected(shard_id, true);
    const auto ids = guilds_of(shard_id, count);
    json::array unavailable;
    for (auto id : ids) unavailable.push_back(json::object{{"id", std::to_string(id)}, {"unavailable", true}});
    emit(s, "READY",
         json::object{{"v", 10},
                      {"user", json::object{{"id", std::to_string(options.bot_user_id)}, {"username", "FakeBot"},
                                            {"discriminator", "0"}, {"bot", true}}},
                      {"guilds", std::move(unavailable)},
                      {"session_id", s->id},
                      {"resume_gateway_url", "ws://" + options.host + ":" + std::to_string(server.port())},
                      {"shard", json::array{shard_id, count}},
                      {"application", json::object{{"id", std::to_string(options.bot_user_id)}, {"flags", 0}}}});
    for (std::size_t i = 0; i < ids.size(); ++i) emit(s, "GUILD_CREATE", guild_create(ids[i], i));
  }

  void on_resume(const std::shared_ptr<connection>& c, const json::object& d) {
    const auto* token = d.if_contains("token");
    if (!token || !token->is_string() || token->as_string() != options.token) return close(c, 4004, "Authentication failed");
    const auto* sid = d.if_contains("session_id");
    const auto* seq = d.if_contains("seq");
    auto it = sid && sid->is_string() ? sessions.find(std::string(sid->as_string())) : sessions.end();
    if (it == sessions.end() || !seq || !seq->is_number()) {
      send(c, envelope(9, false));
      return;
    }
    auto s = it->second;
    const auto from = seq->to_number<std::int64_t>();
    if (from > s->seq || (!s->log.empty() && from < s->log.front().first - 1)) {
      // A sequence from the future, or events already dropped from the buffer.
      sessions.erase(it);
      send(c, envelope(9, false));
      return;
    }
    if (auto old = s->conn.lock(); old && old != c) close(old, 4000, "Session resumed elsewhere");
    s->conn = c;
    c->sess = s;
    c->shard = s->shard_id;
    shard_sessions[s->shard_id] = s;
    set_connected(s->shard_id, true);
    {
      std::lock_guard lock(mutex);
      ++resume_count;
    }
    for (const auto& [n, text] : s->log)
      if (n > from) send(c, text);
    emit(s, "RESUMED", json::object{{"_trace", json::array{"[\"fake-discord\"]"}}});
  }

  void on_voice_state(const std::shared_ptr<connection>& c, const json::object& d) {
    if (!c->sess) return;
    const auto* guild = d.if_contains("guild_id");
    if (!guild || !guild->is_string()) return close(c, 4002, "Decode error");
    const json::value channel = d.contains("channel_id") ? d.at("channel_id") : json::value(nullptr);
    const std::string voice_session = random_hex(rng, 32);
    emit(c->sess, "VOICE_STATE_UPDATE",
         json::object{{"guild_id", guild->as_string()}, {"channel_id", channel},
                      {"user_id", std::to_string(options.bot_user_id)}, {"session_id", voice_session},
                      {"deaf", false}, {"mute", false},
                      {"self_deaf", d.contains("self_deaf") ? d.at("self_deaf") : json::value(false)},
                      {"self_mute", d.contains("self_mute") ? d.at("self_mute") : json::value(false)},
                      {"self_video", false}, {"suppress", false}});
    if (!channel.is_null()) {
      emit(c->sess, "VOICE_SERVER_UPDATE",
           json::object{{"token", random_hex(rng, 16)}, {"guild_id", guild->as_string()},
                        {"endpoint", options.voice_endpoint}});
    }
  }

  asio::awaitable<void> watchdog(std::shared_ptr<connection> c) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    const auto limit = options.heartbeat_interval + options.heartbeat_interval / 2 + options.heartbeat_grace;
    while (!c->closed) {
      timer.expires_after(std::max<std::chrono::milliseconds>(options.heartbeat_interval / 4, 10ms));
      auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec || c->closed || stopping) co_return;
      if (clock_type::now() - c->last_heartbeat > limit) close(c, 4009, "Session timed out");
    }
  }

  asio::awaitable<void> gateway(net::server_websocket ws) {
    const auto& req = ws.request();
    const auto compress = req.query("compress");
    const auto v = req.query("v");
    const auto encoding = req.query("encoding");
    auto [aec] = co_await ws.async_accept({}, asio::as_tuple(asio::use_awaitable));
    if (aec) co_return;
    auto c = std::make_shared<connection>(ws);
    c->compress = compress && *compress == "zlib-stream";
    {
      std::lock_guard lock(mutex);
      ++connection_count;
    }
    live.push_back(c);
    if (!v || *v != "10") {
      close(c, 4012, "Invalid API version");
    } else if (encoding && *encoding != "json") {
      close(c, 4002, "Decode error");
    } else {
      send(c, envelope(10, json::object{{"heartbeat_interval", options.heartbeat_interval.count()},
                                        {"_trace", json::array{"[\"fake-discord\"]"}}}));
      asio::co_spawn(server.get_executor(), watchdog(c), asio::detached);
    }
    while (!stopping) {
      auto [ec, msg] = co_await c->ws.async_read(asio::as_tuple(asio::use_awaitable));
      if (ec) break;
      if (c->closed) continue;  // draining after our close frame
      handle_client_message(c, msg);
    }
    c->closed = true;
    if (c->shard) {
      const auto reason = c->ws.peer_close_reason();
      if (shard_connection(*c->shard) == c) set_connected(*c->shard, false);
      std::lock_guard lock(mutex);
      if (reason) last_close[*c->shard] = reason->code;
    }
    // A client closing with 1000/1001 ends its session (docs: "Initiating a Disconnect").
    if (auto reason = c->ws.peer_close_reason(); reason && (reason->code == 1000 || reason->code == 1001) && c->sess) {
      sessions.erase(c->sess->id);
    }
    std::erase_if(live, [&](const auto& p) { return p == c; });
  }

  void handle_client_message(const std::shared_ptr<connection>& c, const net::websocket_message& msg) {
    const auto now = clock_type::now();
    if (msg.data.size() > 4096) return close(c, 4002, "Decode error");
    while (!c->sent_log.empty() && now - c->sent_log.front() >= 60s) c->sent_log.pop_front();
    c->sent_log.push_back(now);
    if (c->sent_log.size() > 120) return close(c, 4008, "Rate limited");
    error_code jec;
    auto value = json::parse(msg.data, jec);
    if (jec || !value.is_object() || !value.as_object().contains("op") || !value.at("op").is_int64())
      return close(c, 4002, "Decode error");
    const auto op = static_cast<int>(value.at("op").as_int64());
    {
      std::lock_guard lock(mutex);
      push_bounded(received_log, fake_gateway_receipt{c->shard, op, msg.data, now}, options.max_recorded);
    }
    const json::value* d = value.as_object().if_contains("d");
    switch (op) {
      case 1:
        c->last_heartbeat = now;
        {
          std::lock_guard lock(mutex);
          ++heartbeat_count;
        }
        if (ack_heartbeats) send(c, envelope(11, nullptr));
        return;
      case 2:
        if (c->sess) return close(c, 4005, "Already authenticated");
        if (!d || !d->is_object()) return close(c, 4002, "Decode error");
        return on_identify(c, d->as_object());
      case 6:
        if (c->sess) return close(c, 4005, "Already authenticated");
        if (!d || !d->is_object()) return close(c, 4002, "Decode error");
        return on_resume(c, d->as_object());
      case 3:
      case 4:
      case 8:
        if (!c->sess) return close(c, 4003, "Not authenticated");
        if (op == 4 && d && d->is_object()) on_voice_state(c, d->as_object());
        return;
      default: return close(c, 4001, "Unknown opcode");
    }
  }

  void set_connected(std::uint32_t shard_id, bool on) {
    std::lock_guard lock(mutex);
    connected[shard_id] = on;
  }

  std::shared_ptr<connection> shard_connection(std::uint32_t shard_id) {
    auto it = shard_sessions.find(shard_id);
    if (it == shard_sessions.end()) return nullptr;
    return it->second->conn.lock();
  }

  // ---- REST ----------------------------------------------------------------------

  net::http_response finish(const net::server_request& req, net::http_response resp) {
    std::lock_guard lock(mutex);
    if (resp.status == 429) ++rate_limited_count;
    std::string path = req.path;
    if (path.rfind("/api/v10", 0) == 0) path.erase(0, 8);
    push_bounded(requests_log, fake_rest_request{req.method, std::move(path), req.body, resp.status, clock_type::now()},
                 options.max_recorded);
    return resp;
  }

  static net::http_response too_many(double retry_after, bool global, std::string_view scope) {
    auto r = net::http_response::json(
        429, json::serialize(json::object{{"message", "You are being rate limited."},
                                          {"retry_after", retry_after}, {"global", global}}));
    r.headers.push_back({"Retry-After", std::to_string(static_cast<long>(std::ceil(retry_after)))});
    if (global) r.headers.push_back({"X-RateLimit-Global", "true"});
    r.headers.push_back({"X-RateLimit-Scope", std::string(scope)});
    return r;
  }

  // Rate-limit checks shared by every REST route; `bucket` names the route
  // template, `major` its top-level resource.
  std::optional<net::http_response> limits(const net::server_request& req, std::string_view bucket,
                                           const std::string& major, bool exempt, net::http_headers& headers) {
    const auto now = clock_type::now();
    if (forced_failures > 0) {
      --forced_failures;
      return too_many(forced_retry_after, forced_global, forced_global ? "global" : "user");
    }
    if (!exempt) {
      const auto auth = req.header("Authorization");
      if (!auth || *auth != "Bot " + options.token) {
        return net::http_response::json(401, R"({"message":"401: Unauthorized","code":0})");
      }
      while (!global_log.empty() && now - global_log.front() >= 1s) global_log.pop_front();
      if (global_log.size() >= options.global_limit) {
        const auto wait = std::chrono::duration<double>(global_log.front() + 1s - now).count();
        return too_many(wait, true, "global");
      }
      global_log.push_back(now);
    }
    auto& b = buckets[std::string(bucket) + "|" + major];
    if (now >= b.reset_at) {
      b.used = 0;
      b.reset_at = now + options.bucket_window;
    }
    const double reset_after = std::chrono::duration<double>(b.reset_at - now).count();
    if (b.used >= options.bucket_limit) {
      auto r = too_many(reset_after, false, "user");
      r.headers.push_back({"X-RateLimit-Bucket", std::string(bucket)});
      r.headers.push_back({"X-RateLimit-Limit", std::to_string(options.bucket_limit)});
      r.headers.push_back({"X-RateLimit-Remaining", "0"});
      r.headers.push_back({"X-RateLimit-Reset-After", fmt_seconds(reset_after)});
      return r;
    }
    ++b.used;
    headers.push_back({"X-RateLimit-Bucket", std::string(bucket)});
    headers.push_back({"X-RateLimit-Limit", std::to_string(options.bucket_limit)});
    headers.push_back({"X-RateLimit-Remaining", std::to_string(options.bucket_limit - b.used)});
    headers.push_back({"X-RateLimit-Reset-After", fmt_seconds(reset_after)});
    return std::nullopt;
  }

  static std::string fmt_seconds(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", s);
    return buf;
  }

  using body_fn = std::function<net::http_response(const net::server_request&)>;

  static asio::awaitable<net::http_response> rest_call(std::weak_ptr<impl> weak, std::string bucket,
                                                      std::string major_param, bool exempt, body_fn fn,
                                                      net::server_request req) {
    auto self = weak.lock();
    if (!self) co_return net::http_response::text(503, "stopping");
    std::string major;
    if (!major_param.empty()) major = std::string(req.param(major_param).value_or(""));
    net::http_headers headers;
    if (auto limited = self->limits(req, bucket, major, exempt, headers)) {
      co_return self->finish(req, std::move(*limited));
    }
    auto resp = fn(req);
    for (auto& h : headers) resp.headers.push_back(std::move(h));
    co_return self->finish(req, std::move(resp));
  }

  void rest_route(std::string_view method, const std::string& pattern, std::string bucket, std::string major_param,
                  bool exempt, body_fn fn) {
    std::weak_ptr<impl> weak = weak_from_this();
    server.route(method, "/api/v10" + pattern, [weak, bucket, major_param, exempt, fn](net::server_request req) {
      return rest_call(weak, bucket, major_param, exempt, fn, std::move(req));
    });
  }

  static asio::awaitable<void> gateway_call(std::weak_ptr<impl> weak, net::server_websocket ws) {
    if (auto self = weak.lock()) co_await self->gateway(std::move(ws));
  }

  std::string next_id() { return std::to_string((static_cast<std::uint64_t>(1'500'000'000'000ull) << 22) + ++id_counter); }

  net::http_response echo_message(const net::server_request& req, std::string_view channel) {
    error_code ec;
    auto body = json::parse(req.body, ec);
    if (ec || !body.is_object()) return net::http_response::json(400, R"({"message":"Invalid JSON","code":50109})");
    auto& o = body.as_object();
    o["id"] = next_id();
    o["channel_id"] = channel;
    o["author"] = json::object{{"id", std::to_string(options.bot_user_id)}, {"bot", true}};
    return net::http_response::json(200, json::serialize(o));
  }

  std::int64_t session_reset_after_ms() {
    const auto now = clock_type::now();
    refill_session_budget(now);
    return std::chrono::ceil<std::chrono::milliseconds>(session_reset_at - now).count();
  }

  void install_rest() {
    auto self = this;
    rest_route("GET", "/gateway/bot", "gateway-bot", "", false, [self](const net::server_request&) {
      return net::http_response::json(
          200, json::serialize(json::object{
                   {"url", "ws://" + self->options.host + ":" + std::to_string(self->server.port())},
                   {"shards", self->options.shards},
                   {"session_start_limit", json::object{{"total", self->options.session_start_total},
                                                        {"remaining", self->session_remaining},
                                                        {"reset_after", self->session_reset_after_ms()},
                                                        {"max_concurrency", self->options.max_concurrency}}}}));
    });
    auto commands = [self](const net::server_request& req) {
      error_code ec;
      auto body = json::parse(req.body, ec);
      if (ec || !body.is_array()) return net::http_response::json(400, R"({"message":"Invalid Form Body","code":50035})");
      for (auto& c : body.as_array())
        if (c.is_object()) c.as_object()["id"] = self->next_id();
      return net::http_response::json(200, json::serialize(body));
    };
    rest_route("PUT", "/applications/{app}/commands", "commands", "", false, commands);
    rest_route("PUT", "/applications/{app}/guilds/{guild}/commands", "guild-commands", "guild", false, commands);
    rest_route("POST", "/interactions/{id}/{token}/callback", "interaction-callback", "id", true,
               [](const net::server_request& req) {
                 error_code ec;
                 auto body = json::parse(req.body, ec);
                 if (ec || !body.is_object() || !body.as_object().contains("type"))
                   return net::http_response::json(400, R"({"message":"Invalid Form Body","code":50035})");
                 net::http_response r;
                 r.status = 204;
                 return r;
               });
    rest_route("POST", "/webhooks/{app}/{token}", "webhook", "token", true,
               [self](const net::server_request& req) { return self->echo_message(req, "0"); });
    rest_route("PATCH", "/webhooks/{app}/{token}/messages/{message}", "webhook-message", "token", true,
               [self](const net::server_request& req) { return self->echo_message(req, "0"); });
    rest_route("DELETE", "/webhooks/{app}/{token}/messages/{message}", "webhook-message-delete", "token", true,
               [](const net::server_request&) {
                 net::http_response r;
                 r.status = 204;
                 return r;
               });
    rest_route("POST", "/channels/{channel}/messages", "channel-messages", "channel", false,
               [self](const net::server_request& req) {
                 return self->echo_message(req, req.param("channel").value_or(""));
               });
    rest_route("PATCH", "/channels/{channel}/messages/{message}", "channel-message-edit", "channel", false,
               [self](const net::server_request& req) {
                 return self->echo_message(req, req.param("channel").value_or(""));
               });
    std::weak_ptr<impl> weak = weak_from_this();
    server.websocket_route("/", [weak](net::server_websocket ws) { return gateway_call(weak, std::move(ws)); });
  }

  fake_discord_options options;
  net::http_server server;
  std::mt19937_64 rng;
  bool stopping = false;
  bool ack_heartbeats = true;
  std::uint32_t session_remaining = 0;
  clock_type::time_point session_reset_at{};
  std::uint64_t id_counter = 0;
  std::unordered_map<std::string, std::shared_ptr<session>> sessions;
  std::map<std::uint32_t, std::shared_ptr<session>> shard_sessions;
  std::map<std::uint32_t, clock_type::time_point> identify_bucket;
  std::vector<std::shared_ptr<connection>> live;
  std::unordered_map<std::string, bucket_state> buckets;
  std::deque<clock_type::time_point> global_log;
  std::size_t forced_failures = 0;
  double forced_retry_after = 1.0;
  bool forced_global = false;

  mutable std::mutex mutex;  // guards what inspection functions read
  std::vector<fake_rest_request> requests_log;
  std::vector<fake_identify> identifies;
  std::vector<fake_gateway_receipt> received_log;
  std::map<std::uint32_t, std::uint16_t> last_close;
  std::map<std::uint32_t, bool> connected;
  std::size_t resume_count = 0;
  std::size_t heartbeat_count = 0;
  std::size_t rate_limited_count = 0;
  std::size_t connection_count = 0;
};

fake_discord::fake_discord(asio::any_io_executor executor, fake_discord_options options)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(options))) {
  impl_->ack_heartbeats = impl_->options.ack_heartbeats;
  impl_->session_remaining = impl_->options.session_start_remaining;
  impl_->session_reset_at = clock_type::now() + impl_->options.session_start_reset_after;
  impl_->install_rest();
}

fake_discord::~fake_discord() { stop(); }

boost::system::result<std::uint16_t> fake_discord::start() { return impl_->server.start(); }

void fake_discord::stop() {
  impl_->stopping = true;
  impl_->server.stop();
}

std::uint16_t fake_discord::port() const noexcept { return impl_->server.port(); }
std::string fake_discord::gateway_url() const {
  return "ws://" + impl_->options.host + ":" + std::to_string(impl_->server.port());
}
std::string fake_discord::api_base() const {
  return "http://" + impl_->options.host + ":" + std::to_string(impl_->server.port()) + "/api/v10";
}
std::vector<std::uint64_t> fake_discord::guild_ids(std::uint32_t shard_id, std::uint32_t shard_count) const {
  return impl_->guilds_of(shard_id, shard_count);
}

void fake_discord::dispatch(std::uint32_t shard_id, std::string t, std::string d_json) {
  asio::post(impl_->server.get_executor(), [self = impl_, shard_id, t = std::move(t), d = std::move(d_json)] {
    auto it = self->shard_sessions.find(shard_id);
    if (it == self->shard_sessions.end()) return;
    error_code ec;
    auto value = json::parse(d, ec);
    if (ec) return;
    self->emit(it->second, t, std::move(value));
  });
}

void fake_discord::close_shard(std::uint32_t shard_id, std::uint16_t code, std::string reason) {
  asio::post(impl_->server.get_executor(), [self = impl_, shard_id, code, r = std::move(reason)]() mutable {
    if (auto c = self->shard_connection(shard_id)) self->close(c, code, std::move(r));
  });
}

void fake_discord::drop_shard(std::uint32_t shard_id) {
  asio::post(impl_->server.get_executor(), [self = impl_, shard_id] {
    if (auto c = self->shard_connection(shard_id)) {
      c->closed = true;
      c->ws.abort();
    }
  });
}

void fake_discord::send_reconnect(std::uint32_t shard_id) {
  asio::post(impl_->server.get_executor(), [self = impl_, shard_id] {
    if (auto c = self->shard_connection(shard_id)) self->send(c, self->envelope(7, nullptr));
  });
}

void fake_discord::send_invalid_session(std::uint32_t shard_id, bool resumable) {
  asio::post(impl_->server.get_executor(), [self = impl_, shard_id, resumable] {
    auto it = self->shard_sessions.find(shard_id);
    if (it == self->shard_sessions.end()) return;
    auto s = it->second;
    auto c = s->conn.lock();
    if (!resumable) {
      self->set_connected(shard_id, false);
      self->sessions.erase(s->id);
      self->shard_sessions.erase(it);
      if (c) c->sess.reset();
    }
    if (c) self->send(c, self->envelope(9, resumable));
  });
}

void fake_discord::request_heartbeat(std::uint32_t shard_id) {
  asio::post(impl_->server.get_executor(), [self = impl_, shard_id] {
    if (auto c = self->shard_connection(shard_id)) self->send(c, self->envelope(1, nullptr));
  });
}

void fake_discord::set_ack_heartbeats(bool ack) {
  asio::post(impl_->server.get_executor(), [self = impl_, ack] { self->ack_heartbeats = ack; });
}

void fake_discord::fail_next_requests(std::size_t count, double retry_after, bool global) {
  asio::post(impl_->server.get_executor(), [self = impl_, count, retry_after, global] {
    self->forced_failures = count;
    self->forced_retry_after = retry_after;
    self->forced_global = global;
  });
}

std::vector<fake_rest_request> fake_discord::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests_log;
}
std::vector<fake_identify> fake_discord::identifies() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->identifies;
}
std::vector<fake_gateway_receipt> fake_discord::received() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->received_log;
}
std::size_t fake_discord::resumes() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->resume_count;
}
std::size_t fake_discord::heartbeats() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->heartbeat_count;
}
std::size_t fake_discord::rate_limited() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->rate_limited_count;
}
std::size_t fake_discord::connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->connection_count;
}
std::optional<std::uint16_t> fake_discord::last_client_close_code(std::uint32_t shard_id) const {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->last_close.find(shard_id);
  if (it == impl_->last_close.end()) return std::nullopt;
  return it->second;
}
bool fake_discord::shard_connected(std::uint32_t shard_id) const {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->connected.find(shard_id);
  return it != impl_->connected.end() && it->second;
}

}  // namespace musicbot::testing
