// Fuzzes the track decoder: any input must give a track or an error, and a
// decoded track must re-encode and decode to the same fields.
#include <musicbot/lavalink/track_codec.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto decoded = musicbot::lavalink::decode_track(text);
  if (!decoded) return 0;
  auto encoded = musicbot::lavalink::encode_track(*decoded);
  if (!encoded) return 0;  // e.g. a lone-surrogate string that is not valid WTF-8
  auto again = musicbot::lavalink::decode_track(*encoded);
  if (!again || !(*again == *decoded)) std::abort();
  return 0;
}
