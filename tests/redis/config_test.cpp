#include <musicbot/redis/config.hpp>
#include <musicbot/redis/error.hpp>
#include <musicbot/redis/script.hpp>

#include <gtest/gtest.h>

namespace redis = musicbot::redis;

TEST(RedisUrl, Defaults) {
  const auto parsed_cfg = redis::parse_url("redis://localhost");
  ASSERT_TRUE(parsed_cfg.has_value());
  auto cfg = parsed_cfg.value();
  EXPECT_EQ(cfg.host, "localhost");
  EXPECT_EQ(cfg.port, 6379);
  EXPECT_EQ(cfg.database, 0U);
  EXPECT_TRUE(cfg.password.empty());
  EXPECT_FALSE(cfg.tls);
}

TEST(RedisUrl, FullForm) {
  const auto parsed_cfg = redis::parse_url("rediss://bot:p%40ss@cache.example:6380/3?command_timeout_ms=250&tls_verify=false");
  ASSERT_TRUE(parsed_cfg.has_value());
  auto cfg = parsed_cfg.value();
  EXPECT_TRUE(cfg.tls);
  EXPECT_FALSE(cfg.tls_verify_peer);
  EXPECT_EQ(cfg.username, "bot");
  EXPECT_EQ(cfg.password.reveal(), "p@ss");
  EXPECT_EQ(cfg.host, "cache.example");
  EXPECT_EQ(cfg.port, 6380);
  EXPECT_EQ(cfg.database, 3U);
  EXPECT_EQ(cfg.command_timeout, std::chrono::milliseconds(250));
}

TEST(RedisUrl, PasswordOnlyAndIpLiterals) {
  const auto parsed_a = redis::parse_url("redis://:hunter2@127.0.0.1:7000/1");
  ASSERT_TRUE(parsed_a.has_value());
  auto a = parsed_a.value();
  EXPECT_TRUE(a.username.empty());
  EXPECT_EQ(a.password.reveal(), "hunter2");
  EXPECT_EQ(a.host, "127.0.0.1");
  const auto parsed_b = redis::parse_url("redis://[::1]:6379");
  ASSERT_TRUE(parsed_b.has_value());
  auto b = parsed_b.value();
  EXPECT_EQ(b.host, "::1");
  const auto parsed_c = redis::parse_url("redis://lonepass@h");
  ASSERT_TRUE(parsed_c.has_value());
  auto c = parsed_c.value();
  EXPECT_EQ(c.password.reveal(), "lonepass");
}

TEST(RedisUrl, ClearErrors) {
  EXPECT_EQ(redis::parse_url("").error(), redis::error::invalid_url);
  EXPECT_EQ(redis::parse_url("localhost:6379").error(), redis::error::unsupported_scheme);
  EXPECT_EQ(redis::parse_url("http://h:1").error(), redis::error::unsupported_scheme);
  EXPECT_EQ(redis::parse_url("redis:///0").error(), redis::error::invalid_host);
  EXPECT_EQ(redis::parse_url("redis://h:0").error(), redis::error::invalid_port);
  EXPECT_EQ(redis::parse_url("redis://h:70000").error(), redis::error::invalid_port);
  EXPECT_EQ(redis::parse_url("redis://h:12ab").error(), redis::error::invalid_port);
  EXPECT_EQ(redis::parse_url("redis://h/x").error(), redis::error::invalid_database);
  EXPECT_EQ(redis::parse_url("redis://h/1/2").error(), redis::error::invalid_database);
  EXPECT_EQ(redis::parse_url("redis://h/99999").error(), redis::error::invalid_database);
  EXPECT_EQ(redis::parse_url("redis://h?bogus=1").error(), redis::error::invalid_option);
  EXPECT_EQ(redis::parse_url("redis://h?command_timeout_ms=-1").error(), redis::error::invalid_option);
  EXPECT_EQ(redis::parse_url("redis://h#frag").error(), redis::error::invalid_url);
  EXPECT_EQ(redis::parse_url("rediss://h?tls_ca_file=").error(), redis::error::invalid_option);
  EXPECT_EQ(redis::parse_url("rediss://h?tls_verify=maybe").error(), redis::error::invalid_option);
  EXPECT_EQ(redis::parse_url("rediss://h?tls_ca_file=/etc/ca.pem").value().tls_ca_file, "/etc/ca.pem");
  EXPECT_EQ(redis::parse_url("redis:// spaces").error(), redis::error::invalid_url);
}

TEST(RedisUrl, ErrorsAndRedactionNeverShowThePassword) {
  const auto parsed_cfg = redis::parse_url("redis://:topsecret@h:1/2");
  ASSERT_TRUE(parsed_cfg.has_value());
  auto cfg = parsed_cfg.value();
  const auto shown = redis::redacted_url(cfg);
  EXPECT_EQ(shown, "redis://:***@h:1/2");
  auto bad = redis::parse_url("redis://:topsecret@h:99999/2");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message().find("topsecret"), std::string::npos);
  cfg.host = "::1";
  EXPECT_EQ(redis::redacted_url(cfg), "redis://:***@[::1]:1/2");
}

TEST(RedisScript, Sha1MatchesRedis) {
  // SHA1("return 1") as `SCRIPT LOAD "return 1"` reports it.
  redis::script s("return 1");
  EXPECT_EQ(s.sha1(), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  EXPECT_EQ(s.source(), "return 1");
}
