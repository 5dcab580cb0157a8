#include <musicbot/metrics/registry.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace m = musicbot::metrics;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST(MetricsRegistry, CounterIncrementsAndRenders) {
  m::registry reg;
  auto fam = reg.add_counter("test_requests_total", "Requests.", {"method"});
  ASSERT_TRUE(fam);
  EXPECT_EQ(fam->name(), "test_requests");
  auto get = fam->with({"GET"});
  ASSERT_TRUE(get);
  get->inc();
  get->inc(4);
  get->add(0.5);
  EXPECT_DOUBLE_EQ(get->value(), 5.5);
  const std::string text = reg.render(m::exposition_format::prometheus_text);
  EXPECT_TRUE(contains(text, "# TYPE test_requests_total counter\n"));
  EXPECT_TRUE(contains(text, "test_requests_total{method=\"GET\"} 5.5\n"));
}

TEST(MetricsRegistry, CounterIgnoresNegativeAndNonFiniteAdds) {
  m::registry reg;
  auto c = reg.add_counter("test_c", "C.")->with({});
  ASSERT_TRUE(c);
  c->add(-3);
  c->add(std::numeric_limits<double>::quiet_NaN());
  c->add(std::numeric_limits<double>::infinity());
  EXPECT_EQ(c->value(), 0.0);
  c->add(2.25);
  EXPECT_DOUBLE_EQ(c->value(), 2.25);
}

TEST(MetricsRegistry, SameHandleForSameLabels) {
  m::registry reg;
  auto fam = reg.add_counter("test_total", "T.", {"a"});
  ASSERT_TRUE(fam);
  fam->with({"x"})->inc();
  fam->with({"x"})->inc();
  EXPECT_EQ(fam->with({"x"})->value(), 2.0);
  EXPECT_EQ(fam->series_count(), 1U);
}

TEST(MetricsRegistry, GaugeSetIncDec) {
  m::registry reg;
  auto g = reg.add_gauge("test_gauge", "G.")->with({});
  ASSERT_TRUE(g);
  g->set(10);
  g->inc();
  g->dec(3.5);
  EXPECT_DOUBLE_EQ(g->value(), 7.5);
}

TEST(MetricsRegistry, EmptyHandlesIgnoreUpdates) {
  m::counter c;
  m::gauge g;
  m::histogram h;
  c.inc();
  g.set(3);
  h.observe(1);
  EXPECT_FALSE(c.valid());
  EXPECT_EQ(c.value(), 0.0);
  EXPECT_EQ(g.value(), 0.0);
  EXPECT_EQ(h.snapshot().count, 0U);
  m::counter_family empty;
  EXPECT_EQ(empty.with({}).error(), m::error::invalid_family);
}

TEST(MetricsRegistry, InvalidMetricNamesAreRejected) {
  m::registry reg;
  for (const char* bad : {"", "1abc", "a-b", "a b", "é", "x_count", "x_sum", "x_bucket", "x_created", "x_info"}) {
    auto r = reg.add_gauge(bad, "h");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error(), m::error::invalid_metric_name) << bad;
  }
  EXPECT_EQ(reg.add_counter("_total", "h").error(), m::error::invalid_metric_name);
  EXPECT_EQ(reg.add_gauge("g_total", "h").error(), m::error::invalid_metric_name);
  EXPECT_TRUE(reg.add_gauge("ns:sub_name_2", "colons are allowed"));
  EXPECT_EQ(reg.render(m::exposition_format::prometheus_text).find("x_count"), std::string::npos);
}

TEST(MetricsRegistry, InvalidLabelNamesAreRejected) {
  m::registry reg;
  EXPECT_EQ(reg.add_counter("a_total", "h", {"1x"}).error(), m::error::invalid_label_name);
  EXPECT_EQ(reg.add_counter("b_total", "h", {"a:b"}).error(), m::error::invalid_label_name);
  EXPECT_EQ(reg.add_counter("c_total", "h", {""}).error(), m::error::invalid_label_name);
  EXPECT_EQ(reg.add_counter("d_total", "h", {"__name"}).error(), m::error::reserved_label_name);
  EXPECT_EQ(reg.add_histogram("e", "h", {"le"}, {1}).error(), m::error::reserved_label_name);
  EXPECT_EQ(reg.add_counter("f_total", "h", {"x", "y", "x"}).error(), m::error::duplicate_label_name);
  EXPECT_TRUE(reg.add_counter("g_total", "le is fine outside histograms", {"le"}));
}

TEST(MetricsRegistry, InvalidHelpAndOptionsAreRejected) {
  m::registry reg;
  EXPECT_EQ(reg.add_gauge("g", "bad \xff utf8").error(), m::error::invalid_help);
  EXPECT_EQ(reg.add_gauge("g2", "h", {}, m::family_options{.max_series = 0}).error(), m::error::invalid_options);
  EXPECT_EQ(reg.add_callback_gauge("g3", "h", {}).error(), m::error::invalid_options);
}

TEST(MetricsRegistry, DuplicateRegistration) {
  m::registry reg;
  auto first = reg.add_counter("dup_total", "D.", {"a"});
  ASSERT_TRUE(first);
  first->with({"x"})->inc();
  // Same shape: the same family (with or without the _total suffix).
  auto again = reg.add_counter("dup", "D.", {"a"});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->with({"x"})->value(), 1.0);
  EXPECT_EQ(reg.add_counter("dup_total", "D.", {"b"}).error(), m::error::conflicting_registration);
  EXPECT_EQ(reg.add_counter("dup_total", "D.", {"a", "b"}).error(), m::error::conflicting_registration);
  EXPECT_EQ(reg.add_gauge("dup", "D.", {"a"}).error(), m::error::conflicting_registration);
  EXPECT_EQ(reg.add_histogram("dup", "D.", {"a"}, {1}).error(), m::error::conflicting_registration);
  auto h = reg.add_histogram("hist", "H.", {}, {1, 2});
  ASSERT_TRUE(h);
  EXPECT_TRUE(reg.add_histogram("hist", "H.", {}, {1, 2}));
  EXPECT_EQ(reg.add_histogram("hist", "H.", {}, {1, 3}).error(), m::error::conflicting_registration);
  ASSERT_TRUE(reg.add_callback_gauge("cb", "C.", [] { return 1.0; }));
  EXPECT_EQ(reg.add_callback_gauge("cb", "C.", [] { return 1.0; }).error(), m::error::conflicting_registration);
  EXPECT_EQ(reg.add_gauge("cb", "C.").error(), m::error::conflicting_registration);
  // The exposition still has exactly one family named dup.
  const std::string text = reg.render(m::exposition_format::prometheus_text);
  EXPECT_TRUE(contains(text, "# TYPE dup_total counter\n"));
  EXPECT_FALSE(contains(text, "# TYPE dup gauge"));
}

TEST(MetricsRegistry, LabelCountMismatchIsCountedError) {
  m::registry reg;
  auto fam = reg.add_counter("lc_total", "L.", {"a", "b"});
  ASSERT_TRUE(fam);
  EXPECT_EQ(fam->with({"x"}).error(), m::error::label_count_mismatch);
  EXPECT_EQ(fam->with({"x", "y", "z"}).error(), m::error::label_count_mismatch);
  EXPECT_EQ(fam->rejected_count(), 2U);
  EXPECT_EQ(fam->series_count(), 0U);
  const std::string text = reg.render(m::exposition_format::prometheus_text);
  EXPECT_TRUE(contains(text, "musicbot_metrics_series_rejected_total{family=\"lc\",reason=\"label_count\"} 2\n"));
  EXPECT_FALSE(contains(text, "lc_total{"));
}

TEST(MetricsRegistry, InvalidLabelValuesAreRejected) {
  m::registry reg;
  auto fam = reg.add_counter("lv_total", "L.", {"a"}, m::family_options{.max_label_value_size = 8});
  ASSERT_TRUE(fam);
  EXPECT_EQ(fam->with({"\xc3\x28"}).error(), m::error::invalid_label_value);       // bad continuation
  EXPECT_EQ(fam->with({"\xed\xa0\x80"}).error(), m::error::invalid_label_value);   // surrogate
  EXPECT_EQ(fam->with({"\xc0\xaf"}).error(), m::error::invalid_label_value);       // overlong
  EXPECT_EQ(fam->with({std::string_view("a\0b", 3)}).error(), m::error::invalid_label_value);
  EXPECT_EQ(fam->with({"123456789"}).error(), m::error::invalid_label_value);      // too long
  EXPECT_TRUE(fam->with({"ünï"}));
  EXPECT_EQ(fam->rejected_count(), 5U);
}

TEST(MetricsRegistry, SeriesLimitRejectsNewLabelValuesAndCountsThem) {
  m::registry reg;
  auto fam = reg.add_counter("limited_total", "L.", {"k"}, m::family_options{.max_series = 3});
  ASSERT_TRUE(fam);
  for (const char* v : {"a", "b", "c"}) ASSERT_TRUE(fam->with({v}));
  for (int i = 0; i < 5; ++i) {
    auto r = fam->with({"new" + std::to_string(i)});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), m::error::series_limit_reached);
  }
  EXPECT_TRUE(fam->with({"a"}));  // existing series are still served
  EXPECT_EQ(fam->series_count(), 3U);
  EXPECT_EQ(fam->rejected_count(), 5U);
  const std::string text = reg.render(m::exposition_format::prometheus_text);
  EXPECT_TRUE(contains(text, "musicbot_metrics_series_rejected_total{family=\"limited\",reason=\"limit\"} 5\n"));
  EXPECT_FALSE(contains(text, "new0"));
}

TEST(MetricsRegistry, DefaultSeriesLimitIsOneThousand) {
  m::registry reg;
  auto fam = reg.add_gauge("many", "M.", {"i"});
  ASSERT_TRUE(fam);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(fam->with({std::to_string(i)}));
  EXPECT_EQ(fam->with({"1000"}).error(), m::error::series_limit_reached);
  EXPECT_EQ(fam->series_count(), 1000U);
}

TEST(MetricsRegistry, HistogramBucketsAreInclusiveUpperBounds) {
  m::registry reg;
  auto h = reg.add_histogram("lat_seconds", "L.", {}, {1, 2, 5});
  ASSERT_TRUE(h);
  auto s = h->with({});
  ASSERT_TRUE(s);
  for (const double v : {0.5, 1.0, 1.5, 2.0, 4.0, 5.0, 100.0}) s->observe(v);
  const auto snap = s->snapshot();
  EXPECT_EQ(snap.cumulative, (std::vector<std::uint64_t>{2, 4, 6, 7}));
  EXPECT_EQ(snap.count, 7U);
  EXPECT_DOUBLE_EQ(snap.sum, 114.0);
}

TEST(MetricsRegistry, HistogramNaNGoesToInfBucket) {
  m::registry reg;
  auto s = reg.add_histogram("nan_h", "N.", {}, {1})->with({});
  ASSERT_TRUE(s);
  s->observe(std::numeric_limits<double>::quiet_NaN());
  s->observe(-std::numeric_limits<double>::infinity());
  const auto snap = s->snapshot();
  EXPECT_EQ(snap.cumulative, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_TRUE(std::isnan(snap.sum));
}

TEST(MetricsRegistry, HistogramManyBucketsUseBinarySearch) {
  m::registry reg;
  auto s = reg.add_histogram("big_h", "B.", {}, m::linear_buckets(1, 1, 40))->with({});
  ASSERT_TRUE(s);
  s->observe(0.5);
  s->observe(20);
  s->observe(20.5);
  s->observe(41);
  const auto snap = s->snapshot();
  EXPECT_EQ(snap.cumulative[0], 1U);
  EXPECT_EQ(snap.cumulative[19], 2U);   // le=20 includes 20
  EXPECT_EQ(snap.cumulative[20], 3U);   // le=21
  EXPECT_EQ(snap.cumulative[39], 3U);   // le=40
  EXPECT_EQ(snap.cumulative[40], 4U);   // +Inf
}

TEST(MetricsRegistry, InvalidBucketsAreRejected) {
  m::registry reg;
  EXPECT_EQ(reg.add_histogram("h1", "h", {}, {2, 1}).error(), m::error::invalid_buckets);
  EXPECT_EQ(reg.add_histogram("h2", "h", {}, {1, 1}).error(), m::error::invalid_buckets);
  EXPECT_EQ(reg.add_histogram("h3", "h", {}, {std::nan("")}).error(), m::error::invalid_buckets);
  EXPECT_EQ(reg.add_histogram("h4", "h", {}, {-std::numeric_limits<double>::infinity(), 1}).error(),
            m::error::invalid_buckets);
  auto ok = reg.add_histogram("h5", "h", {}, {1, 2, std::numeric_limits<double>::infinity()});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->with({})->snapshot().upper_bounds, (std::vector<double>{1, 2}));
}

TEST(MetricsRegistry, BucketHelpers) {
  EXPECT_EQ(m::linear_buckets(0, 5, 3), (std::vector<double>{0, 5, 10}));
  EXPECT_EQ(m::exponential_buckets(1, 2, 4), (std::vector<double>{1, 2, 4, 8}));
  EXPECT_EQ(m::default_buckets().size(), 11U);
}

TEST(MetricsRegistry, ConcurrentObservesKeepHistogramsConsistent) {
  m::registry reg;
  auto fam = reg.add_histogram("conc_seconds", "C.", {"t"}, {1, 2, 3});
  ASSERT_TRUE(fam);
  auto h = fam->with({"x"});
  auto c = reg.add_counter("conc_total", "C.")->with({});
  ASSERT_TRUE(h && c);
  constexpr int threads = 4;
  constexpr int per_thread = 20000;
  std::atomic<bool> done{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        h->observe(static_cast<double>((i + t) % 4) + 0.5);
        c->inc();
      }
    });
  }
  // Scrape while the writers run: every render must have monotone
  // cumulative buckets and +Inf == _count.
  int scrapes = 0;
  for (; scrapes < 200 && !done.load(); ++scrapes) {
    const std::string text = reg.render(m::exposition_format::prometheus_text);
    std::uint64_t previous = 0;
    std::uint64_t inf = 0;
    std::uint64_t count = 0;
    std::size_t pos = 0;
    while ((pos = text.find("conc_seconds_", pos)) != std::string::npos) {
      const std::size_t eol = text.find('\n', pos);
      const std::string line = text.substr(pos, eol - pos);
      const std::uint64_t v = std::stoull(line.substr(line.rfind(' ') + 1));
      if (line.starts_with("conc_seconds_bucket")) {
        EXPECT_GE(v, previous) << line;
        previous = v;
        if (line.find("+Inf") != std::string::npos) inf = v;
      } else if (line.starts_with("conc_seconds_count")) {
        count = v;
      }
      pos = eol;
    }
    EXPECT_EQ(inf, count);
  }
  for (auto& w : workers) w.join();
  const auto snap = h->snapshot();
  EXPECT_EQ(snap.count, static_cast<std::uint64_t>(threads) * per_thread);
  EXPECT_EQ(snap.cumulative.back(), snap.count);
  EXPECT_EQ(c->value(), static_cast<double>(threads) * per_thread);
  // Each of 0.5, 1.5, 2.5, 3.5 is observed exactly threads*per_thread/4 times.
  EXPECT_EQ(snap.cumulative[0], snap.count / 4);
  EXPECT_DOUBLE_EQ(snap.sum, static_cast<double>(threads) * per_thread / 4 * (0.5 + 1.5 + 2.5 + 3.5));
  EXPECT_GT(scrapes, 0);
}

TEST(MetricsRegistry, ConcurrentSeriesCreationRespectsLimit) {
  m::registry reg;
  auto fam = reg.add_counter("race_total", "R.", {"k"}, m::family_options{.max_series = 50});
  ASSERT_TRUE(fam);
  std::atomic<int> ok{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        if (fam->with({std::to_string(t * 100 + i)})) ok.fetch_add(1);
      }
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_EQ(ok.load(), 50);
  EXPECT_EQ(fam->series_count(), 50U);
  EXPECT_EQ(fam->rejected_count(), 350U);
}

TEST(MetricsRegistry, CallbacksAndHooksRunAtRender) {
  m::registry reg;
  int hook_runs = 0;
  double value = 1;
  reg.add_collect_hook([&] {
    ++hook_runs;
    value *= 2;
  });
  ASSERT_TRUE(reg.add_callback_gauge("cb_gauge", "G.", [&] { return value; }));
  ASSERT_TRUE(reg.add_callback_counter("cb_counter_total", "C.", [] { return -5.0; }));
  const std::string text = reg.render(m::exposition_format::prometheus_text);
  EXPECT_EQ(hook_runs, 1);
  EXPECT_TRUE(contains(text, "cb_gauge 2\n"));
  EXPECT_TRUE(contains(text, "cb_counter_total 0\n"));  // never negative
}

TEST(MetricsRegistry, SampleNames) {
  m::registry reg;
  ASSERT_TRUE(reg.add_counter("a_total", "A."));
  ASSERT_TRUE(reg.add_gauge("b", "B."));
  ASSERT_TRUE(reg.add_histogram("c_seconds", "C.", {}, {1}));
  const auto names = reg.sample_names();
  for (const char* n : {"a_total", "b", "c_seconds_bucket", "c_seconds_count", "c_seconds_sum",
                        "musicbot_metrics_series_rejected_total"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  }
  EXPECT_EQ(reg.family_count(), 4U);
}

TEST(MetricsRegistry, ErrorCategoryMessages) {
  const std::error_code ec = m::error::series_limit_reached;
  EXPECT_STREQ(ec.category().name(), "musicbot.metrics");
  EXPECT_EQ(ec.message(), "metric family reached its maximum series count");
  for (int i = 0; i <= 15; ++i) EXPECT_FALSE(m::metrics_category().message(i).empty());
  EXPECT_EQ(m::metrics_category().message(999), "unknown musicbot.metrics error");
}
