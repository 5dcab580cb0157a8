// Every log line a music use case writes carries the command's trace
// context, including lines written in continuations after a Lavalink or
// store call completed; no context leaks into unrelated lines.
#include "music_fixture.hpp"

#include <musicbot/trace/current.hpp>
#include <musicbot/trace/json_log_formatter.hpp>

#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

namespace {

using namespace music_test;

class MusicTraceLogs : public MusicFixture {
 protected:
  musicbot::music::session_options manager_options() override {
    auto so = MusicFixture::manager_options();
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
    sink->set_formatter(std::make_unique<musicbot::trace::json_log_formatter>());
    logger = std::make_shared<spdlog::logger>("musicbot.music.test", sink);
    logger->set_level(spdlog::level::debug);
    so.logger = logger;
    if (!tracing) so.tracer = musicbot::trace::tracer{};
    return so;
  }

  // Lines logged since the last call.
  std::vector<std::string> take_lines() {
    std::vector<std::string> lines;
    std::istringstream in(out.str());
    out.str("");
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) lines.push_back(line);
    }
    return lines;
  }

  static std::size_t count_with(const std::vector<std::string>& lines, std::string_view needle) {
    return static_cast<std::size_t>(
        std::count_if(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(needle) != std::string::npos; }));
  }

  bool tracing = true;  // the manager's own spans
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> logger;
  const musicbot::trace::tracer tracer{musicbot::trace::tracer_options{}, spans};
};

TEST_F(MusicTraceLogs, PlayContinuationLinesCarryTheCommandTraceId) {
  auto root = tracer.start_span("command /play", {}, musicbot::trace::span_kind::server);
  const std::string trace_field = "\"trace_id\":\"" + root.context().trace.to_hex() + "\"";
  std::optional<error_code> r;
  {
    // The context is current only while the use case is started; the
    // continuations run later, from the io_context, outside this scope.
    const musicbot::trace::context_scope scope(root.context());
    manager->async_play(guild, user, "Cozy animal crossing", [&](error_code ec, play_outcome) { r = ec; });
  }
  ASSERT_EQ(musicbot::trace::current_context(), nullptr);
  ASSERT_TRUE(run_until(ioc, [&] { return r.has_value(); }));
  ASSERT_FALSE(*r);
  root.end();
  const auto lines = take_lines();
  // Written after load_tracks and update_player completed.
  ASSERT_EQ(count_with(lines, "now playing"), 1U) << ::testing::PrintToString(lines);
  ASSERT_EQ(count_with(lines, "queued 1 track"), 1U) << ::testing::PrintToString(lines);
  for (const auto& line : lines) EXPECT_NE(line.find(trace_field), std::string::npos) << line;
  EXPECT_EQ(musicbot::trace::current_context(), nullptr) << "a context leaked out of the use case";
}

TEST_F(MusicTraceLogs, ConcurrentCommandsKeepTheirOwnTraceIds) {
  ASSERT_FALSE(play("Cozy animal crossing").first);
  ASSERT_FALSE(play("Riptide").first);
  take_lines();
  auto skip_root = tracer.start_span("command /skip", {}, musicbot::trace::span_kind::server);
  constexpr std::uint64_t other_guild = 1234567890123456789ULL;
  std::optional<error_code> skipped;
  std::optional<error_code> played;
  {
    const musicbot::trace::context_scope scope(skip_root.context());
    manager->async_skip(guild, [&](error_code ec, std::optional<musicbot::queue::track>) { skipped = ec; });
  }
  // Started in the same turn, without a caller context: music.play starts a
  // trace of its own, so its lines must not carry the skip's.
  manager->async_play(other_guild, user, "Rita Ora", [&](error_code ec, play_outcome) { played = ec; });
  ASSERT_TRUE(run_until(ioc, [&] { return skipped.has_value() && played.has_value(); }));
  ASSERT_FALSE(*skipped);
  ASSERT_FALSE(*played);
  skip_root.end();
  const auto lines = take_lines();
  const std::string skip_trace = "\"trace_id\":\"" + skip_root.context().trace.to_hex() + "\"";
  std::size_t skip_lines = 0;
  for (const auto& line : lines) {
    if (line.find(std::to_string(other_guild)) != std::string::npos) {
      EXPECT_EQ(line.find(skip_trace), std::string::npos) << "the other command's line got the skip's trace: " << line;
      EXPECT_NE(line.find("trace_id"), std::string::npos) << "music.play's own trace is missing: " << line;
    } else if (line.find(std::to_string(guild)) != std::string::npos) {
      ++skip_lines;
      EXPECT_NE(line.find(skip_trace), std::string::npos) << line;
    }
  }
  EXPECT_GE(skip_lines, 1U) << "the skip's continuation logged nothing: " << ::testing::PrintToString(lines);
  EXPECT_GE(count_with(lines, std::to_string(other_guild)), 2U);
}

TEST_F(MusicTraceLogs, FailureInAContinuationIsLoggedWithTheTraceId) {
  ASSERT_FALSE(play("Cozy animal crossing").first);
  ASSERT_FALSE(play("Riptide").first);
  take_lines();
  fakes[0]->fail_rest(500, 1);  // the player update of the skip fails
  auto root = tracer.start_span("command /skip", {}, musicbot::trace::span_kind::server);
  std::optional<error_code> r;
  {
    const musicbot::trace::context_scope scope(root.context());
    manager->async_skip(guild, [&](error_code ec, std::optional<musicbot::queue::track>) { r = ec; });
  }
  ASSERT_TRUE(run_until(ioc, [&] { return r.has_value(); }));
  EXPECT_TRUE(*r);
  root.end();
  const auto lines = take_lines();
  ASSERT_GE(count_with(lines, "failed"), 1U) << ::testing::PrintToString(lines);
  const std::string trace_field = "\"trace_id\":\"" + root.context().trace.to_hex() + "\"";
  for (const auto& line : lines) EXPECT_NE(line.find(trace_field), std::string::npos) << line;
}

class MusicTraceLogsUntraced : public MusicTraceLogs {
 protected:
  MusicTraceLogsUntraced() { tracing = false; }
};

TEST_F(MusicTraceLogsUntraced, CallerContextIsUsedAndNothingLeaks) {
  auto root = tracer.start_span("command /play", {}, musicbot::trace::span_kind::server);
  const std::string trace_field = "\"trace_id\":\"" + root.context().trace.to_hex() + "\"";
  constexpr std::uint64_t other_guild = 1234567890123456789ULL;
  std::optional<error_code> traced_play;
  std::optional<error_code> plain_play;
  {
    const musicbot::trace::context_scope scope(root.context());
    manager->async_play(guild, user, "Cozy animal crossing", [&](error_code ec, play_outcome) { traced_play = ec; });
  }
  manager->async_play(other_guild, user, "Rita Ora", [&](error_code ec, play_outcome) { plain_play = ec; });
  ASSERT_TRUE(run_until(ioc, [&] { return traced_play.has_value() && plain_play.has_value(); }));
  ASSERT_FALSE(*traced_play);
  ASSERT_FALSE(*plain_play);
  root.end();
  const auto lines = take_lines();
  std::size_t traced = 0;
  std::size_t plain = 0;
  for (const auto& line : lines) {
    if (line.find(std::to_string(other_guild)) != std::string::npos) {
      ++plain;
      EXPECT_EQ(line.find("trace_id"), std::string::npos) << "a trace id leaked into an untraced command: " << line;
    } else {
      ++traced;
      EXPECT_NE(line.find(trace_field), std::string::npos) << line;
    }
  }
  EXPECT_GE(traced, 2U) << ::testing::PrintToString(lines);
  EXPECT_GE(plain, 2U) << ::testing::PrintToString(lines);
}

}  // namespace
