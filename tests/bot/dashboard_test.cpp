// /dashboard token|revoke against the real control API (on an ephemeral
// loopback port), and trace ids in log lines of command continuations.
#include "bot_fixture.hpp"

#include <musicbot/testing/fake_otlp_collector.hpp>
#include <musicbot/trace/json_log_formatter.hpp>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <regex>
#include <sstream>

#if defined(MUSICBOT_BOT_WITH_API)

namespace {

using namespace musicbot_bot_test;

constexpr std::uint64_t admin = 500'000'000'000'000'099ULL;
constexpr std::uint64_t member = 500'000'000'000'000'001ULL;

// Captures the default logger's output (restored on destruction).
class log_capture {
 public:
  explicit log_capture(bool json) : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    if (json) sink->set_formatter(std::make_unique<musicbot::trace::json_log_formatter>());
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  ~log_capture() { spdlog::set_default_logger(previous_); }
  log_capture(const log_capture&) = delete;
  log_capture& operator=(const log_capture&) = delete;
  [[nodiscard]] std::string text() const { return out_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream out_;
};

std::string token_option(const std::string& options) { return R"({"name":"token","type":1,"options":[)" + options + "]}"; }

TEST(BotDashboard, TokenShownOnceToManagersOnlyAndRevocable) {
  log_capture logs(false);
  bot_fixture f;
  f.config.api.enabled = true;
  f.config.api.port = 0;
  f.start_bot();
  ASSERT_NE(f.bot->api_port(), 0);
  const auto g = f.guild_ids.at(0);

  EXPECT_NE(f.reply_text(f.command(g, member, "dashboard", {token_option("")})).find("Only server managers"),
            std::string::npos);

  const auto id = f.command(g, admin, "dashboard", {token_option(option_json("label", 3, quoted("phone")))}, manage_guild);
  const auto response = f.response_to(id);
  ASSERT_TRUE(response);
  const auto& data = response->as_object().at("data").as_object();
  EXPECT_EQ(data.at("flags").as_int64(), 64);  // ephemeral: only the admin sees it
  const std::string text(data.at("content").as_string());
  std::smatch m;
  ASSERT_TRUE(std::regex_search(text, m, std::regex("`(mbt_[A-Za-z0-9_.\\-]+)`"))) << text;
  const std::string token = m[1];
  EXPECT_NE(text.find("http://127.0.0.1:" + std::to_string(f.bot->api_port()) + "/"), std::string::npos) << text;
  std::smatch idm;
  ASSERT_TRUE(std::regex_search(text, idm, std::regex("/dashboard revoke id:([^`]+)`"))) << text;
  const std::string token_id = idm[1];

  const auto revoke = R"({"name":"revoke","type":1,"options":[)" + option_json("id", 3, quoted(token_id)) + "]}";
  EXPECT_EQ(f.reply_text(f.command(g, admin, "dashboard", {revoke}, manage_guild)), "Token revoked.");
  const auto unknown = R"({"name":"revoke","type":1,"options":[)" + option_json("id", 3, quoted("nope")) + "]}";
  const auto again = f.reply_text(f.command(g, admin, "dashboard", {unknown}, manage_guild));
  EXPECT_EQ(again.find("No token of this server"), 0U) << again;
  f.stop_bot();
  EXPECT_EQ(logs.text().find(token), std::string::npos);  // never logged
}

TEST(BotDashboard, DisabledApiSaysSo) {
  bot_fixture f;
  f.start_bot();
  EXPECT_EQ(f.reply_text(f.command(f.guild_ids.at(0), admin, "dashboard", {token_option("")}, manage_guild)),
            "The web dashboard is not enabled on this bot.");
}

TEST(BotTracing, ContinuationLogLinesCarryTheCommandsTraceId) {
  log_capture logs(true);
  bot_fixture f;
  musicbot::testing::fake_otlp_collector otlp(f.ioc.get_executor());
  ASSERT_TRUE(otlp.start());
  f.config.api.enabled = true;
  f.config.api.port = 0;
  f.config.observability.otlp_endpoint = otlp.endpoint();
  f.config.observability.trace_sample_ratio = 1.0;
  f.start_bot();
  // A label with a control character: the API refuses it and the bot logs
  // the failure from the completion handler, long after the interaction
  // handler returned.
  const auto id = f.command(f.guild_ids.at(0), admin, "dashboard",
                            {token_option(option_json("label", 3, quoted("bad\\u0001label")))}, manage_guild);
  EXPECT_NE(f.reply_text(id).find("Could not create a token"), std::string::npos);
  f.stop_bot();
  std::string line;
  std::istringstream in(logs.text());
  bool found = false;
  while (std::getline(in, line)) {
    if (line.find("dashboard token:") == std::string::npos) continue;
    found = true;
    EXPECT_TRUE(std::regex_search(line, std::regex("\"trace_id\":\"[0-9a-f]{32}\""))) << line;
  }
  EXPECT_TRUE(found) << logs.text();
}

}  // namespace

#endif
