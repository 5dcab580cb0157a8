#pragma once
/// @file
/// Adapter from distributed_rate_limiter's observer hook to musicbot::metrics.
/// Header-only; include it only where musicbot::metrics is linked.

#include <musicbot/metrics/registry.hpp>
#include <musicbot/redis/rate_limiter.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace musicbot::redis {

/// Exports a limiter's state to a metrics registry:
/// - `musicbot_rate_limit_fallback_active{limiter}` (gauge, 0/1): 1 while
///   decisions come from the local fallback;
/// - `musicbot_rate_limit_decisions_total{limiter,source,outcome}` (counter):
///   decisions by source (`redis`, `fallback`) and outcome (`allowed`, `denied`).
///
/// `limiter` is a name chosen by the application (a bounded set, e.g.
/// "commands"); never a guild or user id.
///
/// @code
/// auto observer = redis::rate_limiter_metrics::create(registry, "commands").value();
/// redis::distributed_rate_limiter limiter(client, config, observer);
/// @endcode
///
/// @par Thread safety
/// Metric handles are thread-safe; the limiter calls the observer from its
/// executor.
class rate_limiter_metrics final : public rate_limiter_observer {
 public:
  /// Registers (or finds) the two families and resolves the series for
  /// `limiter`. Fails with the registry's error (e.g. a conflicting
  /// registration or a label value it refuses).
  static core::result<std::shared_ptr<rate_limiter_metrics>> create(metrics::registry& registry,
                                                                    std::string_view limiter) {
    auto gauge_family = registry.add_gauge("musicbot_rate_limit_fallback_active",
                                           "1 while a distributed rate limiter runs on its local fallback.",
                                           {"limiter"});
    if (!gauge_family) return gauge_family.error();
    auto counter_family = registry.add_counter("musicbot_rate_limit_decisions_total",
                                               "Rate limiter decisions by source (redis, fallback) and outcome.",
                                               {"limiter", "source", "outcome"});
    if (!counter_family) return counter_family.error();
    auto out = std::shared_ptr<rate_limiter_metrics>(new rate_limiter_metrics());
    auto fallback = gauge_family->with({limiter});
    if (!fallback) return fallback.error();
    out->fallback_ = *fallback;
    out->fallback_.set(0.0);
    static constexpr std::string_view sources[2] = {"redis", "fallback"};
    static constexpr std::string_view outcomes[2] = {"denied", "allowed"};
    for (int s = 0; s < 2; ++s) {
      for (int o = 0; o < 2; ++o) {
        auto c = counter_family->with({limiter, sources[s], outcomes[o]});
        if (!c) return c.error();
        out->decisions_[s][o] = *c;
      }
    }
    return out;
  }

  /// Counts one decision.
  void on_decision(decision_source source, bool allowed) override {
    decisions_[source == decision_source::redis ? 0 : 1][allowed ? 1 : 0].inc();
  }
  /// Sets the gauge to 1 (fallback engaged) or 0.
  void on_fallback_changed(bool active) override { fallback_.set(active ? 1.0 : 0.0); }

 private:
  rate_limiter_metrics() = default;
  metrics::gauge fallback_;
  metrics::counter decisions_[2][2];
};

}  // namespace musicbot::redis
