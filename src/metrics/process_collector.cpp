// Process collector: /proc/self/stat, /proc/stat (btime), /proc/self/fd,
// getrlimit(RLIMIT_NOFILE).

#include <musicbot/metrics/detail/proc_parse.hpp>
#include <musicbot/metrics/process_collector.hpp>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>

#if defined(__linux__)
#include <sys/resource.h>
#include <unistd.h>
#endif

namespace musicbot::metrics {
namespace detail {
namespace {

std::optional<std::uint64_t> parse_u64(std::string_view s) noexcept {
  std::uint64_t v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc{} || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<proc_stat_fields> parse_proc_stat(std::string_view text) noexcept {
  const std::size_t close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = text.substr(close + 1);
  // Tokens after ')' start at field 3; we need fields 14, 15, 22, 23, 24.
  proc_stat_fields out;
  int field = 3;
  while (field <= 24) {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\n')) rest.remove_prefix(1);
    if (rest.empty()) return std::nullopt;
    std::size_t end = rest.find_first_of(" \n");
    if (end == std::string_view::npos) end = rest.size();
    const std::string_view token = rest.substr(0, end);
    rest.remove_prefix(end);
    std::uint64_t* target = nullptr;
    switch (field) {
      case 14: target = &out.utime_ticks; break;
      case 15: target = &out.stime_ticks; break;
      case 22: target = &out.starttime_ticks; break;
      case 23: target = &out.vsize_bytes; break;
      case 24: target = &out.rss_pages; break;
      default: break;
    }
    if (target != nullptr) {
      const auto v = parse_u64(token);
      if (!v) return std::nullopt;
      *target = *v;
    }
    ++field;
  }
  return out;
}

std::optional<std::uint64_t> parse_boot_time(std::string_view proc_stat) noexcept {
  std::string_view rest = proc_stat;
  while (!rest.empty()) {
    std::size_t end = rest.find('\n');
    if (end == std::string_view::npos) end = rest.size();
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == rest.size() ? end : end + 1);
    if (line.starts_with("btime ")) {
      line.remove_prefix(6);
      while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
      return parse_u64(line);
    }
  }
  return std::nullopt;
}

}  // namespace detail

namespace {

#if defined(__linux__)
std::string read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  // /proc files report size 0: read until EOF, bounded.
  std::string text;
  char buf[4096];
  while (in && text.size() < (1U << 20U)) {
    in.read(buf, sizeof buf);
    text.append(buf, static_cast<std::size_t>(in.gcount()));
  }
  return text;
}
#endif

}  // namespace

process_stats read_process_stats() {
  process_stats s;
#if defined(__linux__)
  const auto stat = detail::parse_proc_stat(read_file("/proc/self/stat"));
  if (!stat) return s;
  const long ticks = ::sysconf(_SC_CLK_TCK);
  const long page = ::sysconf(_SC_PAGESIZE);
  const double tick_seconds = ticks > 0 ? 1.0 / static_cast<double>(ticks) : 0.01;
  s.cpu_seconds = static_cast<double>(stat->utime_ticks + stat->stime_ticks) * tick_seconds;
  s.virtual_bytes = static_cast<double>(stat->vsize_bytes);
  s.resident_bytes = static_cast<double>(stat->rss_pages) * static_cast<double>(page > 0 ? page : 4096);
  if (const auto boot = detail::parse_boot_time(read_file("/proc/stat"))) {
    s.start_time_seconds = static_cast<double>(*boot) + static_cast<double>(stat->starttime_ticks) * tick_seconds;
  }
  std::error_code ec;
  std::size_t fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++fds;
  s.open_fds = static_cast<double>(fds);
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    s.max_fds = limit.rlim_cur == RLIM_INFINITY ? 0.0 : static_cast<double>(limit.rlim_cur);
  }
  s.available = true;
#endif
  return s;
}

core::result<void> register_process_collector(registry& reg) {
  struct shared_stats {
    std::mutex mutex;
    process_stats stats;
  };
  auto shared = std::make_shared<shared_stats>();
  const auto field = [shared](double process_stats::*member) {
    return [shared, member] {
      const std::lock_guard lock(shared->mutex);
      return shared->stats.*member;
    };
  };
  struct def {
    const char* name;
    const char* help;
    double process_stats::*member;
    bool counter;
  };
  const def defs[] = {
      {"process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", &process_stats::cpu_seconds, true},
      {"process_resident_memory_bytes", "Resident memory size in bytes.", &process_stats::resident_bytes, false},
      {"process_virtual_memory_bytes", "Virtual memory size in bytes.", &process_stats::virtual_bytes, false},
      {"process_open_fds", "Number of open file descriptors.", &process_stats::open_fds, false},
      {"process_max_fds", "Maximum number of open file descriptors.", &process_stats::max_fds, false},
      {"process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
       &process_stats::start_time_seconds, false},
  };
  for (const auto& d : defs) {
    auto r = d.counter ? reg.add_callback_counter(d.name, d.help, field(d.member))
                       : reg.add_callback_gauge(d.name, d.help, field(d.member));
    if (!r) return r;
  }
  reg.add_collect_hook([shared] {
    process_stats fresh = read_process_stats();
    const std::lock_guard lock(shared->mutex);
    shared->stats = fresh;
  });
  return {};
}

}  // namespace musicbot::metrics
