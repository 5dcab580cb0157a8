#include "bot.hpp"

#include "codecs.hpp"
#include "commands.hpp"
#include "limits.hpp"

#include <musicbot/cache/layered_cache.hpp>
#include <musicbot/cache/metrics.hpp>
#include <musicbot/cache/redis.hpp>
#include <musicbot/core/secret_fmt.hpp>
#include <musicbot/core/ttl_map.hpp>
#include <musicbot/discord/gateway.hpp>
#if defined(MUSICBOT_DISCORD_HAS_REDIS)
#include <musicbot/discord/redis_identify_coordinator.hpp>
#endif
#include <musicbot/discord/rest_client.hpp>
#include <musicbot/lavalink/node_pool.hpp>
#include <musicbot/lavalink/metrics.hpp>
#include <musicbot/metrics/business.hpp>
#include <musicbot/metrics/health.hpp>
#include <musicbot/metrics/process_collector.hpp>
#include <musicbot/metrics/registry.hpp>
#include <musicbot/music/session_manager.hpp>
#include <musicbot/net/observability_server.hpp>
#include <musicbot/net/otlp_exporter.hpp>
#include <musicbot/queue/guild_settings.hpp>
#include <musicbot/redis/client.hpp>
#include <musicbot/redis/config.hpp>
#include <musicbot/store/postgres_store.hpp>
#include <musicbot/store/sqlite_store.hpp>
#include <musicbot/trace/current.hpp>
#include <musicbot/trace/span_buffer.hpp>

#if defined(MUSICBOT_BOT_WITH_API)
#include <musicbot/api/control_server.hpp>
#endif

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <unordered_map>

namespace musicbot::bot {

namespace asio = boost::asio;
using boost::system::error_code;
using discord::interaction;
using discord::interaction_response;
using discord::message_content;

namespace {

constexpr std::size_t max_latency_samples = 100'000;
constexpr std::size_t max_tracked_guilds = 200'000;
constexpr std::size_t max_voice_users_per_guild = 25'000;
constexpr std::size_t settings_cache_entries = 50'000;
constexpr std::size_t queue_view_cache_entries = 20'000;
constexpr std::uint64_t perm_administrator = 0x8;
constexpr std::uint64_t perm_manage_guild = 0x20;
constexpr auto settings_ttl = std::chrono::minutes(5);
constexpr auto queue_view_ttl = std::chrono::seconds(30);

// The label values commands may take: metrics never see user-controlled text.
std::string_view command_label(std::string_view name) {
  static constexpr std::array<std::string_view, 18> known = {
      "play", "pause", "resume", "skip", "stop", "queue", "nowplaying", "volume", "loop",
      "shuffle", "remove", "move", "seek", "autoplay", "clear", "leave", "settings", "dashboard"};
  for (const auto k : known) {
    if (k == name) return k;
  }
  return "unknown";
}

// Commands that only read: they never invalidate the guild's queue views.
bool reads_only(std::string_view command) {
  return command == "queue" || command == "nowplaying" || command == "settings" || command == "dashboard";
}

message_content text(std::string content, bool ephemeral = false) {
  message_content m;
  m.content = std::move(content);
  m.ephemeral = ephemeral;
  return m;
}

std::string queue_tag(std::uint64_t guild) { return "q:" + std::to_string(guild); }

// Who is in which voice channel, per guild (bounded).
class voice_presence {
 public:
  void set(std::uint64_t guild, std::uint64_t user, std::optional<std::uint64_t> channel) {
    auto it = guilds_.find(guild);
    if (it == guilds_.end()) {
      if (!channel || guilds_.size() >= max_tracked_guilds) return;
      it = guilds_.emplace(guild, std::unordered_map<std::uint64_t, std::uint64_t>{}).first;
    }
    if (!channel) {
      it->second.erase(user);
      if (it->second.empty()) guilds_.erase(it);
      return;
    }
    if (it->second.size() >= max_voice_users_per_guild && !it->second.contains(user)) return;
    it->second[user] = *channel;
  }
  void forget_guild(std::uint64_t guild) { guilds_.erase(guild); }
  [[nodiscard]] std::optional<std::uint64_t> channel_of(std::uint64_t guild, std::uint64_t user) const {
    const auto g = guilds_.find(guild);
    if (g == guilds_.end()) return std::nullopt;
    const auto u = g->second.find(user);
    if (u == g->second.end()) return std::nullopt;
    return u->second;
  }
  [[nodiscard]] std::size_t count_in(std::uint64_t guild, std::uint64_t channel, std::uint64_t bot_user) const {
    const auto g = guilds_.find(guild);
    if (g == guilds_.end()) return 0;
    std::size_t n = 0;
    for (const auto& [user, ch] : g->second) n += (ch == channel && user != bot_user) ? 1U : 0U;
    return n;
  }

 private:
  std::unordered_map<std::uint64_t, std::unordered_map<std::uint64_t, std::uint64_t>> guilds_;
};

std::shared_ptr<store::database> make_store(asio::any_io_executor ex, const bot_config& c) {
  if (c.store.backend == "postgres") {
    store::postgres_config pc;
    pc.dsn = c.store.postgres_dsn;
    pc.pool_max = c.store.pool_max;
    return std::make_shared<store::postgres_store>(ex, pc);
  }
  store::sqlite_config sc;
  sc.path = c.store.sqlite_path;
  return std::make_shared<store::sqlite_store>(ex, sc);
}

std::string describe_music_error(const error_code& ec) {
  if (ec.category() == music::music_category()) return ec.message();
  return "something went wrong (" + std::string(ec.category().name()) + "); please try again";
}

using settings_cache_t = cache::layered_cache<std::uint64_t, queue::guild_settings>;
using queue_cache_t = cache::layered_cache<std::string, queue::queue_page>;
using settings_ptr = std::shared_ptr<const queue::guild_settings>;

cache::codec<std::uint64_t, queue::guild_settings> settings_codec() {
  return {&cache::key_codec<std::uint64_t>::encode, &cache::key_codec<std::uint64_t>::decode, &encode_settings,
          &decode_settings};
}

// One command (or component press) in flight: what its continuations need,
// including the trace context re-installed around each of them so their log
// lines carry the command's trace id.
struct command_call {
  interaction i;
  std::string command;  // a bounded label (command_label)
  std::chrono::steady_clock::time_point started;
  trace::span span;
  trace::span_context trace;  // copy of span.context(), installed in continuations
  bool component = false;     // a button press: answered with UPDATE_MESSAGE
};
using call_ptr = std::shared_ptr<command_call>;

// Announcements of one guild: at most one per announce_interval; what
// arrives meanwhile replaces the pending one (bursts coalesce).
struct announce_slot {
  std::chrono::steady_clock::time_point last_sent{};
  std::optional<queue::track> pending;
  std::shared_ptr<asio::steady_timer> timer;  // armed while `pending` waits
};

}  // namespace

struct music_bot::impl : std::enable_shared_from_this<impl> {
  impl(asio::io_context& io, bot_config c, runtime_options r)
      : ioc(io),
        config(std::move(c)),
        runtime(std::move(r)),
        log(spdlog::default_logger()),
        db(make_store(io.get_executor(), config)),
        pool(io.get_executor(), pool_options()),
        rest(io.get_executor(), rest_options()),
        announcements(max_tracked_guilds, std::chrono::minutes(1)) {
    business = metrics::register_business_metrics(registry).value();
    (void)metrics::register_process_collector(registry);
    for (const auto& n : config.lavalink_nodes) {
      lavalink::node_options no;
      no.name = n.name;
      no.url = n.url;
      no.password = n.password;
      if (!n.region.empty()) no.regions.push_back(n.region);
      no.reconnect.base = std::chrono::milliseconds(100);
      no.reconnect.cap = std::chrono::milliseconds(2000);
      pool.add_node(no);
    }
    if (!config.observability.otlp_endpoint.empty()) {
      spans = std::make_shared<trace::span_buffer>(8192);
      trace::tracer_options to;
      to.sample_ratio = config.observability.trace_sample_ratio;
      tracer = trace::tracer(to, spans);
      net::otlp_exporter_options eo;
      eo.endpoint = config.observability.otlp_endpoint;
      exporter = std::make_unique<net::otlp_exporter>(io.get_executor(), spans, eo);
    }
    make_redis_parts();
    make_caches();
    music::session_options so;
    so.limits.max_length = config.music.max_queue_length;
    so.limits.max_per_user = config.music.max_per_user;
    so.idle_disconnect = config.music.idle_disconnect;
    so.autoplay_history = config.music.autoplay_history;
    so.search_prefixes = config.music.search_prefixes;
    so.default_search_prefix = config.music.search_prefixes.empty() ? "ytsearch:" : config.music.search_prefixes.front();
    so.default_volume = config.music.default_volume;
    so.tracer = tracer;
    sessions = std::make_unique<music::session_manager>(io.get_executor(), pool, *db, so);
    make_control_api();
    stats.latency_ms.reserve(1024);
  }

  void make_control_api() {
#if defined(MUSICBOT_BOT_WITH_API)
    if (!config.api.enabled) return;
    api::control_options ao;
    ao.host = config.api.host;
    ao.port = config.api.port;
    ao.allowed_origins = config.api.allowed_origins;
    ao.default_token_ttl = config.api.token_ttl;
    ao.tracer = tracer;
    control = std::make_unique<api::control_server>(ioc.get_executor(), *sessions, *db, ao);
#endif
  }

  // Starts the control API once the store and sessions are ready. A port in
  // use is logged, not fatal: the bot itself keeps working.
  void start_control_api() {
#if defined(MUSICBOT_BOT_WITH_API)
    if (!control) return;
    std::weak_ptr<impl> weak = shared_from_this();
    control->on_settings_changed([weak](const queue::guild_settings& s) {
      if (auto self = weak.lock()) self->invalidate_settings(s.guild_id);
    });
    if (auto ep = control->start()) {
      log->info("control API and dashboard at http://{}:{}/", config.api.host, ep->port());
    } else {
      log->error("control API: {}", ep.error().message());
    }
#endif
  }

  [[nodiscard]] std::uint16_t api_port() const noexcept {
#if defined(MUSICBOT_BOT_WITH_API)
    return control ? control->port() : 0;
#else
    return 0;
#endif
  }

  // The URL admins open: api.public_url, else the listening address.
  [[nodiscard]] std::string dashboard_url() const {
    if (!config.api.public_url.empty()) return config.api.public_url;
    const auto host = config.api.host == "0.0.0.0" || config.api.host == "::" ? std::string("127.0.0.1") : config.api.host;
    return "http://" + host + ":" + std::to_string(api_port()) + "/";
  }

  void issue_token(std::uint64_t guild, std::uint64_t user, std::chrono::seconds ttl, std::string label,
                   std::function<void(error_code, std::string, core::secret)> done) {
#if defined(MUSICBOT_BOT_WITH_API)
    if (control) {
      control->async_issue_token(guild, user, ttl, std::move(label),
                                 [done = std::move(done)](error_code ec, api::issued_token t) {
                                   done(ec, std::move(t.id), std::move(t.token));
                                 });
      return;
    }
#else
    (void)guild, (void)user, (void)ttl, (void)label;
#endif
    asio::post(ioc, [done = std::move(done)] { done(error_code(music::error::invalid_value), {}, core::secret{}); });
  }

  // Redis is optional: with it, limits are shared by every process and the
  // settings cache has an L2 and an invalidation backplane.
  void make_redis_parts() {
    if (config.redis.url.empty()) {
      limiter = std::make_unique<command_limiter>(config);
      return;
    }
    auto parsed = redis::parse_url(config.redis.url.reveal());
    if (!parsed) {  // validated by the config loader; never echo the URL (it may hold a password)
      throw std::invalid_argument("redis.url: " + parsed.error().message());
    }
    redis_config = *parsed;
    if (tracer.enabled()) redis_config.tracer = std::make_shared<const trace::tracer>(tracer);  // spans per Redis call
    redis_client = std::make_unique<redis::client>(ioc.get_executor(), redis_config);
    limiter = std::make_unique<command_limiter>(config, *redis_client, business);
    settings_l2 = std::make_shared<cache::redis_l2_store>(*redis_client);
    backplane = std::make_shared<cache::redis_backplane>(ioc.get_executor(), *redis_client, redis_config,
                                                         config.redis.key_prefix + ":cache:invalidate");
    make_identify_coordinator();
  }

  // With Redis, the shards of every process identify through one shared
  // coordinator: per bucket (shard_id % max_concurrency) one identify per
  // window across all processes, and one shared daily budget. Without it
  // (or with redis.identify_coordination = false) the shard manager uses
  // its in-process coordinator.
  void make_identify_coordinator() {
#if defined(MUSICBOT_DISCORD_HAS_REDIS)
    if (!redis_client || !config.redis.identify_coordination) return;
    discord::redis_identify_options io;
    // Every process of one bot must name it alike; without an application
    // id, bots sharing this Redis and key prefix share buckets (slower, never unsafe).
    io.bot_id = config.discord.application_id != 0 ? std::to_string(config.discord.application_id) : "default";
    io.key_prefix = config.redis.key_prefix;
    io.window = runtime.identify_window;
    redis_identify = std::make_shared<discord::redis_identify_coordinator>(
        ioc.get_executor(), *redis_client, discord::session_start_limit{}, std::move(io));
#endif
  }

  void make_caches() {
    cache::cache_options<std::uint64_t, queue::guild_settings> so;
    so.name = config.redis.key_prefix + ":guild_settings";
    so.max_entries = settings_cache_entries;
    so.l2 = settings_l2;
    so.invalidations = backplane;
    so.serializer = settings_codec();
    if (auto observer = cache::make_metrics_observer(registry, "guild_settings")) so.on_event = *observer;
    settings_cache = std::make_unique<settings_cache_t>(ioc.get_executor(), std::move(so));
    // Queue views live with the session (the process holding the guild's
    // shard), so they stay in L1: an L2 copy would only add a round trip.
    cache::cache_options<std::string, queue::queue_page> qo;
    qo.name = "queue_views";
    qo.max_entries = queue_view_cache_entries;
    if (auto observer = cache::make_metrics_observer(registry, "queue_views")) qo.on_event = *observer;
    queue_cache = std::make_unique<queue_cache_t>(ioc.get_executor(), std::move(qo));
  }

  lavalink::pool_options pool_options() {
    lavalink::pool_options po;
    // Node states, players per node, REST latency, events, reconnects, moves.
    if (auto observer = lavalink::metrics_observer::create(registry); observer.has_value()) po.observer = observer.value();
    po.user_id = std::to_string(config.discord.application_id);
    po.client_name = "musicbot/0.1";
    return po;
  }

  discord::rest_options rest_options() const {
    discord::rest_options ro;
    ro.base_url = runtime.discord_rest_url.empty() ? config.discord.rest_url : runtime.discord_rest_url;
    ro.token = config.discord.token;
    ro.timeout = std::chrono::seconds(10);
    return ro;
  }

  asio::io_context& ioc;
  bot_config config;
  runtime_options runtime;
  std::shared_ptr<spdlog::logger> log;
  metrics::registry registry;
  metrics::business_metrics business;
  metrics::health_registry health;
  std::shared_ptr<store::database> db;
  lavalink::node_pool pool;
  discord::rest_client rest;
  redis::config redis_config;
  std::unique_ptr<redis::client> redis_client;  // set when redis.url is configured
  std::shared_ptr<cache::redis_l2_store> settings_l2;
  std::shared_ptr<cache::redis_backplane> backplane;
  std::unique_ptr<command_limiter> limiter;
  std::unique_ptr<settings_cache_t> settings_cache;
  std::unique_ptr<queue_cache_t> queue_cache;
  // The Redis identify coordinator (declared after redis_client, which it
  // uses: destroyed before it). Empty: the shard manager's local one.
  std::shared_ptr<discord::identify_coordinator> redis_identify;
  std::unique_ptr<discord::shard_manager> shards;
  std::unique_ptr<music::session_manager> sessions;
  music::subscription queue_events;  // drops queue views on every queue change (commands, API, autoplay)
  std::unique_ptr<net::observability_server> observability;
#if defined(MUSICBOT_BOT_WITH_API)
  std::unique_ptr<api::control_server> control;  // api.enabled
#endif
  std::shared_ptr<trace::span_buffer> spans;
  trace::tracer tracer;  // disabled unless observability.otlp_endpoint is set
  std::unique_ptr<net::otlp_exporter> exporter;
  core::ttl_map<std::uint64_t, announce_slot> announcements;
  voice_presence presence;
  std::unordered_map<std::uint64_t, std::uint64_t> bot_channel;  // guild -> channel (bounded by guilds seen)
  std::unordered_map<std::uint64_t, std::uint64_t> rejoin;       // saved channels to rejoin when their guild arrives
  bool accepting = false;
  bool stopping = false;
  bot_stats stats;

  void record_latency(std::chrono::steady_clock::time_point started, std::string_view command, std::string_view outcome) {
    const auto elapsed = std::chrono::steady_clock::now() - started;
    const double ms = std::chrono::duration<double, std::milli>(elapsed).count();
    if (stats.latency_ms.size() < max_latency_samples) {
      stats.latency_ms.push_back(ms);
    } else {
      stats.latency_ms[stats.latency_next++ % max_latency_samples] = ms;
    }
    if (auto h = business.command_latency.with({command_label(command)})) h->observe(ms / 1000.0);
    if (auto c = business.commands.with({command_label(command), outcome})) c->inc();
  }

  // --- start / stop ------------------------------------------------------
  void start(std::function<void(error_code)> done) {
    auto self = shared_from_this();
    if (exporter) exporter->start();
    if (redis_client) {
      redis_client->start();
      backplane->start();
      (void)health.add_check("redis", [weak = std::weak_ptr<impl>(self)] {
        const auto s = weak.lock();
        if (s && s->limiter->fallback_active()) {
          return metrics::health_report{metrics::health_status::degraded, "Redis unavailable: local rate limits"};
        }
#if defined(MUSICBOT_DISCORD_HAS_REDIS)
        if (s && s->redis_identify &&
            !std::static_pointer_cast<discord::redis_identify_coordinator>(s->redis_identify)->stats().store_healthy) {
          return metrics::health_report{metrics::health_status::degraded, "Redis unavailable: identifies held back"};
        }
#endif
        return metrics::health_report{};
      });
    }
    std::weak_ptr<impl> weak = self;
    sessions->on_now_playing([weak](std::uint64_t guild, const queue::track& t) {
      if (auto s = weak.lock()) s->on_now_playing(guild, t);
    });
    queue_events = sessions->subscribe([weak](const music::session_event& ev) {
      using kind = music::session_event_kind;
      if (ev.kind != kind::queue_changed && ev.kind != kind::stopped && ev.kind != kind::session_ended) return;
      if (auto s = weak.lock()) s->invalidate_queue_views(ev.guild_id);
    });
    sessions->on_idle([weak](std::uint64_t guild) {
      if (auto s = weak.lock()) s->on_session_idle(guild);
    });
    db->async_start([self, done = std::move(done)](error_code ec) mutable {
      if (ec) {
        self->log->error("store: {}", ec.message());
        return done(ec);
      }
      self->health.set("store", metrics::health_status::healthy).value();
      // Handlers stored in members hold the bot weakly (no ownership cycle).
      self->pool.on_player_moved([weak = std::weak_ptr<impl>(self)](const lavalink::player_moved&) {
        if (auto s = weak.lock()) ++s->stats.players_moved;
      });
      self->pool.start();
      self->sessions->async_restore([self, done = std::move(done)](error_code rec, std::size_t restored) mutable {
        if (rec) self->log->warn("restoring sessions: {}", rec.message());
        if (restored > 0) self->log->info("restored {} music sessions from the store", restored);
        self->start_control_api();
        self->load_voice_channels(std::move(done));
      });
    });
    (void)health.add_check("lavalink", [weak = std::weak_ptr<impl>(shared_from_this())] {
      const auto bot = weak.lock();
      if (!bot) return metrics::health_report{metrics::health_status::unhealthy, "stopping"};
      const auto n = bot->connected_nodes();
      if (n == 0) return metrics::health_report{metrics::health_status::unhealthy, "no Lavalink node connected"};
      if (n < bot->pool.nodes().size()) return metrics::health_report{metrics::health_status::degraded, "some Lavalink nodes are down"};
      return metrics::health_report{};
    });
    net::observability_options oo;
    oo.server.address = config.observability.listen_address;
    oo.server.port = config.observability.port;
    oo.bearer_token = config.observability.bearer_token;
    observability = std::make_unique<net::observability_server>(ioc.get_executor(), registry, health, oo);
    if (auto port = observability->start(); !port) {
      log->warn("observability server: {}", port.error().message());
    }
  }

  // The voice channels the bot was in when it stopped (or was killed): each
  // is rejoined when its guild's GUILD_CREATE arrives, i.e. only for guilds
  // of this process's shards, once their shard is ready.
  void load_voice_channels(std::function<void(error_code)> done) {
    auto self = shared_from_this();
    db->async_list_voice_channels(
        [self, done = std::move(done)](error_code ec, std::vector<store::voice_channel_record> saved) mutable {
          if (ec) self->log->warn("listing saved voice channels: {}", ec.message());
          for (const auto& r : saved) {
            if (self->rejoin.size() >= max_tracked_guilds) break;
            if (r.guild_id != 0 && r.channel_id != 0) self->rejoin[r.guild_id] = r.channel_id;
          }
          if (!self->rejoin.empty()) self->log->info("{} voice channels to rejoin", self->rejoin.size());
          self->start_discord(std::move(done));
        });
  }

  void rejoin_voice(std::uint64_t guild) {
    const auto it = rejoin.find(guild);
    if (it == rejoin.end()) return;
    const auto channel = it->second;
    rejoin.erase(it);
    if (bot_channel.contains(guild)) return;  // already back (e.g. a resumed gateway session)
    auto self = shared_from_this();
    shards->async_update_voice_state(guild, channel, false, true, [self, guild](error_code ec) {
      if (ec) self->log->warn("rejoining voice in guild {}: {}", guild, ec.message());
    });
  }

  // Remembers the bot's voice channel (0: none) so a restart rejoins it.
  void save_voice_channel(std::uint64_t guild, std::uint64_t channel) {
    auto self = shared_from_this();
    db->async_save_voice_channel(guild, channel, [self, guild](error_code ec) {
      if (ec) self->log->warn("saving the voice channel of guild {}: {}", guild, ec.message());
    });
  }

  void start_discord(std::function<void(error_code)> done) {
    discord::shard_manager_options so;
    so.gateway.token = config.discord.token;
    so.gateway.intents = config.discord.intents;
    so.shard_count = config.discord.shard_count;
    if (config.discord.shard_count) {
      so.range = discord::shard_range{config.discord.shard_first,
                                      config.discord.shard_last.value_or(*config.discord.shard_count - 1),
                                      *config.discord.shard_count};
    }
    const auto gateway = runtime.discord_gateway_url.empty() ? config.discord.gateway_url : runtime.discord_gateway_url;
    if (!gateway.empty()) so.gateway_url = gateway;
    shards = std::make_unique<discord::shard_manager>(ioc.get_executor(), so, rest, redis_identify);
    auto self = shared_from_this();
    std::weak_ptr<impl> weak = self;
    shards->set_event_handler([weak](std::uint32_t, const discord::gateway_payload& p) {
      if (auto s = weak.lock()) s->on_dispatch(p);
    });
    shards->set_voice_handler([weak](const discord::voice_update& u) {
      if (auto s = weak.lock()) s->on_voice(u);
    });
    shards->async_start([self, done = std::move(done)](error_code ec) mutable {
      if (ec) {
        self->log->error("discord: {}", ec.message());
        return done(ec);
      }
      self->accepting = true;
      if (self->runtime.register_commands && self->config.discord.application_id != 0) {
        self->rest.async_bulk_overwrite_global_commands(
            self->config.discord.application_id, command_definitions(),
            [self](error_code rec, discord::rest_response) {
              if (rec) self->log->warn("registering commands: {}", rec.message());
            });
      }
      done({});
    });
  }

  void shutdown(std::function<void()> done) {
    if (stopping) return done();
    stopping = true;
    accepting = false;  // stop taking commands first
    auto self = shared_from_this();
    auto finished = std::make_shared<bool>(false);
    auto finish = [self, finished, done]() {
      if (*finished) return;
      *finished = true;
      if (self->shards) self->shards->stop(true);  // resumable close
      self->pool.stop();
      if (self->observability) self->observability->stop();
#if defined(MUSICBOT_BOT_WITH_API)
      if (self->control) self->control->stop();
#endif
      if (self->redis_client) self->redis_client->close();
      if (!self->exporter) return done();
      self->exporter->stop();
      self->exporter->async_flush([done](error_code) { done(); });  // bounded by the export timeout
    };
    auto deadline = std::make_shared<asio::steady_timer>(ioc, config.shutdown_deadline);
    deadline->async_wait([finish, deadline](error_code ec) {
      if (!ec) finish();
    });
    sessions->async_persist_all([self, finish, deadline](error_code ec) {
      if (ec) self->log->warn("shutdown: persisting queues: {}", ec.message());
      deadline->cancel();
      finish();
    });
  }

  std::size_t connected_nodes() {
    std::size_t n = 0;
    for (auto* node : pool.nodes()) n += node->available() ? 1U : 0U;
    business.lavalink_nodes_connected.set(static_cast<double>(n));
    return n;
  }

  // --- caches -----------------------------------------------------------------
  // Guild settings: L1 (and L2 with Redis) for 5 minutes, then the store.
  // The store failing serves the last value up to 10 more minutes, else the
  // defaults (commands keep working on a store outage).
  void with_settings(std::uint64_t guild, std::function<void(settings_ptr)> next) {
    if (auto cached = settings_cache->find(guild)) return next(std::move(cached));
    cache::entry_options eo;
    eo.ttl = settings_ttl;
    eo.max_stale = std::chrono::minutes(10);
    eo.hard_timeout = std::chrono::seconds(5);
    std::weak_ptr<impl> weak = shared_from_this();
    auto loader = [weak](const std::uint64_t& g) -> asio::awaitable<boost::system::result<queue::guild_settings>> {
      auto self = weak.lock();
      if (!self) co_return error_code(cache::error::closed);
      ++self->stats.settings_loads;
      auto [ec, loaded] = co_await self->db->async_load_settings(g, asio::as_tuple(asio::use_awaitable));
      if (ec) co_return ec;
      queue::guild_settings s = loaded.value_or(queue::guild_settings{});
      s.guild_id = g;
      co_return s;
    };
    auto self = shared_from_this();
    settings_cache->get_or_load(guild, std::move(loader), eo,
                                [self, guild, next = std::move(next)](error_code ec, settings_ptr s) {
                                  if (!s) {
                                    if (ec) self->log->warn("loading settings of guild {}: {}", guild, ec.message());
                                    auto defaults = std::make_shared<queue::guild_settings>();
                                    defaults->guild_id = guild;
                                    s = std::move(defaults);
                                  }
                                  next(std::move(s));
                                });
  }

  void invalidate_settings(std::uint64_t guild) {
    auto self = shared_from_this();
    settings_cache->erase(guild, [self, guild](error_code ec) {
      if (ec) self->log->warn("invalidating cached settings of guild {}: {}", guild, ec.message());
    });
  }

  void invalidate_queue_views(std::uint64_t guild) {
    queue_cache->erase_by_tag(queue_tag(guild), [](error_code) {});
  }

  // A queue page for display, cached 30 s (every change in the guild drops
  // its pages). A page past the end falls back to the last page.
  void with_queue_page(std::uint64_t guild, std::size_t page,
                       std::function<void(std::optional<queue::queue_page>)> next) {
    cache::entry_options eo;
    eo.ttl = queue_view_ttl;
    eo.write_l2 = false;
    eo.tags = {queue_tag(guild)};
    std::weak_ptr<impl> weak = shared_from_this();
    auto loader = [weak, guild, page](const std::string&) -> asio::awaitable<boost::system::result<queue::queue_page>> {
      auto self = weak.lock();
      if (!self) co_return error_code(cache::error::closed);
      ++self->stats.queue_view_renders;
      auto p = self->sessions->page(guild, page);
      if (!p && page > 0) {
        if (const auto first = self->sessions->page(guild, 0)) p = self->sessions->page(guild, first->page_count - 1);
      }
      if (!p) co_return error_code(cache::error::not_found);
      co_return std::move(*p);
    };
    queue_cache->get_or_load(std::to_string(guild) + ":" + std::to_string(page), std::move(loader), eo,
                             [next = std::move(next)](error_code, std::shared_ptr<const queue::queue_page> p) {
                               if (!p) return next(std::nullopt);
                               next(*p);
                             });
  }

  // The session left after being idle: leave the voice channel too.
  void on_session_idle(std::uint64_t guild) {
    invalidate_queue_views(guild);
    if (!shards || stopping || !bot_channel.contains(guild)) return;
    auto self = shared_from_this();
    shards->async_update_voice_state(guild, std::nullopt, false, true, [self, guild](error_code ec) {
      if (ec) self->log->warn("leaving voice in guild {} after idle: {}", guild, ec.message());
    });
  }

  // --- now playing announcements ---------------------------------------------
  void on_now_playing(std::uint64_t guild, const queue::track& t) {
    invalidate_queue_views(guild);
    auto* slot = announcements.find_and_refresh(guild, std::chrono::minutes(1));
    if (slot == nullptr) slot = announcements.insert_or_assign(guild, announce_slot{}).first;
    if (slot == nullptr) return;
    const auto now = std::chrono::steady_clock::now();
    if (slot->pending || (slot->last_sent != std::chrono::steady_clock::time_point{} && now < slot->last_sent + runtime.announce_interval)) {
      if (slot->pending) ++stats.announcements_coalesced;
      slot->pending = t;  // the newest track replaces a waiting one
      if (slot->timer) return;
      slot->timer = std::make_shared<asio::steady_timer>(ioc, slot->last_sent + runtime.announce_interval);
      std::weak_ptr<impl> weak = shared_from_this();
      slot->timer->async_wait([weak, guild, timer = slot->timer](error_code ec) {
        auto self = weak.lock();
        if (ec || !self || self->stopping) return;
        auto* s = self->announcements.find(guild);
        if (s == nullptr || s->timer != timer || !s->pending) return;
        auto track = std::move(*s->pending);
        s->pending.reset();
        s->timer.reset();
        s->last_sent = std::chrono::steady_clock::now();
        self->announce(guild, std::move(track));
      });
      return;
    }
    slot->last_sent = now;
    announce(guild, t);
  }

  void announce(std::uint64_t guild, queue::track t) {
    auto self = shared_from_this();
    with_settings(guild, [self, guild, t = std::move(t)](settings_ptr s) {
      if (!s->announce_channel_id || self->stopping) return;
      ++self->stats.announcements;
      self->rest.async_create_message(*s->announce_channel_id, text("Now playing " + track_line(t)),
                                      [self, guild](error_code ec, discord::rest_response) {
                                        if (!ec) return;
                                        self->log->warn("now-playing announcement in guild {}: {}", guild, ec.message());
                                        if (auto e = self->business.errors.with({"discord", "announce"})) e->inc();
                                      });
    });
  }

  // --- gateway events ------------------------------------------------------
  void on_dispatch(const discord::gateway_payload& p) {
    if (const auto* g = std::get_if<discord::guild_create_event>(&p.event)) {
      for (const auto& vs : g->voice_states) presence.set(g->id, vs.user_id, vs.channel_id);
      business.active_guilds.inc();
      rejoin_voice(g->id);
    } else if (const auto* gd = std::get_if<discord::guild_delete_event>(&p.event)) {
      presence.forget_guild(gd->id);  // GUILD_CREATE sends the voice states again after an outage
      if (!gd->unavailable) {  // removed from the guild: nothing to rejoin
        bot_channel.erase(gd->id);
        rejoin.erase(gd->id);
        save_voice_channel(gd->id, 0);
      }
      business.active_guilds.inc(-1.0);
    } else if (const auto* vs = std::get_if<discord::voice_state>(&p.event)) {
      if (vs->guild_id && vs->user_id != config.discord.application_id) presence.set(*vs->guild_id, vs->user_id, vs->channel_id);
    } else if (const auto* i = std::get_if<interaction>(&p.event)) {
      on_interaction(*i);
    }
  }

  void on_voice(const discord::voice_update& u) {
    if (u.what == discord::voice_update::kind::ready && u.channel_id) {
      auto& known = bot_channel[u.guild_id];
      if (known != *u.channel_id && !stopping) save_voice_channel(u.guild_id, *u.channel_id);  // joined or moved
      known = *u.channel_id;
    }
    // The voice connection goes to Lavalink at once, even while a /play
    // that joined is still loading its track: the node pool creates a
    // guild's player on one node however its creating updates interleave.
    const auto guild = std::to_string(u.guild_id);
    const auto bot_user = std::to_string(config.discord.application_id);
    switch (u.what) {
      case discord::voice_update::kind::ready:
        pool.on_voice_state(guild, bot_user, u.session_id,
                            u.channel_id ? std::optional<std::string>(std::to_string(*u.channel_id)) : std::nullopt);
        pool.on_voice_server(guild, u.token, u.endpoint);
        break;
      case discord::voice_update::kind::server_lost:
        pool.on_voice_server(guild, "", std::nullopt);
        break;
      case discord::voice_update::kind::disconnected:
        // Left (or was disconnected): forget the channel, unless the bot is
        // shutting down, when the channel is kept to be rejoined at restart.
        if (bot_channel.erase(u.guild_id) > 0 && !stopping) save_voice_channel(u.guild_id, 0);
        pool.on_voice_state(guild, bot_user, "", std::nullopt);
        break;
    }
  }

  // --- interactions ----------------------------------------------------------
  void reply(const call_ptr& call, message_content m, std::string outcome) {
    const trace::context_scope scope(call->trace);
    auto self = shared_from_this();
    auto response = call->component && !m.ephemeral ? interaction_response::update(std::move(m))
                                                     : interaction_response::reply(std::move(m));
    rest.async_create_interaction_response(
        call->i.id, call->i.token, response, [self, call, outcome = std::move(outcome)](error_code ec, discord::rest_response) {
          const trace::context_scope inner(call->trace);
          if (ec) self->log->warn("interaction reply failed: {}", ec.message());
          self->record_latency(call->started, call->command, ec ? "error" : outcome);
          call->span.set_attribute("outcome", ec ? std::string_view("error") : std::string_view(outcome));
          call->span.end();
        });
  }

  void on_interaction(const interaction& i) {
    const auto started = std::chrono::steady_clock::now();
    const bool component = i.type == discord::interaction_type::message_component;
    if (i.type != discord::interaction_type::application_command && !component) return;
    ++stats.commands;
    auto call = std::make_shared<command_call>();
    call->i = i;
    call->started = started;
    call->component = component;
    const auto button = component ? parse_queue_button(i.custom_id) : std::nullopt;
    call->command = component ? "queue" : std::string(command_label(i.command_name));
    call->span = tracer.start_span("command /" + call->command, {}, trace::span_kind::server);
    call->span.set_attribute("command", call->command);
    call->span.set_attribute("component", component);
    call->trace = call->span.context();
    const trace::context_scope current(call->trace);
    if (!accepting) return reply(call, text("The bot is restarting, try again in a moment.", true), "rejected");
    if (!i.guild_id) return reply(call, text("Music commands only work in a server.", true), "rejected");
    if (component && !button) {
      ++stats.refused;
      return reply(call, text("This button is not supported any more; run /queue again.", true), "rejected");
    }
    if (button && button->guild != *i.guild_id) {  // only the requesting guild's data, whatever the id says
      ++stats.refused;
      return reply(call, text("This button belongs to another server.", true), "rejected");
    }
    const auto guild = *i.guild_id;
    auto self = shared_from_this();
    limiter->decide(guild, i.user_id, call->command, [self, call, guild](limit_verdict v) {
      const trace::context_scope scope(call->trace);
      call->span.add_event("rate_limit", {{"allowed", v.allowed}, {"shared", v.shared}});
      if (!v.allowed) {
        ++self->stats.rate_limited;
        if (auto h = self->business.rate_limit_hits.with({call->command, v.scope})) h->inc();
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(v.retry_after);
        return self->reply(call, text("Slow down a little: try again in " + std::to_string((wait.count() + 999) / 1000) + " s.", true),
                           "rate_limited");
      }
      if (self->stopping) return self->reply(call, text("The bot is restarting, try again in a moment.", true), "rejected");
      self->with_settings(guild, [self, call](settings_ptr settings) {
        const trace::context_scope inner(call->trace);
        self->authorize_and_run(call, std::move(settings));
      });
    });
  }

  void authorize_and_run(const call_ptr& call, const settings_ptr& settings) {
    const auto& i = call->i;
    const auto& command = call->command;
    const auto guild = *i.guild_id;
    const auto member_channel = presence.channel_of(guild, i.user_id);
    const auto bot_ch = bot_channel.find(guild);
    const bool admin = (i.member_permissions & (perm_administrator | perm_manage_guild)) != 0;
    const bool settings_change = !call->component && command == "settings" && subcommand(i).value_or("") == "set";
    if (command == "dashboard" && !admin) {
      ++stats.refused;
      return reply(call, text("Only server managers (Manage Server) can manage dashboard tokens.", true), "rejected");
    }
    if (settings_change && !admin) {
      ++stats.refused;
      return reply(call, text("Only server managers can change the music settings.", true), "rejected");
    }
    if (is_dj_command(command)) {
      queue::member_info member;
      member.user_id = i.user_id;
      member.is_admin = admin;
      queue::voice_state voice;
      if (bot_ch != bot_channel.end()) {
        voice.bot_channel_id = bot_ch->second;
        voice.humans_in_bot_channel = presence.count_in(guild, bot_ch->second, config.discord.application_id);
      }
      voice.member_channel_id = member_channel;
      const auto decision = queue::can_control(member, *settings, voice);
      if (!decision) {
        ++stats.refused;
        const auto why = decision.reason == queue::control_reason::not_in_voice_channel
                             ? "Join my voice channel to control the music."
                             : "Only DJs can do that here.";
        return reply(call, text(why, true), "rejected");
      }
    }
    run_command(call, *settings, member_channel);
  }

  void run_command(const call_ptr& call, const queue::guild_settings& settings,
                   std::optional<std::uint64_t> member_channel) {
    const auto& i = call->i;
    const auto& command = call->command;
    const auto guild = *i.guild_id;
    auto self = shared_from_this();
    auto done_void = [self, call](std::string ok_text) {
      return [self, call, ok_text = std::move(ok_text)](error_code ec) { self->finish(call, ec, ok_text); };
    };
    if (command == "play") {
      if (!member_channel) {
        ++stats.refused;
        return reply(call, text("Join a voice channel first.", true), "rejected");
      }
      const auto q = string_option(i, "query").value_or("");
      if (!bot_channel.contains(guild)) {
        shards->async_update_voice_state(guild, member_channel, false, true, [self, call](error_code ec) {
          const trace::context_scope scope(call->trace);
          if (ec) self->log->warn("joining voice: {}", ec.message());
        });
      }
      sessions->async_play(guild, i.user_id, q, [self, call](error_code ec, music::play_outcome o) {
        std::string msg;
        if (!ec) {
          if (!o.playlist_name.empty()) {
            msg = "Queued " + std::to_string(o.added.size()) + " tracks from **" + o.playlist_name + "**";
          } else if (o.started) {
            msg = "Now playing " + track_line(o.added.front());
          } else {
            msg = "Queued " + track_line(o.added.front()) + " at position " + std::to_string(o.position + 1);
          }
        }
        self->finish(call, ec, msg);
      });
      return;
    }
    if (command == "pause" || command == "resume") {
      return sessions->async_pause(guild, command == "pause", done_void(command == "pause" ? "Paused." : "Resumed."));
    }
    if (command == "skip") {
      return sessions->async_skip(guild, [self, call](error_code ec, std::optional<queue::track> next) {
        self->finish(call, ec, next ? "Skipped. Now playing " + track_line(*next) : "Skipped; the queue is empty.");
      });
    }
    if (command == "stop") return sessions->async_stop(guild, done_void("Stopped. The queue is kept."));
    if (command == "volume") {
      const auto v = integer_option(i, "level").value_or(-1);
      return sessions->async_set_volume(guild, static_cast<int>(std::clamp<std::int64_t>(v, -1, 1000)),
                                        done_void("Volume set to " + std::to_string(v) + "%."));
    }
    if (command == "loop") {
      const auto m = string_option(i, "mode").value_or("");
      const auto mode = m == "track" ? queue::loop_mode::track : m == "queue" ? queue::loop_mode::queue : queue::loop_mode::off;
      if (m != "off" && m != "track" && m != "queue") return finish(call, music::error::invalid_value, "");
      return sessions->async_set_loop(guild, mode, done_void("Loop: " + m + "."));
    }
    if (command == "shuffle") return sessions->async_shuffle(guild, done_void("Shuffled."));
    if (command == "remove") {
      const auto p = integer_option(i, "position").value_or(0);
      if (p < 1) return finish(call, music::error::out_of_range, "");
      return sessions->async_remove(guild, static_cast<std::size_t>(p - 1), [self, call](error_code ec, queue::track t) {
        self->finish(call, ec, "Removed " + track_line(t) + ".");
      });
    }
    if (command == "move") {
      const auto from = integer_option(i, "from").value_or(0);
      const auto to = integer_option(i, "to").value_or(0);
      if (from < 1 || to < 1) return finish(call, music::error::out_of_range, "");
      return sessions->async_move(guild, static_cast<std::size_t>(from - 1), static_cast<std::size_t>(to - 1),
                                  done_void("Moved."));
    }
    if (command == "seek") {
      const auto t = parse_timestamp(string_option(i, "time").value_or(""));
      if (!t) return finish(call, music::error::invalid_value, "");
      return sessions->async_seek(guild, std::chrono::milliseconds(*t), done_void("Seeked to " + format_duration(*t) + "."));
    }
    if (command == "autoplay") {
      const bool on = boolean_option(i, "enabled").value_or(false);
      return sessions->async_set_autoplay(guild, on, done_void(on ? "Autoplay on." : "Autoplay off."));
    }
    if (command == "clear") {
      return sessions->async_clear(guild, [self, call](error_code ec, std::size_t n) {
        self->finish(call, ec, "Cleared " + std::to_string(n) + " tracks.");
      });
    }
    if (command == "leave") {
      shards->async_update_voice_state(guild, std::nullopt, false, true, [](error_code) {});
      return sessions->async_leave(guild, done_void("Left the voice channel."));
    }
    if (command == "nowplaying") {
      const auto v = sessions->view(guild);
      if (!v || !v->current) return finish(call, music::error::nothing_playing, "");
      return finish(call, {},
                    "Now playing " + track_line(*v->current) + " — " + format_duration(v->position.count()) +
                        (v->paused ? " (paused)" : "") + ", volume " + std::to_string(v->volume) + "%");
    }
    if (command == "queue") {
      std::size_t page = 0;
      if (call->component) {
        page = parse_queue_button(i.custom_id)->page;  // checked in on_interaction
      } else {
        page = static_cast<std::size_t>(std::clamp<std::int64_t>(integer_option(i, "page").value_or(1), 1,
                                                                  static_cast<std::int64_t>(max_queue_page)) - 1);
      }
      return with_queue_page(guild, page, [self, call, guild](std::optional<queue::queue_page> p) {
        const trace::context_scope scope(call->trace);
        if (!p) {
          if (!call->component) return self->finish(call, music::error::nothing_playing, "");
          ++self->stats.ok;  // the message's queue is gone: say so in place, without buttons
          return self->reply(call, text("The queue is empty."), "ok");
        }
        ++self->stats.ok;
        self->reply(call, queue_message(guild, *p), "ok");
      });
    }
    if (command == "settings") {
      queue::guild_settings current = settings;
      current.guild_id = guild;
      if (subcommand(i).value_or("show") == "set") return update_settings(call, std::move(current));
      return finish(call, {},
                    "Settings: default volume " + std::to_string(current.volume) + "%, max queue " +
                        std::to_string(current.max_queue_length) + (current.dj_role_id ? ", DJ role set" : ", no DJ role") +
                        (current.announce_channel_id ? ", announcements on" : ""));
    }
    if (command == "dashboard") return dashboard(call);
    ++stats.refused;
    reply(call, text("Unknown command.", true), "rejected");
  }

  // /dashboard token|revoke. The token is shown once, in an ephemeral reply,
  // and never logged (the reply's text is not logged anywhere).
  void dashboard(const call_ptr& call) {
    const auto& i = call->i;
    const auto guild = *i.guild_id;
    if (!config.api.enabled || api_port() == 0) {
      ++stats.refused;
      return reply(call, text("The web dashboard is not enabled on this bot.", true), "rejected");
    }
    auto self = shared_from_this();
    if (subcommand(i).value_or("") == "revoke") {
#if defined(MUSICBOT_BOT_WITH_API)
      return control->async_revoke_token(guild, string_option(i, "id").value_or(""), [self, call](error_code ec, bool revoked) {
        const trace::context_scope scope(call->trace);
        if (ec) return self->finish(call, music::error::persistence_failed, "");
        ++self->stats.ok;
        self->reply(call, text(revoked ? "Token revoked." : "No token of this server has that id.", true), "ok");
      });
#endif
    }
    const auto days = integer_option(i, "ttl_days");
    const auto ttl = days ? std::chrono::seconds(std::chrono::hours(24 * std::clamp<std::int64_t>(*days, 1, 365)))
                          : config.api.token_ttl;
    issue_token(guild, i.user_id, ttl, string_option(i, "label").value_or(""),
                [self, call, ttl](error_code ec, std::string id, core::secret token) {
                  const trace::context_scope scope(call->trace);
                  if (ec) {
                    ++self->stats.refused;
                    self->log->warn("dashboard token: {}", ec.message());
                    return self->reply(call, text("Could not create a token: " + ec.message() + ".", true), "rejected");
                  }
                  ++self->stats.ok;
                  const auto days_left = std::chrono::duration_cast<std::chrono::hours>(ttl).count() / 24;
                  self->reply(call,
                              text("Dashboard token for this server (shown only this once; expires in " +
                                       std::to_string(days_left) + " days):\n`" + token.reveal() + "`\nOpen " +
                                       self->dashboard_url() + " and paste it. Revoke it with `/dashboard revoke id:" +
                                       id + "`.",
                                   true),
                              "ok");
                });
  }

  // Demo/test support: join and play, as a user's /play would.
  void prefill(std::uint64_t guild, std::uint64_t user, std::uint64_t channel, std::vector<std::string> queries,
               bool loop_queue, std::function<void(error_code)> done) {
    presence.set(guild, user, channel);
    if (!bot_channel.contains(guild) && shards) {
      shards->async_update_voice_state(guild, channel, false, true, [](error_code) {});
    }
    auto self = shared_from_this();
    play_next(guild, user, std::make_shared<std::vector<std::string>>(std::move(queries)), 0,
              [self, guild, loop_queue, done = std::move(done)](error_code ec) mutable {
                if (ec || !loop_queue) return done(ec);
                self->sessions->async_set_loop(guild, queue::loop_mode::queue, std::move(done));
              });
  }

  void play_next(std::uint64_t guild, std::uint64_t user, std::shared_ptr<std::vector<std::string>> queries,
                 std::size_t n, std::function<void(error_code)> done) {
    if (n >= queries->size()) return done({});
    auto self = shared_from_this();
    sessions->async_play(guild, user, (*queries)[n],
                         [self, guild, user, queries, n, done = std::move(done)](error_code ec, music::play_outcome) mutable {
                           if (ec) return done(ec);
                           self->play_next(guild, user, queries, n + 1, std::move(done));
                         });
  }

  // /settings set: validated by the guild_settings rules, saved, then the
  // cached copy is dropped everywhere (L1, L2 and other processes' L1).
  void update_settings(const call_ptr& call, queue::guild_settings next) {
    const auto& i = call->i;
    std::vector<std::string> problems;
    if (auto v = integer_option(i, "default_volume")) {
      if (!queue::set_volume(next, static_cast<int>(std::clamp<std::int64_t>(*v, -1, 1000)))) problems.push_back("default_volume must be 0-200");
    }
    if (auto v = integer_option(i, "max_queue_length")) {
      if (*v < 1 || !queue::set_queue_limits(next, static_cast<std::size_t>(*v), next.max_per_user)) {
        problems.push_back("max_queue_length must be 1-1000");
      }
    }
    if (auto v = integer_option(i, "dj_role")) next.dj_role_id = static_cast<std::uint64_t>(*v);
    if (auto v = integer_option(i, "announce_channel")) next.announce_channel_id = static_cast<std::uint64_t>(*v);
    if (!problems.empty()) {
      ++stats.refused;
      std::string msg = "Not changed: ";
      for (std::size_t n = 0; n < problems.size(); ++n) msg += (n ? "; " : "") + problems[n];
      return reply(call, text(msg, true), "rejected");
    }
    auto self = shared_from_this();
    db->async_save_settings(next, [self, call, guild = next.guild_id](error_code ec) {
      const trace::context_scope scope(call->trace);
      if (!ec) self->invalidate_settings(guild);
      self->finish(call, ec ? error_code(music::error::persistence_failed) : error_code{}, "Settings saved.");
    });
  }

  void finish(const call_ptr& call, error_code ec, const std::string& ok_text) {
    const trace::context_scope scope(call->trace);
    if (!reads_only(call->command)) invalidate_queue_views(*call->i.guild_id);
    if (!ec) {
      ++stats.ok;
      return reply(call, text(ok_text), "ok");
    }
    const bool user_error = ec.category() == music::music_category() &&
                            ec != music::error::player_unavailable && ec != music::error::persistence_failed;
    if (user_error) {
      ++stats.refused;
    } else {
      ++stats.failed;
      if (auto e = business.errors.with({"music", "command"})) e->inc();
    }
    reply(call, text(describe_music_error(ec), true), user_error ? "rejected" : "error");
  }
};

music_bot::music_bot(asio::io_context& ioc, bot_config config, runtime_options runtime)
    : impl_(std::make_shared<impl>(ioc, std::move(config), std::move(runtime))) {}

music_bot::~music_bot() = default;

void music_bot::start(std::function<void(error_code)> done) { impl_->start(std::move(done)); }
void music_bot::shutdown(std::function<void()> done) { impl_->shutdown(std::move(done)); }
const bot_stats& music_bot::stats() const noexcept { return impl_->stats; }
std::size_t music_bot::active_sessions() const noexcept { return impl_->sessions->playing_count(); }
std::size_t music_bot::connected_nodes() const noexcept { return impl_->connected_nodes(); }
std::uint16_t music_bot::api_port() const noexcept { return impl_->api_port(); }
void music_bot::prefill(std::uint64_t guild, std::uint64_t user, std::uint64_t channel, std::vector<std::string> queries,
                        bool loop_queue, std::function<void(error_code)> done) {
  impl_->prefill(guild, user, channel, std::move(queries), loop_queue, std::move(done));
}
void music_bot::issue_dashboard_token(std::uint64_t guild, std::uint64_t user, std::chrono::seconds ttl, std::string label,
                                      std::function<void(error_code, std::string, core::secret)> done) {
  impl_->issue_token(guild, user, ttl, std::move(label), std::move(done));
}
std::uint16_t music_bot::observability_port() const noexcept {
  return impl_->observability ? impl_->observability->port() : 0;
}

}  // namespace musicbot::bot
