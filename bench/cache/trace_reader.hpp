#pragma once
// Reads a key trace: one decimal (optionally negative) key per line, plain
// text or gzip (zlib's gzopen reads both). Shared by the simulator and the
// benchmark.

#include <zlib.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace musicbot_bench {

// Appends the trace's keys to `keys`; on error prints a message to stderr
// and returns false.
inline bool read_trace(const char* path, std::vector<std::uint64_t>& keys) {
  gzFile file = gzopen(path, "rb");
  if (file == nullptr) {
    std::fprintf(stderr, "cannot open %s\n", path);
    return false;
  }
  gzbuffer(file, 1U << 20U);
  char line[128];
  std::size_t line_no = 0;
  while (gzgets(file, line, sizeof line) != nullptr) {
    ++line_no;
    std::size_t len = std::strlen(line);
    if (len == sizeof line - 1 && line[len - 1] != '\n') {
      std::fprintf(stderr, "%s:%zu: line too long\n", path, line_no);
      gzclose(file);
      return false;
    }
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ')) --len;
    if (len == 0) continue;
    // Keys are signed in the cache2k traces (32-bit ints); any 64-bit
    // integer is accepted and only its bit pattern matters.
    std::int64_t key = 0;
    const auto [end, ec] = std::from_chars(line, line + len, key);
    if (ec != std::errc{} || end != line + len) {
      std::fprintf(stderr, "%s:%zu: not a decimal key\n", path, line_no);
      gzclose(file);
      return false;
    }
    keys.push_back(static_cast<std::uint64_t>(key));
  }
  int err = 0;
  const char* msg = gzerror(file, &err);
  const std::string message = msg != nullptr ? msg : "";
  gzclose(file);
  if (err != Z_OK && err != Z_STREAM_END) {
    std::fprintf(stderr, "%s: read error: %s\n", path, message.c_str());
    return false;
  }
  return true;
}

}  // namespace musicbot_bench
