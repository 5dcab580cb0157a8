#include <musicbot/redis/command.hpp>
#include <musicbot/redis/reply_parser.hpp>

#include <gtest/gtest.h>

#include <string>

namespace redis = musicbot::redis;

namespace {

// Parses exactly one reply from `bytes`.
redis::reply parse_one(std::string_view bytes) {
  redis::reply_parser parser;
  EXPECT_FALSE(parser.feed(bytes));
  auto next = parser.next();
  if (!next.has_value() || !next.value().has_value()) {
    ADD_FAILURE() << "no complete reply";
    return {};
  }
  return *next.value();
}

}  // namespace

TEST(RedisReply, ParsesEveryType) {
  EXPECT_EQ(parse_one("+OK\r\n"), redis::reply::make_status("OK"));
  EXPECT_EQ(parse_one("-ERR boom\r\n"), redis::reply::make_error("ERR boom"));
  EXPECT_EQ(parse_one(":-42\r\n"), redis::reply::make_integer(-42));
  EXPECT_EQ(parse_one(std::string("$5\r\nhe\0lo\r\n", 11)), redis::reply::make_string(std::string("he\0lo", 5)));
  EXPECT_EQ(parse_one("$-1\r\n"), redis::reply{});
  EXPECT_EQ(parse_one("*-1\r\n"), redis::reply{});
  EXPECT_EQ(parse_one("*0\r\n"), redis::reply::make_array({}));
  EXPECT_EQ(parse_one("*3\r\n:1\r\n*2\r\n$1\r\na\r\n$-1\r\n+x\r\n"),
            redis::reply::make_array({redis::reply::make_integer(1),
                                      redis::reply::make_array({redis::reply::make_string("a"), redis::reply{}}),
                                      redis::reply::make_status("x")}));
}

TEST(RedisReply, ByteByByteAndPipelined) {
  const std::string stream = "+OK\r\n*2\r\n:1\r\n$3\r\nabc\r\n:7\r\n";
  redis::reply_parser parser;
  std::vector<redis::reply> got;
  for (char c : stream) {
    ASSERT_FALSE(parser.feed(std::string_view(&c, 1)));
    for (;;) {
      auto next = parser.next();
      ASSERT_TRUE(next.has_value());
      if (!*next) break;
      got.push_back(std::move(**next));
    }
  }
  ASSERT_EQ(got.size(), 3U);
  EXPECT_EQ(got[1].elements()[1].text(), "abc");
  EXPECT_EQ(got[2].integer(), 7);
  EXPECT_EQ(parser.buffered(), 0U);
}

TEST(RedisReply, ProtocolErrorIsStickyAndClear) {
  redis::reply_parser parser;
  ASSERT_FALSE(parser.feed("?what\r\n"));
  auto next = parser.next();
  ASSERT_FALSE(next.has_value());
  EXPECT_EQ(next.error(), redis::error::protocol_error);
  EXPECT_TRUE(parser.failed());
  EXPECT_EQ(parser.feed("+OK\r\n"), redis::error::protocol_error);
  parser.reset();
  ASSERT_FALSE(parser.feed("+OK\r\n"));
  EXPECT_TRUE(parser.next().value().has_value());
}

TEST(RedisReply, NegativeArrayLengthIsAProtocolError) {
  redis::reply_parser parser;
  ASSERT_FALSE(parser.feed("*-5\r\n"));
  EXPECT_FALSE(parser.next().has_value());
}

TEST(RedisReply, LimitsBoundMemory) {
  redis::reply_parser small({.max_reply_bytes = 16, .max_reply_elements = 4});
  // A bulk string longer than the limit is refused before it is buffered.
  EXPECT_EQ(small.feed("$1000\r\n" + std::string(100, 'x')), redis::error::reply_too_large);

  redis::reply_parser few({.max_reply_bytes = 1024, .max_reply_elements = 4});
  ASSERT_FALSE(few.feed("*100\r\n"));
  auto next = few.next();
  ASSERT_FALSE(next.has_value());
  EXPECT_EQ(next.error(), redis::error::reply_too_large);

  redis::reply_parser nested({.max_reply_bytes = 1024, .max_reply_elements = 4});
  ASSERT_FALSE(nested.feed("*3\r\n:1\r\n:2\r\n*2\r\n:3\r\n:4\r\n"));
  EXPECT_EQ(nested.next().error(), redis::error::reply_too_large);
}

TEST(RedisReply, DeepNestingIsRejectedNotCrashing) {
  redis::reply_parser parser;
  std::string deep;
  for (int i = 0; i < 20; ++i) deep += "*1\r\n";
  deep += ":1\r\n";
  ASSERT_FALSE(parser.feed(deep));
  EXPECT_EQ(parser.next().error(), redis::error::protocol_error);
}

TEST(RedisReply, Conversions) {
  EXPECT_EQ(redis::to_integer(redis::reply::make_integer(5)).value(), 5);
  EXPECT_EQ(redis::to_integer(redis::reply::make_string("12")).value(), 12);
  EXPECT_EQ(redis::to_integer(redis::reply::make_string("12x")).error(), redis::error::unexpected_reply);
  EXPECT_EQ(redis::to_integer(redis::reply{}).error(), redis::error::unexpected_reply);
  EXPECT_EQ(redis::to_string(redis::reply::make_string("v")).value(), "v");
  EXPECT_EQ(redis::to_string(redis::reply{}).error(), redis::error::unexpected_reply);
  EXPECT_FALSE(redis::to_optional_string(redis::reply{}).value().has_value());
  EXPECT_EQ(*redis::to_optional_string(redis::reply::make_status("OK")).value(), "OK");
  EXPECT_TRUE(redis::to_ok(redis::reply::make_status("OK")).has_value());
  EXPECT_EQ(redis::to_ok(redis::reply::make_integer(1)).error(), redis::error::unexpected_reply);
  const auto arr = redis::reply::make_array({redis::reply::make_integer(1), redis::reply::make_integer(2)});
  EXPECT_EQ(redis::to_integers(arr).value(), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(redis::to_integers(redis::reply::make_integer(1)).error(), redis::error::unexpected_reply);
}

TEST(RedisReply, ErrorRepliesAreClassified) {
  EXPECT_EQ(redis::classify_server_error("NOSCRIPT No matching script."), redis::error::noscript);
  EXPECT_EQ(redis::classify_server_error("WRONGPASS invalid username-password pair or user is disabled."),
            redis::error::auth_failed);
  EXPECT_EQ(redis::classify_server_error("NOAUTH Authentication required."), redis::error::auth_failed);
  EXPECT_EQ(redis::classify_server_error("WRONGTYPE Operation against a key"), redis::error::wrong_type);
  EXPECT_EQ(redis::classify_server_error("ERR unknown command"), redis::error::server_error);
  EXPECT_EQ(redis::to_integer(redis::reply::make_error("WRONGTYPE x")).error(), redis::error::wrong_type);
  EXPECT_FALSE(redis::reply_error(redis::reply::make_integer(1)));
}

TEST(RedisReply, DebugString) {
  const auto r = redis::reply::make_array(
      {redis::reply::make_integer(1), redis::reply::make_string("a\n"), redis::reply{}, redis::reply::make_error("E")});
  EXPECT_EQ(redis::to_debug_string(r), "[(integer) 1, \"a\\x0a\", (nil), (error) E]");
}

TEST(RedisCommand, EncodesBinarySafeArguments) {
  redis::command cmd{"SET", std::string_view("k\r\n", 3)};
  cmd.arg(std::string_view("\0v", 2)).arg("PX").arg(std::int64_t{-5}).arg(42U);
  EXPECT_EQ(cmd.size(), 6U);
  EXPECT_EQ(cmd.encoded(), std::string("*6\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$2\r\n\0v\r\n$2\r\nPX\r\n$2\r\n-5\r\n$2\r\n42\r\n", 54));
  EXPECT_TRUE(redis::command{}.empty());
}

TEST(RedisCommand, RoundTripsThroughTheParserAsAnArray) {
  // A request is itself valid RESP: parse it back.
  redis::command cmd{"EVALSHA", "abc", "1", "key"};
  const auto r = parse_one(cmd.encoded());
  ASSERT_TRUE(r.is_array());
  ASSERT_EQ(r.elements().size(), 4U);
  EXPECT_EQ(r.elements()[3].text(), "key");
}

TEST(RedisError, MessagesAreClear) {
  const boost::system::error_code ec = redis::error::auth_failed;
  EXPECT_EQ(std::string(ec.category().name()), "musicbot.redis");
  EXPECT_NE(ec.message().find("authentication"), std::string::npos);
  EXPECT_NE(boost::system::error_code(redis::error::invalid_port).message().find("65535"), std::string::npos);
}
