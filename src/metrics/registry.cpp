// musicbot::metrics::registry: families, series, rendering.

#include <musicbot/metrics/registry.hpp>

#include "text.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <mutex>
#include <utility>

namespace musicbot::metrics {
namespace detail {
namespace {

constexpr std::array<std::string_view, 6> reserved_suffixes = {"_total", "_count", "_sum",
                                                               "_bucket", "_created", "_info"};
constexpr char key_separator = '\xff';  // never inside a valid UTF-8 label value

bool ends_with(std::string_view s, std::string_view suffix) noexcept {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

enum class reject_reason : std::size_t { limit = 0, invalid_value = 1, label_count = 2 };
constexpr std::array<std::string_view, 3> reject_reason_names = {"limit", "invalid_value", "label_count"};

}  // namespace

class family_impl {
 public:
  struct series {
    std::string labels;  // rendered `a="x",b="y"` (escaped), empty without labels
    std::unique_ptr<counter_cell> counter_value;
    std::unique_ptr<gauge_cell> gauge_value;
    std::unique_ptr<histogram_cell> histogram_value;
  };

  family_impl(metric_type type, std::string name, std::string_view help, std::vector<std::string> labels,
              std::vector<double> bounds, family_options options, std::function<double()> callback)
      : type_(type),
        name_(std::move(name)),
        help_text_(escape_help(help, false)),
        help_om_(escape_help(help, true)),
        labels_(std::move(labels)),
        bounds_(std::move(bounds)),
        options_(options),
        callback_(std::move(callback)) {
    for (const double b : bounds_) le_.push_back(le_string(b));
    le_.emplace_back("+Inf");
  }

  [[nodiscard]] bool same_shape(metric_type type, const std::vector<std::string>& labels,
                                const std::vector<double>& bounds) const {
    return !callback_ && type == type_ && labels == labels_ && bounds == bounds_;
  }

  core::result<void*> get(std::span<const std::string_view> values) {
    if (values.size() != labels_.size()) return reject(reject_reason::label_count, error::label_count_mismatch);
    std::string key;
    for (const auto v : values) {
      if (v.size() > options_.max_label_value_size || !valid_utf8(v)) {
        return reject(reject_reason::invalid_value, error::invalid_label_value);
      }
      key.append(v);
      key += key_separator;
    }
    const std::lock_guard lock(mutex_);
    if (auto it = series_.find(key); it != series_.end()) return cell_of(it->second);
    if (series_.size() >= options_.max_series) return reject(reject_reason::limit, error::series_limit_reached);
    series s;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) s.labels += ',';
      s.labels += labels_[i];
      s.labels += "=\"";
      append_label_value(s.labels, values[i]);
      s.labels += '"';
    }
    switch (type_) {
      case metric_type::counter: s.counter_value = std::make_unique<counter_cell>(); break;
      case metric_type::gauge: s.gauge_value = std::make_unique<gauge_cell>(); break;
      case metric_type::histogram:
        s.histogram_value = std::make_unique<histogram_cell>(bounds_.data(), bounds_.size());
        break;
    }
    auto [it, inserted] = series_.emplace(std::move(key), std::move(s));
    return cell_of(it->second);
  }

  void set_reject_counters(std::array<counter, 3> counters) { reject_counters_ = counters; }

  // Returns the number of series written (1 for a callback family).
  std::size_t render(exposition_format format, std::string& out) const {
    const bool om = format == exposition_format::openmetrics;
    const std::lock_guard lock(mutex_);
    if (!callback_ && series_.empty()) return 0;
    const std::string_view type_name = type_ == metric_type::counter ? "counter"
                                       : type_ == metric_type::gauge ? "gauge"
                                                                     : "histogram";
    // Text 0.0.4 names a counter family by its sample name (x_total);
    // OpenMetrics names the family x and its sample x_total.
    std::string family_name = name_;
    if (!om && type_ == metric_type::counter) family_name += "_total";
    const std::string& help = om ? help_om_ : help_text_;
    if (om) {
      out += "# TYPE "; out += family_name; out += ' '; out += type_name; out += '\n';
      if (!help.empty()) { out += "# HELP "; out += family_name; out += ' '; out += help; out += '\n'; }
    } else {
      if (!help.empty()) { out += "# HELP "; out += family_name; out += ' '; out += help; out += '\n'; }
      out += "# TYPE "; out += family_name; out += ' '; out += type_name; out += '\n';
    }
    if (callback_) {
      render_callback(out);
      return 1;
    }
    for (const auto& [key, s] : series_) {
      switch (type_) {
        case metric_type::counter: render_counter(s, out); break;
        case metric_type::gauge: render_gauge(s, out); break;
        case metric_type::histogram: render_histogram(s, out); break;
      }
    }
    return series_.size();
  }

  void sample_names(std::vector<std::string>& out) const {
    switch (type_) {
      case metric_type::counter: out.push_back(name_ + "_total"); break;
      case metric_type::gauge: out.push_back(name_); break;
      case metric_type::histogram:
        out.push_back(name_ + "_bucket");
        out.push_back(name_ + "_count");
        out.push_back(name_ + "_sum");
        break;
    }
  }

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] std::size_t series_count() const {
    const std::lock_guard lock(mutex_);
    return series_.size();
  }
  [[nodiscard]] std::uint64_t rejected() const noexcept { return rejected_.load(std::memory_order_relaxed); }

 private:
  void* cell_of(series& s) const noexcept {
    switch (type_) {
      case metric_type::counter: return s.counter_value.get();
      case metric_type::gauge: return s.gauge_value.get();
      case metric_type::histogram: return s.histogram_value.get();
    }
    return nullptr;
  }

  std::error_code reject(reject_reason reason, error e) noexcept {
    rejected_.fetch_add(1, std::memory_order_relaxed);
    reject_counters_[static_cast<std::size_t>(reason)].inc();
    return e;
  }

  void sample_start(std::string& out, std::string_view suffix, const std::string& labels) const {
    out += name_;
    out += suffix;
    if (!labels.empty()) {
      out += '{';
      out += labels;
      out += '}';
    }
    out += ' ';
  }

  void render_callback(std::string& out) const {
    double v = callback_();
    if (type_ == metric_type::counter) {
      if (!(v >= 0.0) || std::isinf(v)) v = 0.0;  // a counter is never negative, NaN or infinite
      sample_start(out, "_total", {});
    } else {
      sample_start(out, {}, {});
    }
    append_double(out, v);
    out += '\n';
  }

  void render_counter(const series& s, std::string& out) const {
    sample_start(out, "_total", s.labels);
    const std::uint64_t whole = s.counter_value->whole.load(std::memory_order_relaxed);
    const double fraction = s.counter_value->fraction.load(std::memory_order_relaxed);
    if (fraction == 0.0) append_uint(out, whole);
    else append_double(out, static_cast<double>(whole) + fraction);
    out += '\n';
  }

  void render_gauge(const series& s, std::string& out) const {
    sample_start(out, {}, s.labels);
    append_double(out, s.gauge_value->value.load(std::memory_order_relaxed));
    out += '\n';
  }

  void render_histogram(const series& s, std::string& out) const {
    const histogram_cell& h = *s.histogram_value;
    std::uint64_t running = 0;
    for (std::size_t i = 0; i <= h.size; ++i) {
      running += h.buckets[i].load(std::memory_order_relaxed);
      out += name_;
      out += "_bucket{";
      if (!s.labels.empty()) {
        out += s.labels;
        out += ',';
      }
      out += "le=\"";
      out += le_[i];
      out += "\"} ";
      append_uint(out, running);
      out += '\n';
    }
    sample_start(out, "_count", s.labels);
    append_uint(out, running);  // == the +Inf bucket by construction
    out += '\n';
    sample_start(out, "_sum", s.labels);
    append_double(out, h.sum.load(std::memory_order_relaxed));
    out += '\n';
  }

  metric_type type_;
  std::string name_;
  std::string help_text_;
  std::string help_om_;
  std::vector<std::string> labels_;
  std::vector<double> bounds_;
  std::vector<std::string> le_;
  family_options options_;
  std::function<double()> callback_;
  mutable std::mutex mutex_;
  std::map<std::string, series, std::less<>> series_;
  std::atomic<std::uint64_t> rejected_{0};
  std::array<counter, 3> reject_counters_{};
};

core::result<void*> family_series(family_impl* family, std::span<const std::string_view> values) {
  return family->get(values);
}
std::string_view family_name(const family_impl* family) noexcept { return family->name(); }
std::size_t family_series_count(const family_impl* family) noexcept { return family->series_count(); }
std::uint64_t family_rejected_count(const family_impl* family) noexcept { return family->rejected(); }

class registry_impl {
 public:
  registry_impl() {
    auto rejected = add(metric_type::counter, "musicbot_metrics_series_rejected_total",
                        "Label value combinations refused by a metric family (series limit, invalid value, "
                        "wrong label count).",
                        {"family", "reason"}, {}, family_options{.max_series = 100000}, {});
    rejected_family_ = *rejected;
  }

  core::result<family_impl*> add(metric_type type, std::string_view name, std::string_view help,
                                 std::vector<std::string> labels, std::vector<double> bounds,
                                 family_options options, std::function<double()> callback) {
    if (!valid_metric_name(name)) return error::invalid_metric_name;
    std::string base(name);
    if (type == metric_type::counter && ends_with(base, "_total")) base.resize(base.size() - 6);
    if (base.empty() || !valid_metric_name(base)) return error::invalid_metric_name;
    for (const auto suffix : reserved_suffixes) {
      if (ends_with(base, suffix)) return error::invalid_metric_name;
    }
    if (!valid_utf8(help)) return error::invalid_help;
    for (std::size_t i = 0; i < labels.size(); ++i) {
      const std::string& l = labels[i];
      if (!valid_label_name(l)) return error::invalid_label_name;
      if (l.starts_with("__") || (type == metric_type::histogram && l == "le")) return error::reserved_label_name;
      if (std::find(labels.begin(), labels.begin() + static_cast<std::ptrdiff_t>(i), l) !=
          labels.begin() + static_cast<std::ptrdiff_t>(i)) {
        return error::duplicate_label_name;
      }
    }
    if (options.max_series == 0) return error::invalid_options;
    if (type == metric_type::histogram) {
      if (!bounds.empty() && std::isinf(bounds.back()) && bounds.back() > 0) bounds.pop_back();
      for (std::size_t i = 0; i < bounds.size(); ++i) {
        if (!std::isfinite(bounds[i]) || (i > 0 && !(bounds[i - 1] < bounds[i]))) return error::invalid_buckets;
      }
    }

    const std::lock_guard lock(mutex_);
    if (auto it = by_name_.find(base); it != by_name_.end()) {
      if (!callback && it->second->same_shape(type, labels, bounds)) return it->second.get();
      return error::conflicting_registration;
    }
    auto family = std::make_unique<family_impl>(type, base, help, std::move(labels), std::move(bounds), options,
                                                std::move(callback));
    family_impl* raw = family.get();
    by_name_.emplace(std::move(base), std::move(family));
    if (rejected_family_ != nullptr) {
      const counter_family rejected(rejected_family_);
      std::array<counter, 3> counters{};
      for (std::size_t r = 0; r < counters.size(); ++r) {
        auto c = rejected.with({std::string_view(raw->name()), reject_reason_names[r]});
        if (c) counters[r] = *c;
      }
      raw->set_reject_counters(counters);
    }
    return raw;
  }

  void add_hook(std::function<void()> hook) {
    const std::lock_guard lock(mutex_);
    hooks_.push_back(std::move(hook));
  }

  bool render_step(exposition_format format, std::string& out, render_progress& progress,
                   std::size_t budget) const {
    if (progress.done) return true;
    const std::lock_guard lock(mutex_);
    auto it = by_name_.begin();
    if (!progress.started) {
      for (const auto& hook : hooks_) hook();
      progress.started = true;
    } else {
      it = by_name_.upper_bound(progress.last_family);
    }
    std::size_t written = 0;
    for (; it != by_name_.end() && (written == 0 || written < budget); ++it) {
      written += it->second->render(format, out);
      progress.last_family = it->first;
    }
    if (it == by_name_.end()) {
      if (format == exposition_format::openmetrics) out += "# EOF\n";
      progress.done = true;
    }
    return progress.done;
  }

  std::vector<std::string> sample_names() const {
    std::vector<std::string> out;
    const std::lock_guard lock(mutex_);
    for (const auto& [name, family] : by_name_) family->sample_names(out);
    std::sort(out.begin(), out.end());
    return out;
  }

  std::size_t size() const {
    const std::lock_guard lock(mutex_);
    return by_name_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<family_impl>, std::less<>> by_name_;
  std::vector<std::function<void()>> hooks_;
  family_impl* rejected_family_ = nullptr;
};

}  // namespace detail

}  // namespace musicbot::metrics

namespace musicbot::metrics {

std::vector<double> default_buckets() { return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}; }

std::vector<double> linear_buckets(double start, double width, std::size_t count) {
  std::vector<double> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.push_back(start + width * static_cast<double>(i));
  return out;
}

std::vector<double> exponential_buckets(double start, double factor, std::size_t count) {
  std::vector<double> out;
  out.reserve(count);
  double v = start;
  for (std::size_t i = 0; i < count; ++i, v *= factor) out.push_back(v);
  return out;
}

registry::registry() : impl_(std::make_unique<detail::registry_impl>()) {}
registry::~registry() = default;

core::result<counter_family> registry::add_counter(std::string_view name, std::string_view help,
                                                   std::vector<std::string> label_names, family_options options) {
  auto f = impl_->add(metric_type::counter, name, help, std::move(label_names), {}, options, {});
  if (!f) return f.error();
  return counter_family(*f);
}

core::result<gauge_family> registry::add_gauge(std::string_view name, std::string_view help,
                                               std::vector<std::string> label_names, family_options options) {
  auto f = impl_->add(metric_type::gauge, name, help, std::move(label_names), {}, options, {});
  if (!f) return f.error();
  return gauge_family(*f);
}

core::result<histogram_family> registry::add_histogram(std::string_view name, std::string_view help,
                                                       std::vector<std::string> label_names,
                                                       std::vector<double> buckets, family_options options) {
  auto f = impl_->add(metric_type::histogram, name, help, std::move(label_names), std::move(buckets), options, {});
  if (!f) return f.error();
  return histogram_family(*f);
}

core::result<void> registry::add_callback_gauge(std::string_view name, std::string_view help,
                                                std::function<double()> read) {
  if (!read) return error::invalid_options;
  auto f = impl_->add(metric_type::gauge, name, help, {}, {}, {}, std::move(read));
  if (!f) return f.error();
  return {};
}

core::result<void> registry::add_callback_counter(std::string_view name, std::string_view help,
                                                  std::function<double()> read) {
  if (!read) return error::invalid_options;
  auto f = impl_->add(metric_type::counter, name, help, {}, {}, {}, std::move(read));
  if (!f) return f.error();
  return {};
}

void registry::add_collect_hook(std::function<void()> hook) {
  if (hook) impl_->add_hook(std::move(hook));
}

std::string registry::render(exposition_format format) const {
  std::string out;
  render_to(format, out);
  return out;
}

void registry::render_to(exposition_format format, std::string& out) const {
  render_progress progress;
  (void)impl_->render_step(format, out, progress, static_cast<std::size_t>(-1));
}

bool registry::render_step(exposition_format format, std::string& out, render_progress& progress,
                           std::size_t series_budget) const {
  return impl_->render_step(format, out, progress, series_budget);
}

std::vector<std::string> registry::sample_names() const { return impl_->sample_names(); }

std::size_t registry::family_count() const { return impl_->size(); }

}  // namespace musicbot::metrics
