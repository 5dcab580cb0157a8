#pragma once
/// @file
/// `musicbot::metrics::registry`: metric families with fixed label names and
/// a bounded number of series, rendered as Prometheus text or OpenMetrics.

#include <musicbot/core/result.hpp>
#include <musicbot/metrics/error.hpp>
#include <musicbot/metrics/exposition.hpp>
#include <musicbot/metrics/metric.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace musicbot::metrics {

namespace detail {
class family_impl;
class registry_impl;
// Finds or creates the series with these label values; returns its cell.
core::result<void*> family_series(family_impl* family, std::span<const std::string_view> values);
std::string_view family_name(const family_impl* family) noexcept;
std::size_t family_series_count(const family_impl* family) noexcept;
std::uint64_t family_rejected_count(const family_impl* family) noexcept;
}  // namespace detail

/// The kinds of metric a registry holds.
enum class metric_type {
  counter,    ///< monotonically increasing total, exposed with a `_total` suffix
  gauge,      ///< value that goes up and down
  histogram,  ///< observations in cumulative buckets with `_bucket`, `_count`, `_sum`
};

/// Limits of one family.
struct family_options {
  /// Maximum number of distinct label value combinations. A new combination
  /// past it is refused with error::series_limit_reached and counted in
  /// `musicbot_metrics_series_rejected_total`.
  std::size_t max_series = 1000;
  /// Maximum length of one label value in bytes.
  std::size_t max_label_value_size = 256;
};

/// A metric family: one name, fixed label names, up to `max_series` series.
/// `with(values)` returns the handle of one series (creating it on first
/// use); keep the handle instead of calling `with` on the hot path.
///
/// A family handle is a cheap pointer to state owned by the registry; copies
/// refer to the same family. A default-constructed family is empty and
/// `with` returns error::invalid_family.
///
/// @par Thread safety
/// All member functions may be called concurrently; `with` takes the
/// family's mutex (it is not meant for the hot path).
template <class Handle>
class family {
 public:
  /// An empty family handle.
  family() = default;

  /// The series for `values` (one value per label name, in order).
  /// Errors: label_count_mismatch, invalid_label_value, series_limit_reached,
  /// invalid_family. Every error is counted; none changes the exposition.
  [[nodiscard]] core::result<Handle> with(std::span<const std::string_view> values) const {
    if (impl_ == nullptr) return error::invalid_family;
    auto cell = detail::family_series(impl_, values);
    if (!cell) return cell.error();
    return Handle(static_cast<cell_type*>(*cell));
  }
  /// @copydoc with(std::span<const std::string_view>) const
  [[nodiscard]] core::result<Handle> with(std::initializer_list<std::string_view> values) const {
    return with(std::span<const std::string_view>(values.begin(), values.size()));
  }
  /// @copydoc with(std::span<const std::string_view>) const
  [[nodiscard]] core::result<Handle> with(const std::vector<std::string>& values) const {
    std::vector<std::string_view> views(values.begin(), values.end());
    return with(std::span<const std::string_view>(views));
  }

  /// The family name (for counters, without the `_total` suffix).
  [[nodiscard]] std::string_view name() const noexcept {
    return impl_ == nullptr ? std::string_view{} : detail::family_name(impl_);
  }
  /// Number of series created so far.
  [[nodiscard]] std::size_t series_count() const noexcept {
    return impl_ == nullptr ? 0 : detail::family_series_count(impl_);
  }
  /// Number of `with` calls refused so far (any reason).
  [[nodiscard]] std::uint64_t rejected_count() const noexcept {
    return impl_ == nullptr ? 0 : detail::family_rejected_count(impl_);
  }
  /// False for a default-constructed handle.
  [[nodiscard]] bool valid() const noexcept { return impl_ != nullptr; }

 private:
  friend class registry;
  friend class detail::registry_impl;
  using cell_type = std::conditional_t<
      std::is_same_v<Handle, counter>, detail::counter_cell,
      std::conditional_t<std::is_same_v<Handle, gauge>, detail::gauge_cell, detail::histogram_cell>>;
  explicit family(detail::family_impl* impl) noexcept : impl_(impl) {}
  detail::family_impl* impl_ = nullptr;
};

using counter_family = family<counter>;      ///< A family of counters.
using gauge_family = family<gauge>;          ///< A family of gauges.
using histogram_family = family<histogram>;  ///< A family of histograms.

/// Prometheus' default buckets: .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10 (seconds).
[[nodiscard]] std::vector<double> default_buckets();
/// `count` buckets `start, start+width, ...`.
[[nodiscard]] std::vector<double> linear_buckets(double start, double width, std::size_t count);
/// `count` buckets `start, start*factor, ...` (`start > 0`, `factor > 1`).
[[nodiscard]] std::vector<double> exponential_buckets(double start, double factor, std::size_t count);

/// Where an incremental render (registry::render_step) stopped.
/// Start with a default-constructed value; do not modify it between steps.
struct render_progress {
  std::string last_family;  ///< name of the last family rendered so far
  bool started = false;     ///< true once the first step ran (collect hooks ran)
  bool done = false;        ///< true once every family and the trailer were written
};

/// Owns metric families and renders them.
///
/// Names follow Prometheus rules: metric names `[a-zA-Z_:][a-zA-Z0-9_:]*`
/// not ending in `_total`, `_count`, `_sum`, `_bucket`, `_created`, `_info`
/// (except that a counter name may end in `_total`, which is stripped to
/// form the family name); label names `[a-zA-Z_][a-zA-Z0-9_]*`, not starting
/// with `__`, and not `le` on a histogram. Registering the same name again
/// with the same type, labels and buckets returns the existing family;
/// anything else is error::conflicting_registration.
///
/// Every registry also holds `musicbot_metrics_series_rejected_total{family,reason}`
/// (reason: `limit`, `invalid_value`, `label_count`).
///
/// The registry must outlive every family and handle taken from it.
///
/// @par Thread safety
/// All member functions may be called concurrently. Registration and
/// rendering take mutexes; handle updates never do. Callbacks and collect
/// hooks run inside `render` and must not call back into the registry.
class registry {
 public:
  /// An empty registry (plus its own rejected-series counter).
  registry();
  /// Destroys all families; outstanding handles become dangling.
  ~registry();
  registry(const registry&) = delete;             ///< Not copyable (handles point into it).
  registry& operator=(const registry&) = delete;  ///< Not copyable.

  /// Registers (or finds) a counter family. `name` may end in `_total`.
  [[nodiscard]] core::result<counter_family> add_counter(std::string_view name, std::string_view help,
                                                         std::vector<std::string> label_names = {},
                                                         family_options options = {});
  /// Registers (or finds) a gauge family.
  [[nodiscard]] core::result<gauge_family> add_gauge(std::string_view name, std::string_view help,
                                                     std::vector<std::string> label_names = {},
                                                     family_options options = {});
  /// Registers (or finds) a histogram family with finite, strictly
  /// increasing `buckets` (a trailing +Inf is accepted and ignored).
  [[nodiscard]] core::result<histogram_family> add_histogram(std::string_view name, std::string_view help,
                                                             std::vector<std::string> label_names,
                                                             std::vector<double> buckets,
                                                             family_options options = {});

  /// Registers an unlabelled gauge whose value `read` returns at each render.
  [[nodiscard]] core::result<void> add_callback_gauge(std::string_view name, std::string_view help,
                                                      std::function<double()> read);
  /// Registers an unlabelled counter whose total `read` returns at each
  /// render (for totals kept elsewhere, e.g. CPU time).
  [[nodiscard]] core::result<void> add_callback_counter(std::string_view name, std::string_view help,
                                                        std::function<double()> read);
  /// Adds a function run at the start of every render (before callbacks),
  /// e.g. to read /proc once for several callback metrics.
  void add_collect_hook(std::function<void()> hook);

  /// Renders every family with at least one series, sorted by name.
  [[nodiscard]] std::string render(exposition_format format) const;
  /// Renders into `out` (appending), reusing its capacity.
  void render_to(exposition_format format, std::string& out) const;
  /// Renders the next families (in name order, each one whole) into `out`
  /// until at least `series_budget` series were written or none is left.
  /// Returns `progress.done`. Lets a server yield to its event loop between
  /// steps instead of holding it for a whole large exposition. Families
  /// registered meanwhile are included if their name sorts after the cursor.
  bool render_step(exposition_format format, std::string& out, render_progress& progress,
                   std::size_t series_budget) const;

  /// Every sample name the registry can expose (`x_total`, `h_bucket`,
  /// `h_count`, `h_sum`, gauges as is), sorted; for checking dashboards.
  [[nodiscard]] std::vector<std::string> sample_names() const;
  /// Number of families (including the registry's own).
  [[nodiscard]] std::size_t family_count() const;

 private:
  std::unique_ptr<detail::registry_impl> impl_;
};

}  // namespace musicbot::metrics
