#include "musicbot/net/url.hpp"

#include "musicbot/net/error.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <charconv>

namespace musicbot::net {

std::uint16_t default_port(net::scheme s) noexcept {
  return (s == scheme::https || s == scheme::wss) ? 443 : 80;
}

std::string endpoint::host_header() const {
  std::string out;
  const bool ipv6 = host.find(':') != std::string::npos;
  if (ipv6) {
    out += '[';
    out += host;
    out += ']';
  } else {
    out = host;
  }
  if (port != default_port(scheme)) {
    out += ':';
    out += std::to_string(port);
  }
  return out;
}

std::string endpoint::origin() const {
  std::string out;
  switch (scheme) {
    case scheme::http: out = "http://"; break;
    case scheme::https: out = "https://"; break;
    case scheme::ws: out = "ws://"; break;
    case scheme::wss: out = "wss://"; break;
  }
  out += host_header();
  return out;
}

boost::system::result<endpoint> parse_endpoint(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) {
    // An absolute URI with a fragment is not "absolute-URI" in RFC 3986 terms.
    parsed = boost::urls::parse_uri(url);
    if (!parsed) return make_error_code(error::bad_url);
  }
  const boost::urls::url_view& u = *parsed;

  endpoint ep;
  const auto scheme_text = u.scheme();
  auto iequals = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      char c = a[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != b[i]) return false;
    }
    return true;
  };
  if (iequals(scheme_text, "http")) ep.scheme = scheme::http;
  else if (iequals(scheme_text, "https")) ep.scheme = scheme::https;
  else if (iequals(scheme_text, "ws")) ep.scheme = scheme::ws;
  else if (iequals(scheme_text, "wss")) ep.scheme = scheme::wss;
  else return make_error_code(error::unsupported_scheme);
  ep.tls = ep.scheme == scheme::https || ep.scheme == scheme::wss;

  if (!u.has_authority() || u.has_userinfo()) return make_error_code(error::bad_url);
  switch (u.host_type()) {
    case boost::urls::host_type::name:
      ep.host = u.host_address();  // percent-decoded
      // A decoded name must still be a plain host name: ':' would make the
      // Host header ambiguous, others are never valid in DNS names.
      for (const char c : ep.host) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                        c == '.' || c == '_' || c == '~' || static_cast<unsigned char>(c) >= 0x80;
        if (!ok) return make_error_code(error::bad_url);
      }
      break;
    case boost::urls::host_type::ipv4:
      ep.host = u.host_address();
      break;
    case boost::urls::host_type::ipv6:
      ep.host = u.host_address();  // without brackets
      break;
    default:
      return make_error_code(error::bad_url);
  }
  if (ep.host.empty()) return make_error_code(error::bad_url);
  for (const char c : ep.host) {
    // Control characters, spaces or '/' would corrupt the Host header.
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '/' || c == '@') {
      return make_error_code(error::bad_url);
    }
  }

  if (u.has_port()) {
    const auto text = u.port();
    unsigned value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc{} || ptr != end || value == 0 || value > 65535) {
      return make_error_code(error::bad_url);
    }
    ep.port = static_cast<std::uint16_t>(value);
  } else {
    ep.port = default_port(ep.scheme);
  }

  std::string_view path = u.encoded_path();
  ep.target = path.empty() ? std::string("/") : std::string(path);
  if (ep.target.front() != '/') return make_error_code(error::bad_url);
  if (u.has_query()) {
    ep.target += '?';
    ep.target += std::string_view(u.encoded_query());
  }
  return ep;
}

}  // namespace musicbot::net
