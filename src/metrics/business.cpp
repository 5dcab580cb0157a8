// The music bot's business metric set.

#include <musicbot/metrics/business.hpp>

#include <vector>

namespace musicbot::metrics {
namespace {

template <std::size_t N>
std::vector<double> to_vector(const std::array<double, N>& a) {
  return {a.begin(), a.end()};
}

// Assigns the value of `r` to `out`, or remembers the first error.
template <class T, class U>
void take(core::result<T> r, U& out, std::error_code& first_error) {
  if (!r) {
    if (!first_error) first_error = r.error();
    return;
  }
  if constexpr (std::is_same_v<T, U>) {
    out = *r;
  } else {
    auto handle = r->with(std::span<const std::string_view>{});
    if (!handle) {
      if (!first_error) first_error = handle.error();
      return;
    }
    out = *handle;
  }
}

}  // namespace

core::result<business_metrics> register_business_metrics(registry& reg) {
  business_metrics m;
  std::error_code ec;
  take(reg.add_counter("musicbot_songs_played_total", "Tracks that started playing, by source.", {"source"}),
       m.songs_played, ec);
  take(reg.add_histogram("musicbot_queue_length", "Queue length (tracks) when a track is enqueued.", {},
                         to_vector(queue_length_buckets)),
       m.queue_length, ec);
  take(reg.add_histogram("musicbot_command_latency_seconds",
                         "Time from receiving a command to answering it, in seconds.", {"command"},
                         to_vector(command_latency_buckets)),
       m.command_latency, ec);
  take(reg.add_counter("musicbot_commands_total", "Commands handled, by command and outcome.",
                       {"command", "outcome"}),
       m.commands, ec);
  take(reg.add_gauge("musicbot_active_guilds", "Guilds with a live music session."), m.active_guilds, ec);
  take(reg.add_gauge("musicbot_music_sessions", "Music sessions (players) currently alive."), m.music_sessions, ec);
  take(reg.add_histogram("musicbot_session_duration_seconds", "Duration of finished music sessions, in seconds.",
                         {}, to_vector(session_duration_buckets)),
       m.session_duration, ec);
  take(reg.add_counter("musicbot_rate_limit_hits_total", "Requests refused by a rate limiter.",
                       {"command", "scope"}),
       m.rate_limit_hits, ec);
  take(reg.add_gauge("musicbot_rate_limit_fallback_active",
                     "1 while a distributed rate limiter runs on its local fallback.", {"limiter"}),
       m.rate_limit_fallback, ec);
  take(reg.add_counter("musicbot_rate_limit_decisions_total",
                       "Rate limiter decisions by source (redis, fallback) and outcome.",
                       {"limiter", "source", "outcome"}),
       m.rate_limit_decisions, ec);
  take(reg.add_counter("musicbot_errors_total", "Errors by component and kind.", {"component", "kind"}), m.errors,
       ec);
  take(reg.add_counter("musicbot_autoplay_tracks_total", "Autoplay picks by outcome.", {"outcome"}),
       m.autoplay_tracks, ec);
  take(reg.add_gauge("musicbot_circuit_breaker_state", "Circuit breaker state: 0 closed, 1 half-open, 2 open.",
                     {"breaker"}),
       m.breaker_state, ec);
  take(reg.add_counter("musicbot_circuit_breaker_transitions_total", "Circuit breaker transitions into a state.",
                       {"breaker", "state"}),
       m.breaker_transitions, ec);
  take(reg.add_counter("musicbot_cache_events_total",
                       "Cache events by cache name, layer (l1, l2, loader) and event.",
                       {"cache", "layer", "event"}),
       m.cache_events, ec);
  take(reg.add_gauge("musicbot_lavalink_nodes_connected", "Lavalink nodes with an open, ready session."),
       m.lavalink_nodes_connected, ec);
  take(reg.add_gauge("musicbot_lavalink_node_up", "1 while the Lavalink node is connected.", {"node"}),
       m.lavalink_node_up, ec);
  take(reg.add_counter("musicbot_redis_connection_failures_total", "Failed Redis connection attempts."),
       m.redis_connection_failures, ec);
  take(reg.add_histogram("musicbot_queue_processing_seconds",
                         "Time from a queue change to the player acting on it, in seconds.", {},
                         to_vector(queue_processing_buckets)),
       m.queue_processing, ec);
  take(reg.add_gauge("musicbot_memory_limit_bytes", "Configured memory limit in bytes (0 when none)."),
       m.memory_limit, ec);
  if (ec) return ec;
  return m;
}

}  // namespace musicbot::metrics
