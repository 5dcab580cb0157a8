#include <musicbot/trace/current.hpp>
#include <musicbot/trace/span_buffer.hpp>
#include <musicbot/trace/tracer.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace {

using namespace musicbot::trace;
using namespace std::chrono_literals;

struct fixture {
  std::shared_ptr<span_buffer> buffer = std::make_shared<span_buffer>(64);
  std::chrono::system_clock::time_point now{std::chrono::seconds(1'700'000'000)};

  tracer make(double ratio = 1.0, span_limits limits = {}) {
    tracer_options options;
    options.sample_ratio = ratio;
    options.limits = limits;
    options.now = [this] { return now; };
    return tracer(options, buffer);
  }
};

TEST(Tracer, DisabledTracerRecordsNothing) {
  const tracer off;
  EXPECT_FALSE(off.enabled());
  auto s = off.start_span("x");
  EXPECT_FALSE(s.recording());
  EXPECT_FALSE(s.context().valid());
  s.set_attribute("k", "v");
  s.end();

  fixture f;
  tracer_options options;
  options.enabled = false;
  const tracer explicit_off(options, f.buffer);
  { auto s2 = explicit_off.start_span("y"); }
  EXPECT_EQ(f.buffer->size(), 0U);
}

TEST(Tracer, RecordsSpanWithTimesAndAttributes) {
  fixture f;
  const auto t = f.make();
  {
    auto s = t.start_span("play", {}, span_kind::server);
    ASSERT_TRUE(s.recording());
    s.set_attribute("command", "play");
    s.set_attribute("queue.length", 3);
    s.set_attribute("cached", true);
    s.set_attribute("ratio", 0.5);
    s.set_attribute("command", "skip");  // replaces, does not duplicate
    f.now += 250ms;
    s.add_event("validated");
    s.set_status(span_status::ok);
  }
  auto spans = f.buffer->drain(10);
  ASSERT_EQ(spans.size(), 1U);
  const auto& d = spans[0];
  EXPECT_EQ(d.name, "play");
  EXPECT_EQ(d.kind, span_kind::server);
  EXPECT_EQ(d.end_unix_nano - d.start_unix_nano, 250'000'000U);
  ASSERT_EQ(d.attributes.size(), 4U);
  EXPECT_EQ(std::get<std::string>(d.attributes[0].value), "skip");
  EXPECT_EQ(std::get<std::int64_t>(d.attributes[1].value), 3);
  ASSERT_EQ(d.events.size(), 1U);
  EXPECT_EQ(d.events[0].name, "validated");
  EXPECT_EQ(d.status, span_status::ok);
  EXPECT_FALSE(d.parent.valid());
}

TEST(Tracer, ChildSharesTraceAndPointsToParent) {
  fixture f;
  const auto t = f.make();
  span_context parent_ctx;
  {
    auto parent = t.start_span("parent");
    parent_ctx = parent.context();
    auto child = t.start_child(parent, "child", span_kind::client);
    EXPECT_EQ(child.context().trace, parent.context().trace);
    EXPECT_NE(child.context().span, parent.context().span);
  }
  auto spans = f.buffer->drain(10);
  ASSERT_EQ(spans.size(), 2U);
  EXPECT_EQ(spans[0].name, "child");  // the child ends first
  EXPECT_EQ(spans[0].parent, parent_ctx.span);
}

TEST(Tracer, RemoteParentIsContinued) {
  fixture f;
  const auto t = f.make(0.0);  // roots never sampled, but the remote parent decides
  auto remote = extract_context("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "rojo=1");
  ASSERT_TRUE(remote);
  {
    auto s = t.start_span("handle", *remote, span_kind::server);
    EXPECT_TRUE(s.recording());
    EXPECT_EQ(s.context().trace.to_hex(), "0af7651916cd43dd8448eb211c80319c");
    EXPECT_EQ(format_tracestate(s.context().state), "rojo=1");
  }
  auto spans = f.buffer->drain(10);
  ASSERT_EQ(spans.size(), 1U);
  EXPECT_EQ(spans[0].parent.to_hex(), "b7ad6b7169203331");
}

TEST(Tracer, RatioZeroSamplesOutButPropagates) {
  fixture f;
  const auto t = f.make(0.0);
  {
    auto s = t.start_span("x");
    EXPECT_FALSE(s.recording());
    EXPECT_TRUE(s.context().valid());
    EXPECT_FALSE(s.context().sampled());
    auto child = t.start_child(s, "y");
    EXPECT_FALSE(child.recording());  // parent-based: follows the unsampled parent
  }
  EXPECT_EQ(f.buffer->size(), 0U);
}

TEST(Tracer, RatioSamplesAboutThatFraction) {
  fixture f;
  const auto t = f.make(0.25);
  int sampled = 0;
  for (int i = 0; i < 4000; ++i) {
    auto s = t.start_span("x");
    sampled += s.recording() ? 1 : 0;
    (void)f.buffer->drain(64);
  }
  EXPECT_GT(sampled, 800);
  EXPECT_LT(sampled, 1200);
}

TEST(Tracer, LimitsBoundEverySpan) {
  fixture f;
  span_limits limits;
  limits.max_attributes = 2;
  limits.max_events = 1;
  limits.max_value_length = 4;
  limits.max_name_length = 5;
  const auto t = f.make(1.0, limits);
  {
    auto s = t.start_span("a-very-long-name");
    s.set_attribute("k1", "123456789");
    s.set_attribute("k2", 2);
    s.set_attribute("k3", 3);
    s.add_event("e1");
    s.add_event("e2");
    s.set_status(span_status::error, "long error message");
  }
  auto spans = f.buffer->drain(1);
  ASSERT_EQ(spans.size(), 1U);
  const auto& d = spans[0];
  EXPECT_EQ(d.name, "a-ver");
  EXPECT_EQ(std::get<std::string>(d.attributes[0].value), "1234");
  EXPECT_EQ(d.attributes.size(), 2U);
  EXPECT_EQ(d.dropped_attributes, 1U);
  EXPECT_EQ(d.events.size(), 1U);
  EXPECT_EQ(d.dropped_events, 1U);
  EXPECT_EQ(d.status_message, "long");
}

TEST(Tracer, EndIsIdempotentAndMoveKeepsOneSpan) {
  fixture f;
  const auto t = f.make();
  {
    auto a = t.start_span("a");
    auto b = std::move(a);
    b.end();
    b.end();
    EXPECT_FALSE(b.recording());
  }
  EXPECT_EQ(f.buffer->drain(10).size(), 1U);
}

TEST(SpanBuffer, DropsWhenFullAndCounts) {
  fixture f;
  f.buffer = std::make_shared<span_buffer>(3);
  const auto t = f.make();
  for (int i = 0; i < 5; ++i) t.start_span("x").end();
  EXPECT_EQ(f.buffer->size(), 3U);
  EXPECT_EQ(f.buffer->dropped(), 2U);
  EXPECT_EQ(f.buffer->accepted(), 3U);
  EXPECT_EQ(f.buffer->drain(2).size(), 2U);
  EXPECT_EQ(f.buffer->size(), 1U);
  EXPECT_THROW(span_buffer(0), std::invalid_argument);
}

TEST(CurrentContext, ScopesNest) {
  EXPECT_EQ(current_context(), nullptr);
  fixture f;
  const auto t = f.make();
  auto outer = t.start_span("outer");
  {
    const context_scope a(outer.context());
    EXPECT_EQ(current_context(), &outer.context());
    auto inner = t.start_child(outer, "inner");
    {
      const context_scope b(inner.context());
      EXPECT_EQ(current_context()->span, inner.context().span);
    }
    EXPECT_EQ(current_context(), &outer.context());
  }
  EXPECT_EQ(current_context(), nullptr);
}

TEST(Sampler, RejectsBadRatio) {
  EXPECT_THROW(sampler(1.5), std::invalid_argument);
  EXPECT_THROW(sampler(-0.1), std::invalid_argument);
}

}  // namespace
