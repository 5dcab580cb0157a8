#include <musicbot/core/result.hpp>

#include <gtest/gtest.h>

#include <memory>

#include <string>

namespace {

using musicbot::core::error;
using musicbot::core::result;

result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return error::parse_error;
  return c - '0';
}

TEST(Result, HoldsValue) {
  auto r = parse_digit('7');
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 7);
  EXPECT_EQ(r.value(), 7);
  EXPECT_FALSE(r.error());
}

TEST(Result, HoldsError) {
  auto r = parse_digit('x');
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), error::parse_error);
  EXPECT_EQ(r.error().message(), "parse error");
  EXPECT_STREQ(r.error().category().name(), "musicbot.core");
  EXPECT_THROW((void)r.value(), std::system_error);
  EXPECT_EQ(r.value_or(-1), -1);
}

TEST(Result, VoidResult) {
  result<void> ok;
  EXPECT_TRUE(ok);
  EXPECT_NO_THROW(ok.value());
  result<void> bad = error::capacity_exceeded;
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error(), error::capacity_exceeded);
  EXPECT_THROW(bad.value(), std::system_error);
}

TEST(Result, MoveOnlyValue) {
  result<std::unique_ptr<std::string>> r = std::make_unique<std::string>("x");
  ASSERT_TRUE(r);
  auto p = std::move(r).value();
  EXPECT_EQ(*p, "x");
}

}  // namespace
