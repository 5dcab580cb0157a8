// Fuzzes the backplane's invalidation message decoder: arbitrary bytes must
// give a message or std::nullopt, never crash, and a decoded message must
// survive a re-encode/decode round trip unchanged.
#include <musicbot/cache/l2.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto m = musicbot::cache::decode_invalidation(text);
  if (!m) return 0;
  const auto again = musicbot::cache::decode_invalidation(musicbot::cache::encode_invalidation(*m));
  if (!again || again->cache != m->cache || again->origin != m->origin || again->target != m->target ||
      again->what != m->what) {
    std::abort();
  }
  return 0;
}
