// Fuzz target: the /proc/self/stat and /proc/stat parsers of the process collector.
#include <musicbot/metrics/detail/proc_parse.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)musicbot::metrics::detail::parse_proc_stat(text);
  (void)musicbot::metrics::detail::parse_boot_time(text);
  return 0;
}
