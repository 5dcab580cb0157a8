// The Grafana dashboard's Lavalink panels query only families that the
// Lavalink client's metrics adapter (metrics_observer) or the business set
// registers, and every family the adapter exports has a panel.

#include <musicbot/lavalink/metrics.hpp>
#include <musicbot/metrics/business.hpp>
#include <musicbot/metrics/registry.hpp>

#include <musicbot_test/dashboard.hpp>

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace {

const std::string dashboard_file = std::string(MUSICBOT_SOURCE_DIR) + "/deploy/grafana/musicbot.json";

TEST(LavalinkDashboard, PanelsQueryRegisteredFamilies) {
  musicbot::metrics::registry reg;
  ASSERT_TRUE(musicbot::metrics::register_business_metrics(reg));
  ASSERT_TRUE(musicbot::lavalink::metrics_observer::create(reg));
  const auto samples = reg.sample_names();
  const std::set<std::string> known(samples.begin(), samples.end());

  const auto used = musicbot_test::dashboard_metric_names(dashboard_file);
  ASSERT_FALSE(used.empty()) << "no metric queried by " << dashboard_file;
  int lavalink = 0;
  for (const auto& name : used) {
    if (!name.starts_with("musicbot_lavalink_")) continue;
    ++lavalink;
    EXPECT_TRUE(known.count(name)) << "dashboard queries an unregistered family: " << name;
  }
  EXPECT_GE(lavalink, 7);
}

TEST(LavalinkDashboard, EveryAdapterFamilyHasAPanel) {
  musicbot::metrics::registry reg;
  ASSERT_TRUE(musicbot::lavalink::metrics_observer::create(reg));
  const auto used = musicbot_test::dashboard_metric_names(dashboard_file);
  // A histogram is covered through its _bucket or _count series.
  const auto covered = [&](const std::string& family) {
    return used.count(family) || used.count(family + "_bucket") || used.count(family + "_count");
  };
  for (const char* family :
       {"musicbot_lavalink_node_state", "musicbot_lavalink_players", "musicbot_lavalink_rest_request_duration_seconds",
        "musicbot_lavalink_events_total", "musicbot_lavalink_reconnects_total",
        "musicbot_lavalink_session_resumes_total", "musicbot_lavalink_player_moves_total"}) {
    EXPECT_TRUE(covered(family)) << "no dashboard panel for " << family;
    bool registered = false;
    for (const auto& s : reg.sample_names()) registered = registered || s.starts_with(family);
    EXPECT_TRUE(registered) << family << " is no longer registered by metrics_observer";
  }
}

}  // namespace
