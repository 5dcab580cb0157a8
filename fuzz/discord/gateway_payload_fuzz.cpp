// Fuzz target: gateway payload parsing (envelope + typed events), both with
// the caller's buffer padded (in place) and unpadded (copied).
#include "musicbot/discord/gateway_payload.hpp"
#include "musicbot/discord/zlib_stream.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static musicbot::discord::gateway_parser parser(std::size_t{1} << 20);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  musicbot::discord::gateway_payload out;
  (void)parser.parse_into(text, out);
  std::string padded(text);
  padded.append(musicbot::discord::json_padding, '\0');
  (void)parser.parse_into(std::string_view(padded.data(), size), out, padded.size());
  return 0;
}
