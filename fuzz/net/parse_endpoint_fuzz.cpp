// Fuzzes musicbot::net::parse_endpoint: never crashes, and every accepted
// URL yields a consistent endpoint (non-empty host without control
// characters, non-zero port, target starting with '/', tls matching the
// scheme), and parsing the endpoint's own origin + target gives it back.
#include "musicbot/net/url.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto ep = musicbot::net::parse_endpoint(input);
  if (!ep) return 0;
  using musicbot::net::scheme;
  if (ep->host.empty() || ep->port == 0 || ep->target.empty() || ep->target.front() != '/') std::abort();
  if (ep->tls != (ep->scheme == scheme::https || ep->scheme == scheme::wss)) std::abort();
  for (const char c : ep->host) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '/' || c == '@') std::abort();
  }
  for (const char c : ep->target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) std::abort();
  }
  // Round trip: what we would send must parse to the same endpoint.
  // (Host names with characters that need percent-encoding are skipped.)
  bool plain_host = true;
  for (const char c : ep->host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '-' || c == ':';
    plain_host = plain_host && ok;
  }
  if (plain_host) {
    const std::string again = ep->origin() + ep->target;
    auto ep2 = musicbot::net::parse_endpoint(again);
    if (!ep2 || ep2->port != ep->port || ep2->scheme != ep->scheme || ep2->target != ep->target) std::abort();
  }
  (void)ep->host_header();
  return 0;
}
