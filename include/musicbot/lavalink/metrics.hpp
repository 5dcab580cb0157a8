#pragma once
/// @file
/// Exports the Lavalink client's events (observer.hpp) to a
/// musicbot::metrics registry. Header-only: the lavalink component does not
/// depend on metrics; include this only where musicbot::metrics is linked.

#include <musicbot/core/result.hpp>
#include <musicbot/lavalink/observer.hpp>
#include <musicbot/metrics/registry.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace musicbot::lavalink {

/// Name of a move reason ("node_down", "rebalance", "drain"), as used in
/// metric labels.
[[nodiscard]] constexpr std::string_view to_string(move_reason reason) noexcept {
  switch (reason) {
    case move_reason::node_down: return "node_down";
    case move_reason::rebalance: return "rebalance";
    case move_reason::drain: return "drain";
  }
  return "unknown";
}

/// An observer that keeps these metrics (labels are node names — configured,
/// so bounded — and fixed sets; never a guild, user or channel id):
///
/// | metric | type | labels |
/// |---|---|---|
/// | `musicbot_lavalink_node_state` | gauge, 1 for the node's current state, 0 for the others | node, state (idle, connecting, connected, reconnecting, down, stopped) |
/// | `musicbot_lavalink_players` | gauge | node |
/// | `musicbot_lavalink_rest_request_duration_seconds` | histogram | operation (rest_operation), outcome (rest_outcome) |
/// | `musicbot_lavalink_events_total` | counter | node, type (message_label(), or `invalid` for an unparsable message) |
/// | `musicbot_lavalink_reconnects_total` | counter | node |
/// | `musicbot_lavalink_session_resumes_total` | counter | node, outcome (resumed, new_session) |
/// | `musicbot_lavalink_player_moves_total` | counter | from (node), reason (node_down, rebalance, drain), outcome (moved, failed) |
///
/// Series appear on first use. A node beyond the families' series limit is
/// not counted (the registry counts the refusal).
///
/// @code
/// auto observer = lavalink::metrics_observer::create(registry).value();
/// lavalink::pool_options options;
/// options.observer = observer;  // the pool hands it to every node
/// lavalink::node_pool pool(io.get_executor(), options);
/// @endcode
///
/// @par Thread safety
/// Thread-safe: the series cache is behind a mutex; metric updates are
/// lock-free. The registry must outlive the observer.
class metrics_observer final : public observer {
 public:
  /// Registers (or finds) the families in `registry`. Fails with the
  /// registry's error (e.g. a family of the same name with other labels).
  [[nodiscard]] static core::result<std::shared_ptr<metrics_observer>> create(metrics::registry& registry) {
    auto out = std::shared_ptr<metrics_observer>(new metrics_observer());
    auto states = registry.add_gauge("musicbot_lavalink_node_state",
                                     "1 for the current connection state of each Lavalink node, 0 for the others.",
                                     {"node", "state"});
    if (!states) return states.error();
    auto players = registry.add_gauge("musicbot_lavalink_players", "Players the pool keeps on each Lavalink node.",
                                      {"node"});
    if (!players) return players.error();
    auto rest = registry.add_histogram("musicbot_lavalink_rest_request_duration_seconds",
                                       "Lavalink REST request latency by operation and outcome.",
                                       {"operation", "outcome"}, metrics::default_buckets());
    if (!rest) return rest.error();
    auto events = registry.add_counter("musicbot_lavalink_events_total",
                                       "Lavalink WebSocket messages by node and type (op or event type).",
                                       {"node", "type"});
    if (!events) return events.error();
    auto reconnects = registry.add_counter("musicbot_lavalink_reconnects_total",
                                           "Lavalink node sockets lost and reconnected.", {"node"});
    if (!reconnects) return reconnects.error();
    auto resumes = registry.add_counter("musicbot_lavalink_session_resumes_total",
                                        "Lavalink sessions after a reconnect: resumed or new (players rebuilt).",
                                        {"node", "outcome"});
    if (!resumes) return resumes.error();
    auto moves = registry.add_counter("musicbot_lavalink_player_moves_total",
                                      "Players moved off a Lavalink node, by reason and outcome.",
                                      {"from", "reason", "outcome"});
    if (!moves) return moves.error();
    out->states_ = *states;
    out->players_ = *players;
    out->rest_ = *rest;
    out->events_ = *events;
    out->reconnects_ = *reconnects;
    out->resumes_ = *resumes;
    out->moves_ = *moves;
    return out;
  }

  /// Sets the node's state gauges (one-hot).
  void on_node_state(std::string_view node, node_state /*from*/, node_state to) override {
    std::lock_guard lock(mutex_);
    auto& s = series(node);
    for (std::size_t i = 0; i < state_count; ++i) {
      auto& g = s.states[i];
      if (!g.valid()) {
        auto h = states_.with({node, to_string(static_cast<node_state>(i))});
        if (!h) continue;
        g = *h;
      }
      g.set(static_cast<node_state>(i) == to ? 1.0 : 0.0);
    }
  }

  /// Sets the node's player gauge.
  void on_node_players(std::string_view node, std::size_t players) override {
    std::lock_guard lock(mutex_);
    auto& s = series(node);
    if (!s.players.valid()) {
      if (auto h = players_.with({node})) s.players = *h;
    }
    s.players.set(static_cast<double>(players));
  }

  /// Observes the request's duration.
  void on_rest_request(std::string_view /*node*/, rest_operation operation, rest_outcome outcome,
                       std::chrono::nanoseconds elapsed) override {
    const auto op = static_cast<std::size_t>(operation);
    const auto oc = static_cast<std::size_t>(outcome);
    if (op >= operation_count || oc >= outcome_count) return;
    metrics::histogram h;
    {
      std::lock_guard lock(mutex_);
      auto& cell = rest_series_[op][oc];
      if (!cell.valid()) {
        if (auto r = rest_.with({to_string(operation), to_string(outcome)})) cell = *r;
      }
      h = cell;
    }
    h.observe(std::chrono::duration<double>(elapsed).count());
  }

  /// Counts the message by its label.
  void on_message(std::string_view node, const message& msg) override {
    count_event(node, msg.index(), message_label(msg));
  }

  /// Counts an unparsable message as type `invalid`.
  void on_invalid_message(std::string_view node) override {
    count_event(node, std::variant_size_v<message>, "invalid");
  }

  /// Counts a reconnect.
  void on_reconnect(std::string_view node) override {
    std::lock_guard lock(mutex_);
    auto& s = series(node);
    if (!s.reconnects.valid()) {
      if (auto h = reconnects_.with({node})) s.reconnects = *h;
    }
    s.reconnects.inc();
  }

  /// Counts a resumed or new session.
  void on_session_restored(std::string_view node, bool resumed) override {
    std::lock_guard lock(mutex_);
    auto& c = series(node).resumes[resumed ? 0 : 1];
    if (!c.valid()) {
      if (auto h = resumes_.with({node, resumed ? "resumed" : "new_session"})) c = *h;
    }
    c.inc();
  }

  /// Counts a successful move off `move.from_node`.
  void on_player_moved(const player_moved& move) override { count_move(move.from_node, move.reason, true); }

  /// Counts a failed move.
  void on_player_move_failed(std::string_view from_node, move_reason reason) override {
    count_move(from_node, reason, false);
  }

 private:
  static constexpr std::size_t state_count = 6;       // node_state values
  static constexpr std::size_t operation_count = 14;  // rest_operation values
  static constexpr std::size_t outcome_count = 7;     // rest_outcome values
  static constexpr std::size_t event_count = std::variant_size_v<message> + 1;  // + invalid
  static constexpr std::size_t reason_count = 3;      // move_reason values

  struct node_series {
    std::array<metrics::gauge, state_count> states;
    metrics::gauge players;
    std::array<metrics::counter, event_count> events;
    metrics::counter reconnects;
    std::array<metrics::counter, 2> resumes;                             // resumed, new_session
    std::array<std::array<metrics::counter, 2>, reason_count> moves;  // [reason][moved, failed]
  };

  metrics_observer() = default;

  node_series& series(std::string_view node) {  // mutex_ held
    auto it = nodes_.find(node);
    if (it == nodes_.end()) it = nodes_.emplace(std::string(node), node_series{}).first;
    return it->second;
  }

  void count_event(std::string_view node, std::size_t index, std::string_view label) {
    std::lock_guard lock(mutex_);
    auto& c = series(node).events[index < event_count ? index : event_count - 1];
    if (!c.valid()) {
      if (auto h = events_.with({node, label})) c = *h;
    }
    c.inc();
  }

  void count_move(std::string_view from, move_reason reason, bool moved) {
    const auto r = static_cast<std::size_t>(reason);
    if (r >= reason_count) return;
    std::lock_guard lock(mutex_);
    auto& c = series(from).moves[r][moved ? 0 : 1];
    if (!c.valid()) {
      if (auto h = moves_.with({from, to_string(reason), moved ? "moved" : "failed"})) c = *h;
    }
    c.inc();
  }

  std::mutex mutex_;
  std::map<std::string, node_series, std::less<>> nodes_;
  std::array<std::array<metrics::histogram, outcome_count>, operation_count> rest_series_;
  metrics::gauge_family states_;
  metrics::gauge_family players_;
  metrics::histogram_family rest_;
  metrics::counter_family events_;
  metrics::counter_family reconnects_;
  metrics::counter_family resumes_;
  metrics::counter_family moves_;
};

}  // namespace musicbot::lavalink
