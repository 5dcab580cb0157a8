// Parsing and validation of the control API's request bodies.
#include <musicbot/api/requests.hpp>

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace {

using namespace musicbot::api;

std::set<std::string> fields(const std::vector<field_error>& errors) {
  std::set<std::string> out;
  for (const auto& e : errors) out.insert(e.field);
  return out;
}

TEST(ApiRequests, ValidBodiesParse) {
  auto q = parse_queue_request(R"({"query":"ytsearch:Riptide"})");
  ASSERT_TRUE(q);
  EXPECT_EQ(q.value->query, "ytsearch:Riptide");
  auto s = parse_seek_request(R"( {"position_ms": 90000} )");
  ASSERT_TRUE(s);
  EXPECT_EQ(s.value->position, std::chrono::milliseconds(90000));
  auto v = parse_volume_request(R"({"volume":0})");
  ASSERT_TRUE(v);
  EXPECT_EQ(v.value->volume, 0);
  auto l = parse_loop_request(R"({"mode":"track"})");
  ASSERT_TRUE(l);
  EXPECT_EQ(l.value->mode, musicbot::queue::loop_mode::track);
  auto a = parse_autoplay_request(R"({"enabled":false})");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a.value->enabled);
  auto m = parse_move_request(R"({"to":0,"from":3})");
  ASSERT_TRUE(m);
  EXPECT_EQ(m.value->from, 3U);
  EXPECT_EQ(m.value->to, 0U);
  // Escaped keys and strings are decoded.
  auto e = parse_queue_request(R"({"qu\u0065ry":"caf\u00e9"})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e.value->query, "caf\xC3\xA9");
}

TEST(ApiRequests, EveryBadFieldIsReported) {
  auto v = parse_volume_request(R"({"volume":201,"extra":1,"volume2":3})");
  EXPECT_FALSE(v);
  EXPECT_EQ(fields(v.errors), (std::set<std::string>{"volume", "extra", "volume2"}));
  auto m = parse_move_request(R"({})");
  EXPECT_EQ(fields(m.errors), (std::set<std::string>{"from", "to"}));
  auto d = parse_volume_request(R"({"volume":1,"volume":2})");
  EXPECT_FALSE(d);
  EXPECT_EQ(d.errors.at(0).message, "is given more than once");
  EXPECT_FALSE(parse_volume_request(R"({"volume":"50"})"));
  EXPECT_FALSE(parse_volume_request(R"({"volume":50.0})"));
  EXPECT_FALSE(parse_seek_request(R"({"position_ms":-1})"));
  EXPECT_FALSE(parse_seek_request(R"({"position_ms":99999999999999999999})"));
  EXPECT_FALSE(parse_queue_request("{\"query\":\"a\\u0000b\"}")) << "control characters are refused";
  EXPECT_FALSE(parse_queue_request("{\"query\":\"" + std::string(513, 'a') + "\"}"));
}

TEST(ApiRequests, MalformedJsonIsABodyError) {
  for (const char* body : {"", "null", "[]", "42", "{", R"({"volume":5,})", R"({"volume":5} x)",
                           R"({"volume":5}{"volume":6})", "\xff\xfe"}) {
    auto v = parse_volume_request(body);
    EXPECT_FALSE(v) << body;
    ASSERT_FALSE(v.errors.empty()) << body;
  }
  EXPECT_EQ(fields(parse_volume_request("[]").errors), std::set<std::string>{"body"});
}

TEST(ApiRequests, ErrorsAreBounded) {
  std::string body = "{";
  for (int i = 0; i < 500; ++i) body += "\"f" + std::to_string(i) + "\":1,";
  body += "\"volume\":1}";
  auto v = parse_volume_request(body);
  EXPECT_FALSE(v);
  EXPECT_LE(v.errors.size(), 32U);
  auto long_name = parse_volume_request("{\"" + std::string(1000, 'k') + "\":1}");
  ASSERT_FALSE(long_name.errors.empty());
  EXPECT_LE(long_name.errors[0].field.size(), 64U);
}

TEST(ApiRequests, ALongNameIsCutOnACharacterBoundary) {
  // 63 ASCII bytes then a 2-byte character: cutting at 64 bytes would echo
  // half of it, an invalid UTF-8 string in the JSON reply.
  auto v = parse_volume_request("{\"" + std::string(63, 'k') + "\xC3\xA9\xC3\xA9\":1,\"volume\":1}");
  ASSERT_EQ(v.errors.size(), 1U);
  EXPECT_EQ(v.errors[0].field, std::string(63, 'k'));
  auto exact = parse_volume_request("{\"" + std::string(62, 'k') + "\xC3\xA9\xC3\xA9\":1,\"volume\":1}");
  ASSERT_EQ(exact.errors.size(), 1U);
  EXPECT_EQ(exact.errors[0].field, std::string(62, 'k') + "\xC3\xA9");
}

TEST(ApiRequests, AnEmptyKeyIsReportedAsABodyError) {
  // Found by fuzzing: an empty key came back as an error whose field was "".
  for (const char* body : {R"({"":1})", R"({"":})", R"({"volume":5,"":true})"}) {
    auto v = parse_volume_request(body);
    EXPECT_FALSE(v) << body;
    ASSERT_FALSE(v.errors.empty()) << body;
    for (const auto& e : v.errors) EXPECT_FALSE(e.field.empty()) << body;
  }
  auto v = parse_volume_request(R"({"":1,"volume":5})");
  ASSERT_EQ(v.errors.size(), 1U);
  EXPECT_EQ(v.errors[0], (field_error{"body", "has a field with an empty name"}));
  EXPECT_FALSE(parse_settings_patch(R"({"":1,"volume":5})"));
}

TEST(ApiRequests, SettingsPatch) {
  auto p = parse_settings_patch(
      R"({"volume":80,"loop":"off","autoplay":true,"automix":true,"dj_role_id":"1173917793654013952",)"
      R"("announce_channel_id":null,"max_queue_length":100,"max_per_user":5})");
  ASSERT_TRUE(p) << (p.errors.empty() ? "" : p.errors[0].field);
  EXPECT_EQ(*p.value->volume, 80);
  EXPECT_EQ(**p.value->dj_role_id, 1173917793654013952ULL);
  ASSERT_TRUE(p.value->announce_channel_id.has_value());
  EXPECT_FALSE(p.value->announce_channel_id->has_value()) << "null clears";

  EXPECT_FALSE(parse_settings_patch("{}")) << "an empty patch is refused";
  auto bad = parse_settings_patch(R"({"dj_role_id":"0123","max_queue_length":0,"loop":1})");
  EXPECT_EQ(fields(bad.errors), (std::set<std::string>{"dj_role_id", "max_queue_length", "loop"}));
  EXPECT_FALSE(parse_settings_patch(R"({"dj_role_id":"99999999999999999999999"})"));
}

TEST(ApiRequests, ApplySettingsPatchFollowsTheRules) {
  musicbot::queue::guild_settings s;
  s.guild_id = 1;
  settings_patch p;
  p.loop = musicbot::queue::loop_mode::track;
  EXPECT_TRUE(apply_settings_patch(s, p).empty());
  EXPECT_EQ(s.loop, musicbot::queue::loop_mode::track);

  settings_patch conflict;
  conflict.autoplay = true;
  conflict.volume = 50;
  const auto before = s;
  EXPECT_EQ(fields(apply_settings_patch(s, conflict)), std::set<std::string>{"autoplay"});
  EXPECT_EQ(s, before) << "nothing changes when a rule is broken";

  settings_patch swap;
  swap.loop = musicbot::queue::loop_mode::off;
  swap.autoplay = true;
  EXPECT_TRUE(apply_settings_patch(s, swap).empty());
  EXPECT_TRUE(s.autoplay);

  settings_patch swap_back;
  swap_back.autoplay = false;
  swap_back.loop = musicbot::queue::loop_mode::queue;
  EXPECT_TRUE(apply_settings_patch(s, swap_back).empty());
  EXPECT_EQ(s.loop, musicbot::queue::loop_mode::queue);
  EXPECT_FALSE(s.autoplay);

  settings_patch limits;
  limits.max_queue_length = 10;
  limits.max_per_user = 2;
  limits.dj_role_id = std::optional<std::uint64_t>(77);
  EXPECT_TRUE(apply_settings_patch(s, limits).empty());
  EXPECT_EQ(s.max_queue_length, 10U);
  EXPECT_EQ(s.max_per_user, 2U);
  EXPECT_EQ(s.dj_role_id, 77U);
}

}  // namespace
