#include <musicbot/lavalink/node_selection.hpp>
#include <musicbot/lavalink/voice_bridge.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace musicbot::lavalink {

double node_penalty(const node_stats& stats, std::int64_t players) noexcept {
  const double player_penalty = static_cast<double>(std::max(stats.players, players));
  const double load = std::clamp(stats.cpu.system_load, 0.0, 1.0);
  const double cpu_penalty = std::pow(1.05, 100.0 * load) * 10.0 - 10.0;
  double null_penalty = 0.0;
  double deficit_penalty = 0.0;
  if (stats.frames) {
    const double nulled = static_cast<double>(std::max<std::int64_t>(stats.frames->nulled, 0));
    const double deficit = static_cast<double>(std::max<std::int64_t>(stats.frames->deficit, 0));
    null_penalty = 2.0 * (std::pow(1.03, 500.0 * nulled / 3000.0) * 300.0 - 300.0);
    deficit_penalty = std::pow(1.03, 500.0 * deficit / 3000.0) * 600.0 - 600.0;
  }
  return player_penalty + cpu_penalty + null_penalty + deficit_penalty;
}

std::optional<std::size_t> select_node(std::span<const node_candidate> nodes,
                                       std::optional<std::string_view> region) {
  auto in_region = [&](const node_candidate& n) {
    return std::find(n.regions.begin(), n.regions.end(), *region) != n.regions.end();
  };
  bool restrict_region = false;
  if (region) {
    restrict_region = std::any_of(nodes.begin(), nodes.end(),
                                  [&](const node_candidate& n) { return n.available && in_region(n); });
  }
  std::optional<std::size_t> best;
  double best_penalty = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const auto& n = nodes[i];
    if (!n.available || (restrict_region && !in_region(n))) continue;
    const double p = n.stats ? node_penalty(*n.stats, n.local_players)
                             : static_cast<double>(n.local_players);
    if (!best || p < best_penalty) {
      best = i;
      best_penalty = p;
    }
  }
  return best;
}

voice_bridge::voice_bridge(std::string bot_user_id, std::size_t max_guilds)
    : bot_user_id_(std::move(bot_user_id)), max_guilds_(max_guilds) {}

voice_bridge::guild_voice* voice_bridge::find_or_add(std::string_view guild_id) {
  auto it = guilds_.find(std::string(guild_id));
  if (it != guilds_.end()) return &it->second;
  if (guilds_.size() >= max_guilds_) return nullptr;
  return &guilds_.emplace(std::string(guild_id), guild_voice{}).first->second;
}

voice_decision voice_bridge::decide(guild_voice& g) {
  if (g.session_id.empty() || g.channel_id.empty() || g.token.empty() || !g.endpoint ||
      g.endpoint->empty()) {
    return {};
  }
  voice_state v{g.token, *g.endpoint, g.session_id, g.channel_id};
  if (g.sent && *g.sent == v) return {};
  g.sent = v;
  return {voice_action::send, std::move(v)};
}

voice_decision voice_bridge::on_voice_state(std::string_view guild_id, std::string_view user_id,
                                            std::string_view session_id,
                                            std::optional<std::string_view> channel_id) {
  if (user_id != bot_user_id_) return {};
  if (!channel_id || channel_id->empty()) {
    const bool known = guilds_.erase(std::string(guild_id)) > 0;
    return {known ? voice_action::disconnect : voice_action::none, std::nullopt};
  }
  guild_voice* g = find_or_add(guild_id);
  if (g == nullptr) return {};
  g->session_id.assign(session_id);
  g->channel_id.assign(*channel_id);
  return decide(*g);
}

voice_decision voice_bridge::on_voice_server(std::string_view guild_id, std::string_view token,
                                             std::optional<std::string_view> endpoint) {
  guild_voice* g = find_or_add(guild_id);
  if (g == nullptr) return {};
  g->token.assign(token);
  if (!endpoint || endpoint->empty()) {
    g->endpoint.reset();  // reallocating: wait for the next server update
    return {};
  }
  g->endpoint = std::string(*endpoint);
  return decide(*g);
}

std::optional<voice_state> voice_bridge::current(std::string_view guild_id) const {
  auto it = guilds_.find(std::string(guild_id));
  if (it == guilds_.end()) return std::nullopt;
  const auto& g = it->second;
  if (g.session_id.empty() || g.channel_id.empty() || g.token.empty() || !g.endpoint) return std::nullopt;
  return voice_state{g.token, *g.endpoint, g.session_id, g.channel_id};
}

void voice_bridge::forget(std::string_view guild_id) { guilds_.erase(std::string(guild_id)); }

void voice_bridge::invalidate_sent() noexcept {
  for (auto& [id, g] : guilds_) g.sent.reset();
}

}  // namespace musicbot::lavalink
