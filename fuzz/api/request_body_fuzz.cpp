// Fuzzes the control API's request-body parsers: never crash, an accepted
// body always satisfies the documented ranges, a refused one always says
// why (at most 32 errors, field names at most 64 bytes), and applying an
// accepted settings patch leaves settings that pass queue::validate or
// reports why not without changing them.
#include <musicbot/api/requests.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

template <class T>
void check_errors(const musicbot::api::parse_result<T>& r) {
  if (r.value.has_value() != r.errors.empty()) std::abort();
  if (r.errors.size() > 32) std::abort();
  for (const auto& e : r.errors) {
    if (e.field.empty() || e.field.size() > 64 || e.message.empty()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace musicbot::api;
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  const auto q = parse_queue_request(body);
  check_errors(q);
  if (q && (q.value->query.empty() || q.value->query.size() > 512)) std::abort();

  const auto s = parse_seek_request(body);
  check_errors(s);
  if (s && (s.value->position.count() < 0 || s.value->position.count() > max_seek_ms)) std::abort();

  const auto v = parse_volume_request(body);
  check_errors(v);
  if (v && (v.value->volume < 0 || v.value->volume > 200)) std::abort();

  check_errors(parse_loop_request(body));
  check_errors(parse_autoplay_request(body));
  check_errors(parse_move_request(body));

  const auto p = parse_settings_patch(body);
  check_errors(p);
  if (p) {
    if (p.value->empty()) std::abort();
    musicbot::queue::guild_settings settings;
    settings.guild_id = 1;
    const auto before = settings;
    const auto errors = apply_settings_patch(settings, *p.value);
    if (errors.empty() ? !musicbot::queue::validate(settings) : !(settings == before)) std::abort();
  }
  return 0;
}
