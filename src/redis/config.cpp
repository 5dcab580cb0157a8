// Redis URL parsing (Boost.URL).
#include <musicbot/redis/config.hpp>
#include <musicbot/redis/error.hpp>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <charconv>

namespace musicbot::redis {

namespace {

template <class Int>
bool parse_number(std::string_view text, Int& out) {
  if (text.empty()) return false;
  const auto res = std::from_chars(text.data(), text.data() + text.size(), out);
  return res.ec == std::errc{} && res.ptr == text.data() + text.size();
}

bool parse_millis(std::string_view text, std::chrono::milliseconds& out) {
  std::int64_t ms = 0;
  if (!parse_number(text, ms) || ms <= 0 || ms > 3'600'000) return false;
  out = std::chrono::milliseconds(ms);
  return true;
}

}  // namespace

boost::system::result<config> parse_url(std::string_view text) {
  namespace urls = boost::urls;
  auto parsed = urls::parse_absolute_uri(text);
  if (!parsed) {
    // "localhost:6379" has no "//": it parses as scheme "localhost", so it is
    // reported as an unsupported scheme below; everything else is syntax.
    return error::invalid_url;
  }
  const urls::url_view url = *parsed;
  config cfg;
  const auto scheme = url.scheme();
  if (scheme == "rediss") {
    cfg.tls = true;
  } else if (scheme != "redis") {
    return error::unsupported_scheme;
  }
  if (!url.has_authority()) return error::invalid_url;

  switch (url.host_type()) {
    case urls::host_type::ipv4: cfg.host = url.host_ipv4_address().to_string(); break;
    case urls::host_type::ipv6: cfg.host = url.host_ipv6_address().to_string(); break;
    case urls::host_type::name: cfg.host = url.host_name(); break;
    default: return error::invalid_host;
  }
  if (cfg.host.empty()) return error::invalid_host;

  if (url.has_port()) {
    std::uint32_t port = 0;
    if (!parse_number(std::string_view(url.port()), port) || port == 0 || port > 65535) return error::invalid_port;
    cfg.port = static_cast<std::uint16_t>(port);
  }

  if (url.has_userinfo()) {
    cfg.username = url.user();
    if (url.has_password()) cfg.password = core::secret(std::string(url.password()));
    // "redis://secret@host" (no colon): treat the lone part as the password,
    // as redis-cli does; a user needs a password anyway.
    if (!url.has_password() && !cfg.username.empty()) {
      cfg.password = core::secret(std::move(cfg.username));
      cfg.username.clear();
    }
  }

  const std::string_view path = url.encoded_path();
  // Boost.URL 1.81 splits "h:12ab" into port "12" and path "ab".
  if (!path.empty() && path.front() != '/') return url.has_port() ? error::invalid_port : error::invalid_url;
  if (!path.empty() && path != "/") {
    std::uint32_t db = 0;
    if (path.front() != '/' || !parse_number(path.substr(1), db) || db > 65535) return error::invalid_database;
    cfg.database = db;
  }

  if (url.has_fragment()) return error::invalid_url;
  for (const auto& param : url.params()) {
    if (param.key == "connect_timeout_ms") {
      if (!param.has_value || !parse_millis(param.value, cfg.connect_timeout)) return error::invalid_option;
    } else if (param.key == "command_timeout_ms") {
      if (!param.has_value || !parse_millis(param.value, cfg.command_timeout)) return error::invalid_option;
    } else if (param.key == "tls_ca_file") {
      if (!param.has_value || param.value.empty()) return error::invalid_option;
      cfg.tls_ca_file = param.value;
    } else if (param.key == "tls_verify") {
      if (param.value == "true" || param.value == "1") cfg.tls_verify_peer = true;
      else if (param.value == "false" || param.value == "0") cfg.tls_verify_peer = false;
      else return error::invalid_option;
    } else {
      return error::invalid_option;
    }
  }
  return cfg;
}

std::string redacted_url(const config& cfg) {
  std::string out = cfg.tls ? "rediss://" : "redis://";
  if (!cfg.username.empty() || !cfg.password.empty()) {
    out += cfg.username;
    if (!cfg.password.empty()) out += ":***";
    out += '@';
  }
  const bool v6 = cfg.host.find(':') != std::string::npos;
  out += v6 ? "[" + cfg.host + "]" : cfg.host;
  out += ':' + std::to_string(cfg.port) + '/' + std::to_string(cfg.database);
  return out;
}

}  // namespace musicbot::redis
