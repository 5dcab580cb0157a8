#pragma once
// Registries rendered by the exposition unit tests. The promtool integration
// test renders the same registries and passes every output through
// Prometheus' own tooling, so every exposition a test looks at is valid.

#include <musicbot/metrics/business.hpp>
#include <musicbot/metrics/process_collector.hpp>
#include <musicbot/metrics/registry.hpp>

#include <limits>
#include <string>

namespace musicbot_metrics_test {

namespace m = musicbot::metrics;

// Every type, labels that need escaping and the special float values.
// Its renders are the golden outputs of exposition_test.cpp.
inline void fill_demo(m::registry& reg) {
  auto c = reg.add_counter("demo_events_total", "Events seen.\nSecond \"line\" with \\ backslash.", {"kind"});
  c->with({"a\"b\\c\nd"})->inc(3);
  c->with({"plain"})->inc();
  auto g = reg.add_gauge("demo_temperature", "Temperature.", {"room"});
  g->with({"nan"})->set(std::numeric_limits<double>::quiet_NaN());
  g->with({"pinf"})->set(std::numeric_limits<double>::infinity());
  g->with({"minf"})->set(-std::numeric_limits<double>::infinity());
  g->with({"small"})->set(1.5e-7);
  auto h = reg.add_histogram("demo_latency_seconds", "Latency.", {}, {0.5, 1, 2.5});
  auto hs = h->with({});
  hs->observe(0.25);
  hs->observe(1);
  hs->observe(3);
  // a family without series is not rendered at all
  (void)reg.add_gauge("demo_unused", "Unused.", {"x"});
}

// fill_demo plus 20 gauge families of 30 series (for stepwise rendering).
inline void fill_steps(m::registry& reg) {
  fill_demo(reg);
  for (int f = 0; f < 20; ++f) {
    auto fam = reg.add_gauge("step_" + std::to_string(f), "S.", {"i"});
    for (int i = 0; i < 30; ++i) fam->with({std::to_string(i)})->set(i);
  }
}

// The business set with a value in every family, the process collector,
// escaping, special values, refused series and a callback.
inline void fill_everything(m::registry& reg) {
  auto b = m::register_business_metrics(reg);
  if (!b) return;
  (void)m::register_process_collector(reg);
  for (const char* source : {"youtube", "soundcloud", "http"}) b->songs_played.with({source})->inc(7);
  for (const double v : {0.0, 1.0, 3.0, 250.0}) b->queue_length.observe(v);
  for (const char* cmd : {"play", "skip", "queue", "na\"me\\with\nescapes"}) {
    b->command_latency.with({cmd})->observe(0.12);
    b->commands.with({cmd, "ok"})->inc();
    b->commands.with({cmd, "error"})->inc();
  }
  b->active_guilds.set(12);
  b->music_sessions.set(4);
  b->session_duration.observe(1800);
  b->rate_limit_hits.with({"play", "user"})->inc();
  b->rate_limit_fallback.with({"commands"})->set(0);
  b->errors.with({"lavalink", "timeout"})->inc();
  b->autoplay_tracks.with({"added"})->inc();
  b->breaker_state.with({"lavalink-rest"})->set(2);
  b->breaker_transitions.with({"lavalink-rest", "open"})->inc();
  b->cache_events.with({"tracks", "l1", "hit"})->inc(10);
  b->cache_events.with({"tracks", "l2", "miss"})->inc(2);
  b->rate_limit_decisions.with({"commands", "fallback", "denied"})->inc();
  b->lavalink_nodes_connected.set(1);
  b->lavalink_node_up.with({"main"})->set(1);
  b->redis_connection_failures.inc();
  b->queue_processing.observe(0.4);
  b->memory_limit.set(1 << 30);

  auto special = reg.add_gauge("test_special_values", "NaN, infinities, tiny and huge values.", {"kind"});
  special->with({"nan"})->set(std::numeric_limits<double>::quiet_NaN());
  special->with({"pinf"})->set(std::numeric_limits<double>::infinity());
  special->with({"minf"})->set(-std::numeric_limits<double>::infinity());
  special->with({"tiny"})->set(5e-324);
  special->with({"huge"})->set(1.7976931348623157e308);
  special->with({"negative"})->set(-42.5);
  special->with({"unicode \xC3\xA9\xE2\x82\xAC"})->set(1);
  auto help = reg.add_counter("test_help_escapes_total", "Help with \\ backslash, \"quotes\" and\nnewline.");
  help->with({})->add(0.25);
  auto limited = reg.add_counter("test_limited_total", "A family at its limit.", {"k"}, m::family_options{.max_series = 2});
  for (int i = 0; i < 5; ++i) (void)limited->with({std::to_string(i)});
  auto nan_hist = reg.add_histogram("test_nan_observed", "A histogram that saw NaN.", {"x"}, {0.1, 1});
  nan_hist->with({"y"})->observe(std::numeric_limits<double>::quiet_NaN());
  (void)reg.add_callback_gauge("test_callback", "A callback gauge.", [] { return 3.5; });
}

}  // namespace musicbot_metrics_test
