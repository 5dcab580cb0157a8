#include <musicbot/queue/validation.hpp>

#include <algorithm>
#include <limits>

namespace musicbot::queue {

namespace {

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_hex(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
constexpr bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr char to_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
constexpr unsigned hex_value(char c) noexcept {
  if (is_digit(c)) return static_cast<unsigned>(c - '0');
  return static_cast<unsigned>(to_lower(c) - 'a' + 10);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = to_lower(c);
  return out;
}

bool iequals_prefix(std::string_view text, std::string_view prefix) noexcept {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (to_lower(text[i]) != to_lower(prefix[i])) return false;
  }
  return true;
}

bool ends_with_label(std::string_view host, std::string_view suffix) noexcept {
  if (host == suffix) return true;
  return host.size() > suffix.size() && host.ends_with(suffix) && host[host.size() - suffix.size() - 1] == '.';
}

// Decodes one UTF-8 code point at `i`; returns false on malformed input
// (overlong, surrogate, above U+10FFFF, truncated).
bool decode_utf8(std::string_view s, std::size_t& i, char32_t& cp) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80U) {
    cp = b0;
    ++i;
    return true;
  }
  std::size_t len = 0;
  char32_t min = 0;
  if ((b0 & 0xE0U) == 0xC0U) {
    len = 2, cp = b0 & 0x1FU, min = 0x80;
  } else if ((b0 & 0xF0U) == 0xE0U) {
    len = 3, cp = b0 & 0x0FU, min = 0x800;
  } else if ((b0 & 0xF8U) == 0xF0U) {
    len = 4, cp = b0 & 0x07U, min = 0x10000;
  } else {
    return false;
  }
  if (s.size() - i < len) return false;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0U) != 0x80U) return false;
    cp = (cp << 6U) | (b & 0x3FU);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  i += len;
  return true;
}

bool is_invisible_control(char32_t cp) noexcept {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x200B && cp <= 0x200F) ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xFEFF;
}

bool is_space(char32_t cp) noexcept {
  return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f' || cp == 0xA0 ||
         cp == 0x3000 || (cp >= 0x2000 && cp <= 0x200A);
}

// Parses one inet_aton part: decimal, octal (leading 0) or hex (0x).
std::optional<std::uint64_t> parse_ipv4_part(std::string_view part) noexcept {
  if (part.empty()) return std::nullopt;
  unsigned base = 10;
  if (part.size() >= 2 && part[0] == '0' && (part[1] == 'x' || part[1] == 'X')) {
    base = 16;
    part.remove_prefix(2);
    if (part.empty()) return std::nullopt;  // "0x" alone: parsers disagree, refuse
  } else if (part.size() >= 2 && part[0] == '0') {
    base = 8;
    part.remove_prefix(1);
  }
  std::uint64_t value = 0;
  for (char c : part) {
    unsigned digit = 0;
    if (base == 16) {
      if (!is_hex(c)) return std::nullopt;
      digit = hex_value(c);
    } else {
      if (!is_digit(c)) return std::nullopt;
      digit = static_cast<unsigned>(c - '0');
      if (digit >= base) return std::nullopt;
    }
    value = value * base + digit;
    if (value > 0xFFFFFFFFULL) return std::nullopt;
  }
  return value;
}

// The last label of a host "looks like a number" (URL standard: ends in a
// number) and so the whole host must be read as an IPv4 address.
bool ends_in_number(std::string_view host) noexcept {
  const auto dot = host.rfind('.');
  const std::string_view last = dot == std::string_view::npos ? host : host.substr(dot + 1);
  if (last.empty()) return false;
  if (std::all_of(last.begin(), last.end(), is_digit)) return true;
  if (last.size() >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X')) {
    return std::all_of(last.begin() + 2, last.end(), is_hex);
  }
  return false;
}

bool in_v4(const std::array<std::uint8_t, 4>& a, std::uint32_t net, unsigned prefix) noexcept {
  const std::uint32_t value = (std::uint32_t{a[0]} << 24U) | (std::uint32_t{a[1]} << 16U) |
                              (std::uint32_t{a[2]} << 8U) | std::uint32_t{a[3]};
  const std::uint32_t mask = prefix == 0 ? 0U : ~std::uint32_t{0} << (32U - prefix);
  return (value & mask) == (net & mask);
}

constexpr std::uint32_t v4(unsigned a, unsigned b, unsigned c, unsigned d) noexcept {
  return (a << 24U) | (b << 16U) | (c << 8U) | d;
}

std::array<std::uint8_t, 4> v4_at(const std::array<std::uint8_t, 16>& a, std::size_t offset) noexcept {
  return {a[offset], a[offset + 1], a[offset + 2], a[offset + 3]};
}

bool bytes_equal(const std::array<std::uint8_t, 16>& a, std::initializer_list<std::uint8_t> prefix) noexcept {
  return std::equal(prefix.begin(), prefix.end(), a.begin());
}

bool valid_host_char(char c) noexcept { return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_'; }

}  // namespace

core::result<std::uint64_t> parse_snowflake(std::string_view text, std::chrono::system_clock::time_point now,
                                            std::chrono::milliseconds future_margin) {
  if (text.empty() || text.size() > 20 || text[0] == '0') return error::invalid_snowflake;
  std::uint64_t value = 0;
  for (char c : text) {
    if (!is_digit(c)) return error::invalid_snowflake;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return error::invalid_snowflake;
    value = value * 10 + digit;
  }
  const auto created = snowflake_time(value);
  const auto limit = std::chrono::time_point_cast<std::chrono::milliseconds>(now) + future_margin;
  if (created > limit) return error::snowflake_in_future;
  return value;
}

core::result<std::string> clean_search_query(std::string_view input, const query_policy& policy) {
  // 1. Decode, drop controls, collapse whitespace.
  std::string text;
  text.reserve(std::min(input.size(), policy.max_length * 4 + 64));
  std::size_t code_points = 0;
  bool pending_space = false;
  for (std::size_t i = 0; i < input.size();) {
    const std::size_t start = i;
    char32_t cp = 0;
    if (!decode_utf8(input, i, cp)) return error::invalid_utf8;
    if (is_space(cp)) {
      pending_space = !text.empty();
      continue;
    }
    if (is_invisible_control(cp)) continue;
    if (pending_space) {
      text.push_back(' ');
      ++code_points;
      pending_space = false;
    }
    text.append(input.substr(start, i - start));
    ++code_points;
    // Fail early on huge inputs: a prefix adds at most a few code points.
    if (code_points > policy.max_length + 32) return error::query_too_long;
  }

  // 2. Split off a "<word>search:" prefix.
  std::string prefix;
  std::string_view body = text;
  const auto colon = body.find(':');
  if (colon != std::string_view::npos && colon >= 6) {
    const std::string_view head = body.substr(0, colon);
    const bool word = std::all_of(head.begin(), head.end(), [](char c) { return is_alpha(c) || is_digit(c); });
    if (word && iequals_prefix(head.substr(head.size() - 6), "search")) {
      const std::string candidate = lower(body.substr(0, colon + 1));
      const bool allowed = std::any_of(policy.allowed_prefixes.begin(), policy.allowed_prefixes.end(),
                                       [&](const std::string& p) { return lower(p) == candidate; });
      if (!allowed) return error::prefix_not_allowed;
      prefix = candidate;
      body.remove_prefix(colon + 1);
      while (!body.empty() && body.front() == ' ') body.remove_prefix(1);
    }
  }
  if (prefix.empty()) prefix = policy.default_prefix;
  if (body.empty()) return error::empty_query;

  std::size_t body_points = 0;
  for (char c : body) {
    if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) ++body_points;
  }
  if (body_points > policy.max_length) return error::query_too_long;
  return prefix + std::string(body);
}

std::optional<std::array<std::uint8_t, 4>> parse_ipv4_any(std::string_view host) noexcept {
  std::array<std::uint64_t, 4> parts{};
  std::size_t count = 0;
  while (true) {
    const auto dot = host.find('.');
    const std::string_view part = host.substr(0, dot);
    if (count == 4) return std::nullopt;
    auto value = parse_ipv4_part(part);
    if (!value) return std::nullopt;
    parts[count++] = *value;
    if (dot == std::string_view::npos) break;
    host.remove_prefix(dot + 1);
  }
  for (std::size_t i = 0; i + 1 < count; ++i) {
    if (parts[i] > 255) return std::nullopt;
  }
  const unsigned last_bytes = static_cast<unsigned>(5 - count);
  if (last_bytes < 4 && parts[count - 1] >= (std::uint64_t{1} << (8U * last_bytes))) return std::nullopt;
  std::uint32_t value = 0;
  for (std::size_t i = 0; i + 1 < count; ++i) value |= static_cast<std::uint32_t>(parts[i] << (8U * (3 - i)));
  value |= static_cast<std::uint32_t>(parts[count - 1]);
  return std::array<std::uint8_t, 4>{static_cast<std::uint8_t>(value >> 24U), static_cast<std::uint8_t>(value >> 16U),
                                     static_cast<std::uint8_t>(value >> 8U), static_cast<std::uint8_t>(value)};
}

std::optional<std::array<std::uint8_t, 16>> parse_ipv6(std::string_view text) noexcept {
  if (text.empty() || text.size() > 45) return std::nullopt;
  std::array<std::uint16_t, 8> groups{};
  std::size_t count = 0;
  std::optional<std::size_t> gap;  // index in groups where "::" was
  std::size_t i = 0;
  if (text.starts_with("::")) {
    gap = 0;
    i = 2;
    if (text.size() == 2) return std::array<std::uint8_t, 16>{};
  } else if (text[0] == ':') {
    return std::nullopt;
  }
  while (i < text.size()) {
    if (count == 8) return std::nullopt;
    // A trailing dotted IPv4 part.
    const std::string_view rest = text.substr(i);
    const auto next_colon = rest.find(':');
    if (rest.substr(0, next_colon).find('.') != std::string_view::npos) {
      if (next_colon != std::string_view::npos || count > 6) return std::nullopt;
      // Strict dotted decimal only: four parts, 0–255, no leading zeros.
      std::array<std::uint8_t, 4> v4bytes{};
      std::string_view r = rest;
      for (std::size_t p = 0; p < 4; ++p) {
        const auto dot = r.find('.');
        if ((p < 3) == (dot == std::string_view::npos)) return std::nullopt;
        const std::string_view part = r.substr(0, dot);
        if (part.empty() || part.size() > 3 || (part.size() > 1 && part[0] == '0')) return std::nullopt;
        unsigned v = 0;
        for (char c : part) {
          if (!is_digit(c)) return std::nullopt;
          v = v * 10 + static_cast<unsigned>(c - '0');
        }
        if (v > 255) return std::nullopt;
        v4bytes[p] = static_cast<std::uint8_t>(v);
        if (dot != std::string_view::npos) r.remove_prefix(dot + 1);
      }
      groups[count++] = static_cast<std::uint16_t>((v4bytes[0] << 8U) | v4bytes[1]);
      groups[count++] = static_cast<std::uint16_t>((v4bytes[2] << 8U) | v4bytes[3]);
      i = text.size();
      break;
    }
    std::size_t digits = 0;
    unsigned value = 0;
    while (i < text.size() && is_hex(text[i])) {
      if (++digits > 4) return std::nullopt;
      value = (value << 4U) | hex_value(text[i]);
      ++i;
    }
    if (digits == 0) return std::nullopt;
    groups[count++] = static_cast<std::uint16_t>(value);
    if (i == text.size()) break;
    if (text[i] != ':') return std::nullopt;
    ++i;
    if (i < text.size() && text[i] == ':') {
      if (gap) return std::nullopt;
      gap = count;
      ++i;
      if (i == text.size()) break;
    } else if (i == text.size()) {
      return std::nullopt;  // trailing single ':'
    }
  }
  if (gap) {
    if (count >= 8) return std::nullopt;  // "::" must stand for at least one group
    const std::size_t tail = count - *gap;
    std::array<std::uint16_t, 8> expanded{};
    for (std::size_t k = 0; k < *gap; ++k) expanded[k] = groups[k];
    for (std::size_t k = 0; k < tail; ++k) expanded[8 - tail + k] = groups[*gap + k];
    groups = expanded;
  } else if (count != 8) {
    return std::nullopt;
  }
  std::array<std::uint8_t, 16> out{};
  for (std::size_t k = 0; k < 8; ++k) {
    out[2 * k] = static_cast<std::uint8_t>(groups[k] >> 8U);
    out[2 * k + 1] = static_cast<std::uint8_t>(groups[k] & 0xFFU);
  }
  return out;
}

bool is_forbidden_address(const std::array<std::uint8_t, 4>& a) noexcept {
  struct range {
    std::uint32_t net;
    unsigned prefix;
  };
  static constexpr range ranges[] = {
      {v4(0, 0, 0, 0), 8},       {v4(10, 0, 0, 0), 8},     {v4(100, 64, 0, 0), 10},  {v4(127, 0, 0, 0), 8},
      {v4(169, 254, 0, 0), 16},  {v4(172, 16, 0, 0), 12},  {v4(192, 0, 0, 0), 24},   {v4(192, 0, 2, 0), 24},
      {v4(192, 88, 99, 0), 24},  {v4(192, 168, 0, 0), 16}, {v4(198, 18, 0, 0), 15},  {v4(198, 51, 100, 0), 24},
      {v4(203, 0, 113, 0), 24},  {v4(224, 0, 0, 0), 4},    {v4(240, 0, 0, 0), 4},    {v4(168, 63, 129, 16), 32},
  };
  return std::any_of(std::begin(ranges), std::end(ranges), [&](const range& r) { return in_v4(a, r.net, r.prefix); });
}

bool is_forbidden_address(const std::array<std::uint8_t, 16>& a) noexcept {
  const bool first_80_zero = std::all_of(a.begin(), a.begin() + 10, [](std::uint8_t b) { return b == 0; });
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible; also :: and ::1).
  if (first_80_zero && ((a[10] == 0xFF && a[11] == 0xFF) || (a[10] == 0 && a[11] == 0))) {
    return true;  // never fetch through an IPv4-in-IPv6 form, whatever the IPv4
  }
  // ::ffff:0:a.b.c.d (IPv4-translated).
  if (std::all_of(a.begin(), a.begin() + 8, [](std::uint8_t b) { return b == 0; }) && a[8] == 0xFF && a[9] == 0xFF &&
      a[10] == 0 && a[11] == 0) {
    return true;
  }
  if ((a[0] & 0xE0U) != 0x20U) return true;  // outside 2000::/3 global unicast
  if (bytes_equal(a, {0x20, 0x01, 0x00, 0x00})) return true;              // Teredo 2001::/32
  if (bytes_equal(a, {0x20, 0x01, 0x0d, 0xb8})) return true;              // documentation 2001:db8::/32
  if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x00 && (a[3] & 0xF0U) == 0x10U) return true;  // ORCHID 2001:10::/28
  if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x00 && (a[3] & 0xF0U) == 0x20U) return true;  // ORCHIDv2 2001:20::/28
  if (bytes_equal(a, {0x20, 0x01, 0x00, 0x02, 0x00, 0x00})) return true;  // benchmarking 2001:2::/48
  if (a[0] == 0x20 && a[1] == 0x02) return is_forbidden_address(v4_at(a, 2));  // 6to4 embeds an IPv4
  return false;
}

core::result<validated_url> validate_track_url(std::string_view input, const url_policy& policy) {
  if (input.size() > policy.max_length) return error::url_too_long;
  for (char c : input) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20U || u == 0x7FU || c == '\\') return error::url_malformed;
  }
  {  // the whole URL must be valid UTF-8 (non-ASCII is allowed after the host only)
    for (std::size_t i = 0; i < input.size();) {
      char32_t cp = 0;
      if (!decode_utf8(input, i, cp)) return error::url_malformed;
      if (cp >= 0x80 && cp <= 0x9F) return error::url_malformed;
    }
  }
  const auto colon = input.find(':');
  if (colon == std::string_view::npos || colon == 0) return error::url_malformed;
  const std::string scheme = lower(input.substr(0, colon));
  if (!std::all_of(scheme.begin(), scheme.end(),
                   [](char c) { return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.'; })) {
    return error::url_malformed;
  }
  if (scheme != "http" && scheme != "https") return error::url_scheme_not_allowed;
  std::string_view rest = input.substr(colon + 1);
  if (!rest.starts_with("//")) return error::url_malformed;
  rest.remove_prefix(2);
  const auto authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  const std::string_view tail = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) return error::url_has_userinfo;
  if (authority.empty()) return error::url_malformed;

  std::string_view host_part;
  std::string_view port_part;
  bool has_port = false;
  bool is_v6 = false;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return error::url_malformed;
    host_part = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return error::url_malformed;
      port_part = after.substr(1);
      has_port = true;
    }
    is_v6 = true;
  } else {
    const auto port_colon = authority.find(':');
    host_part = authority.substr(0, port_colon);
    if (port_colon != std::string_view::npos) {
      port_part = authority.substr(port_colon + 1);
      has_port = true;
    }
  }

  validated_url out;
  out.scheme = scheme;
  if (has_port) {
    if (port_part.empty() || port_part.size() > 5) return error::url_malformed;
    unsigned port = 0;
    for (char c : port_part) {
      if (!is_digit(c)) return error::url_malformed;
      port = port * 10 + static_cast<unsigned>(c - '0');
    }
    if (port == 0 || port > 65535) return error::url_malformed;
    out.port = static_cast<std::uint16_t>(port);
  }

  if (is_v6) {
    auto address = parse_ipv6(host_part);  // '%' (zone id) and anything odd fail here
    if (!address) return error::url_malformed;
    if (is_forbidden_address(*address)) return error::url_host_forbidden;
    out.host = lower(host_part);
  } else {
    if (host_part.empty() || host_part.size() > 254) return error::url_malformed;
    if (!std::all_of(host_part.begin(), host_part.end(), valid_host_char)) return error::url_malformed;
    std::string host = lower(host_part);
    if (host.back() == '.') host.pop_back();  // "localhost." is localhost
    if (host.empty() || host.front() == '.' || host.back() == '.' || host.find("..") != std::string::npos) {
      return error::url_malformed;
    }
    if (ends_in_number(host)) {
      auto address = parse_ipv4_any(host);
      if (!address) return error::url_malformed;
      if (is_forbidden_address(*address)) return error::url_host_forbidden;
    } else {
      if (host.find('.') == std::string::npos) return error::url_host_forbidden;  // single label: intranet
      static constexpr std::string_view forbidden_suffixes[] = {
          "localhost", "localdomain", "local", "internal", "lan", "home.arpa", "arpa", "metadata.goog",
          "nip.io",    "sslip.io",    "xip.io", "localtest.me", "lvh.me",
      };
      for (std::string_view suffix : forbidden_suffixes) {
        if (ends_with_label(host, suffix)) return error::url_host_forbidden;
      }
    }
    out.host = std::move(host);
  }

  out.url = scheme + "://" + (is_v6 ? "[" + out.host + "]" : out.host);
  if (out.port) out.url += ":" + std::to_string(*out.port);
  out.url.append(tail);
  return out;
}

core::result<play_request> parse_play_input(std::string_view input, const query_policy& query,
                                            const url_policy& url) {
  std::string_view trimmed = input;
  while (!trimmed.empty() && (trimmed.front() == ' ' || trimmed.front() == '\t' || trimmed.front() == '\n')) {
    trimmed.remove_prefix(1);
  }
  while (!trimmed.empty() && (trimmed.back() == ' ' || trimmed.back() == '\t' || trimmed.back() == '\n')) {
    trimmed.remove_suffix(1);
  }
  if (iequals_prefix(trimmed, "http://") || iequals_prefix(trimmed, "https://")) {
    auto checked = validate_track_url(trimmed, url);
    if (!checked) return checked.error();
    return play_request{play_request::kind::url, std::move(checked->url)};
  }
  auto cleaned = clean_search_query(input, query);
  if (!cleaned) return cleaned.error();
  return play_request{play_request::kind::search, std::move(*cleaned)};
}

}  // namespace musicbot::queue
