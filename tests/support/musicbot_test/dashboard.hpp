#pragma once
// Reads the shipped Grafana dashboard and Prometheus rules (deploy/) so that
// tests can check every metric they query against what the library
// registers. Header-only; needs Boost.JSON.

#include <boost/json.hpp>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace musicbot_test {

/// The whole file, or "" when it cannot be read.
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Every "expr" string in a Grafana dashboard, depth-first.
inline void collect_exprs(const boost::json::value& v, std::vector<std::string>& out) {
  if (v.is_object()) {
    for (const auto& [key, child] : v.as_object()) {
      if (key == "expr" && child.is_string()) out.emplace_back(child.as_string().c_str());
      collect_exprs(child, out);
    }
  } else if (v.is_array()) {
    for (const auto& child : v.as_array()) collect_exprs(child, out);
  }
}

/// Identifiers in a PromQL expression that name musicbot or process metrics
/// (label names and values never start with these prefixes in our files;
/// quoted words are label values and skipped).
inline std::set<std::string> metric_names(const std::string& expr) {
  const auto ident_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ':';
  };
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

/// The recording rules (`- record: name`) defined in a Prometheus rules file.
inline std::set<std::string> recording_rules(const std::string& rules_file) {
  std::set<std::string> out;
  std::istringstream in(read_file(rules_file));
  std::string line;
  while (std::getline(in, line)) {
    const auto pos = line.find("- record: ");
    if (pos != std::string::npos) out.insert(line.substr(pos + 10));
  }
  return out;
}

/// Every metric name the expressions of a dashboard file query; empty when
/// the file is missing or not valid JSON.
inline std::set<std::string> dashboard_metric_names(const std::string& dashboard_file) {
  boost::system::error_code ec;
  const boost::json::value dashboard = boost::json::parse(read_file(dashboard_file), ec);
  if (ec) return {};
  std::vector<std::string> exprs;
  collect_exprs(dashboard, exprs);
  std::set<std::string> out;
  for (const auto& e : exprs) out.merge(metric_names(e));
  return out;
}

}  // namespace musicbot_test
