#include "musicbot/discord/zlib_stream.hpp"

#include "musicbot/discord/error.hpp"
#include "test_data.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>
#include <vector>

namespace musicbot::discord {
namespace {

using test::read_file;
using test::read_json;

std::string frame_path(const boost::json::object& frame) {
  return "zlib_stream/" + std::string(frame.at("file").as_string());
}

std::string expected_path(const boost::json::object& frame) {
  return "zlib_stream/" + std::string(frame.at("expected").as_string());
}

TEST(ZlibStream, EveryIndexedFrameDecodesToItsExpectedBytes) {
  const auto index = read_json("zlib_stream/index.json");
  zlib_stream_inflater inflater;
  int completed = 0;
  bool saw_large = false;
  for (const auto& v : index.at("frames").as_array()) {
    const auto& frame = v.as_object();
    if (frame.at("new_connection").as_bool()) inflater.reset();
    const auto bytes = read_file(frame_path(frame));
    auto out = inflater.feed(bytes);
    ASSERT_TRUE(out.has_value()) << frame.at("file") << ": " << out.error().message();
    if (!frame.at("completes_message").as_bool()) {
      EXPECT_FALSE(out->has_value()) << "incomplete frame must only be buffered";
      EXPECT_GT(inflater.pending_bytes(), 0u);
      continue;
    }
    ASSERT_TRUE(out->has_value()) << frame.at("file");
    const auto expected = read_file(expected_path(frame));
    EXPECT_EQ(**out, expected) << frame.at("file");
    EXPECT_EQ(inflater.pending_bytes(), 0u);
    saw_large = saw_large || expected.size() > (1u << 20);
    ++completed;
  }
  EXPECT_EQ(completed, 9);
  EXPECT_TRUE(saw_large);
}

TEST(ZlibStream, SplitMessageIsBufferedUntilTheSuffix) {
  zlib_stream_inflater inflater;
  ASSERT_TRUE(inflater.feed(read_file("zlib_stream/frame_000.bin")).value().has_value());
  auto a = inflater.feed(read_file("zlib_stream/frame_001.bin"));
  auto b = inflater.feed(read_file("zlib_stream/frame_002.bin"));
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(a->has_value());
  EXPECT_FALSE(b->has_value());
  EXPECT_EQ(inflater.pending_bytes(), 240u);
  auto c = inflater.feed(read_file("zlib_stream/frame_003.bin"));
  ASSERT_TRUE(c && c->has_value());
  EXPECT_EQ(**c, read_file("zlib_stream/expected/msg_01_ready.json"));
}

TEST(ZlibStream, SuffixStraddlingTwoFramesStillCompletes) {
  zlib_stream_inflater inflater;
  const auto hello = read_file("zlib_stream/frame_000.bin");
  auto first = inflater.feed(std::string_view(hello).substr(0, hello.size() - 2));
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->has_value());
  auto second = inflater.feed(std::string_view(hello).substr(hello.size() - 2));
  ASSERT_TRUE(second && second->has_value());
  EXPECT_EQ(**second, read_file("zlib_stream/expected/msg_00_hello.json"));
}

TEST(ZlibStream, LargeMessageOverTheCapFailsAndBreaksTheStream) {
  zlib_stream_inflater inflater(1u << 20);  // 1 MiB cap; message 7 is 1,136,507 bytes
  for (int i = 0; i <= 7; ++i) {
    auto r = inflater.feed(read_file("zlib_stream/frame_00" + std::to_string(i) + ".bin"));
    ASSERT_TRUE(r) << i;
  }
  auto big = inflater.feed(read_file("zlib_stream/frame_008.bin"));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error(), error::message_too_large);
  auto after = inflater.feed(read_file("zlib_stream/frame_000.bin"));
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error(), error::stream_broken);
  EXPECT_LE(inflater.output_capacity(), (1u << 20) + json_padding + 1);
  inflater.reset();
  EXPECT_TRUE(inflater.feed(read_file("zlib_stream/frame_000.bin")).value().has_value());
}

TEST(ZlibStream, PendingCompressedBytesAreCapped) {
  zlib_stream_inflater inflater(1000);
  const std::string junk(600, 'x');
  ASSERT_TRUE(inflater.feed(junk));
  auto r = inflater.feed(junk);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), error::message_too_large);
}

TEST(ZlibStream, SecondConnectionNeedsAFreshContext) {
  zlib_stream_inflater inflater;
  for (int i = 0; i <= 3; ++i) ASSERT_TRUE(inflater.feed(read_file("zlib_stream/frame_00" + std::to_string(i) + ".bin")));
  auto wrong = inflater.feed(read_file("zlib_stream/conn2/frame_000.bin"));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error(), error::inflate_failed);
  inflater.reset();
  auto hello = inflater.feed(read_file("zlib_stream/conn2/frame_000.bin"));
  ASSERT_TRUE(hello && hello->has_value());
  auto resumed = inflater.feed(read_file("zlib_stream/conn2/frame_001.bin"));
  ASSERT_TRUE(resumed && resumed->has_value());
  EXPECT_EQ(**resumed, read_file("zlib_stream/conn2/expected/msg_01_resumed.json"));
}

TEST(ZlibStream, CorruptDataIsAnErrorNotACrash) {
  zlib_stream_inflater inflater;
  const std::string garbage("\x12\x34\x56\x78\x00\x00\xff\xff", 8);
  auto r = inflater.feed(garbage);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), error::inflate_failed);
}

TEST(ZlibStream, PaddingAfterTheMessageIsReadable) {
  zlib_stream_inflater inflater;
  auto r = inflater.feed(read_file("zlib_stream/frame_000.bin"));
  ASSERT_TRUE(r && r->has_value());
  const std::string_view msg = **r;
  for (std::size_t i = 0; i < json_padding; ++i) EXPECT_EQ(msg.data()[msg.size() + i], '\0');
}

}  // namespace
}  // namespace musicbot::discord
