// Fuzzes the user-input validators of musicbot::queue: snowflakes, search
// queries, track URLs and IP literals. Checks invariants, not just "no crash".
#include <musicbot/queue/validation.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace musicbot::queue;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::chrono::system_clock::time_point now{std::chrono::seconds(1'704'067'200)};

  if (auto id = parse_snowflake(input, now)) {
    require(std::to_string(*id) == input);  // canonical form only
  }

  if (auto q = clean_search_query(input)) {
    require(q->size() <= input.size() + 16);
    for (char c : *q) require(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
    require(clean_search_query(*q).value_or("") == *q);  // cleaning is idempotent
  }

  if (auto url = validate_track_url(input)) {
    require(url->scheme == "http" || url->scheme == "https");
    require(url->host.find('@') == std::string::npos);
    require(url->url.size() <= input.size());
    auto again = validate_track_url(url->url);  // the normalised URL passes too
    require(again && again->url == url->url);
    if (auto v4 = parse_ipv4_any(url->host)) require(!is_forbidden_address(*v4));
    if (auto v6 = parse_ipv6(url->host)) require(!is_forbidden_address(*v6));
  }

  (void)parse_ipv4_any(input);
  (void)parse_ipv6(input);
  (void)parse_play_input(input);
  return 0;
}
