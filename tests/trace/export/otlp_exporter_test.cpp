#include <musicbot/net/otlp_exporter.hpp>
#include <musicbot/testing/fake_otlp_collector.hpp>
#include <musicbot/trace/tracer.hpp>

#include <musicbot_test/run_until.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <memory>
#include <optional>

namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;
using namespace musicbot;

using musicbot_test::run_until;

trace::span_data sample_span() {
  auto ctx = trace::parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").value();
  trace::span_data d;
  d.name = "lavalink.update_player";
  d.kind = trace::span_kind::client;
  d.context = ctx;
  d.parent = trace::parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01")->span;
  d.start_unix_nano = 1'700'000'000'000'000'000ULL;
  d.end_unix_nano = 1'700'000'000'250'000'000ULL;
  d.attributes = {{"component", std::string("lavalink")}, {"http.status", std::int64_t{200}}, {"ok", true}};
  d.events = {{"retry", 1'700'000'000'100'000'000ULL, {}}};
  d.status = trace::span_status::error;
  d.status_message = "node down";
  return d;
}

TEST(OtlpJson, EncodesTheOtlpJsonMapping) {
  const auto body = net::encode_otlp_json({sample_span()}, "musicbot-test");
  const auto doc = json::parse(body);
  const auto& rs = doc.at("resourceSpans").at(0);
  EXPECT_EQ(rs.at("resource").at("attributes").at(0).at("value").at("stringValue"), "musicbot-test");
  const auto& span = rs.at("scopeSpans").at(0).at("spans").at(0);
  EXPECT_EQ(span.at("traceId"), "0af7651916cd43dd8448eb211c80319c");  // hex, not base64
  EXPECT_EQ(span.at("spanId"), "b7ad6b7169203331");
  EXPECT_EQ(span.at("parentSpanId"), "00f067aa0ba902b7");
  EXPECT_EQ(span.at("kind"), 3);  // SPAN_KIND_CLIENT
  EXPECT_EQ(span.at("startTimeUnixNano"), "1700000000000000000");  // 64-bit as string
  EXPECT_EQ(span.at("attributes").at(1).at("value").at("intValue"), "200");
  EXPECT_EQ(span.at("attributes").at(2).at("value").at("boolValue"), true);
  EXPECT_EQ(span.at("status").at("code"), 2);
  EXPECT_EQ(span.at("status").at("message"), "node down");
  EXPECT_EQ(span.at("events").at(0).at("name"), "retry");
}

struct exporter_fixture : ::testing::Test {
  asio::io_context ioc;
  std::shared_ptr<trace::span_buffer> buffer = std::make_shared<trace::span_buffer>(64);
  trace::tracer tracer{trace::tracer_options{}, buffer};
};

TEST_F(exporter_fixture, ExportsBatchesToTheCollectorWithAuthHeader) {
  musicbot::testing::fake_otlp_collector collector(ioc.get_executor());
  ASSERT_TRUE(collector.start());
  net::otlp_exporter_options o;
  o.endpoint = collector.endpoint();
  o.flush_interval = 20ms;
  o.max_batch = 4;
  o.headers.emplace_back("Authorization", core::secret(std::string("Bearer otlp-secret")));
  net::otlp_exporter exporter(ioc.get_executor(), buffer, o);
  exporter.start();
  {
    auto root = tracer.start_span("command /play", {}, trace::span_kind::server);
    for (int i = 0; i < 5; ++i) tracer.start_child(root, "child").end();
  }
  ASSERT_TRUE(run_until(ioc, [&] { return collector.span_count() == 6 && exporter.stats().exported_spans == 6; }));
  EXPECT_GE(collector.exports().size(), 2U);  // 6 spans in batches of 4
  EXPECT_EQ(collector.exports().front().authorization, "Bearer otlp-secret");
  EXPECT_EQ(exporter.stats().exported_spans, 6U);
  exporter.stop();
}

TEST_F(exporter_fixture, DownCollectorDropsSpansWithoutBlocking) {
  musicbot::testing::fake_otlp_collector collector(ioc.get_executor());
  ASSERT_TRUE(collector.start());
  const auto endpoint = collector.endpoint();
  collector.stop();  // nothing listens there any more
  net::otlp_exporter_options o;
  o.endpoint = endpoint;
  o.flush_interval = 10ms;
  o.timeout = 200ms;
  net::otlp_exporter exporter(ioc.get_executor(), buffer, o);
  exporter.start();
  // Far more spans than the buffer holds: starting spans never blocks, the
  // buffer stays bounded and counts what it drops.
  for (int i = 0; i < 1000; ++i) tracer.start_span("x").end();
  EXPECT_LE(buffer->size(), buffer->capacity());
  EXPECT_GE(buffer->dropped(), 1000U - buffer->capacity());
  ASSERT_TRUE(run_until(ioc, [&] { return exporter.stats().failed_batches >= 1; }));
  EXPECT_EQ(exporter.stats().exported_spans, 0U);
  exporter.stop();
  tracer.start_span("at shutdown").end();
  std::optional<boost::system::error_code> flushed;
  exporter.async_flush([&](boost::system::error_code ec) { flushed = ec; });
  ASSERT_TRUE(run_until(ioc, [&] { return flushed.has_value(); }, 3s)) << "flush must give up on a down collector";
  EXPECT_TRUE(*flushed);
}

TEST_F(exporter_fixture, SlowOrRefusingCollectorCountsFailures) {
  musicbot::testing::fake_otlp_collector collector(ioc.get_executor());
  ASSERT_TRUE(collector.start());
  collector.set_status(503);
  net::otlp_exporter_options o;
  o.endpoint = collector.endpoint();
  o.flush_interval = 10ms;
  net::otlp_exporter exporter(ioc.get_executor(), buffer, o);
  exporter.start();
  tracer.start_span("refused").end();
  ASSERT_TRUE(run_until(ioc, [&] { return exporter.stats().failed_batches == 1; }));
  EXPECT_EQ(exporter.stats().dropped_spans, 1U);

  collector.set_status(200);
  collector.set_delay(500ms);
  o.timeout = 100ms;
  net::otlp_exporter slow(ioc.get_executor(), buffer, o);
  tracer.start_span("slow").end();
  std::optional<boost::system::error_code> flushed;
  slow.async_flush([&](boost::system::error_code ec) { flushed = ec; });
  ASSERT_TRUE(run_until(ioc, [&] { return flushed.has_value(); }, 3s));
  EXPECT_TRUE(*flushed) << "a collector slower than the timeout is a failed export";
  exporter.stop();
}

TEST_F(exporter_fixture, FlushAtShutdownSendsEverything) {
  musicbot::testing::fake_otlp_collector collector(ioc.get_executor());
  ASSERT_TRUE(collector.start());
  net::otlp_exporter_options o;
  o.endpoint = collector.endpoint();
  o.max_batch = 8;
  net::otlp_exporter exporter(ioc.get_executor(), buffer, o);  // never started: only the flush sends
  for (int i = 0; i < 20; ++i) tracer.start_span("s").end();
  std::optional<boost::system::error_code> flushed;
  exporter.async_flush([&](boost::system::error_code ec) { flushed = ec; });
  ASSERT_TRUE(run_until(ioc, [&] { return flushed.has_value(); }));
  EXPECT_FALSE(*flushed);
  EXPECT_EQ(collector.span_count(), 20U);
  EXPECT_EQ(buffer->size(), 0U);
}

}  // namespace

namespace {

// An exporter destroyed while a batch is on its way (a program shutting
// down) lets that export finish on state it keeps alive: ASan checks this
// run for use after free.
TEST_F(exporter_fixture, DestroyedWhileAnExportIsInFlightIsSafe) {
  musicbot::testing::fake_otlp_collector collector(ioc.get_executor());
  ASSERT_TRUE(collector.start());
  collector.set_delay(300ms);
  net::otlp_exporter_options o;
  o.endpoint = collector.endpoint();
  o.flush_interval = 10ms;
  o.timeout = 2s;
  auto exporter = std::make_unique<net::otlp_exporter>(ioc.get_executor(), buffer, o);
  exporter->start();
  tracer.start_span("in flight at shutdown").end();
  ASSERT_TRUE(run_until(ioc, [&] { return buffer->size() == 0; }));  // drained into a batch being sent
  exporter.reset();
  ASSERT_TRUE(run_until(ioc, [&] { return collector.span_count() == 1; }, 3s)) << "the batch in flight was lost";
  ioc.run_for(100ms);  // the answer reaches the (gone) exporter's export
}

}  // namespace
