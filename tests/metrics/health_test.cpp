#include <musicbot/metrics/health.hpp>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace m = musicbot::metrics;

TEST(MetricsHealth, EmptyRegistryIsHealthy) {
  m::health_registry reg;
  const auto snap = reg.check();
  EXPECT_EQ(snap.status, m::health_status::healthy);
  EXPECT_TRUE(snap.ready());
  EXPECT_EQ(snap.to_json(), R"({"status":"healthy","components":{}})");
}

TEST(MetricsHealth, WorstComponentWins) {
  m::health_registry reg;
  ASSERT_TRUE(reg.add_check("lavalink", [] { return m::health_report{m::health_status::healthy, ""}; }));
  ASSERT_TRUE(reg.set("redis", m::health_status::degraded, "connection refused; local limits active"));
  auto snap = reg.check();
  EXPECT_EQ(snap.status, m::health_status::degraded);
  EXPECT_TRUE(snap.ready());
  EXPECT_EQ(snap.to_json(),
            R"({"status":"degraded","components":{"lavalink":{"status":"healthy","reason":""},)"
            R"("redis":{"status":"degraded","reason":"connection refused; local limits active"}}})");
  ASSERT_TRUE(reg.set("store", m::health_status::unhealthy, "database locked"));
  snap = reg.check();
  EXPECT_EQ(snap.status, m::health_status::unhealthy);
  EXPECT_FALSE(snap.ready());
  ASSERT_TRUE(reg.set("store", m::health_status::healthy));
  EXPECT_EQ(reg.check().status, m::health_status::degraded);
  EXPECT_TRUE(reg.remove("redis"));
  EXPECT_FALSE(reg.remove("redis"));
  EXPECT_EQ(reg.check().status, m::health_status::healthy);
}

TEST(MetricsHealth, PullChecksRunEachTime) {
  m::health_registry reg;
  int calls = 0;
  ASSERT_TRUE(reg.add_check("counter", [&] {
    ++calls;
    return m::health_report{calls > 1 ? m::health_status::unhealthy : m::health_status::healthy, "n"};
  }));
  EXPECT_EQ(reg.check().status, m::health_status::healthy);
  EXPECT_EQ(reg.check().status, m::health_status::unhealthy);
  EXPECT_EQ(calls, 2);
}

TEST(MetricsHealth, ThrowingCheckIsUnhealthy) {
  m::health_registry reg;
  ASSERT_TRUE(reg.add_check("boom", []() -> m::health_report { throw std::runtime_error("secret detail"); }));
  const auto snap = reg.check();
  EXPECT_EQ(snap.status, m::health_status::unhealthy);
  EXPECT_EQ(snap.components.at(0).report.reason, "health check threw an exception");
}

TEST(MetricsHealth, ChecksMayPushFromInsideACheck) {
  m::health_registry reg;
  ASSERT_TRUE(reg.add_check("pusher", [&] {
    (void)reg.set("pushed", m::health_status::degraded, "from check");
    return m::health_report{};
  }));
  (void)reg.check();
  EXPECT_EQ(reg.check().status, m::health_status::degraded);
}

TEST(MetricsHealth, Errors) {
  m::health_registry reg(2);
  EXPECT_EQ(reg.add_check("", [] { return m::health_report{}; }).error(), m::error::invalid_check_name);
  EXPECT_EQ(reg.add_check("has space", [] { return m::health_report{}; }).error(), m::error::invalid_check_name);
  EXPECT_EQ(reg.set(std::string(65, 'a'), m::health_status::healthy).error(), m::error::invalid_check_name);
  EXPECT_EQ(reg.add_check("nofn", {}).error(), m::error::invalid_options);
  ASSERT_TRUE(reg.add_check("a", [] { return m::health_report{}; }));
  EXPECT_EQ(reg.add_check("a", [] { return m::health_report{}; }).error(), m::error::duplicate_check);
  EXPECT_EQ(reg.set("a", m::health_status::healthy).error(), m::error::duplicate_check);
  ASSERT_TRUE(reg.set("b.c-d_e", m::health_status::healthy));
  EXPECT_EQ(reg.set("c", m::health_status::healthy).error(), m::error::too_many_checks);
  EXPECT_EQ(reg.add_check("d", [] { return m::health_report{}; }).error(), m::error::too_many_checks);
}

TEST(MetricsHealth, ReasonsAreEscapedAndBounded) {
  m::health_registry reg;
  ASSERT_TRUE(reg.set("x", m::health_status::degraded, std::string("q\"b\\n\nt\x01 bad\xff é", 16)));
  const std::string json = reg.check().to_json();
  EXPECT_EQ(json, "{\"status\":\"degraded\",\"components\":{\"x\":{\"status\":\"degraded\",\"reason\":"
                  "\"q\\\"b\\\\n\\nt\\u0001 bad\xEF\xBF\xBD \xC3\xA9\"}}}");
  ASSERT_TRUE(reg.set("long", m::health_status::healthy, std::string(1000, 'r')));
  for (const auto& c : reg.check().components) EXPECT_LE(c.report.reason.size(), 256U);
  // a cut never splits a UTF-8 sequence
  std::string multibyte;
  for (int i = 0; i < 200; ++i) multibyte += "\xC3\xA9";
  ASSERT_TRUE(reg.set("mb", m::health_status::healthy, multibyte));
  for (const auto& c : reg.check().components) {
    if (c.name == "mb") {
      EXPECT_EQ(c.report.reason.size(), 256U);
      EXPECT_EQ(c.report.reason.substr(254), "\xC3\xA9");
    }
  }
}

TEST(MetricsHealth, StatusNames) {
  EXPECT_EQ(m::to_string(m::health_status::healthy), "healthy");
  EXPECT_EQ(m::to_string(m::health_status::degraded), "degraded");
  EXPECT_EQ(m::to_string(m::health_status::unhealthy), "unhealthy");
}
