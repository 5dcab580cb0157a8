#include <musicbot/lavalink/track_codec.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "testdata.hpp"

namespace ll = musicbot::lavalink;
namespace json = boost::json;

namespace {

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::optional<std::string> opt_string(const json::value& v) {
  if (v.is_null()) return std::nullopt;
  return std::string(v.as_string());
}

TEST(track_codec, decodes_every_sample_as_expected) {
  const auto samples = json::parse(lavalink_test::read_testdata("tracks.json")).as_array();
  ASSERT_GE(samples.size(), 14u);
  for (const auto& s : samples) {
    const auto& obj = s.as_object();
    const std::string encoded(obj.at("encoded").as_string());
    SCOPED_TRACE(encoded);
    auto decoded = ll::decode_track(encoded);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
    const auto& e = obj.at("expected").as_object();
    EXPECT_EQ(decoded->version, obj.at("version").as_int64());
    EXPECT_EQ(decoded->title, e.at("title").as_string());
    EXPECT_EQ(decoded->author, e.at("author").as_string());
    EXPECT_EQ(decoded->length_ms, e.at("length").as_int64());
    EXPECT_EQ(decoded->identifier, e.at("identifier").as_string());
    EXPECT_EQ(decoded->is_stream, e.at("isStream").as_bool());
    EXPECT_EQ(decoded->uri, opt_string(e.at("uri")));
    EXPECT_EQ(decoded->artwork_url, opt_string(e.at("artworkUrl")));
    EXPECT_EQ(decoded->isrc, opt_string(e.at("isrc")));
    EXPECT_EQ(decoded->source_name, e.at("sourceName").as_string());
    EXPECT_EQ(hex(decoded->source_specific), e.at("sourceSpecificBytesHex").as_string());
    EXPECT_EQ(decoded->position_ms, e.at("position").as_int64());
  }
}

TEST(track_codec, reencodes_every_sample_byte_for_byte) {
  const auto samples = json::parse(lavalink_test::read_testdata("tracks.json")).as_array();
  for (const auto& s : samples) {
    const std::string encoded(s.as_object().at("encoded").as_string());
    auto decoded = ll::decode_track(encoded);
    ASSERT_TRUE(decoded.has_value());
    auto again = ll::encode_track(*decoded);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(*again, encoded);
  }
}

TEST(track_codec, rejects_every_malformed_sample_with_an_error) {
  const auto samples = json::parse(lavalink_test::read_testdata("tracks_malformed.json")).as_array();
  ASSERT_EQ(samples.size(), 8u);
  for (const auto& s : samples) {
    const std::string encoded(s.as_object().at("encoded").as_string());
    SCOPED_TRACE(std::string(s.as_object().at("why").as_string()));
    auto decoded = ll::decode_track(encoded);
    ASSERT_TRUE(decoded.has_error());
    EXPECT_EQ(&decoded.error().category(), &ll::lavalink_category());
    EXPECT_FALSE(decoded.error().message().empty());
  }
}

TEST(track_codec, specific_errors_for_specific_faults) {
  EXPECT_EQ(ll::decode_track("QAAAjWMAJVJpY2sgQXN0bGV5IC0gTmV2ZXIgR29ubmEgR2l2ZSBZb3UgVXAADlJpY2tBc3RsZXlWRVZPAAAAAAADPCAAC2RRdzR3OVdnWGNRAAEAK2h0dHBzOi8vd3d3LnlvdXR1YmUuY29tL3dhdGNoP3Y9ZFF3NHc5V2dYY1EAB3lvdXR1YmUAAAAAAAAAAA==")
                .error(),
            ll::error::unsupported_track_version);
  EXPECT_EQ(ll::decode_track("QUJD!").error(), ll::error::invalid_base64);
  EXPECT_EQ(ll::decode_track("QAAAAwIAAA==").error(), ll::error::track_truncated);
}

TEST(track_codec, encodes_new_tracks_and_round_trips_unicode_and_nul) {
  ll::decoded_track t;
  t.version = 1;
  t.title = std::string("nul\0here \xF0\x9F\x8E\xB5 caf\xC3\xA9", 19);
  t.author = "someone";
  t.length_ms = 1234;
  t.identifier = "id";
  t.uri = "https://example.com/a.mp3";
  t.source_name = "http";
  t.source_specific = std::string("\x00\x03mp3", 5);
  t.position_ms = 42;
  auto encoded = ll::encode_track(t);
  ASSERT_TRUE(encoded.has_value());
  auto back = ll::decode_track(*encoded);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->version, 2);  // uri needs version 2
  t.version = 2;
  EXPECT_EQ(*back, t);
}

TEST(track_codec, version_one_messages_have_no_uri) {
  ll::decoded_track t;
  t.version = 1;
  t.title = "a";
  t.source_name = "local";
  auto encoded = ll::encode_track(t);
  ASSERT_TRUE(encoded.has_value());
  auto back = ll::decode_track(*encoded);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->version, 1);
  EXPECT_EQ(*back, t);
}

TEST(track_codec, rejects_invalid_utf8_on_encode) {
  ll::decoded_track t;
  t.title = "\xFF";
  EXPECT_EQ(ll::encode_track(t).error(), ll::error::invalid_track_string);
}

TEST(track_codec, every_truncation_of_a_valid_track_is_an_error) {
  const std::string good =
      "QAAAjQIAJVJpY2sgQXN0bGV5IC0gTmV2ZXIgR29ubmEgR2l2ZSBZb3UgVXAADlJpY2tBc3RsZXlWRVZPAAAAAAADPCAAC2RRdzR3OVdnWGNRAAEAK2h0dHBzOi8vd3d3LnlvdXR1YmUuY29tL3dhdGNoP3Y9ZFF3NHc5V2dYY1EAB3lvdXR1YmUAAAAAAAAAAA==";
  std::vector<std::uint8_t> bytes;
  ASSERT_TRUE(ll::base64_decode(good, bytes));
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    const auto text = ll::base64_encode(bytes.data(), n);
    EXPECT_TRUE(ll::decode_track(text).has_error()) << n;
  }
}

TEST(base64, round_trips_and_rejects_garbage) {
  std::vector<std::uint8_t> out;
  ASSERT_TRUE(ll::base64_decode("aGVsbG8=", out));
  EXPECT_EQ(std::string(out.begin(), out.end()), "hello");
  ASSERT_TRUE(ll::base64_decode("aGVsbG8", out));
  EXPECT_EQ(std::string(out.begin(), out.end()), "hello");
  EXPECT_EQ(ll::base64_encode(out.data(), out.size()), "aGVsbG8=");
  EXPECT_FALSE(ll::base64_decode("aGV=sbG8", out));
  EXPECT_FALSE(ll::base64_decode("a", out));
  EXPECT_FALSE(ll::base64_decode("aGVsbG8*", out));
}

}  // namespace
