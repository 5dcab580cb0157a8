#pragma once
// Parsers for Linux /proc text used by the process collector (exposed in
// detail for the unit tests and the fuzz target).

#include <cstdint>
#include <optional>
#include <string_view>

namespace musicbot::metrics::detail {

struct proc_stat_fields {
  std::uint64_t utime_ticks = 0;      // field 14
  std::uint64_t stime_ticks = 0;      // field 15
  std::uint64_t starttime_ticks = 0;  // field 22, since boot
  std::uint64_t vsize_bytes = 0;      // field 23
  std::uint64_t rss_pages = 0;        // field 24
};

// Parses the text of /proc/<pid>/stat. The command name (field 2) is in
// parentheses and may itself contain spaces and parentheses, so fields are
// counted from the last ')'.
std::optional<proc_stat_fields> parse_proc_stat(std::string_view text) noexcept;

// The `btime` (boot time, seconds since the epoch) line of /proc/stat.
std::optional<std::uint64_t> parse_boot_time(std::string_view proc_stat) noexcept;

}  // namespace musicbot::metrics::detail
