// API tokens: format, randomness, hashing, header parsing.
#include <musicbot/api/token.hpp>

#include <gtest/gtest.h>

#include <set>

namespace {

using namespace musicbot::api;

TEST(ApiToken, GeneratedTokensAreWellFormedAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto t = generate_token();
    ASSERT_TRUE(t);
    const auto& text = t->token.reveal();
    EXPECT_EQ(text.size(), token_length);
    ASSERT_TRUE(token_id_of(text));
    EXPECT_EQ(*token_id_of(text), t->id);
    EXPECT_TRUE(seen.insert(text).second);
  }
}

TEST(ApiToken, SecretNeverPrints) {
  auto t = generate_token();
  ASSERT_TRUE(t);
  EXPECT_EQ(musicbot::core::to_string(t->token), "***");
}

TEST(ApiToken, HashIsSha256Hex) {
  EXPECT_EQ(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(token_hash("").size(), 64U);
}

TEST(ApiToken, MalformedTokensHaveNoId) {
  auto t = generate_token();
  ASSERT_TRUE(t);
  std::string s = t->token.reveal();
  EXPECT_FALSE(token_id_of(s.substr(1)));
  EXPECT_FALSE(token_id_of(s + "A"));
  std::string bad_id = s;
  bad_id[token_prefix.size()] = 'G';
  EXPECT_FALSE(token_id_of(bad_id));
  std::string bad_secret = s;
  bad_secret.back() = '=';
  EXPECT_FALSE(token_id_of(bad_secret));
  EXPECT_FALSE(token_id_of(""));
}

TEST(ApiToken, BearerHeader) {
  EXPECT_EQ(bearer_credentials("Bearer abc"), "abc");
  EXPECT_EQ(bearer_credentials("bearer   abc  "), "abc");
  EXPECT_FALSE(bearer_credentials("Bearer"));
  EXPECT_FALSE(bearer_credentials("Bearer   "));
  EXPECT_FALSE(bearer_credentials("Basic abc"));
  EXPECT_FALSE(bearer_credentials("Bearerabc"));
}

TEST(ApiToken, ConstantTimeEquals) {
  EXPECT_TRUE(constant_time_equals("abc", "abc"));
  EXPECT_FALSE(constant_time_equals("abc", "abd"));
  EXPECT_FALSE(constant_time_equals("abc", "abcd"));
  EXPECT_TRUE(constant_time_equals("", ""));
}

}  // namespace
