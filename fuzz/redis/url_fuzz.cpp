// Arbitrary text -> parse_url -> redacted_url (the password is always masked).
#include <musicbot/redis/config.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = musicbot::redis::parse_url(text);
  if (!parsed) {
    (void)parsed.error().message();
    return 0;
  }
  const auto& cfg = parsed.value();
  const auto shown = musicbot::redis::redacted_url(cfg);
  // A password is always rendered masked.
  if (!cfg.password.empty() && shown.find(":***@") == std::string::npos) std::abort();
  return 0;
}
