#include <musicbot/trace/context.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace musicbot::trace;

// Examples from the W3C Trace Context recommendation.
constexpr const char* spec_example = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
constexpr const char* spec_example_2 = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
constexpr const char* spec_unsampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";

TEST(Traceparent, SpecExamplesRoundTrip) {
  for (const char* header : {spec_example, spec_example_2, spec_unsampled}) {
    auto ctx = parse_traceparent(header);
    ASSERT_TRUE(ctx) << header;
    EXPECT_TRUE(ctx->remote);
    EXPECT_EQ(format_traceparent(*ctx), header);
  }
}

TEST(Traceparent, FieldsDecoded) {
  auto ctx = parse_traceparent(spec_example);
  ASSERT_TRUE(ctx);
  EXPECT_EQ(ctx->trace.to_hex(), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(ctx->span.to_hex(), "b7ad6b7169203331");
  EXPECT_TRUE(ctx->sampled());
  EXPECT_FALSE(parse_traceparent(spec_unsampled)->sampled());
}

TEST(Traceparent, RejectsMalformed) {
  const std::string bad[] = {
      "",
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",             // no flags
      "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",          // upper case
      "00-00000000000000000000000000000000-b7ad6b7169203331-01",          // zero trace id
      "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",          // zero span id
      "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",          // forbidden version
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",    // v00 must be exact
      "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",          // bad separator
      "0g-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",          // bad version hex
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0x",          // bad flags
      "00-0af7651916cd43dd8448eb211c80319-cb7ad6b7169203331-01",          // shifted separator
  };
  for (const auto& header : bad) EXPECT_FALSE(parse_traceparent(header)) << header;
}

TEST(Traceparent, FutureVersionAccepted) {
  auto ctx = parse_traceparent("cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-the-future-holds");
  ASSERT_TRUE(ctx);
  EXPECT_TRUE(ctx->sampled());
  EXPECT_FALSE(parse_traceparent("cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x"));
}

TEST(Tracestate, ParsesSpecExample) {
  auto state = parse_tracestate("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  ASSERT_TRUE(state);
  ASSERT_EQ(state->size(), 2U);
  EXPECT_EQ((*state)[0].key, "rojo");
  EXPECT_EQ((*state)[1].value, "t61rcWkgMzE");
  EXPECT_EQ(format_tracestate(*state), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
}

TEST(Tracestate, ToleratesWhitespaceAndEmptyMembers) {
  auto state = parse_tracestate(" rojo=1 ,, congo=2\t,");
  ASSERT_TRUE(state);
  EXPECT_EQ(format_tracestate(*state), "rojo=1,congo=2");
}

TEST(Tracestate, MultiTenantKeys) {
  EXPECT_TRUE(parse_tracestate("fw529a3039@dt=abc"));
  EXPECT_TRUE(parse_tracestate("1tenant@vendor=v"));
  EXPECT_FALSE(parse_tracestate("tenant@1vendor=v"));
  EXPECT_FALSE(parse_tracestate("tenant@vendorvendorvendor=v"));  // system id > 14 chars
}

TEST(Tracestate, RejectsInvalid) {
  EXPECT_FALSE(parse_tracestate("Rojo=1"));         // upper-case key
  EXPECT_FALSE(parse_tracestate("rojo"));           // no value
  EXPECT_FALSE(parse_tracestate("rojo=1,rojo=2"));  // duplicate
  EXPECT_FALSE(parse_tracestate("rojo=a=b"));       // '=' in value
  EXPECT_FALSE(parse_tracestate("rojo="));          // empty value
  std::string many;
  for (int i = 0; i < 33; ++i) many += "k" + std::to_string(i) + "=v,";
  EXPECT_FALSE(parse_tracestate(many));
  many.clear();
  for (int i = 0; i < 32; ++i) many += "k" + std::to_string(i) + "=v,";
  EXPECT_TRUE(parse_tracestate(many));
}

TEST(ExtractContext, InvalidStateKeepsParent) {
  auto ctx = extract_context(spec_example, "BAD STATE");
  ASSERT_TRUE(ctx);
  EXPECT_TRUE(ctx->state.empty());
  auto with_state = extract_context(spec_example, "rojo=1");
  ASSERT_TRUE(with_state);
  EXPECT_EQ(with_state->state.size(), 1U);
  EXPECT_FALSE(extract_context("garbage", "rojo=1"));
}

}  // namespace
