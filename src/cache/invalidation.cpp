#include <musicbot/cache/l2.hpp>

#include <charconv>
#include <string>

namespace musicbot::cache {
namespace {

void put_field(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
}

// Reads "<len>:<bytes>" from the front of `text`.
std::optional<std::string_view> take_field(std::string_view& text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 6) return std::nullopt;
  std::size_t len = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + colon, len);
  if (ec != std::errc{} || end != text.data() + colon) return std::nullopt;
  text.remove_prefix(colon + 1);
  if (len > text.size()) return std::nullopt;
  const std::string_view field = text.substr(0, len);
  text.remove_prefix(len);
  return field;
}

}  // namespace

std::string encode_invalidation(const invalidation& m) {
  std::string out = "I1";
  switch (m.what) {
    case invalidation::kind::key: out += 'k'; break;
    case invalidation::kind::tag: out += 't'; break;
    case invalidation::kind::all: out += 'a'; break;
  }
  put_field(out, m.cache);
  put_field(out, m.origin);
  out += m.target;
  return out;
}

std::optional<invalidation> decode_invalidation(std::string_view text) {
  if (text.size() > max_invalidation_size || text.size() < 3 || text.substr(0, 2) != "I1") return std::nullopt;
  invalidation m;
  switch (text[2]) {
    case 'k': m.what = invalidation::kind::key; break;
    case 't': m.what = invalidation::kind::tag; break;
    case 'a': m.what = invalidation::kind::all; break;
    default: return std::nullopt;
  }
  text.remove_prefix(3);
  const auto cache = take_field(text);
  if (!cache) return std::nullopt;
  const auto origin = take_field(text);
  if (!origin) return std::nullopt;
  m.cache = std::string(*cache);
  m.origin = std::string(*origin);
  m.target = std::string(text);
  return m;
}

}  // namespace musicbot::cache
