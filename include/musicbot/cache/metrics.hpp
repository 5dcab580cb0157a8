#pragma once
/// @file
/// Feeds cache events into a musicbot::metrics registry (needs the metrics
/// component; link musicbot::metrics).

#include <musicbot/cache/options.hpp>
#include <musicbot/core/result.hpp>
#include <musicbot/metrics/registry.hpp>

#include <array>
#include <memory>
#include <string>
#include <string_view>

namespace musicbot::cache {

/// The name of a layer as used in metric labels ("l1", "l2", "loader").
[[nodiscard]] constexpr std::string_view to_string(layer l) noexcept {
  switch (l) {
    case layer::l1: return "l1";
    case layer::l2: return "l2";
    case layer::loader: return "loader";
  }
  return "unknown";
}

/// The name of an event as used in metric labels ("hit", "miss", ...).
[[nodiscard]] constexpr std::string_view to_string(event e) noexcept {
  switch (e) {
    case event::hit: return "hit";
    case event::miss: return "miss";
    case event::negative_hit: return "negative_hit";
    case event::stale: return "stale";
    case event::load: return "load";
    case event::error: return "error";
    case event::refresh: return "refresh";
    case event::coalesced: return "coalesced";
    case event::invalidation: return "invalidation";
  }
  return "unknown";
}

/// An observer counting every event of one cache into
/// `musicbot_cache_events_total{cache, layer, event}` (a bounded label set:
/// 3 layers × 9 events per cache name). Set it as `cache_options::on_event`.
/// The registry must outlive the cache.
[[nodiscard]] inline core::result<observer> make_metrics_observer(metrics::registry& registry,
                                                                  std::string_view cache_name) {
  auto family = registry.add_counter("musicbot_cache_events_total",
                                     "Cache events by cache name, layer (l1, l2, loader) and event.",
                                     {"cache", "layer", "event"});
  if (!family) return family.error();
  constexpr std::size_t layers = 3;
  constexpr std::size_t events = 9;
  auto counters = std::make_shared<std::array<metrics::counter, layers * events>>();
  for (std::size_t l = 0; l < layers; ++l) {
    for (std::size_t e = 0; e < events; ++e) {
      auto c = family->with({cache_name, to_string(static_cast<layer>(l)), to_string(static_cast<event>(e))});
      if (!c) return c.error();
      (*counters)[l * events + e] = *c;
    }
  }
  return observer([counters](std::string_view, layer l, event e) {
    (*counters)[static_cast<std::size_t>(l) * events + static_cast<std::size_t>(e)].inc();
  });
}

}  // namespace musicbot::cache
