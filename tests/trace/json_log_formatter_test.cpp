#include <musicbot/core/secret_fmt.hpp>
#include <musicbot/trace/json_log_formatter.hpp>
#include <musicbot/trace/tracer.hpp>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <memory>
#include <sstream>

namespace {

using namespace musicbot;

struct captured_logger {
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> logger;

  explicit captured_logger(std::unique_ptr<trace::json_log_formatter> formatter) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
    sink->set_formatter(std::move(formatter));
    logger = std::make_shared<spdlog::logger>("lavalink", sink);
  }
};

TEST(JsonLogFormatter, WritesOneJsonObjectPerLine) {
  auto f = std::make_unique<trace::json_log_formatter>();
  f->add_field("service", "musicbot");
  captured_logger log(std::move(f));
  log.logger->info("node \"a\" connected\n");
  const auto line = log.out.str();
  EXPECT_EQ(line.back(), '\n');
  EXPECT_NE(line.find("\"level\":\"info\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"component\":\"lavalink\""), std::string::npos);
  EXPECT_NE(line.find("\"message\":\"node \\\"a\\\" connected\\n\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"service\":\"musicbot\""), std::string::npos);
  EXPECT_NE(line.find("\"timestamp\":\"20"), std::string::npos);
  EXPECT_EQ(line.find("trace_id"), std::string::npos);  // no current span
}

TEST(JsonLogFormatter, CarriesCurrentTraceId) {
  captured_logger log(std::make_unique<trace::json_log_formatter>());
  const trace::tracer tracer(trace::tracer_options{}, nullptr);
  auto span = tracer.start_span("play");
  {
    const trace::context_scope scope(span.context());
    log.logger->info("handling");
  }
  const auto line = log.out.str();
  EXPECT_NE(line.find("\"trace_id\":\"" + span.context().trace.to_hex() + "\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"span_id\":\"" + span.context().span.to_hex() + "\""), std::string::npos);
}

TEST(JsonLogFormatter, MasksSecrets) {
  const core::secret token("Bot.super-secret-token");
  auto f = std::make_unique<trace::json_log_formatter>();
  f->redact(token);
  captured_logger log(std::move(f));
  log.logger->warn("leaked {} and typed {}", token.reveal(), token);
  const auto line = log.out.str();
  EXPECT_EQ(line.find("super-secret"), std::string::npos) << line;
  EXPECT_NE(line.find("leaked *** and typed ***"), std::string::npos) << line;
}

}  // namespace
