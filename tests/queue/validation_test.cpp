#include <musicbot/queue/validation.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace std::chrono_literals;
using musicbot::queue::clean_search_query;
using musicbot::queue::error;
using musicbot::queue::parse_ipv4_any;
using musicbot::queue::parse_ipv6;
using musicbot::queue::parse_snowflake;
using musicbot::queue::query_policy;
using musicbot::queue::validate_track_url;

// 2024-01-01T00:00:00Z
const std::chrono::system_clock::time_point now{std::chrono::seconds(1'704'067'200)};

std::uint64_t snowflake_at(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  return static_cast<std::uint64_t>(ms - musicbot::queue::discord_epoch_ms) << 22U;
}

TEST(Snowflake, AcceptsRealIds) {
  auto r = parse_snowflake("175928847299117063", now);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 175928847299117063ULL);
  // Its documented timestamp: 2016-04-30T11:18:25.796Z.
  EXPECT_EQ(musicbot::queue::snowflake_time(*r).time_since_epoch().count(), 1462015105796);
}

TEST(Snowflake, RejectsNonDigits) {
  for (const char* bad : {"", " 1", "1 ", "+1", "-1", "12a", "0x10", "1.0", "０"}) {
    EXPECT_EQ(parse_snowflake(bad, now).error(), error::invalid_snowflake) << bad;
  }
}

TEST(Snowflake, RejectsZeroLeadingZeroAndOverflow) {
  EXPECT_EQ(parse_snowflake("0", now).error(), error::invalid_snowflake);
  EXPECT_EQ(parse_snowflake("0175928847299117063", now).error(), error::invalid_snowflake);
  EXPECT_EQ(parse_snowflake("18446744073709551616", now).error(), error::invalid_snowflake);
  EXPECT_EQ(parse_snowflake("123456789012345678901", now).error(), error::invalid_snowflake);
}

TEST(Snowflake, FutureMargin) {
  const auto in_5_min = std::to_string(snowflake_at(now + 5min));
  const auto in_1_hour = std::to_string(snowflake_at(now + 1h));
  EXPECT_TRUE(parse_snowflake(in_5_min, now));
  EXPECT_EQ(parse_snowflake(in_1_hour, now).error(), error::snowflake_in_future);
  EXPECT_TRUE(parse_snowflake(in_1_hour, now, 2h));
  EXPECT_EQ(parse_snowflake("18446744073709551615", now).error(), error::snowflake_in_future);
}

TEST(SearchQuery, AddsDefaultPrefix) {
  EXPECT_EQ(*clean_search_query("never gonna give you up"), "ytsearch:never gonna give you up");
}

TEST(SearchQuery, KeepsAllowedPrefixCaseInsensitive) {
  EXPECT_EQ(*clean_search_query("SCsearch:lofi"), "scsearch:lofi");
  EXPECT_EQ(*clean_search_query("ytmsearch: lofi"), "ytmsearch:lofi");
}

TEST(SearchQuery, RefusesOtherSearchPrefixes) {
  EXPECT_EQ(clean_search_query("spsearch:abc").error(), error::prefix_not_allowed);
  query_policy only_sc;
  only_sc.allowed_prefixes = {"scsearch:"};
  only_sc.default_prefix = "scsearch:";
  EXPECT_EQ(clean_search_query("ytsearch:abc", only_sc).error(), error::prefix_not_allowed);
  EXPECT_EQ(*clean_search_query("abc", only_sc), "scsearch:abc");
}

TEST(SearchQuery, OtherColonsAreText) {
  EXPECT_EQ(*clean_search_query("Artist: Song"), "ytsearch:Artist: Song");
  EXPECT_EQ(*clean_search_query("file:///etc/passwd"), "ytsearch:file:///etc/passwd");
}

TEST(SearchQuery, StripsControlsAndCollapsesWhitespace) {
  EXPECT_EQ(*clean_search_query("  a\tb\n\nc\r\x01\x7f d  "), "ytsearch:a b c d");
  EXPECT_EQ(*clean_search_query(std::string("a\0b", 3)), "ytsearch:ab");
  EXPECT_EQ(*clean_search_query("a\xc2\x85" "b"), "ytsearch:ab") << "C1 NEL";
  EXPECT_EQ(*clean_search_query("a\xe2\x80\xae" "b\xef\xbb\xbf"), "ytsearch:ab") << "bidi override, BOM";
  EXPECT_EQ(*clean_search_query("caf\xc3\xa9 \xf0\x9f\x8e\xb5"), "ytsearch:caf\xc3\xa9 \xf0\x9f\x8e\xb5");
}

TEST(SearchQuery, EmptyAfterCleaning) {
  EXPECT_EQ(clean_search_query("").error(), error::empty_query);
  EXPECT_EQ(clean_search_query(" \t\x01 ").error(), error::empty_query);
  EXPECT_EQ(clean_search_query("ytsearch:   ").error(), error::empty_query);
}

TEST(SearchQuery, LengthLimitInCodePoints) {
  query_policy p;
  p.max_length = 5;
  EXPECT_TRUE(clean_search_query("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", p));
  EXPECT_EQ(clean_search_query("abcdef", p).error(), error::query_too_long);
  EXPECT_EQ(clean_search_query(std::string(100'000, 'a')).error(), error::query_too_long);
  EXPECT_EQ(*clean_search_query("ytsearch:abcde", p), "ytsearch:abcde") << "prefix does not count";
}

TEST(SearchQuery, InvalidUtf8) {
  for (const char* bad : {"\xff", "a\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"}) {
    EXPECT_EQ(clean_search_query(bad).error(), error::invalid_utf8) << bad;
  }
}

TEST(Ipv4Any, Notations) {
  using bytes = std::array<std::uint8_t, 4>;
  EXPECT_EQ(parse_ipv4_any("127.0.0.1"), (bytes{127, 0, 0, 1}));
  EXPECT_EQ(parse_ipv4_any("2130706433"), (bytes{127, 0, 0, 1}));
  EXPECT_EQ(parse_ipv4_any("0x7f000001"), (bytes{127, 0, 0, 1}));
  EXPECT_EQ(parse_ipv4_any("017700000001"), (bytes{127, 0, 0, 1}));
  EXPECT_EQ(parse_ipv4_any("0177.0.0.01"), (bytes{127, 0, 0, 1}));
  EXPECT_EQ(parse_ipv4_any("127.1"), (bytes{127, 0, 0, 1}));
  EXPECT_EQ(parse_ipv4_any("127.0.1"), (bytes{127, 0, 0, 1}));
  EXPECT_EQ(parse_ipv4_any("0x7F.1"), (bytes{127, 0, 0, 1}));
  EXPECT_EQ(parse_ipv4_any("169.254.43518"), (bytes{169, 254, 169, 254}));
  EXPECT_EQ(parse_ipv4_any("0"), (bytes{0, 0, 0, 0}));
  EXPECT_FALSE(parse_ipv4_any("256.0.0.1"));
  EXPECT_FALSE(parse_ipv4_any("1.2.3.4.5"));
  EXPECT_FALSE(parse_ipv4_any("08.1.1.1"));
  EXPECT_FALSE(parse_ipv4_any("0x"));
  EXPECT_FALSE(parse_ipv4_any("4294967296"));
  EXPECT_FALSE(parse_ipv4_any("1.16777216"));
  EXPECT_FALSE(parse_ipv4_any("1..1"));
  EXPECT_FALSE(parse_ipv4_any(""));
}

TEST(Ipv6, Parse) {
  auto loop = parse_ipv6("::1");
  ASSERT_TRUE(loop);
  EXPECT_EQ((*loop)[15], 1);
  auto mapped = parse_ipv6("::ffff:127.0.0.1");
  ASSERT_TRUE(mapped);
  EXPECT_EQ((*mapped)[10], 0xff);
  EXPECT_EQ((*mapped)[12], 127);
  EXPECT_TRUE(parse_ipv6("2001:db8:0:0:0:0:0:1"));
  EXPECT_TRUE(parse_ipv6("::"));
  EXPECT_TRUE(parse_ipv6("fe80::"));
  for (const char* bad : {"", ":", ":::", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "::1:",
                          "fe80::1%eth0", "::ffff:127.1", "::ffff:127.0.0.01", "1:2:3:4:5:6:7:8::", "g::"}) {
    EXPECT_FALSE(parse_ipv6(bad)) << bad;
  }
}

TEST(TrackUrl, AcceptsPublicHttpUrls) {
  for (const char* ok : {"https://www.youtube.com/watch?v=dQw4w9WgXcQ", "http://soundcloud.com/a/b",
                         "https://example.com:8443/x#frag", "https://8.8.8.8/", "https://[2606:4700::1111]/",
                         "https://example.com", "https://example.com./a"}) {
    EXPECT_TRUE(validate_track_url(ok)) << ok;
  }
}

TEST(TrackUrl, NormalisesSchemeAndHost) {
  auto r = validate_track_url("HTTPS://WWW.YouTube.COM:443/Watch?v=AbC");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->url, "https://www.youtube.com:443/Watch?v=AbC");
  EXPECT_EQ(r->scheme, "https");
  EXPECT_EQ(r->host, "www.youtube.com");
  EXPECT_EQ(r->port, 443);
}

TEST(TrackUrl, SchemeMustBeHttp) {
  for (const char* bad : {"ftp://example.com/a", "file:///etc/passwd", "javascript:alert(1)", "gopher://x.y/",
                          "local:foo"}) {
    EXPECT_EQ(validate_track_url(bad).error(), error::url_scheme_not_allowed) << bad;
  }
}

TEST(TrackUrl, RefusesUserinfo) {
  EXPECT_EQ(validate_track_url("https://user:pass@example.com/").error(), error::url_has_userinfo);
  EXPECT_EQ(validate_track_url("https://example.com@127.0.0.1/").error(), error::url_has_userinfo);
  EXPECT_EQ(validate_track_url("https://@example.com/").error(), error::url_has_userinfo);
}

TEST(TrackUrl, Malformed) {
  for (const char* bad : {"https:example.com", "https:/example.com", "https:///a", "https://", "https://exa mple.com",
                          "https://example.com\\@evil.com", "https://ex%61mple.com/", "https://a..b/",
                          "https://.example.com/", "https://example.com:/", "https://example.com:0/",
                          "https://example.com:65536/", "https://example.com:80:80/", "https://[::1/",
                          "https://[::1]x/", "https://[fe80::1%25eth0]/", "https://1.2.3.999/",
                          "https://example.123/", "https://0x/", "https://08.0.0.1/", "\x01https://a.com",
                          "https://a.com/\xff", "https://ex\xc3\xa4mple.com/", ":foo", "nocolon"}) {
    EXPECT_EQ(validate_track_url(bad).error(), error::url_malformed) << bad;
  }
  EXPECT_TRUE(validate_track_url("https://example.com/caf\xc3\xa9")) << "UTF-8 in the path is fine";
}

TEST(TrackUrl, LengthLimit) {
  const std::string long_url = "https://example.com/" + std::string(3000, 'a');
  EXPECT_EQ(validate_track_url(long_url).error(), error::url_too_long);
  EXPECT_TRUE(validate_track_url(long_url, musicbot::queue::url_policy{4096}));
}

TEST(TrackUrl, ForbiddenHostnames) {
  for (const char* bad : {"http://localhost/", "http://LOCALHOST./", "http://a.localhost/", "http://router/",
                          "http://metadata/", "http://metadata.google.internal/computeMetadata/v1/",
                          "http://metadata.goog/", "http://printer.local/", "http://nas.lan/", "http://box.home.arpa/",
                          "http://1.0.0.127.in-addr.arpa/", "http://127.0.0.1.nip.io/", "http://x.sslip.io/",
                          "http://localtest.me/", "http://app.lvh.me/", "http://instance-data.ec2.internal/",
                          "http://localhost.localdomain/"}) {
    EXPECT_EQ(validate_track_url(bad).error(), error::url_host_forbidden) << bad;
  }
}

TEST(TrackUrl, ForbiddenIpv4InEveryNotation) {
  for (const char* bad : {"http://127.0.0.1/", "http://127.1/", "http://2130706433/", "http://0x7f000001/",
                          "http://017700000001/", "http://0177.0.0.1/", "http://0x7f.0.0.1/", "http://127.0.0.1:8080/",
                          "http://0/", "http://0.0.0.0/", "http://10.1.2.3/", "http://172.16.0.1/",
                          "http://172.31.255.255/", "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data/",
                          "http://169.254.43518/", "http://0xa9fea9fe/", "http://2852039166/",
                          "http://0251.0376.0251.0376/", "http://100.64.0.1/", "http://100.100.100.200/",
                          "http://168.63.129.16/", "http://224.0.0.1/", "http://255.255.255.255/",
                          "http://192.0.2.1/", "http://198.18.0.1/", "http://127.0.0.1./"}) {
    EXPECT_EQ(validate_track_url(bad).error(), error::url_host_forbidden) << bad;
  }
  EXPECT_TRUE(validate_track_url("http://172.32.0.1/"));
  EXPECT_TRUE(validate_track_url("http://100.128.0.1/"));
}

TEST(TrackUrl, ForbiddenIpv6) {
  for (const char* bad : {"http://[::1]/", "http://[::]/", "http://[0:0:0:0:0:0:0:1]/", "http://[::ffff:127.0.0.1]/",
                          "http://[::ffff:7f00:1]/", "http://[::ffff:169.254.169.254]/", "http://[::ffff:8.8.8.8]/",
                          "http://[::127.0.0.1]/", "http://[::ffff:0:7f00:1]/", "http://[fe80::1]/",
                          "http://[fc00::1]/", "http://[fd00:ec2::254]/", "http://[ff02::1]/", "http://[fec0::1]/",
                          "http://[64:ff9b::7f00:1]/", "http://[2002:7f00:1::]/", "http://[2002:a9fe:a9fe::1]/",
                          "http://[2001:db8::1]/", "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
                          "http://[100::1]/"}) {
    EXPECT_EQ(validate_track_url(bad).error(), error::url_host_forbidden) << bad;
  }
  EXPECT_TRUE(validate_track_url("http://[2002:0808:0808::1]/")) << "6to4 of a public address";
}

TEST(PlayInput, UrlOrSearch) {
  auto url = musicbot::queue::parse_play_input("  https://www.youtube.com/watch?v=x ");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->type, musicbot::queue::play_request::kind::url);
  EXPECT_EQ(url->identifier, "https://www.youtube.com/watch?v=x");
  auto search = musicbot::queue::parse_play_input("lofi beats");
  ASSERT_TRUE(search);
  EXPECT_EQ(search->type, musicbot::queue::play_request::kind::search);
  EXPECT_EQ(search->identifier, "ytsearch:lofi beats");
  EXPECT_EQ(musicbot::queue::parse_play_input("http://127.0.0.1/").error(), error::url_host_forbidden);
  EXPECT_EQ(musicbot::queue::parse_play_input("").error(), error::empty_query);
}

}  // namespace
