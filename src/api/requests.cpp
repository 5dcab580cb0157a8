// Request bodies of the control API: one table-driven walk over a JSON
// object with simdjson on-demand, collecting every bad field.
#include <musicbot/api/requests.hpp>

#include <musicbot/queue/music_queue.hpp>
#include <musicbot/queue/validation.hpp>

#include <simdjson.h>

#include <array>
#include <span>

namespace musicbot::api {
namespace {

namespace od = simdjson::ondemand;

/// Most errors reported for one body (a hostile body cannot grow the reply).
constexpr std::size_t max_errors = 32;
/// Longest field name echoed back in an error.
constexpr std::size_t max_echoed_name = 64;

enum class kind { string, integer, boolean, id_or_null, loop };

struct field_spec {
  std::string_view name;
  kind type = kind::string;
  bool required = false;
  std::int64_t min = 0;        // integers: inclusive range; strings: length range
  std::int64_t max = 0;
  std::string_view message;    // what a bad value is told
};

struct field_value {
  bool present = false;
  bool is_null = false;
  std::string text;
  std::int64_t number = 0;
  bool flag = false;
  std::uint64_t id = 0;
  queue::loop_mode loop = queue::loop_mode::off;
};

void add_error(std::vector<field_error>& errors, std::string_view field, std::string_view message) {
  if (errors.size() >= max_errors) return;
  // Cut a long name on a UTF-8 character boundary (the body is valid UTF-8,
  // so the echoed name must stay valid too).
  std::size_t length = field.size();
  if (length > max_echoed_name) {
    length = max_echoed_name;
    while (length > 0 && (static_cast<unsigned char>(field[length]) & 0xC0U) == 0x80U) --length;
  }
  std::string name(field.substr(0, length));
  for (char& c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  }
  errors.push_back({std::move(name), std::string(message)});
}

bool valid_utf8_text(std::string_view s) noexcept {
  if (!simdjson::validate_utf8(s.data(), s.size())) return false;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return false;
  }
  return true;
}

// Reads one value of `spec`'s type; false (with an error added) if it is not.
bool read_value(od::value value, const field_spec& spec, field_value& out, std::vector<field_error>& errors) {
  switch (spec.type) {
    case kind::string: {
      std::string_view s;
      if (value.get_string().get(s) != simdjson::SUCCESS) break;
      if (static_cast<std::int64_t>(s.size()) < spec.min || static_cast<std::int64_t>(s.size()) > spec.max ||
          !valid_utf8_text(s)) {
        break;
      }
      out.text.assign(s);
      return true;
    }
    case kind::integer: {
      std::int64_t n = 0;
      if (value.get_int64().get(n) != simdjson::SUCCESS || n < spec.min || n > spec.max) break;
      out.number = n;
      return true;
    }
    case kind::boolean: {
      bool b = false;
      if (value.get_bool().get(b) != simdjson::SUCCESS) break;
      out.flag = b;
      return true;
    }
    case kind::id_or_null: {
      bool null = false;
      if (value.is_null().get(null) == simdjson::SUCCESS && null) {
        out.is_null = true;
        return true;
      }
      std::string_view s;
      if (value.get_string().get(s) != simdjson::SUCCESS) break;
      auto id = queue::parse_snowflake(s, std::chrono::system_clock::now());
      if (!id) break;
      out.id = *id;
      return true;
    }
    case kind::loop: {
      std::string_view s;
      if (value.get_string().get(s) != simdjson::SUCCESS) break;
      auto mode = queue::parse_loop_mode(s);
      if (!mode) break;
      out.loop = *mode;
      return true;
    }
  }
  add_error(errors, spec.name, spec.message);
  return false;
}

// Walks `body` as one JSON object of the fields in `specs`. Values land in
// `values` (same order as `specs`); every problem in `errors`.
void parse_object(std::string_view body, std::span<const field_spec> specs, std::span<field_value> values,
                  std::vector<field_error>& errors) {
  const simdjson::padded_string padded(body);
  // One parser per thread keeps its buffers between requests (bodies are
  // small and bounded by the server's body limit).
  thread_local od::parser parser;
  od::document doc;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS) {
    add_error(errors, "body", "is not valid JSON");
    return;
  }
  od::object object;
  if (doc.get_object().get(object) != simdjson::SUCCESS) {
    add_error(errors, "body", "must be a JSON object");
    return;
  }
  for (auto field_result : object) {
    od::field field;
    if (std::move(field_result).get(field) != simdjson::SUCCESS) {
      add_error(errors, "body", "is not valid JSON");
      return;
    }
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
      add_error(errors, "body", "is not valid JSON");
      return;
    }
    std::size_t index = specs.size();
    for (std::size_t i = 0; i < specs.size(); ++i) {
      if (specs[i].name == key) index = i;
    }
    if (index == specs.size()) {
      // An empty key has no name to echo: an error with an empty field would
      // not say where the problem is.
      if (key.empty()) {
        add_error(errors, "body", "has a field with an empty name");
      } else {
        add_error(errors, key, "is not a known field");
      }
      continue;
    }
    if (values[index].present) {
      add_error(errors, key, "is given more than once");
      continue;
    }
    values[index].present = true;
    (void)read_value(field.value(), specs[index], values[index], errors);
  }
  // OUT_OF_BOUNDS: the iterator is past the last token, nothing follows.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    add_error(errors, "body", "has content after the JSON object");
    return;
  }
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].required && !values[i].present) add_error(errors, specs[i].name, "is required");
  }
}

template <class T, std::size_t N, class Build>
parse_result<T> parse_with(std::string_view body, const std::array<field_spec, N>& specs, Build build) {
  parse_result<T> out;
  std::array<field_value, N> values{};
  parse_object(body, specs, values, out.errors);
  if (out.errors.empty()) out.value = build(values);
  return out;
}

constexpr std::int64_t max_position = static_cast<std::int64_t>(queue::queue_limits::hard_max_length);

}  // namespace

parse_result<queue_request> parse_queue_request(std::string_view body) {
  static constexpr std::array specs{
      field_spec{"query", kind::string, true, 1, 512, "must be a string of 1-512 bytes without control characters"}};
  return parse_with<queue_request>(body, specs, [](auto& v) { return queue_request{std::move(v[0].text)}; });
}

parse_result<seek_request> parse_seek_request(std::string_view body) {
  static constexpr std::array specs{
      field_spec{"position_ms", kind::integer, true, 0, max_seek_ms, "must be an integer 0-86400000"}};
  return parse_with<seek_request>(body, specs,
                                  [](auto& v) { return seek_request{std::chrono::milliseconds(v[0].number)}; });
}

parse_result<volume_request> parse_volume_request(std::string_view body) {
  static constexpr std::array specs{field_spec{"volume", kind::integer, true, queue::guild_settings::min_volume,
                                               queue::guild_settings::max_volume, "must be an integer 0-200"}};
  return parse_with<volume_request>(body, specs,
                                    [](auto& v) { return volume_request{static_cast<int>(v[0].number)}; });
}

parse_result<loop_request> parse_loop_request(std::string_view body) {
  static constexpr std::array specs{
      field_spec{"mode", kind::loop, true, 0, 0, "must be one of \"off\", \"track\", \"queue\""}};
  return parse_with<loop_request>(body, specs, [](auto& v) { return loop_request{v[0].loop}; });
}

parse_result<autoplay_request> parse_autoplay_request(std::string_view body) {
  static constexpr std::array specs{field_spec{"enabled", kind::boolean, true, 0, 0, "must be true or false"}};
  return parse_with<autoplay_request>(body, specs, [](auto& v) { return autoplay_request{v[0].flag}; });
}

parse_result<move_request> parse_move_request(std::string_view body) {
  static constexpr std::array specs{
      field_spec{"from", kind::integer, true, 0, max_position - 1, "must be a queue position (integer >= 0)"},
      field_spec{"to", kind::integer, true, 0, max_position - 1, "must be a queue position (integer >= 0)"}};
  return parse_with<move_request>(body, specs, [](auto& v) {
    return move_request{static_cast<std::size_t>(v[0].number), static_cast<std::size_t>(v[1].number)};
  });
}

parse_result<settings_patch> parse_settings_patch(std::string_view body) {
  static constexpr std::array specs{
      field_spec{"volume", kind::integer, false, queue::guild_settings::min_volume, queue::guild_settings::max_volume,
                 "must be an integer 0-200"},
      field_spec{"loop", kind::loop, false, 0, 0, "must be one of \"off\", \"track\", \"queue\""},
      field_spec{"autoplay", kind::boolean, false, 0, 0, "must be true or false"},
      field_spec{"automix", kind::boolean, false, 0, 0, "must be true or false"},
      field_spec{"dj_role_id", kind::id_or_null, false, 0, 0, "must be a Discord id as a string, or null"},
      field_spec{"announce_channel_id", kind::id_or_null, false, 0, 0, "must be a Discord id as a string, or null"},
      field_spec{"max_queue_length", kind::integer, false, 1, max_position,
                 "must be an integer 1-100000"},
      field_spec{"max_per_user", kind::integer, false, 0, max_position, "must be an integer 0-100000"},
  };
  auto out = parse_with<settings_patch>(body, specs, [](auto& v) {
    settings_patch p;
    const auto id_of = [](const field_value& f) -> std::optional<std::uint64_t> {
      if (f.is_null) return std::nullopt;
      return f.id;
    };
    if (v[0].present) p.volume = static_cast<int>(v[0].number);
    if (v[1].present) p.loop = v[1].loop;
    if (v[2].present) p.autoplay = v[2].flag;
    if (v[3].present) p.automix = v[3].flag;
    if (v[4].present) p.dj_role_id = id_of(v[4]);
    if (v[5].present) p.announce_channel_id = id_of(v[5]);
    if (v[6].present) p.max_queue_length = static_cast<std::size_t>(v[6].number);
    if (v[7].present) p.max_per_user = static_cast<std::size_t>(v[7].number);
    return p;
  });
  if (out.value && out.value->empty()) {
    out.value.reset();
    add_error(out.errors, "body", "must set at least one setting");
  }
  return out;
}

std::vector<field_error> apply_settings_patch(queue::guild_settings& settings, const settings_patch& patch) {
  std::vector<field_error> errors;
  queue::guild_settings next = settings;
  if (patch.volume && !queue::set_volume(next, *patch.volume)) add_error(errors, "volume", "must be an integer 0-200");
  // Switching one of loop/autoplay off before the other on lets one patch
  // swap them; turning both on is refused by the rules.
  const bool autoplay_first = patch.autoplay && !*patch.autoplay;
  if (autoplay_first && !queue::set_autoplay(next, false)) add_error(errors, "autoplay", "cannot be changed");
  if (patch.loop && !queue::set_loop(next, *patch.loop)) {
    add_error(errors, "loop", "cannot be on while autoplay is on (turn autoplay off first)");
  }
  if (patch.autoplay && !autoplay_first && !queue::set_autoplay(next, *patch.autoplay)) {
    add_error(errors, "autoplay", "cannot be on while loop is on (set loop to \"off\" first)");
  }
  if (patch.automix) next.automix = *patch.automix;
  if (patch.dj_role_id) next.dj_role_id = *patch.dj_role_id;
  if (patch.announce_channel_id) next.announce_channel_id = *patch.announce_channel_id;
  if (patch.max_queue_length || patch.max_per_user) {
    const auto length = patch.max_queue_length.value_or(next.max_queue_length);
    const auto per_user = patch.max_per_user.value_or(next.max_per_user);
    if (!queue::set_queue_limits(next, length, per_user)) {
      add_error(errors, patch.max_per_user ? "max_per_user" : "max_queue_length",
                "limits must satisfy 1 <= max_queue_length <= 100000 and max_per_user <= max_queue_length");
    }
  }
  if (errors.empty() && !queue::validate(next)) add_error(errors, "body", "breaks the guild settings rules");
  if (errors.empty()) settings = next;
  return errors;
}

}  // namespace musicbot::api
