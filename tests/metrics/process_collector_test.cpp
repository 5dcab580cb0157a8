#include <musicbot/metrics/detail/proc_parse.hpp>
#include <musicbot/metrics/process_collector.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace m = musicbot::metrics;

TEST(MetricsProcess, ParsesProcStatWithAwkwardCommandName) {
  // comm may contain spaces and parentheses; fields count from the last ')'.
  const std::string stat =
      "4242 (my ) bot (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 3 0 123456 "
      "104857600 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  const auto f = m::detail::parse_proc_stat(stat);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->utime_ticks, 250U);
  EXPECT_EQ(f->stime_ticks, 75U);
  EXPECT_EQ(f->starttime_ticks, 123456U);
  EXPECT_EQ(f->vsize_bytes, 104857600U);
  EXPECT_EQ(f->rss_pages, 2560U);
}

TEST(MetricsProcess, RejectsMalformedProcStat) {
  EXPECT_FALSE(m::detail::parse_proc_stat(""));
  EXPECT_FALSE(m::detail::parse_proc_stat("1 (x S 1 2 3"));
  EXPECT_FALSE(m::detail::parse_proc_stat("1 (x) S 1 2 3"));
  EXPECT_FALSE(m::detail::parse_proc_stat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 abc 75 0 0 20 0 3 0 1 2 3"));
}

TEST(MetricsProcess, ParsesBootTime) {
  EXPECT_EQ(m::detail::parse_boot_time("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n"), 1700000000U);
  EXPECT_FALSE(m::detail::parse_boot_time("cpu 1\n"));
  EXPECT_FALSE(m::detail::parse_boot_time("btime x\n"));
}

TEST(MetricsProcess, ReadsThisProcess) {
  const auto s = m::read_process_stats();
#if defined(__linux__)
  ASSERT_TRUE(s.available);
  EXPECT_GT(s.resident_bytes, 0);
  EXPECT_GE(s.virtual_bytes, s.resident_bytes);
  EXPECT_GE(s.open_fds, 3);  // stdin, stdout, stderr
  EXPECT_GT(s.cpu_seconds, -1e-9);
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(s.start_time_seconds, now + 2);
  EXPECT_GT(s.start_time_seconds, now - 24 * 3600.0);
#else
  EXPECT_FALSE(s.available);
#endif
}

TEST(MetricsProcess, RegistersTheStandardNames) {
  m::registry reg;
  ASSERT_TRUE(m::register_process_collector(reg));
  const std::string text = reg.render(m::exposition_format::prometheus_text);
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
                           "process_start_time_seconds"}) {
    EXPECT_NE(text.find(std::string("\n") + name + " "), std::string::npos) << name;
  }
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos);
  EXPECT_EQ(m::register_process_collector(reg).error(), m::error::conflicting_registration);
}
