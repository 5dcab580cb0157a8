// The Grafana dashboard is valid JSON and queries only metrics this library
// registers (business set + process collector + the registry's own) or
// recording rules defined in deploy/prometheus/alerts.yml.

#include <musicbot/metrics/business.hpp>
#include <musicbot/metrics/process_collector.hpp>
#include <musicbot/metrics/registry.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace m = musicbot::metrics;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void collect_exprs(const boost::json::value& v, std::vector<std::string>& out) {
  if (v.is_object()) {
    for (const auto& [key, child] : v.as_object()) {
      if (key == "expr" && child.is_string()) out.emplace_back(child.as_string().c_str());
      collect_exprs(child, out);
    }
  } else if (v.is_array()) {
    for (const auto& child : v.as_array()) collect_exprs(child, out);
  }
}

bool ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ':';
}

// Identifiers in a PromQL expression that name musicbot or process metrics
// (label names and values never start with these prefixes here).
std::set<std::string> metric_names(const std::string& expr) {
  std::set<std::string> names;
  std::size_t i = 0;
  while (i < expr.size()) {
    if (!ident_char(expr[i]) || (i > 0 && ident_char(expr[i - 1]))) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < expr.size() && ident_char(expr[j])) ++j;
    const std::string word = expr.substr(i, j - i);
    const bool quoted = i > 0 && expr[i - 1] == '"';
    if (!quoted && (word.starts_with("musicbot_") || word.starts_with("musicbot:") || word.starts_with("process_"))) {
      names.insert(word);
    }
    i = j;
  }
  return names;
}

std::set<std::string> recording_rules() {
  std::set<std::string> out;
  std::istringstream in(read_file(std::string(MUSICBOT_SOURCE_DIR) + "/deploy/prometheus/alerts.yml"));
  std::string line;
  while (std::getline(in, line)) {
    const auto pos = line.find("- record: ");
    if (pos != std::string::npos) out.insert(line.substr(pos + 10));
  }
  return out;
}

}  // namespace

TEST(MetricsDeploy, DashboardIsValidJsonAndQueriesKnownMetrics) {
  const std::string text = read_file(std::string(MUSICBOT_SOURCE_DIR) + "/deploy/grafana/musicbot.json");
  ASSERT_FALSE(text.empty());
  boost::system::error_code ec;
  const boost::json::value dashboard = boost::json::parse(text, ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(dashboard.is_object());
  EXPECT_TRUE(dashboard.as_object().contains("panels"));

  m::registry reg;
  ASSERT_TRUE(m::register_business_metrics(reg));
  ASSERT_TRUE(m::register_process_collector(reg));
  const auto samples = reg.sample_names();
  const std::set<std::string> known(samples.begin(), samples.end());
  const auto rules = recording_rules();
  ASSERT_GE(rules.size(), 5U);

  std::vector<std::string> exprs;
  collect_exprs(dashboard, exprs);
  ASSERT_GE(exprs.size(), 20U);
  std::set<std::string> used;
  for (const auto& e : exprs) {
    for (const auto& name : metric_names(e)) {
      used.insert(name);
      if (name.find(':') != std::string::npos) {
        EXPECT_TRUE(rules.count(name)) << "recording rule not in alerts.yml: " << name << " in " << e;
      } else {
        EXPECT_TRUE(known.count(name)) << "metric not registered by the library: " << name << " in " << e;
      }
    }
  }
  // The dashboard covers the families the issue asks for.
  for (const char* must : {"musicbot_commands_total", "musicbot:command_latency_seconds:p95", "musicbot_music_sessions",
                           "musicbot_queue_length_bucket", "musicbot_errors_total", "musicbot_circuit_breaker_state",
                           "musicbot_lavalink_nodes_connected"}) {
    EXPECT_TRUE(used.count(must)) << must;
  }
}

TEST(MetricsDeploy, AlertRulesQueryKnownMetrics) {
  m::registry reg;
  ASSERT_TRUE(m::register_business_metrics(reg));
  ASSERT_TRUE(m::register_process_collector(reg));
  const auto samples = reg.sample_names();
  const std::set<std::string> known(samples.begin(), samples.end());
  const auto rules = recording_rules();
  std::istringstream in(read_file(std::string(MUSICBOT_SOURCE_DIR) + "/deploy/prometheus/alerts.yml"));
  std::string line;
  int checked = 0;
  while (std::getline(in, line)) {
    if (line.find("- record: ") != std::string::npos || line.find("runbook") != std::string::npos ||
        line.find("summary") != std::string::npos || line.find("description") != std::string::npos) {
      continue;
    }
    for (const auto& name : metric_names(line)) {
      ++checked;
      if (name.find(':') != std::string::npos) EXPECT_TRUE(rules.count(name)) << name;
      else EXPECT_TRUE(known.count(name)) << name;
    }
  }
  EXPECT_GE(checked, 10);
}

TEST(MetricsDeploy, NameExtractionFindsNames) {
  const auto names = metric_names(R"(sum by (le) (rate(musicbot_x_bucket{job=~"$job",f="musicbot_no"}[5m])) / musicbot:y:p95)");
  EXPECT_EQ(names, (std::set<std::string>{"musicbot_x_bucket", "musicbot:y:p95"}));
}
