// Pure helpers of the reference bot: queue buttons and the settings codec.
#include "codecs.hpp"
#include "commands.hpp"

#include <gtest/gtest.h>

#include <set>

namespace {

using namespace musicbot::bot;

musicbot::queue::queue_page page_of(std::size_t page, std::size_t count, std::size_t total) {
  musicbot::queue::queue_page p;
  p.page = page;
  p.page_count = count;
  p.total = total;
  p.first_position = page * 10;
  for (std::size_t n = p.first_position; n < std::min(total, p.first_position + 10); ++n) {
    musicbot::queue::track t;
    t.title = "Track " + std::to_string(n + 1);
    t.author = "Artist";
    t.length = std::chrono::milliseconds(185'000);
    p.items.push_back(t);
  }
  return p;
}

TEST(BotQueueButtons, IdsRoundTripAndStayShort) {
  const std::uint64_t guild = 18'446'744'073'709'551'615ULL;  // the longest snowflake
  const auto id = queue_button_id(guild, max_queue_page);
  EXPECT_LE(id.size(), 100U);
  const auto parsed = parse_queue_button(id);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->guild, guild);
  EXPECT_EQ(parsed->page, max_queue_page);
}

TEST(BotQueueButtons, MalformedIdsAreRejected) {
  for (const char* bad : {"", "queue:", "queue:1", "queue:1:", "queue::1", "queue:0:1", "queue:1:-1", "queue:+1:1",
                          "queue: 1:1", "queue:1:1 ", "queue:1:1:1", "queue:1:100001", "Queue:1:1", "queue:a:1",
                          "queue:18446744073709551616:1", "queue:1:99999999999999999999"}) {
    EXPECT_FALSE(parse_queue_button(bad)) << bad;
  }
  EXPECT_FALSE(parse_queue_button(std::string(101, '1')));
}

TEST(BotQueueButtons, MessageHasDistinctIdsAndDisabledEnds) {
  const auto first = queue_message(42, page_of(0, 3, 25));
  ASSERT_EQ(first.components.size(), 1U);
  const auto& row = first.components[0].components;
  ASSERT_EQ(row.size(), 2U);
  const auto& prev = std::get<musicbot::discord::button>(row[0]);
  const auto& next = std::get<musicbot::discord::button>(row[1]);
  EXPECT_TRUE(prev.disabled);
  EXPECT_FALSE(next.disabled);
  EXPECT_NE(prev.custom_id, next.custom_id);
  EXPECT_EQ(next.custom_id, "queue:42:1");
  EXPECT_NE(first.content.find("1. **Track 1** by Artist (3:05)"), std::string::npos) << first.content;
  EXPECT_TRUE(musicbot::discord::validate(first).has_value());

  const auto last = queue_message(42, page_of(2, 3, 25));
  const auto& last_next = std::get<musicbot::discord::button>(last.components[0].components[1]);
  EXPECT_TRUE(last_next.disabled);
  EXPECT_NE(last.content.find("21. **Track 21**"), std::string::npos);
  EXPECT_TRUE(queue_message(42, page_of(0, 1, 3)).components.empty());  // one page: no buttons
}

TEST(BotQueueButtons, LongTitlesAreCutOnACharacterBoundary) {
  auto p = page_of(0, 1, 10);
  for (auto& t : p.items) {
    t.title.clear();
    for (int n = 0; n < 150; ++n) t.title += "é";  // 2 bytes each
  }
  const auto m = queue_message(1, p);
  EXPECT_LE(m.content.size(), 2000U);
  EXPECT_EQ(m.content.substr(m.content.size() - 3), "...");
  const auto before = static_cast<unsigned char>(m.content[m.content.size() - 4]);
  EXPECT_NE(before, 0xC3U);  // no lead byte without its continuation
}

TEST(BotSettingsCodec, RoundTrip) {
  musicbot::queue::guild_settings s;
  s.guild_id = 1'173'917'793'654'013'952ULL;
  s.volume = 80;
  s.loop = musicbot::queue::loop_mode::track;
  s.automix = true;
  s.dj_role_id = 9'007'199'254'740'993ULL;  // above 2^53: must survive as a string
  s.announce_channel_id = 777;
  s.max_queue_length = 500;
  s.max_per_user = 20;
  const auto back = decode_settings(encode_settings(s));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, s);
}

TEST(BotSettingsCodec, BadPayloadsAreRejected) {
  musicbot::queue::guild_settings s;
  s.guild_id = 5;
  const auto good = encode_settings(s);
  ASSERT_TRUE(decode_settings(good));
  for (const std::string& bad :
       {std::string(""), std::string("[]"), std::string("{"), std::string("null"),
        std::string(R"({"guild":"5"})"),
        std::string(R"({"guild":5,"volume":100,"loop":0,"autoplay":false,"automix":false,"max_queue_length":1000,"max_per_user":0})"),
        std::string(R"({"guild":"5","volume":900,"loop":0,"autoplay":false,"automix":false,"max_queue_length":1000,"max_per_user":0})"),
        std::string(R"({"guild":"5","volume":100,"loop":7,"autoplay":false,"automix":false,"max_queue_length":1000,"max_per_user":0})"),
        std::string(R"({"guild":"5","volume":100,"loop":0,"autoplay":false,"automix":false,"max_queue_length":-1,"max_per_user":0})"),
        std::string(R"({"guild":"5","volume":100,"loop":0,"autoplay":false,"automix":false,"max_queue_length":1000,"max_per_user":0,"dj_role":"x"})"),
        std::string(5000, ' ')}) {
    EXPECT_FALSE(decode_settings(bad)) << bad;
  }
}

}  // namespace
