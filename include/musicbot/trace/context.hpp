#pragma once
/// @file
/// W3C Trace Context: trace and span ids, the `traceparent` and `tracestate`
/// headers. Parsing never throws; an invalid header is an error value that
/// callers ignore (a bad header from a peer must never fail a request).

#include <musicbot/core/error.hpp>
#include <musicbot/core/result.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace musicbot::trace {

namespace detail {

constexpr char hex_digits[] = "0123456789abcdef";

constexpr int lower_hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // upper-case hex is invalid in traceparent
}

template <std::size_t N>
bool parse_hex(std::string_view text, std::array<std::uint8_t, N>& out) noexcept {
  if (text.size() != 2 * N) return false;
  for (std::size_t i = 0; i < N; ++i) {
    const int hi = lower_hex_value(text[2 * i]);
    const int lo = lower_hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return true;
}

template <std::size_t N>
void append_hex(std::string& out, const std::array<std::uint8_t, N>& bytes) {
  for (const auto b : bytes) {
    out.push_back(hex_digits[b >> 4]);
    out.push_back(hex_digits[b & 0x0f]);
  }
}

template <std::size_t N>
constexpr bool all_zero(const std::array<std::uint8_t, N>& bytes) noexcept {
  for (const auto b : bytes) {
    if (b != 0) return false;
  }
  return true;
}

}  // namespace detail

/// A 16-byte trace id. All zeros is the invalid id.
struct trace_id {
  std::array<std::uint8_t, 16> bytes{};  ///< Big-endian bytes, as on the wire.

  /// True unless all bytes are zero.
  [[nodiscard]] bool valid() const noexcept { return !detail::all_zero(bytes); }
  /// 32 lower-case hex digits.
  [[nodiscard]] std::string to_hex() const {
    std::string out;
    out.reserve(32);
    detail::append_hex(out, bytes);
    return out;
  }
  /// Equality of all bytes.
  friend bool operator==(const trace_id&, const trace_id&) = default;
};

/// An 8-byte span id. All zeros is the invalid id.
struct span_id {
  std::array<std::uint8_t, 8> bytes{};  ///< Big-endian bytes, as on the wire.

  /// True unless all bytes are zero.
  [[nodiscard]] bool valid() const noexcept { return !detail::all_zero(bytes); }
  /// 16 lower-case hex digits.
  [[nodiscard]] std::string to_hex() const {
    std::string out;
    out.reserve(16);
    detail::append_hex(out, bytes);
    return out;
  }
  /// Equality of all bytes.
  friend bool operator==(const span_id&, const span_id&) = default;
};

/// One `key=value` member of a `tracestate` header.
struct trace_state_entry {
  std::string key;    ///< Vendor key, e.g. `congo` or `tenant@system`.
  std::string value;  ///< Opaque vendor value.
  /// Member-wise equality.
  friend bool operator==(const trace_state_entry&, const trace_state_entry&) = default;
};

/// The vendor-specific `tracestate` list (at most 32 members, W3C limit).
using trace_state = std::vector<trace_state_entry>;

/// What identifies a span across process boundaries.
struct span_context {
  trace_id trace;              ///< The trace this span belongs to.
  span_id span;                ///< This span.
  std::uint8_t flags = 0;      ///< W3C trace flags; bit 0 = sampled.
  trace_state state;           ///< Vendor trace state, passed through unchanged.
  bool remote = false;         ///< True when it came from a peer's headers.

  /// Both ids are valid.
  [[nodiscard]] bool valid() const noexcept { return trace.valid() && span.valid(); }
  /// The sampled flag.
  [[nodiscard]] bool sampled() const noexcept { return (flags & 0x01) != 0; }
};

/// Maximum number of `tracestate` members (W3C Trace Context).
inline constexpr std::size_t max_trace_state_entries = 32;

/// Parses a `traceparent` header value.
///
/// Accepts version 00 exactly (55 characters) and, as the spec asks for
/// forward compatibility, any later version except `ff` whose first four
/// fields have the version-00 layout. Rejects upper-case hex, all-zero ids
/// and every other malformation with `core::error::parse_error`.
[[nodiscard]] inline core::result<span_context> parse_traceparent(std::string_view header) {
  constexpr std::size_t v0_length = 55;
  if (header.size() < v0_length) return core::error::parse_error;
  std::array<std::uint8_t, 1> version{};
  if (!detail::parse_hex(header.substr(0, 2), version) || version[0] == 0xff) {
    return core::error::parse_error;
  }
  if (version[0] == 0 && header.size() != v0_length) return core::error::parse_error;
  if (header.size() > v0_length && header[v0_length] != '-') return core::error::parse_error;
  if (header[2] != '-' || header[35] != '-' || header[52] != '-') return core::error::parse_error;

  span_context ctx;
  std::array<std::uint8_t, 1> flags{};
  if (!detail::parse_hex(header.substr(3, 32), ctx.trace.bytes) ||
      !detail::parse_hex(header.substr(36, 16), ctx.span.bytes) ||
      !detail::parse_hex(header.substr(53, 2), flags)) {
    return core::error::parse_error;
  }
  if (!ctx.valid()) return core::error::parse_error;
  // Unknown versions may define more flag bits; only the sampled bit is ours.
  ctx.flags = version[0] == 0 ? flags[0] : static_cast<std::uint8_t>(flags[0] & 0x01);
  ctx.remote = true;
  return ctx;
}

/// Formats `ctx` as a version-00 `traceparent` value (55 characters).
[[nodiscard]] inline std::string format_traceparent(const span_context& ctx) {
  std::string out;
  out.reserve(55);
  out += "00-";
  detail::append_hex(out, ctx.trace.bytes);
  out.push_back('-');
  detail::append_hex(out, ctx.span.bytes);
  out.push_back('-');
  detail::append_hex(out, std::array<std::uint8_t, 1>{ctx.flags});
  return out;
}

namespace detail {

constexpr bool is_lcalpha(char c) noexcept { return c >= 'a' && c <= 'z'; }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_key_char(char c) noexcept {
  return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '*' || c == '/';
}

inline bool valid_key_part(std::string_view part, std::size_t max, bool digit_first) noexcept {
  if (part.empty() || part.size() > max) return false;
  if (!(is_lcalpha(part[0]) || (digit_first && is_digit(part[0])))) return false;
  for (const char c : part.substr(1)) {
    if (!is_key_char(c)) return false;
  }
  return true;
}

inline bool valid_trace_state_key(std::string_view key) noexcept {
  const auto at = key.find('@');
  if (at == std::string_view::npos) return valid_key_part(key, 256, false);
  return valid_key_part(key.substr(0, at), 241, true) && valid_key_part(key.substr(at + 1), 14, false);
}

inline bool valid_trace_state_value(std::string_view value) noexcept {
  if (value.empty() || value.size() > 256 || value.back() == ' ') return false;
  for (const char c : value) {
    if (c < 0x20 || c > 0x7e || c == ',' || c == '=') return false;
  }
  return true;
}

inline std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace detail

/// Parses a `tracestate` header value. Empty members are skipped; more than
/// 32 members, an invalid key or value, or a duplicate key make the whole
/// header invalid (`core::error::parse_error`), as the spec asks.
[[nodiscard]] inline core::result<trace_state> parse_tracestate(std::string_view header) {
  constexpr std::size_t max_header = 8192;  // far above 32 full members; bounds the work
  if (header.size() > max_header) return core::error::parse_error;
  trace_state out;
  while (true) {
    const auto comma = header.find(',');
    const auto member = detail::trim_ows(header.substr(0, comma));
    if (!member.empty()) {
      const auto eq = member.find('=');
      if (eq == std::string_view::npos) return core::error::parse_error;
      const auto key = member.substr(0, eq);
      const auto value = member.substr(eq + 1);
      if (!detail::valid_trace_state_key(key) || !detail::valid_trace_state_value(value)) {
        return core::error::parse_error;
      }
      for (const auto& e : out) {
        if (e.key == key) return core::error::parse_error;
      }
      if (out.size() == max_trace_state_entries) return core::error::parse_error;
      out.push_back({std::string(key), std::string(value)});
    }
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return out;
}

/// Formats a trace state as a `tracestate` header value (`k1=v1,k2=v2`).
[[nodiscard]] inline std::string format_tracestate(const trace_state& state) {
  std::string out;
  for (const auto& e : state) {
    if (!out.empty()) out.push_back(',');
    out += e.key;
    out.push_back('=');
    out += e.value;
  }
  return out;
}

/// Extracts a remote parent from the two headers. An invalid `traceparent`
/// gives an error (start a new trace); an invalid `tracestate` is dropped
/// while the valid `traceparent` is kept.
[[nodiscard]] inline core::result<span_context> extract_context(std::string_view traceparent,
                                                                std::string_view tracestate) {
  auto ctx = parse_traceparent(traceparent);
  if (!ctx) return ctx;
  if (!tracestate.empty()) {
    if (auto state = parse_tracestate(tracestate)) ctx->state = std::move(*state);
  }
  return ctx;
}

}  // namespace musicbot::trace
