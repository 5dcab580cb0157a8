// Content types and Accept-header negotiation.

#include <musicbot/metrics/exposition.hpp>

#include <cstddef>
#include <string_view>

namespace musicbot::metrics {
namespace {

constexpr std::string_view text_content_type = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view openmetrics_content_type =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits at `sep` outside double quotes; returns the head, leaves the rest.
std::string_view next_part(std::string_view& rest, char sep) noexcept {
  bool quoted = false;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    const char c = rest[i];
    if (quoted && c == '\\') {
      ++i;  // skip the escaped character
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == sep && !quoted) {
      const std::string_view head = rest.substr(0, i);
      rest.remove_prefix(i + 1);
      return head;
    }
  }
  const std::string_view head = rest;
  rest = {};
  return head;
}

std::string_view unquote(std::string_view v) noexcept {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
  return v;
}

// RFC 9110 qvalue: "0" ["." 0*3DIGIT] / "1" ["." 0*3("0")]; -1 if malformed.
int parse_q(std::string_view v) noexcept {
  if (v.empty() || v.size() > 5) return -1;
  if (v[0] != '0' && v[0] != '1') return -1;
  int q = (v[0] - '0') * 1000;
  if (v.size() == 1) return q;
  if (v[1] != '.') return -1;
  int scale = 100;
  for (std::size_t i = 2; i < v.size(); ++i) {
    if (v[i] < '0' || v[i] > '9') return -1;
    q += (v[i] - '0') * scale;
    scale /= 10;
  }
  return q > 1000 ? -1 : q;
}

}  // namespace

std::string_view content_type(exposition_format format) noexcept {
  return format == exposition_format::openmetrics ? openmetrics_content_type : text_content_type;
}

exposition_format negotiate_format(std::string_view accept) noexcept {
  int best_om = 0;
  int best_text = 0;
  std::string_view rest = accept;
  while (!rest.empty()) {
    std::string_view range = next_part(rest, ',');
    const std::string_view media = trim(next_part(range, ';'));
    int q = 1000;
    std::string_view version;
    bool valid = true;
    while (!range.empty()) {
      const std::string_view param = trim(next_part(range, ';'));
      const std::size_t eq = param.find('=');
      if (eq == std::string_view::npos) continue;
      const std::string_view key = trim(param.substr(0, eq));
      const std::string_view value = unquote(trim(param.substr(eq + 1)));
      if (iequals(key, "q")) {
        q = parse_q(value);
        if (q < 0) valid = false;
      } else if (iequals(key, "version")) {
        version = value;
      }
    }
    if (!valid || q == 0) continue;
    if (iequals(media, "application/openmetrics-text")) {
      if (version.empty() || version == "1.0.0") best_om = q > best_om ? q : best_om;
    } else if (iequals(media, "text/plain")) {
      if (version.empty() || version == "0.0.4") best_text = q > best_text ? q : best_text;
    } else if (iequals(media, "text/*") || iequals(media, "*/*")) {
      best_text = q > best_text ? q : best_text;
    }
  }
  return best_om > 0 && best_om >= best_text ? exposition_format::openmetrics : exposition_format::prometheus_text;
}

}  // namespace musicbot::metrics
