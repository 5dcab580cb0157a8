#pragma once
// Private text helpers of the metrics component: name validation, UTF-8
// validation, escaping and number formatting for both exposition formats.

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace musicbot::metrics::detail {

inline bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// [a-zA-Z_:][a-zA-Z0-9_:]*
inline bool valid_metric_name(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = is_alpha(c) || c == '_' || c == ':' || (i > 0 && is_digit(c));
    if (!ok) return false;
  }
  return true;
}

// [a-zA-Z_][a-zA-Z0-9_]*
inline bool valid_label_name(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = is_alpha(c) || c == '_' || (i > 0 && is_digit(c));
    if (!ok) return false;
  }
  return true;
}

// Strict UTF-8 (no overlongs, no surrogates, max U+10FFFF). No NUL either:
// it is valid UTF-8 but breaks too many consumers of label values.
inline bool valid_utf8(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    if (c < 0x80) { ++i; continue; }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0U) == 0xC0U) { len = 2; cp = c & 0x1FU; }
    else if ((c & 0xF0U) == 0xE0U) { len = 3; cp = c & 0x0FU; }
    else if ((c & 0xF8U) == 0xF0U) { len = 4; cp = c & 0x07U; }
    else return false;
    if (s.size() - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0U) != 0x80U) return false;
      cp = (cp << 6U) | (cc & 0x3FU);
    }
    if ((len == 2 && cp < 0x80U) || (len == 3 && cp < 0x800U) || (len == 4 && cp < 0x10000U)) return false;
    if (cp > 0x10FFFFU || (cp >= 0xD800U && cp <= 0xDFFFU)) return false;
    i += len;
  }
  return true;
}

// Label values, both formats: backslash, double quote, line feed.
inline void append_label_value(std::string& out, std::string_view v) {
  for (const char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

// HELP text: text 0.0.4 escapes backslash and line feed; OpenMetrics also
// escapes double quotes.
inline std::string escape_help(std::string_view v, bool openmetrics) {
  std::string out;
  out.reserve(v.size());
  for (const char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '"':
        if (openmetrics) out += "\\\"";
        else out += c;
        break;
      default: out += c;
    }
  }
  return out;
}

inline void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// Shortest round-trip decimal; NaN, +Inf, -Inf spelled as both formats want.
inline void append_double(std::string& out, double v) {
  if (std::isnan(v)) { out += "NaN"; return; }
  if (std::isinf(v)) { out += v > 0 ? "+Inf" : "-Inf"; return; }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// Canonical `le` value: like append_double, but an integral value gets ".0"
// (OpenMetrics' canonical form; Prometheus text accepts it too).
inline std::string le_string(double v) {
  std::string s;
  append_double(s, v);
  if (s.find_first_of(".eEIN") == std::string::npos) s += ".0";
  return s;
}

}  // namespace musicbot::metrics::detail
