// Fuzz target: the zlib-stream inflater. The input is cut into frames at
// every occurrence of the suffix 00 00 ff ff (kept with the frame) and, inside
// a frame, at a length taken from the first byte, so splits are exercised.
#include "musicbot/discord/zlib_stream.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = std::size_t{data[0]} * 16 + 1;
  musicbot::discord::zlib_stream_inflater inflater(std::size_t{4} << 20);
  std::span<const std::uint8_t> rest(data + 1, size - 1);
  while (!rest.empty()) {
    std::size_t n = rest.size();
    for (std::size_t i = 3; i < rest.size(); ++i) {
      if (rest[i - 3] == 0 && rest[i - 2] == 0 && rest[i - 1] == 0xff && rest[i] == 0xff) {
        n = i + 1;
        break;
      }
    }
    if (n > chunk) n = chunk;
    auto r = inflater.feed(rest.first(n));
    if (!r) inflater.reset();
    rest = rest.subspan(n);
  }
  return 0;
}
