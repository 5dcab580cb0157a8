// Arbitrary bytes -> reply_parser (hiredis reader) -> every conversion.
// The first byte picks a chunk size so feeds split replies at every point.
#include <musicbot/redis/reply_parser.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

void convert_everything(const musicbot::redis::reply& r, int depth) {
  namespace redis = musicbot::redis;
  (void)redis::to_integer(r);
  (void)redis::to_string(r);
  (void)redis::to_optional_string(r);
  (void)redis::to_ok(r);
  (void)redis::to_integers(r);
  (void)redis::reply_error(r);
  (void)redis::to_debug_string(r);
  if (depth < 16) {
    for (const auto& e : r.elements()) convert_everything(e, depth + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = static_cast<std::size_t>(data[0] % 17) + 1;
  // Small limits so the size checks are exercised too.
  musicbot::redis::reply_parser parser({.max_reply_bytes = 4096, .max_reply_elements = 256});
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  for (std::size_t pos = 0; pos < input.size(); pos += chunk) {
    if (parser.feed(input.substr(pos, chunk))) return 0;
    for (int guard = 0; guard < 100000; ++guard) {
      auto next = parser.next();
      if (!next) return 0;  // protocol error / too large: the connection would drop
      if (!*next) break;
      convert_everything(**next, 0);
    }
  }
  return 0;
}
