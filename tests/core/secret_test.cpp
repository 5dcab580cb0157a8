#include <musicbot/core/secret.hpp>

#include <gtest/gtest.h>

#include <sstream>
#include <utility>

namespace {

using musicbot::core::secret;

TEST(Secret, StreamsAsMask) {
  const secret s("hunter2-token");
  std::ostringstream out;
  out << "token=" << s;
  EXPECT_EQ(out.str(), "token=***");
  EXPECT_EQ(out.str().find("hunter2"), std::string::npos);
}

TEST(Secret, ToStringIsMask) { EXPECT_EQ(to_string(secret("abc")), "***"); }

TEST(Secret, RevealGivesValue) {
  const secret s("abc");
  EXPECT_EQ(s.reveal(), "abc");
  EXPECT_EQ(s.size(), 3U);
  EXPECT_FALSE(s.empty());
}

TEST(Secret, EqualsComparesWholeValue) {
  const secret s("abcdef");
  EXPECT_TRUE(s.equals("abcdef"));
  EXPECT_FALSE(s.equals("abcdeg"));
  EXPECT_FALSE(s.equals("abcde"));
  EXPECT_FALSE(s.equals("abcdefg"));
  EXPECT_FALSE(s.equals(""));
  EXPECT_TRUE(secret("").equals(""));
}

TEST(Secret, MoveLeavesSourceEmpty) {
  secret a("value");
  secret b(std::move(a));
  EXPECT_EQ(b.reveal(), "value");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): documented state
  secret c;
  c = std::move(b);
  EXPECT_EQ(c.reveal(), "value");
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
}

}  // namespace
