#pragma once
/// @file
/// The ready-made metric set of a music bot, registered with one call.
/// No family is labelled by guild, user or channel id (unbounded
/// cardinality); labels are bounded sets: command names, sources, outcomes,
/// component names, node names, cache names.

#include <musicbot/core/result.hpp>
#include <musicbot/metrics/registry.hpp>

#include <array>

namespace musicbot::metrics {

/// Buckets of `musicbot_queue_length` (tracks).
inline constexpr std::array<double, 8> queue_length_buckets = {0, 1, 5, 10, 25, 50, 100, 200};
/// Buckets of `musicbot_command_latency_seconds`.
inline constexpr std::array<double, 12> command_latency_buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                                    0.5,   1,    2.5,   5,    10,  30};
/// Buckets of `musicbot_session_duration_seconds` (1 min to 8 h).
inline constexpr std::array<double, 8> session_duration_buckets = {60, 300, 600, 1800, 3600, 7200, 14400, 28800};
/// Buckets of `musicbot_queue_processing_seconds`.
inline constexpr std::array<double, 10> queue_processing_buckets = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

/// Values of `musicbot_circuit_breaker_state`.
enum class breaker_state_value {
  closed = 0,     ///< calls pass
  half_open = 1,  ///< probing with a limited number of calls
  open = 2,       ///< calls are rejected
};

/// Handles of the business metric set. Families are labelled; unlabelled
/// metrics are given directly as handles.
struct business_metrics {
  /// `musicbot_songs_played_total{source}`: tracks that started playing, by source (youtube, soundcloud, http, ...).
  counter_family songs_played;
  /// `musicbot_queue_length`: queue length sampled when a track is enqueued (buckets 0,1,5,10,25,50,100,200).
  histogram queue_length;
  /// `musicbot_command_latency_seconds{command}`: time from interaction to response.
  histogram_family command_latency;
  /// `musicbot_commands_total{command,outcome}`: commands handled; outcome is ok, error, rejected or rate_limited.
  counter_family commands;
  /// `musicbot_active_guilds`: guilds with a live music session or recent command.
  gauge active_guilds;
  /// `musicbot_music_sessions`: music sessions (players) currently alive.
  gauge music_sessions;
  /// `musicbot_session_duration_seconds`: duration of finished music sessions.
  histogram session_duration;
  /// `musicbot_rate_limit_hits_total{command,scope}`: requests refused by a rate limiter; scope is user, guild or global.
  counter_family rate_limit_hits;
  /// `musicbot_rate_limit_fallback_active{limiter}`: 1 while a distributed limiter runs on its local fallback.
  gauge_family rate_limit_fallback;
  /// `musicbot_rate_limit_decisions_total{limiter,source,outcome}`: limiter decisions by source
  /// (redis, fallback) and outcome (allowed, denied); fed by musicbot::redis' limiter metrics.
  counter_family rate_limit_decisions;
  /// `musicbot_errors_total{component,kind}`: errors by component (discord, lavalink, redis, store, ...) and kind.
  counter_family errors;
  /// `musicbot_autoplay_tracks_total{outcome}`: autoplay picks; outcome is added, no_candidate or error.
  counter_family autoplay_tracks;
  /// `musicbot_circuit_breaker_state{breaker}`: 0 closed, 1 half-open, 2 open.
  gauge_family breaker_state;
  /// `musicbot_circuit_breaker_transitions_total{breaker,state}`: transitions into `state`.
  counter_family breaker_transitions;
  /// `musicbot_cache_events_total{cache,layer,event}`: cache events by layer (l1, l2, loader) and
  /// event (hit, miss, negative_hit, stale, load, error, refresh, coalesced, invalidation); the
  /// family musicbot::cache's metrics observer feeds.
  counter_family cache_events;
  /// `musicbot_lavalink_nodes_connected`: Lavalink nodes with an open, ready WebSocket.
  gauge lavalink_nodes_connected;
  /// `musicbot_lavalink_node_up{node}`: 1 while the named node is connected.
  gauge_family lavalink_node_up;
  /// `musicbot_redis_connection_failures_total`: failed Redis connection attempts.
  counter redis_connection_failures;
  /// `musicbot_queue_processing_seconds`: time from a queue change to the player acting on it.
  histogram queue_processing;
  /// `musicbot_memory_limit_bytes`: the memory limit the bot is configured with (0 = none).
  gauge memory_limit;
};

/// Registers the whole set in `reg` (idempotent: a second call returns
/// handles to the same families). Errors: conflicting_registration if a name
/// is taken by a different metric.
[[nodiscard]] core::result<business_metrics> register_business_metrics(registry& reg);

}  // namespace musicbot::metrics
