// Health registry and its JSON rendering.

#include <musicbot/metrics/health.hpp>

#include "text.hpp"

#include <exception>
#include <utility>

namespace musicbot::metrics {
namespace {

constexpr std::size_t max_reason_size = 256;
constexpr std::size_t max_name_size = 64;

bool valid_check_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > max_name_size) return false;
  for (const char c : name) {
    const bool ok = detail::is_alpha(c) || detail::is_digit(c) || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string clamp_reason(std::string_view reason) {
  if (reason.size() <= max_reason_size) return std::string(reason);
  std::size_t n = max_reason_size;
  // do not cut a UTF-8 sequence in half
  while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xC0U) == 0x80U) --n;
  return std::string(reason.substr(0, n));
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 if invalid.
std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept {
  for (std::size_t len = 1; len <= 4 && i + len <= s.size(); ++len) {
    if (detail::valid_utf8(s.substr(i, len))) return len;
  }
  return 0;
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"') { out += "\\\""; ++i; continue; }
    if (c == '\\') { out += "\\\\"; ++i; continue; }
    if (c == '\n') { out += "\\n"; ++i; continue; }
    if (c == '\r') { out += "\\r"; ++i; continue; }
    if (c == '\t') { out += "\\t"; ++i; continue; }
    if (c < 0x20) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\u00";
      out += hex[c >> 4U];
      out += hex[c & 0x0FU];
      ++i;
      continue;
    }
    if (c < 0x80) { out += static_cast<char>(c); ++i; continue; }
    const std::size_t len = utf8_sequence(s, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD replacement character
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  out += '"';
}

}  // namespace

std::string_view to_string(health_status status) noexcept {
  switch (status) {
    case health_status::healthy: return "healthy";
    case health_status::degraded: return "degraded";
    case health_status::unhealthy: return "unhealthy";
  }
  return "unhealthy";
}

std::string health_snapshot::to_json() const {
  std::string out = "{\"status\":";
  append_json_string(out, to_string(status));
  out += ",\"components\":{";
  bool first = true;
  for (const auto& c : components) {
    if (!first) out += ',';
    first = false;
    append_json_string(out, c.name);
    out += ":{\"status\":";
    append_json_string(out, to_string(c.report.status));
    out += ",\"reason\":";
    append_json_string(out, c.report.reason);
    out += '}';
  }
  out += "}}";
  return out;
}

core::result<void> health_registry::add_check(std::string_view name, std::function<health_report()> check) {
  if (!valid_check_name(name)) return error::invalid_check_name;
  if (!check) return error::invalid_options;
  const std::lock_guard lock(mutex_);
  if (entries_.find(name) != entries_.end()) return error::duplicate_check;
  if (entries_.size() >= max_checks_) return error::too_many_checks;
  auto e = std::make_shared<entry>();
  e->check = std::move(check);
  entries_.emplace(std::string(name), std::move(e));
  return {};
}

core::result<void> health_registry::set(std::string_view name, health_status status, std::string_view reason) {
  if (!valid_check_name(name)) return error::invalid_check_name;
  auto e = std::make_shared<entry>();
  e->pushed = health_report{status, clamp_reason(reason)};
  const std::lock_guard lock(mutex_);
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    if (entries_.size() >= max_checks_) return error::too_many_checks;
    entries_.emplace(std::string(name), std::move(e));
    return {};
  }
  if (it->second->check) return error::duplicate_check;
  it->second = std::move(e);
  return {};
}

bool health_registry::remove(std::string_view name) {
  const std::lock_guard lock(mutex_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return false;
  entries_.erase(it);
  return true;
}

health_snapshot health_registry::check() const {
  std::vector<std::pair<std::string, std::shared_ptr<const entry>>> copy;
  {
    const std::lock_guard lock(mutex_);
    copy.assign(entries_.begin(), entries_.end());
  }
  health_snapshot snap;
  snap.components.reserve(copy.size());
  for (auto& [name, e] : copy) {
    health_report report;
    if (e->check) {
      try {
        report = e->check();
        report.reason = clamp_reason(report.reason);
      } catch (const std::exception&) {
        report = {health_status::unhealthy, "health check threw an exception"};
      } catch (...) {
        report = {health_status::unhealthy, "health check threw an exception"};
      }
    } else {
      report = e->pushed;
    }
    if (report.status > snap.status) snap.status = report.status;
    snap.components.push_back({std::move(name), std::move(report)});
  }
  return snap;
}

}  // namespace musicbot::metrics
