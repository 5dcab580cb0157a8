#include "bot.hpp"

#include "commands.hpp"

#include <musicbot/core/keyed_rate_limiter.hpp>
#include <musicbot/core/secret_fmt.hpp>
#include <musicbot/core/ttl_map.hpp>
#include <musicbot/discord/gateway.hpp>
#include <musicbot/discord/rest_client.hpp>
#include <musicbot/lavalink/node_pool.hpp>
#include <musicbot/metrics/business.hpp>
#include <musicbot/metrics/health.hpp>
#include <musicbot/metrics/process_collector.hpp>
#include <musicbot/metrics/registry.hpp>
#include <musicbot/music/session_manager.hpp>
#include <musicbot/net/observability_server.hpp>
#include <musicbot/net/otlp_exporter.hpp>
#include <musicbot/trace/current.hpp>
#include <musicbot/trace/span_buffer.hpp>
#include <musicbot/queue/guild_settings.hpp>
#include <musicbot/store/postgres_store.hpp>
#include <musicbot/store/sqlite_store.hpp>

#include <boost/asio/steady_timer.hpp>
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
constexpr std::uint64_t perm_administrator = 0x8;
constexpr std::uint64_t perm_manage_guild = 0x20;

// The label values commands may take: metrics never see user-controlled text.
std::string_view command_label(std::string_view name) {
  static constexpr std::array<std::string_view, 17> known = {
      "play", "pause", "resume", "skip", "stop", "queue", "nowplaying", "volume", "loop",
      "shuffle", "remove", "move", "seek", "autoplay", "clear", "leave", "settings"};
  for (const auto k : known) {
    if (k == name) return k;
  }
  return "unknown";
}

message_content text(std::string content, bool ephemeral = false) {
  message_content m;
  m.content = std::move(content);
  m.ephemeral = ephemeral;
  return m;
}

std::string track_line(const queue::track& t) {
  std::string line = "**" + t.title + "**";
  if (!t.author.empty()) line += " by " + t.author;
  if (!t.is_stream) line += " (" + format_duration(t.length.count()) + ")";
  return line;
}

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
        user_limiter(core::rate_limit_config{config.limits.user_commands, config.limits.user_window},
                     max_tracked_guilds),
        guild_limiter(core::rate_limit_config{config.limits.guild_commands, config.limits.guild_window},
                      max_tracked_guilds),
        settings_cache(max_tracked_guilds, std::chrono::minutes(5)) {
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
    music::session_options so;
    so.limits.max_length = config.music.max_queue_length;
    so.limits.max_per_user = config.music.max_per_user;
    so.idle_disconnect = config.music.idle_disconnect;
    so.autoplay_history = config.music.autoplay_history;
    so.search_prefixes = config.music.search_prefixes;
    so.default_search_prefix = config.music.search_prefixes.empty() ? "ytsearch:" : config.music.search_prefixes.front();
    so.default_volume = config.music.default_volume;
    if (!config.observability.otlp_endpoint.empty()) {
      spans = std::make_shared<trace::span_buffer>(8192);
      trace::tracer_options to;
      to.sample_ratio = config.observability.trace_sample_ratio;
      tracer = trace::tracer(to, spans);
      net::otlp_exporter_options eo;
      eo.endpoint = config.observability.otlp_endpoint;
      exporter = std::make_unique<net::otlp_exporter>(io.get_executor(), spans, eo);
    }
    so.tracer = tracer;
    sessions = std::make_unique<music::session_manager>(io.get_executor(), pool, *db, so);
    stats.latency_ms.reserve(1024);
  }

  lavalink::pool_options pool_options() const {
    lavalink::pool_options po;
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
  std::unique_ptr<discord::shard_manager> shards;
  std::unique_ptr<music::session_manager> sessions;
  std::unique_ptr<net::observability_server> observability;
  std::shared_ptr<trace::span_buffer> spans;
  trace::tracer tracer;  // disabled unless observability.otlp_endpoint is set
  std::unique_ptr<net::otlp_exporter> exporter;
  core::keyed_rate_limiter<> user_limiter;
  core::keyed_rate_limiter<> guild_limiter;
  core::ttl_map<std::uint64_t, queue::guild_settings> settings_cache;
  voice_presence presence;
  std::unordered_map<std::uint64_t, std::uint64_t> bot_channel;  // guild -> channel (bounded by guilds seen)
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
    db->async_start([self, done = std::move(done)](error_code ec) mutable {
      if (ec) {
        self->log->error("store: {}", ec.message());
        return done(ec);
      }
      self->health.set("store", metrics::health_status::healthy).value();
      self->pool.on_player_moved([self](const lavalink::player_moved&) {
        ++self->stats.players_moved;
      });
      self->pool.start();
      self->sessions->async_restore([self, done = std::move(done)](error_code rec, std::size_t restored) mutable {
        if (rec) self->log->warn("restoring sessions: {}", rec.message());
        if (restored > 0) self->log->info("restored {} music sessions from the store", restored);
        self->start_discord(std::move(done));
      });
    });
    (void)health.add_check("lavalink", [self = shared_from_this()] {
      const auto n = self->connected_nodes();
      if (n == 0) return metrics::health_report{metrics::health_status::unhealthy, "no Lavalink node connected"};
      if (n < self->pool.nodes().size()) return metrics::health_report{metrics::health_status::degraded, "some Lavalink nodes are down"};
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
    shards = std::make_unique<discord::shard_manager>(ioc.get_executor(), so, rest);
    auto self = shared_from_this();
    shards->set_event_handler([self](std::uint32_t, const discord::gateway_payload& p) { self->on_dispatch(p); });
    shards->set_voice_handler([self](const discord::voice_update& u) { self->on_voice(u); });
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

  // --- gateway events ------------------------------------------------------
  void on_dispatch(const discord::gateway_payload& p) {
    if (const auto* g = std::get_if<discord::guild_create_event>(&p.event)) {
      for (const auto& vs : g->voice_states) presence.set(g->id, vs.user_id, vs.channel_id);
      business.active_guilds.inc();
    } else if (const auto* gd = std::get_if<discord::guild_delete_event>(&p.event)) {
      presence.forget_guild(gd->id);  // GUILD_CREATE sends the voice states again after an outage
      if (!gd->unavailable) bot_channel.erase(gd->id);
      business.active_guilds.inc(-1.0);
    } else if (const auto* vs = std::get_if<discord::voice_state>(&p.event)) {
      if (vs->guild_id && vs->user_id != config.discord.application_id) presence.set(*vs->guild_id, vs->user_id, vs->channel_id);
    } else if (const auto* i = std::get_if<interaction>(&p.event)) {
      on_interaction(*i);
    }
  }

  void on_voice(const discord::voice_update& u) {
    const auto guild = std::to_string(u.guild_id);
    const auto bot_user = std::to_string(config.discord.application_id);
    switch (u.what) {
      case discord::voice_update::kind::ready:
        if (u.channel_id) bot_channel[u.guild_id] = *u.channel_id;
        pool.on_voice_state(guild, bot_user, u.session_id,
                            u.channel_id ? std::optional<std::string>(std::to_string(*u.channel_id)) : std::nullopt);
        pool.on_voice_server(guild, u.token, u.endpoint);
        break;
      case discord::voice_update::kind::server_lost:
        pool.on_voice_server(guild, "", std::nullopt);
        break;
      case discord::voice_update::kind::disconnected:
        bot_channel.erase(u.guild_id);
        pool.on_voice_state(guild, bot_user, "", std::nullopt);
        break;
    }
  }

  // --- interactions ----------------------------------------------------------
  void reply(const interaction& i, message_content m, std::chrono::steady_clock::time_point started,
             std::string command, std::string outcome) {
    auto self = shared_from_this();
    rest.async_create_interaction_response(
        i.id, i.token, interaction_response::reply(std::move(m)),
        [self, started, command = std::move(command), outcome = std::move(outcome)](error_code ec, discord::rest_response) {
          if (ec) self->log->warn("interaction reply failed: {}", ec.message());
          self->record_latency(started, command, ec ? "error" : outcome);
        });
  }

  void on_interaction(const interaction& i) {
    const auto started = std::chrono::steady_clock::now();
    if (i.type != discord::interaction_type::application_command) return;  // components: not handled in this build
    ++stats.commands;
    const std::string command(command_label(i.command_name));
    auto span = tracer.start_span("command /" + command, {}, trace::span_kind::server);
    span.set_attribute("command", command);
    const trace::context_scope current(span.context());
    if (!accepting) return reply(i, text("The bot is restarting, try again in a moment.", true), started, command, "rejected");
    if (!i.guild_id) return reply(i, text("Music commands only work in a server.", true), started, command, "rejected");
    const auto guild = *i.guild_id;

    // Rate limits: per user in the guild, then per guild.
    const auto user_decision = user_limiter.try_acquire(core::rate_limit_key(guild, i.user_id));
    const auto guild_decision = user_decision.allowed ? guild_limiter.try_acquire(core::rate_limit_key(guild))
                                                      : user_decision;
    span.add_event("rate_limit", {{"allowed", user_decision.allowed && guild_decision.allowed}});
    if (!user_decision.allowed || !guild_decision.allowed) {
      ++stats.rate_limited;
      const auto scope = !user_decision.allowed ? "user" : "guild";
      if (auto h = business.rate_limit_hits.with({command_label(i.command_name), scope})) h->inc();
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
          (!user_decision.allowed ? user_decision : guild_decision).retry_after);
      return reply(i, text("Slow down a little: try again in " + std::to_string((wait.count() + 999) / 1000) + " s.", true),
                   started, command, "rate_limited");
    }

    // Guild settings come from the store once, then from a 5-minute cache.
    if (settings_cache.find(guild) == nullptr) {
      auto self = shared_from_this();
      db->async_load_settings(guild, [self, i, guild, started](error_code ec, std::optional<queue::guild_settings> s) {
        queue::guild_settings loaded = s.value_or(queue::guild_settings{});
        loaded.guild_id = guild;
        if (ec) self->log->warn("loading settings of guild {}: {}", guild, ec.message());
        self->settings_cache.insert_or_assign(guild, loaded);
        self->authorize_and_run(i, started);
      });
      return;
    }
    authorize_and_run(i, started);
  }

  void authorize_and_run(const interaction& i, std::chrono::steady_clock::time_point started) {
    const std::string command(command_label(i.command_name));
    const auto guild = *i.guild_id;
    const auto member_channel = presence.channel_of(guild, i.user_id);
    const auto bot_ch = bot_channel.find(guild);
    const bool settings_change = command == "settings" && subcommand(i).value_or("") == "set";
    if (is_dj_command(command) || settings_change) {
      queue::member_info member;
      member.user_id = i.user_id;
      member.is_admin = (i.member_permissions & (perm_administrator | perm_manage_guild)) != 0;
      queue::voice_state voice;
      if (bot_ch != bot_channel.end()) {
        voice.bot_channel_id = bot_ch->second;
        voice.humans_in_bot_channel = presence.count_in(guild, bot_ch->second, config.discord.application_id);
      }
      voice.member_channel_id = member_channel;
      const auto* settings = settings_cache.find(guild);
      const auto decision = queue::can_control(member, settings ? *settings : queue::guild_settings{}, voice);
      if (settings_change && !member.is_admin) {
        ++stats.refused;
        return reply(i, text("Only server managers can change the music settings.", true), started, command, "rejected");
      }
      if (!decision) {
        ++stats.refused;
        const auto why = decision.reason == queue::control_reason::not_in_voice_channel
                             ? "Join my voice channel to control the music."
                             : "Only DJs can do that here.";
        return reply(i, text(why, true), started, command, "rejected");
      }
    }
    run_command(i, command, guild, member_channel, started);
  }

  void run_command(const interaction& i, const std::string& command, std::uint64_t guild,
                   std::optional<std::uint64_t> member_channel, std::chrono::steady_clock::time_point started) {
    auto self = shared_from_this();
    auto done_void = [self, i, command, started](std::string ok_text) {
      return [self, i, command, started, ok_text = std::move(ok_text)](error_code ec) {
        self->finish(i, command, started, ec, ok_text);
      };
    };
    if (command == "play") {
      if (!member_channel) {
        ++stats.refused;
        return reply(i, text("Join a voice channel first.", true), started, command, "rejected");
      }
      const auto q = string_option(i, "query").value_or("");
      if (!bot_channel.contains(guild)) {
        shards->async_update_voice_state(guild, member_channel, false, true, [self](error_code ec) {
          if (ec) self->log->warn("joining voice: {}", ec.message());
        });
      }
      sessions->async_play(guild, i.user_id, q, [self, i, command, started](error_code ec, music::play_outcome o) {
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
        self->finish(i, command, started, ec, msg);
      });
      return;
    }
    if (command == "pause" || command == "resume") {
      return sessions->async_pause(guild, command == "pause", done_void(command == "pause" ? "Paused." : "Resumed."));
    }
    if (command == "skip") {
      return sessions->async_skip(guild, [self, i, command, started](error_code ec, std::optional<queue::track> next) {
        self->finish(i, command, started, ec, next ? "Skipped. Now playing " + track_line(*next) : "Skipped; the queue is empty.");
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
      if (m != "off" && m != "track" && m != "queue") return finish(i, command, started, music::error::invalid_value, "");
      return sessions->async_set_loop(guild, mode, done_void("Loop: " + m + "."));
    }
    if (command == "shuffle") return sessions->async_shuffle(guild, done_void("Shuffled."));
    if (command == "remove") {
      const auto p = integer_option(i, "position").value_or(0);
      if (p < 1) return finish(i, command, started, music::error::out_of_range, "");
      return sessions->async_remove(guild, static_cast<std::size_t>(p - 1), [self, i, command, started](error_code ec, queue::track t) {
        self->finish(i, command, started, ec, "Removed " + track_line(t) + ".");
      });
    }
    if (command == "move") {
      const auto from = integer_option(i, "from").value_or(0);
      const auto to = integer_option(i, "to").value_or(0);
      if (from < 1 || to < 1) return finish(i, command, started, music::error::out_of_range, "");
      return sessions->async_move(guild, static_cast<std::size_t>(from - 1), static_cast<std::size_t>(to - 1),
                                  done_void("Moved."));
    }
    if (command == "seek") {
      const auto t = parse_timestamp(string_option(i, "time").value_or(""));
      if (!t) return finish(i, command, started, music::error::invalid_value, "");
      return sessions->async_seek(guild, std::chrono::milliseconds(*t), done_void("Seeked to " + format_duration(*t) + "."));
    }
    if (command == "autoplay") {
      const bool on = boolean_option(i, "enabled").value_or(false);
      return sessions->async_set_autoplay(guild, on, done_void(on ? "Autoplay on." : "Autoplay off."));
    }
    if (command == "clear") {
      return sessions->async_clear(guild, [self, i, command, started](error_code ec, std::size_t n) {
        self->finish(i, command, started, ec, "Cleared " + std::to_string(n) + " tracks.");
      });
    }
    if (command == "leave") {
      shards->async_update_voice_state(guild, std::nullopt, false, true, [](error_code) {});
      return sessions->async_leave(guild, done_void("Left the voice channel."));
    }
    if (command == "nowplaying") {
      const auto v = sessions->view(guild);
      if (!v || !v->current) return finish(i, command, started, music::error::nothing_playing, "");
      return finish(i, command, started, {},
                    "Now playing " + track_line(*v->current) + " — " + format_duration(v->position.count()) +
                        (v->paused ? " (paused)" : "") + ", volume " + std::to_string(v->volume) + "%");
    }
    if (command == "queue") {
      const auto page_number = std::max<std::int64_t>(1, integer_option(i, "page").value_or(1));
      const auto p = sessions->page(guild, static_cast<std::size_t>(page_number - 1));
      if (!p) return finish(i, command, started, music::error::nothing_playing, "");
      std::string body = "Queue — page " + std::to_string(p->page + 1) + "/" + std::to_string(p->page_count) + ", " +
                         std::to_string(p->total) + " tracks\n";
      for (std::size_t n = 0; n < p->items.size(); ++n) {
        body += std::to_string(p->first_position + n + 1) + ". " + track_line(p->items[n]) + "\n";
      }
      return finish(i, command, started, {}, body);
    }
    if (command == "settings") {
      const auto* cached = settings_cache.find(guild);
      queue::guild_settings current = cached ? *cached : queue::guild_settings{};
      current.guild_id = guild;
      if (subcommand(i).value_or("show") == "set") return update_settings(i, command, started, std::move(current));
      return finish(i, command, started, {},
                    "Settings: default volume " + std::to_string(current.volume) + "%, max queue " +
                        std::to_string(current.max_queue_length) + (current.dj_role_id ? ", DJ role set" : ", no DJ role") +
                        (current.announce_channel_id ? ", announcements on" : ""));
    }
    ++stats.refused;
    reply(i, text("Unknown command.", true), started, command, "rejected");
  }

  // /settings set: validated by the guild_settings rules, saved, then cached.
  void update_settings(const interaction& i, const std::string& command, std::chrono::steady_clock::time_point started,
                       queue::guild_settings next) {
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
      return reply(i, text(msg, true), started, command, "rejected");
    }
    auto self = shared_from_this();
    db->async_save_settings(next, [self, i, command, started, next](error_code ec) {
      if (!ec) self->settings_cache.insert_or_assign(next.guild_id, next);
      self->finish(i, command, started, ec ? error_code(music::error::persistence_failed) : error_code{},
                   "Settings saved.");
    });
  }

  void finish(const interaction& i, const std::string& command, std::chrono::steady_clock::time_point started,
              error_code ec, const std::string& ok_text) {
    if (!ec) {
      ++stats.ok;
      return reply(i, text(ok_text), started, command, "ok");
    }
    const bool user_error = ec.category() == music::music_category() &&
                            ec != music::error::player_unavailable && ec != music::error::persistence_failed;
    if (user_error) {
      ++stats.refused;
    } else {
      ++stats.failed;
      if (auto e = business.errors.with({"music", "command"})) e->inc();
    }
    reply(i, text(describe_music_error(ec), true), started, command, user_error ? "rejected" : "error");
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
std::uint16_t music_bot::observability_port() const noexcept {
  return impl_->observability ? impl_->observability->port() : 0;
}

}  // namespace musicbot::bot
