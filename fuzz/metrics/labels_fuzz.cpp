// Fuzz target: arbitrary bytes as label values and as health reasons. Whatever
// is accepted must render into an exposition whose every line is a comment or
// a sample, with `# EOF` exactly once at the end of OpenMetrics output.
#include <musicbot/metrics/health.hpp>
#include <musicbot/metrics/registry.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace m = musicbot::metrics;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  m::registry reg;
  auto fam = reg.add_counter("fuzz_total", "Fuzz.", {"a", "b"}, m::family_options{.max_series = 8});
  if (!fam) std::abort();
  // Split the input at '|' into label values, two at a time.
  std::size_t start = 0;
  std::string_view parts[2];
  int n = 0;
  for (std::size_t i = 0; i <= input.size(); ++i) {
    if (i == input.size() || input[i] == '|') {
      parts[n++] = input.substr(start, i - start);
      start = i + 1;
      if (n == 2) {
        if (auto c = fam->with({parts[0], parts[1]})) c->inc();
        n = 0;
      }
    }
  }
  for (const auto format : {m::exposition_format::prometheus_text, m::exposition_format::openmetrics}) {
    const std::string text = reg.render(format);
    std::size_t pos = 0;
    while (pos < text.size()) {
      const std::size_t eol = text.find('\n', pos);
      if (eol == std::string::npos) std::abort();  // every line ends with \n
      const std::string_view line(text.data() + pos, eol - pos);
      if (line.empty()) std::abort();
      if (line[0] != '#' && !line.starts_with("fuzz_total") && !line.starts_with("musicbot_metrics_")) std::abort();
      pos = eol + 1;
    }
    const std::size_t eof = text.find("# EOF\n");
    if (format == m::exposition_format::openmetrics ? eof != text.size() - 6 : eof != std::string::npos) std::abort();
  }
  m::health_registry health;
  (void)health.set("fuzz", m::health_status::degraded, input);
  const std::string json = health.check().to_json();
  for (const char c : json) {
    if (static_cast<unsigned char>(c) < 0x20) std::abort();  // control characters are escaped
  }
  return 0;
}
