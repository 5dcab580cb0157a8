#pragma once
/// @file
/// Validation of everything a user types that reaches the queue: Discord
/// ids (snowflakes), search queries and track URLs. Every validator is a
/// total function: any byte sequence gives a value or an error, never UB,
/// never an exception other than `std::bad_alloc`.

#include <musicbot/core/result.hpp>
#include <musicbot/queue/error.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace musicbot::queue {

/// Discord's epoch (2015-01-01T00:00:00Z) in milliseconds since the Unix epoch.
inline constexpr std::int64_t discord_epoch_ms = 1'420'070'400'000;

/// The creation time encoded in a snowflake.
[[nodiscard]] constexpr std::chrono::sys_time<std::chrono::milliseconds> snowflake_time(std::uint64_t id) noexcept {
  return std::chrono::sys_time<std::chrono::milliseconds>(
      std::chrono::milliseconds(static_cast<std::int64_t>(id >> 22U) + discord_epoch_ms));
}

/// Parses a Discord snowflake: 1–20 ASCII digits, no sign, no leading zero,
/// no whitespace, fits in 64 bits, not zero, and its timestamp is not later
/// than `now + future_margin` (clocks drift; ids from the future are forged).
/// Errors: `invalid_snowflake`, `snowflake_in_future`.
[[nodiscard]] core::result<std::uint64_t> parse_snowflake(
    std::string_view text, std::chrono::system_clock::time_point now,
    std::chrono::milliseconds future_margin = std::chrono::minutes(10));

/// How search queries are cleaned and checked.
struct query_policy {
  /// Maximum length of the cleaned query text in code points (excluding the prefix).
  std::size_t max_length = 256;
  /// Search prefixes a user may type (compared case-insensitively); a
  /// query with any other `<word>search:` prefix is refused.
  std::vector<std::string> allowed_prefixes{"ytsearch:", "ytmsearch:", "scsearch:"};
  /// Prefix put in front of a query that has none. Must be in `allowed_prefixes`.
  std::string default_prefix = "ytsearch:";
};

/// Cleans a search query and returns what to send to Lavalink's
/// `loadTracks` (prefix + text). Control characters are removed (C0, DEL,
/// C1, and the invisible bidi/format characters U+200B–U+200F,
/// U+202A–U+202E, U+2060–U+2069, U+FEFF); whitespace runs become one space;
/// the result is trimmed. Errors: `invalid_utf8`, `empty_query`,
/// `query_too_long`, `prefix_not_allowed`.
[[nodiscard]] core::result<std::string> clean_search_query(std::string_view input, const query_policy& policy = {});

/// How track URLs are checked.
struct url_policy {
  std::size_t max_length = 2048;  ///< maximum URL length in bytes
};

/// A URL that passed `validate_track_url`.
struct validated_url {
  std::string url;                  ///< the URL with scheme and host lower-cased (what to send to Lavalink)
  std::string scheme;               ///< "http" or "https"
  std::string host;                 ///< lower-cased host, without brackets or trailing dot
  std::optional<std::uint16_t> port;  ///< explicit port, if any
};

/// Checks a URL a user asked to play. Accepted: `http` or `https`, `//`
/// and a host; no `user:pass@`; no backslash, space or control character;
/// an ASCII host made of letters, digits, `-`, `_` and dots, or a
/// bracketed IPv6 literal (no zone id); an optional port 1–65535.
///
/// Refused hosts (`url_host_forbidden`): `localhost` and every name under
/// it, single-label names (intranet, `metadata`), the suffixes `.local`,
/// `.localdomain`, `.internal`, `.lan`, `.home.arpa`, `.arpa`, cloud
/// metadata names (`metadata.google.internal`, `metadata.goog`), public
/// wildcard-DNS services that resolve to any embedded address (`nip.io`,
/// `sslip.io`, `xip.io`, `localtest.me`, `lvh.me`), and every IPv4 / IPv6
/// address for which `is_forbidden_address` is true — in any notation a
/// resolver accepts: dotted decimal, a single 32-bit number, octal (`0177`),
/// hex (`0x7f`), short forms (`127.1`), IPv4-mapped / compatible /
/// NAT64 / 6to4 IPv6. A host that looks numeric but is not a valid address
/// in every notation is `url_malformed` (ambiguity is refused, not guessed).
///
/// A DNS name can still resolve to a private address; a caller that
/// resolves names itself should check the result with `is_forbidden_address`.
/// Errors: `url_too_long`, `url_malformed`, `url_scheme_not_allowed`,
/// `url_has_userinfo`, `url_host_forbidden`.
[[nodiscard]] core::result<validated_url> validate_track_url(std::string_view input, const url_policy& policy = {});

/// Parses an IPv4 host the way `inet_aton` and URL parsers do: 1–4 parts,
/// each decimal, octal (leading 0) or hex (0x); the last part fills the
/// remaining bytes. `std::nullopt` if `host` is not such an address.
[[nodiscard]] std::optional<std::array<std::uint8_t, 4>> parse_ipv4_any(std::string_view host) noexcept;
/// Parses an IPv6 literal (without brackets, no zone id), including `::`
/// compression and a trailing dotted IPv4 part.
[[nodiscard]] std::optional<std::array<std::uint8_t, 16>> parse_ipv6(std::string_view text) noexcept;

/// True for IPv4 addresses a bot must never fetch: "this network" 0/8,
/// 10/8, 100.64/10 (CGNAT, includes Alibaba metadata), 127/8, 169.254/16
/// (link-local, includes the AWS/GCP/Azure metadata 169.254.169.254),
/// 172.16/12, 192.0.0/24, 192.0.2/24, 192.168/16, 198.18/15, 198.51.100/24,
/// 203.0.113/24, 224/4 multicast, 240/4 reserved and broadcast, and Azure's
/// 168.63.129.16.
[[nodiscard]] bool is_forbidden_address(const std::array<std::uint8_t, 4>& v4) noexcept;
/// True for IPv6 addresses a bot must never fetch: everything outside
/// global unicast `2000::/3` (loopback, unspecified, link-local, site-local,
/// unique-local `fc00::/7` including AWS `fd00:ec2::254`, multicast, NAT64
/// `64:ff9b::/96`), every IPv4-in-IPv6 form whatever the IPv4 (mapped
/// `0:0:0:0:0:ffff:0:0/96`, compatible `0:0:0:0:0:0:0:0/96`, translated `0:0:0:0:ffff:0:0:0/96`: a bot
/// has no reason to use them and they are the classic filter bypass), the
/// Teredo, ORCHID, benchmarking and documentation prefixes, and 6to4
/// (`2002::/16`) addresses embedding a forbidden IPv4.
[[nodiscard]] bool is_forbidden_address(const std::array<std::uint8_t, 16>& v6) noexcept;

/// What a `/play` argument turned out to be.
struct play_request {
  /// The kind of input.
  enum class kind {
    url,     ///< a validated http(s) URL
    search,  ///< a cleaned search query with its prefix
  };
  kind type = kind::search;  ///< which kind
  std::string identifier;    ///< what to pass to Lavalink's loadTracks
};

/// Decides whether `input` is a URL (starts with `http://` or `https://`,
/// any case, after leading whitespace) or a search, and validates it with
/// the matching validator.
[[nodiscard]] core::result<play_request> parse_play_input(std::string_view input, const query_policy& query = {},
                                                          const url_policy& url = {});

}  // namespace musicbot::queue
