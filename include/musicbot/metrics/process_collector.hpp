#pragma once
/// @file
/// Process metrics with the names the Prometheus client libraries use:
/// `process_resident_memory_bytes`, `process_virtual_memory_bytes`,
/// `process_cpu_seconds_total`, `process_open_fds`, `process_max_fds`,
/// `process_start_time_seconds`.

#include <musicbot/core/result.hpp>
#include <musicbot/metrics/registry.hpp>

namespace musicbot::metrics {

/// One reading of the current process' resources.
struct process_stats {
  double cpu_seconds = 0;          ///< user + system CPU time
  double resident_bytes = 0;       ///< resident set size
  double virtual_bytes = 0;        ///< virtual memory size
  double open_fds = 0;             ///< open file descriptors
  double max_fds = 0;              ///< soft limit on open file descriptors
  double start_time_seconds = 0;   ///< process start, seconds since the Unix epoch
  bool available = false;          ///< false where /proc could not be read (non-Linux)
};

/// Reads /proc/self (Linux). Elsewhere, or if /proc is unreadable, returns
/// zeros with `available == false`. Costs a few small file reads.
[[nodiscard]] process_stats read_process_stats();

/// Registers the six process metrics in `reg`; they are read from /proc once
/// per render. Errors: conflicting_registration if already registered.
core::result<void> register_process_collector(registry& reg);

}  // namespace musicbot::metrics
