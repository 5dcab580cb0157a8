#include "musicbot/net/error.hpp"
#include "musicbot/net/url.hpp"

#include <gtest/gtest.h>

using musicbot::net::error;
using musicbot::net::parse_endpoint;
using musicbot::net::scheme;

TEST(url, parses_http_with_port_and_target) {
  auto ep = parse_endpoint("http://127.0.0.1:2333/v4/info?trace=true");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->scheme, scheme::http);
  EXPECT_EQ(ep->host, "127.0.0.1");
  EXPECT_EQ(ep->port, 2333);
  EXPECT_EQ(ep->target, "/v4/info?trace=true");
  EXPECT_FALSE(ep->tls);
  EXPECT_EQ(ep->host_header(), "127.0.0.1:2333");
  EXPECT_EQ(ep->origin(), "http://127.0.0.1:2333");
}

TEST(url, defaults_port_and_target_per_scheme) {
  auto https = parse_endpoint("https://discord.com");
  ASSERT_TRUE(https);
  EXPECT_EQ(https->port, 443);
  EXPECT_TRUE(https->tls);
  EXPECT_EQ(https->target, "/");
  EXPECT_EQ(https->host_header(), "discord.com");

  auto wss = parse_endpoint("wss://gateway.discord.gg/?v=10&encoding=json");
  ASSERT_TRUE(wss);
  EXPECT_EQ(wss->scheme, scheme::wss);
  EXPECT_EQ(wss->port, 443);
  EXPECT_EQ(wss->target, "/?v=10&encoding=json");

  auto ws = parse_endpoint("WS://Example.org/v4/websocket");
  ASSERT_TRUE(ws);
  EXPECT_EQ(ws->scheme, scheme::ws);
  EXPECT_EQ(ws->port, 80);
}

TEST(url, ipv6_host_is_unbracketed_but_header_is_bracketed) {
  auto ep = parse_endpoint("http://[::1]:8080/x");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->host, "::1");
  EXPECT_EQ(ep->host_header(), "[::1]:8080");
}

TEST(url, fragment_is_dropped) {
  auto ep = parse_endpoint("http://h/a#frag");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->target, "/a");
}

TEST(url, rejects_bad_input_with_clear_errors) {
  EXPECT_EQ(parse_endpoint("").error(), error::bad_url);
  EXPECT_EQ(parse_endpoint("not a url").error(), error::bad_url);
  EXPECT_EQ(parse_endpoint("ftp://host/").error(), error::unsupported_scheme);
  EXPECT_EQ(parse_endpoint("http:///path").error(), error::bad_url);
  EXPECT_EQ(parse_endpoint("http://host:0/").error(), error::bad_url);
  EXPECT_EQ(parse_endpoint("http://host:65536/").error(), error::bad_url);
  EXPECT_EQ(parse_endpoint("http://host:99999999999/").error(), error::bad_url);
  EXPECT_EQ(parse_endpoint("http://user:pass@host/").error(), error::bad_url);
  EXPECT_EQ(parse_endpoint("http://host\r\n/").error(), error::bad_url);
  EXPECT_EQ(parse_endpoint("mailto:someone@example.org").error(), error::unsupported_scheme);
  EXPECT_EQ(parse_endpoint("http://%3alost/").error(), error::bad_url);  // decoded host with a colon
  EXPECT_EQ(parse_endpoint("http://a%2fb/").error(), error::bad_url);
}

TEST(url, error_category_has_messages) {
  const auto ec = make_error_code(error::timeout);
  EXPECT_STREQ(ec.category().name(), "musicbot.net");
  EXPECT_EQ(ec.message(), "operation timed out");
  EXPECT_EQ(make_error_code(static_cast<error>(999)).message(), "unknown musicbot.net error");
}
