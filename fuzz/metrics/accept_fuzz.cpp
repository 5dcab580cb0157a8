// Fuzz target: Accept header negotiation (linear, never throws, always
// returns one of the two formats).
#include <musicbot/metrics/exposition.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view accept(reinterpret_cast<const char*>(data), size);
  const auto format = musicbot::metrics::negotiate_format(accept);
  if (format != musicbot::metrics::exposition_format::prometheus_text &&
      format != musicbot::metrics::exposition_format::openmetrics) {
    std::abort();
  }
  return 0;
}
