// simdjson on-demand parsers for every Lavalink payload. Nothing throws.
//
// Each struct is described once by a table of its fields (JSON name, how to
// read it, required or not); one generic reader walks an object field by
// field and dispatches through the table. Fields may come in any order, but
// the table lists them in the order Lavalink sends them, so the reader first
// tries the entry after the previous match and usually hits at once. Unknown
// fields are skipped.
//
// Speed (see docs/BENCHMARKS.md): strings without escapes (nearly all of
// them) are copied straight from the input into the target std::string, and
// a WebSocket message is parsed in one pass when `op` (and `type` for
// events) come first, as Lavalink sends them; otherwise the message is
// scanned for them and read again. simdjson's stage 1 and string unescaping
// run the kernel it picks at runtime for the CPU, so no -m flags are needed.
#include <simdjson.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <musicbot/lavalink/json.hpp>
#include <string>

namespace musicbot::lavalink {
namespace {

namespace od = simdjson::ondemand;
using ec_t = boost::system::error_code;

#define MUSICBOT_LL_TRY(expr)                  \
  do {                                         \
    if (ec_t try_ec_ = (expr)) return try_ec_; \
  } while (false)

ec_t map_failure(simdjson::error_code e) {
  switch (e) {
    case simdjson::INCORRECT_TYPE:
    case simdjson::NUMBER_OUT_OF_RANGE:
    case simdjson::NUMBER_ERROR: return error::wrong_type;
    case simdjson::NO_SUCH_FIELD: return error::missing_field;
    default: return error::invalid_json;
  }
}

// Success is by far the common case: keep it inline.
inline ec_t map_error(simdjson::error_code e) { return e == simdjson::SUCCESS ? ec_t{} : map_failure(e); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// The contents of a string token that holds no escape, or a null view. The
// token runs up to the next structural character (whitespace included).
std::string_view plain_string_body(std::string_view token) {
  token = trim(token);
  if (token.size() < 2 || token.front() != '"' || token.back() != '"') return {};
  const std::string_view body = token.substr(1, token.size() - 2);
  if (std::memchr(body.data(), '\\', body.size()) != nullptr) return {};
  return body;
}

// A string value as a view: into the input when it has no escape (no copy,
// no unescaping), else into the parser's string buffer. Valid until the next
// parse with the same context.
ec_t read_view(od::value& v, std::string_view& out) {
  const std::string_view body = plain_string_body(v.raw_json_token());
  if (body.data() != nullptr) {
    od::raw_json_string consumed;
    if (auto e = v.get_raw_json_string().get(consumed)) return map_error(e);
    out = body;
    return {};
  }
  if (auto e = v.get_string().get(out)) return map_error(e);
  return {};
}

ec_t read(od::value& v, std::string& out) {
  std::string_view sv;
  MUSICBOT_LL_TRY(read_view(v, sv));
  out.assign(sv.data(), sv.size());
  return {};
}
ec_t read(od::value& v, std::int64_t& out) { return map_error(v.get_int64().get(out)); }
ec_t read(od::value& v, bool& out) { return map_error(v.get_bool().get(out)); }
ec_t read(od::value& v, double& out) { return map_error(v.get_double().get(out)); }

ec_t check_null(od::value& v, bool& is_null) { return map_error(v.is_null().get(is_null)); }

// The value's JSON text, verbatim.
ec_t read_raw(od::value& v, std::string& out) {
  od::json_type type{};
  if (auto e = v.type().get(type)) return map_error(e);
  std::string_view sv;
  if (type == od::json_type::object) {
    od::object obj;
    if (auto e = v.get_object().get(obj)) return map_error(e);
    if (auto e = obj.raw_json().get(sv)) return map_error(e);
  } else if (type == od::json_type::array) {
    od::array arr;
    if (auto e = v.get_array().get(arr)) return map_error(e);
    if (auto e = arr.raw_json().get(sv)) return map_error(e);
  } else {
    sv = v.raw_json_token();
    // Consume scalars so the iterator moves on consistently.
    if (type == od::json_type::null) {
      bool n = false;
      MUSICBOT_LL_TRY(check_null(v, n));
    }
  }
  sv = trim(sv);
  out.assign(sv.data(), sv.size());
  return {};
}

severity severity_from(std::string_view s) {
  if (s == "common") return severity::common;
  if (s == "suspicious") return severity::suspicious;
  if (s == "fault") return severity::fault;
  return severity::unknown;
}

track_end_reason reason_from(std::string_view s) {
  if (s == "finished") return track_end_reason::finished;
  if (s == "loadFailed") return track_end_reason::load_failed;
  if (s == "stopped") return track_end_reason::stopped;
  if (s == "replaced") return track_end_reason::replaced;
  if (s == "cleanup") return track_end_reason::cleanup;
  return track_end_reason::unknown;
}

ec_t read(od::value& v, severity& out) {
  std::string_view s;
  MUSICBOT_LL_TRY(read_view(v, s));
  out = severity_from(s);
  return {};
}

// --- the field tables -----------------------------------------------------

/// One field of a JSON object: its name, how to read it into T, required.
template <class T>
struct field_def {
  std::string_view name;
  ec_t (*read)(od::value&, T&);
  bool required = false;
};

template <class M>
struct member_traits;
template <class C, class V>
struct member_traits<V C::*> {
  using object = C;
};
template <auto M>
using object_of = typename member_traits<decltype(M)>::object;

// The table of T: a std::array of field_def<T>.
template <class T>
constexpr auto fields_of = nullptr;
template <class T>
concept has_fields = !std::is_null_pointer_v<std::remove_cvref_t<decltype(fields_of<T>)>>;

// Generic readers, declared before the tables that instantiate them.
template <has_fields T>
ec_t read(od::value& v, T& out);
template <class T>
ec_t read(od::value& v, std::optional<T>& out);
template <class T>
ec_t read(od::value& v, omissible<T>& out);
template <class T>
ec_t read(od::value& v, std::vector<T>& out);
ec_t read(od::value& v, std::vector<equalizer_band>& out);
ec_t read(od::value& v, route_planner_status& out);

template <auto M>
ec_t read_member(od::value& v, object_of<M>& out) {
  return read(v, out.*M);
}
template <auto M>
ec_t read_raw_member(od::value& v, object_of<M>& out) {
  return read_raw(v, out.*M);
}

/// An optional field read with the overload for its type.
template <auto M>
constexpr field_def<object_of<M>> opt(std::string_view name) {
  return {name, &read_member<M>, false};
}
/// A required field read with the overload for its type.
template <auto M>
constexpr field_def<object_of<M>> req(std::string_view name) {
  return {name, &read_member<M>, true};
}
/// A field kept as raw JSON text.
template <auto M>
constexpr field_def<object_of<M>> raw(std::string_view name) {
  return {name, &read_raw_member<M>, false};
}

// Fields with a rule of their own.
ec_t read_band_index(od::value& v, equalizer_band& out) {
  std::int64_t b = 0;
  MUSICBOT_LL_TRY(read(v, b));
  if (b < 0 || b > 14) return error::invalid_value;
  out.band = static_cast<int>(b);
  return {};
}
ec_t read_cause(od::value& v, exception_info& out) {  // null means no cause
  std::optional<std::string> cause;
  MUSICBOT_LL_TRY(read(v, cause));
  out.cause = std::move(cause).value_or("");
  return {};
}
ec_t read_plugin_filters(od::value& v, filters& out) {  // an object or null
  bool is_null = false;
  MUSICBOT_LL_TRY(check_null(v, is_null));
  if (is_null) return {};
  od::json_type type{};
  if (auto e = v.type().get(type)) return map_error(e);
  if (type != od::json_type::object) return error::wrong_type;
  return read_raw(v, out.plugin_filters);
}
ec_t read_end_reason(od::value& v, track_end_event& out) {
  MUSICBOT_LL_TRY(read(v, out.reason_text));
  out.reason = reason_from(out.reason_text);
  return {};
}
ec_t read_update_user_data(od::value& v, track_update& out) {
  std::string raw_text;
  MUSICBOT_LL_TRY(read_raw(v, raw_text));
  out.user_data = std::move(raw_text);
  return {};
}
ec_t read_top_level_encoded(od::value& v, player_update& out) {  // deprecated form
  if (!out.track) out.track.emplace();
  return read(v, out.track->encoded);
}
ec_t read_top_level_identifier(od::value& v, player_update& out) {  // deprecated form
  if (!out.track) out.track.emplace();
  return read(v, out.track->identifier);
}
ec_t read_lenient_guild(od::value& v, unknown_event& out) {  // a plugin may send anything
  std::string_view sv;
  if (!read_view(v, sv)) out.guild_id.assign(sv.data(), sv.size());
  return {};
}

template <>
constexpr auto fields_of<track_info> = std::array{req<&track_info::identifier>("identifier"),
                                                  opt<&track_info::is_seekable>("isSeekable"),
                                                  opt<&track_info::author>("author"),
                                                  opt<&track_info::length_ms>("length"),
                                                  opt<&track_info::is_stream>("isStream"),
                                                  opt<&track_info::position_ms>("position"),
                                                  req<&track_info::title>("title"),
                                                  opt<&track_info::uri>("uri"),
                                                  opt<&track_info::artwork_url>("artworkUrl"),
                                                  opt<&track_info::isrc>("isrc"),
                                                  opt<&track_info::source_name>("sourceName")};
template <>
constexpr auto fields_of<track> =
    std::array{req<&track::encoded>("encoded"), req<&track::info>("info"),
               raw<&track::plugin_info>("pluginInfo"), raw<&track::user_data>("userData")};
template <>
constexpr auto fields_of<player_state> =
    std::array{opt<&player_state::time>("time"), opt<&player_state::position_ms>("position"),
               opt<&player_state::connected>("connected"), opt<&player_state::ping>("ping")};
template <>
constexpr auto fields_of<memory_stats> =
    std::array{opt<&memory_stats::free>("free"), opt<&memory_stats::used>("used"),
               opt<&memory_stats::allocated>("allocated"), opt<&memory_stats::reservable>("reservable")};
template <>
constexpr auto fields_of<cpu_stats> =
    std::array{opt<&cpu_stats::cores>("cores"), opt<&cpu_stats::system_load>("systemLoad"),
               opt<&cpu_stats::lavalink_load>("lavalinkLoad")};
template <>
constexpr auto fields_of<frame_stats> =
    std::array{opt<&frame_stats::sent>("sent"), opt<&frame_stats::nulled>("nulled"),
               opt<&frame_stats::deficit>("deficit")};
template <>
constexpr auto fields_of<node_stats> =
    std::array{opt<&node_stats::players>("players"),  opt<&node_stats::playing_players>("playingPlayers"),
               opt<&node_stats::uptime_ms>("uptime"), opt<&node_stats::memory>("memory"),
               opt<&node_stats::cpu>("cpu"),          opt<&node_stats::frames>("frameStats")};
template <>
constexpr auto fields_of<exception_info> =
    std::array{opt<&exception_info::message>("message"), opt<&exception_info::severity>("severity"),
               field_def<exception_info>{"cause", &read_cause},
               opt<&exception_info::cause_stack_trace>("causeStackTrace")};
template <>
constexpr auto fields_of<voice_state> =
    std::array{opt<&voice_state::token>("token"), opt<&voice_state::endpoint>("endpoint"),
               opt<&voice_state::session_id>("sessionId"), opt<&voice_state::channel_id>("channelId")};
template <>
constexpr auto fields_of<equalizer_band> =
    std::array{field_def<equalizer_band>{"band", &read_band_index}, opt<&equalizer_band::gain>("gain")};
template <>
constexpr auto fields_of<karaoke_filter> = std::array{
    opt<&karaoke_filter::level>("level"), opt<&karaoke_filter::mono_level>("monoLevel"),
    opt<&karaoke_filter::filter_band>("filterBand"), opt<&karaoke_filter::filter_width>("filterWidth")};
template <>
constexpr auto fields_of<timescale_filter> =
    std::array{opt<&timescale_filter::speed>("speed"), opt<&timescale_filter::pitch>("pitch"),
               opt<&timescale_filter::rate>("rate")};
template <>
constexpr auto fields_of<oscillation_filter> =
    std::array{opt<&oscillation_filter::frequency>("frequency"), opt<&oscillation_filter::depth>("depth")};
template <>
constexpr auto fields_of<rotation_filter> = std::array{opt<&rotation_filter::rotation_hz>("rotationHz")};
template <>
constexpr auto fields_of<distortion_filter> = std::array{
    opt<&distortion_filter::sin_offset>("sinOffset"), opt<&distortion_filter::sin_scale>("sinScale"),
    opt<&distortion_filter::cos_offset>("cosOffset"), opt<&distortion_filter::cos_scale>("cosScale"),
    opt<&distortion_filter::tan_offset>("tanOffset"), opt<&distortion_filter::tan_scale>("tanScale"),
    opt<&distortion_filter::offset>("offset"),        opt<&distortion_filter::scale>("scale")};
template <>
constexpr auto fields_of<channel_mix_filter> =
    std::array{opt<&channel_mix_filter::left_to_left>("leftToLeft"),
               opt<&channel_mix_filter::left_to_right>("leftToRight"),
               opt<&channel_mix_filter::right_to_left>("rightToLeft"),
               opt<&channel_mix_filter::right_to_right>("rightToRight")};
template <>
constexpr auto fields_of<low_pass_filter> = std::array{opt<&low_pass_filter::smoothing>("smoothing")};
template <>
constexpr auto fields_of<filters> = std::array{opt<&filters::volume>("volume"),
                                               opt<&filters::equalizer>("equalizer"),
                                               opt<&filters::karaoke>("karaoke"),
                                               opt<&filters::timescale>("timescale"),
                                               opt<&filters::tremolo>("tremolo"),
                                               opt<&filters::vibrato>("vibrato"),
                                               opt<&filters::rotation>("rotation"),
                                               opt<&filters::distortion>("distortion"),
                                               opt<&filters::channel_mix>("channelMix"),
                                               opt<&filters::low_pass>("lowPass"),
                                               field_def<filters>{"pluginFilters", &read_plugin_filters}};
template <>
constexpr auto fields_of<player> = std::array{
    req<&player::guild_id>("guildId"), opt<&player::track>("track"), opt<&player::volume>("volume"),
    opt<&player::paused>("paused"),    opt<&player::state>("state"), opt<&player::voice>("voice"),
    opt<&player::filters>("filters")};
template <>
constexpr auto fields_of<playlist_info> =
    std::array{opt<&playlist_info::name>("name"), opt<&playlist_info::selected_track>("selectedTrack")};
template <>
constexpr auto fields_of<playlist> =
    std::array{opt<&playlist::info>("info"), raw<&playlist::plugin_info>("pluginInfo"),
               opt<&playlist::tracks>("tracks")};
template <>
constexpr auto fields_of<track_update> =
    std::array{opt<&track_update::encoded>("encoded"), opt<&track_update::identifier>("identifier"),
               field_def<track_update>{"userData", &read_update_user_data}};
template <>
constexpr auto fields_of<player_update> =
    std::array{opt<&player_update::track>("track"),
               field_def<player_update>{"encodedTrack", &read_top_level_encoded},
               field_def<player_update>{"identifier", &read_top_level_identifier},
               opt<&player_update::position_ms>("position"),
               opt<&player_update::end_time_ms>("endTime"),
               opt<&player_update::volume>("volume"),
               opt<&player_update::paused>("paused"),
               opt<&player_update::filters>("filters"),
               opt<&player_update::voice>("voice")};
template <>
constexpr auto fields_of<session_info> =
    std::array{opt<&session_info::resuming>("resuming"), opt<&session_info::timeout_s>("timeout")};
template <>
constexpr auto fields_of<session_update> =
    std::array{opt<&session_update::resuming>("resuming"), opt<&session_update::timeout_s>("timeout")};
template <>
constexpr auto fields_of<version_info> = std::array{opt<&version_info::semver>("semver"),
                                                    opt<&version_info::major>("major"),
                                                    opt<&version_info::minor>("minor"),
                                                    opt<&version_info::patch>("patch"),
                                                    opt<&version_info::pre_release>("preRelease"),
                                                    opt<&version_info::build>("build")};
// `git` of GET /v4/info, flattened into node_info.
struct git_info {
  std::string branch;
  std::string commit;
  std::int64_t commit_time = 0;
};
template <>
constexpr auto fields_of<git_info> =
    std::array{opt<&git_info::branch>("branch"), opt<&git_info::commit>("commit"),
               opt<&git_info::commit_time>("commitTime")};
ec_t read_git(od::value& v, node_info& out) {
  git_info git;
  MUSICBOT_LL_TRY(read(v, git));
  out.git_branch = std::move(git.branch);
  out.git_commit = std::move(git.commit);
  out.git_commit_time = git.commit_time;
  return {};
}

template <>
constexpr auto fields_of<plugin_info> =
    std::array{opt<&plugin_info::name>("name"), opt<&plugin_info::version>("version")};
template <>
constexpr auto fields_of<node_info> =
    std::array{opt<&node_info::version>("version"),       opt<&node_info::build_time>("buildTime"),
               field_def<node_info>{"git", &read_git},    opt<&node_info::jvm>("jvm"),
               opt<&node_info::lavaplayer>("lavaplayer"), opt<&node_info::source_managers>("sourceManagers"),
               opt<&node_info::filters>("filters"),       opt<&node_info::plugins>("plugins")};
template <>
constexpr auto fields_of<rest_error> =
    std::array{opt<&rest_error::timestamp>("timestamp"), opt<&rest_error::status>("status"),
               opt<&rest_error::error>("error"),         opt<&rest_error::trace>("trace"),
               opt<&rest_error::message>("message"),     opt<&rest_error::path>("path")};
template <>
constexpr auto fields_of<route_planner_status> = std::array{opt<&route_planner_status::class_name>("class"),
                                                            raw<&route_planner_status::details>("details")};

// The WebSocket messages: their fields besides `op` and `type`.
template <>
constexpr auto fields_of<ready_op> =
    std::array{opt<&ready_op::resumed>("resumed"), req<&ready_op::session_id>("sessionId")};
template <>
constexpr auto fields_of<player_update_op> =
    std::array{req<&player_update_op::guild_id>("guildId"), req<&player_update_op::state>("state")};
template <>
constexpr auto fields_of<track_start_event> =
    std::array{req<&track_start_event::guild_id>("guildId"), req<&track_start_event::track>("track")};
template <>
constexpr auto fields_of<track_end_event> =
    std::array{req<&track_end_event::guild_id>("guildId"), req<&track_end_event::track>("track"),
               field_def<track_end_event>{"reason", &read_end_reason, true}};
template <>
constexpr auto fields_of<track_exception_event> =
    std::array{req<&track_exception_event::guild_id>("guildId"), req<&track_exception_event::track>("track"),
               req<&track_exception_event::exception>("exception")};
template <>
constexpr auto fields_of<track_stuck_event> =
    std::array{req<&track_stuck_event::guild_id>("guildId"), req<&track_stuck_event::track>("track"),
               opt<&track_stuck_event::threshold_ms>("thresholdMs")};
template <>
constexpr auto fields_of<websocket_closed_event> = std::array{
    req<&websocket_closed_event::guild_id>("guildId"), opt<&websocket_closed_event::code>("code"),
    opt<&websocket_closed_event::reason>("reason"), opt<&websocket_closed_event::by_remote>("byRemote")};
template <>
constexpr auto fields_of<unknown_event> =
    std::array{field_def<unknown_event>{"guildId", &read_lenient_guild}};
template <>
constexpr auto fields_of<unknown_op> = std::array<field_def<unknown_op>, 0>{};

// --- the generic object reader ---------------------------------------------

// The key of a field without copying: the raw text up to the closing quote
// when it holds no escape (every key Lavalink sends), else unescaped.
// Unescaping consumes the key: call key_of()/key_is() once per field.
ec_t key_of(od::field& field, std::string_view& out) {
  const char* raw_key = field.key().raw();
  std::size_t n = 0;
  while (raw_key[n] != '"' && raw_key[n] != '\\') ++n;  // stage 1 guarantees a closing quote
  if (raw_key[n] == '"') {
    out = std::string_view(raw_key, n);
    return {};
  }
  return map_error(field.unescaped_key().get(out));
}

// Whether the raw (still escaped) key is `name`, compared in place in the
// padded input. A key with an escape never matches here.
bool raw_key_is(od::field& field, std::string_view name) {
  const char* raw_key = field.key().raw();
  std::size_t i = 0;  // keys are short: a loop beats a call to memcmp
  while (i < name.size() && raw_key[i] == name[i]) ++i;
  return i == name.size() && raw_key[i] == '"';
}

// Whether the field's key is `name`, unescaping it only when it holds an
// escape (once per field, see key_of()).
bool key_is(od::field& field, std::string_view name) {
  if (raw_key_is(field, name)) return true;
  std::string_view key;
  return !key_of(field, key) && key == name;
}

// Calls f(field) for each field of the object `v` (a value or a document).
// Fields and values are used in place (copying simdjson's iterators costs).
template <class V, class F>
ec_t for_each_field(V& v, F&& f) {
  od::object obj;
  if (auto e = v.get_object().get(obj)) return map_error(e);
  for (auto item : obj) {
    if (auto e = item.error()) return map_error(e);
    MUSICBOT_LL_TRY(f(item.value_unsafe()));
  }
  return {};
}

template <class V, class F>
ec_t for_each_element(V& v, F&& f) {
  od::array arr;
  if (auto e = v.get_array().get(arr)) return map_error(e);
  for (auto element : arr) {
    if (auto e = element.error()) return map_error(e);
    MUSICBOT_LL_TRY(f(element.value_unsafe()));
  }
  return {};
}

// Which fields of a table were seen, and where the next one is expected.
struct field_cursor {
  std::uint64_t seen = 0;
  std::size_t next = 0;
};

template <class T>
constexpr std::uint64_t required_mask() {
  std::uint64_t mask = 0;
  const auto& fields = fields_of<T>;
  static_assert(std::size(fields_of<T>) <= 64);
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].required) mask |= std::uint64_t{1} << i;
  }
  return mask;
}

// Reads one field of T if its table knows the key (unknown keys are skipped).
template <class T>
ec_t read_field(T& out, field_cursor& cursor, od::field& field) {
  const auto& fields = fields_of<T>;
  std::size_t i = cursor.next;
  if (i >= fields.size() || !raw_key_is(field, fields[i].name)) {
    std::string_view key;
    MUSICBOT_LL_TRY(key_of(field, key));
    i = 0;
    while (i < fields.size() && fields[i].name != key) ++i;
    if (i == fields.size()) return {};
  }
  cursor.next = i + 1;
  cursor.seen |= std::uint64_t{1} << i;
  return fields[i].read(field.value(), out);
}

template <class T>
ec_t check_required(const field_cursor& cursor) {
  constexpr std::uint64_t mask = required_mask<T>();
  return (cursor.seen & mask) == mask ? ec_t{} : ec_t{error::missing_field};
}

template <has_fields T>
ec_t read(od::value& v, T& out) {
  field_cursor cursor;
  MUSICBOT_LL_TRY(for_each_field(v, [&](od::field& f) { return read_field(out, cursor, f); }));
  return check_required<T>(cursor);
}

template <class T>
ec_t read(od::value& v, std::optional<T>& out) {
  bool is_null = false;
  MUSICBOT_LL_TRY(check_null(v, is_null));
  if (is_null) {
    out.reset();
    return {};
  }
  return read(v, out.emplace());
}

template <class T>
ec_t read(od::value& v, omissible<T>& out) {
  bool is_null = false;
  MUSICBOT_LL_TRY(check_null(v, is_null));
  if (is_null) {
    out = nullptr;
    return {};
  }
  T value{};
  MUSICBOT_LL_TRY(read(v, value));
  out = std::move(value);
  return {};
}

template <class T>
ec_t read(od::value& v, std::vector<T>& out) {
  return for_each_element(v, [&](od::value& e) { return read(e, out.emplace_back()); });
}

ec_t read(od::value& v, std::vector<equalizer_band>& out) {
  return for_each_element(v, [&](od::value& e) -> ec_t {
    if (out.size() >= 15) return error::invalid_value;
    return read(e, out.emplace_back());
  });
}

ec_t read(od::value& v, route_planner_status& out) {
  out.details = "null";  // when `details` is absent
  field_cursor cursor;
  MUSICBOT_LL_TRY(for_each_field(v, [&](od::field& f) { return read_field(out, cursor, f); }));
  return {};
}

// --- documents --------------------------------------------------------------

// A reusable padded buffer + simdjson parser.
struct parse_context {
  od::parser parser;
  std::string buffer;

  ec_t iterate(std::string_view text, od::document& doc) {
    buffer.reserve(text.size() + simdjson::SIMDJSON_PADDING);
    buffer.assign(text.data(), text.size());
    return map_error(parser.iterate(buffer.data(), buffer.size(), buffer.capacity()).get(doc));
  }
};

parse_context& local_context() {
  thread_local parse_context ctx;
  return ctx;
}

// Trailing content after the root value is an error.
ec_t finish(od::document& doc) {
  const char* rest = nullptr;
  if (doc.current_location().get(rest) == simdjson::SUCCESS) return error::invalid_json;
  return {};
}

// Parses a whole document into T via read(value&, T&), built in place.
template <class T>
boost::system::result<T> parse_document(std::string_view text) {
  boost::system::result<T> out(boost::system::in_place_value);
  auto fill = [&](T& target) -> ec_t {
    auto& ctx = local_context();
    od::document doc;
    MUSICBOT_LL_TRY(ctx.iterate(text, doc));
    od::value root;
    if (auto e = doc.get_value().get(root)) return map_error(e);
    MUSICBOT_LL_TRY(read(root, target));
    return finish(doc);
  };
  if (ec_t ec = fill(*out)) out = ec;
  return out;
}

// --- WebSocket messages -----------------------------------------------------

// The message kinds, in the order of the `message` variant's alternatives.
enum class kind : std::uint8_t {
  ready,
  player_update,
  stats,
  track_start,
  track_end,
  track_exception,
  track_stuck,
  websocket_closed,
  unknown_event,
  unknown_op,
  event,  // `op` was "event", `type` not seen yet
};

kind kind_of_op(std::string_view op) {
  if (op == "playerUpdate") return kind::player_update;
  if (op == "event") return kind::event;
  if (op == "stats") return kind::stats;
  if (op == "ready") return kind::ready;
  return kind::unknown_op;
}

kind kind_of_event(std::string_view type) {
  if (type == "TrackEndEvent") return kind::track_end;
  if (type == "TrackStartEvent") return kind::track_start;
  if (type == "TrackExceptionEvent") return kind::track_exception;
  if (type == "TrackStuckEvent") return kind::track_stuck;
  if (type == "WebSocketClosedEvent") return kind::websocket_closed;
  return kind::unknown_event;
}

template <std::size_t... I>
void emplace_kind(message& out, kind k, std::index_sequence<I...>) {
  (void)((static_cast<std::size_t>(k) == I ? (out.emplace<I>(), true) : false) || ...);
}

// Makes `out` the (empty) alternative of kind `k`; `name` is the op or type.
void start_message(message& out, kind k, std::string_view name, std::string_view text) {
  emplace_kind(out, k, std::make_index_sequence<std::variant_size_v<message>>{});
  if (k == kind::unknown_event) {
    auto& ev = std::get<unknown_event>(out);
    ev.type.assign(name.data(), name.size());
    ev.raw.assign(text.data(), text.size());
  } else if (k == kind::unknown_op) {
    auto& op = std::get<unknown_op>(out);
    op.op.assign(name.data(), name.size());
    op.raw.assign(text.data(), text.size());
  }
}

// One field of the message body being read.
struct body_reader {
  field_cursor cursor;

  ec_t field(message& out, od::field& f) {
    return std::visit(
        [&](auto& alt) -> ec_t {
          using T = std::decay_t<decltype(alt)>;
          if constexpr (std::is_same_v<T, stats_op>) {  // the figures stand at the top level
            return read_field(alt.stats, cursor, f);
          } else {
            return read_field(alt, cursor, f);
          }
        },
        out);
  }

  ec_t done(const message& out) const {
    return std::visit(
        [&](const auto& alt) -> ec_t {
          using T = std::decay_t<decltype(alt)>;
          if constexpr (std::is_same_v<T, stats_op>) {
            return check_required<node_stats>(cursor);
          } else {
            return check_required<T>(cursor);
          }
        },
        out);
  }
};

// `op` and `type` wherever they stand (the slow path).
struct op_and_type {
  std::string op;
  std::string type;
  bool has_op = false;
};

ec_t scan_op(od::document& doc, op_and_type& out) {
  return for_each_field(doc, [&](od::field& f) -> ec_t {
    od::value& value = f.value();
    std::string_view key;
    MUSICBOT_LL_TRY(key_of(f, key));
    if (key == "op") {
      MUSICBOT_LL_TRY(read(value, out.op));
      out.has_op = true;
    } else if (key == "type") {
      od::json_type t{};
      if (auto e = value.type().get(t)) return map_error(e);
      if (t == od::json_type::string) MUSICBOT_LL_TRY(read(value, out.type));
    }
    return {};
  });
}

// A message whose `op`/`type` do not come first: find them, then read the
// fields in a second pass.
ec_t parse_message_two_pass(od::document& doc, std::string_view text, message& out) {
  doc.rewind();
  op_and_type ot;
  MUSICBOT_LL_TRY(scan_op(doc, ot));
  if (!ot.has_op) return error::missing_field;
  kind k = kind_of_op(ot.op);
  if (k == kind::event) {
    if (ot.type.empty()) return error::missing_field;
    k = kind_of_event(ot.type);
  }
  start_message(out, k, k == kind::unknown_op ? ot.op : ot.type, text);
  if (k == kind::unknown_op) return {};
  doc.rewind();
  body_reader body;
  MUSICBOT_LL_TRY(for_each_field(doc, [&](od::field& f) { return body.field(out, f); }));
  MUSICBOT_LL_TRY(body.done(out));
  return finish(doc);
}

// One pass when `op` comes first (and `type` second for events), as
// Lavalink sends them; otherwise the two-pass path.
ec_t parse_message_into(parse_context& ctx, std::string_view text, message& out) {
  od::document doc;
  MUSICBOT_LL_TRY(ctx.iterate(text, doc));
  enum class stop { none, reorder, done };
  stop why = stop::none;
  std::optional<kind> k;
  body_reader body;
  const ec_t stopped = error::invalid_json;  // returned to leave the loop early
  ec_t ec = for_each_field(doc, [&](od::field& f) -> ec_t {
    if (!k) {
      std::string_view op;
      if (!key_is(f, "op") || read_view(f.value(), op)) {
        why = stop::reorder;
        return stopped;
      }
      k = kind_of_op(op);
      if (*k == kind::event) return {};
      start_message(out, *k, op, text);
      if (*k == kind::unknown_op) {
        why = stop::done;
        return stopped;
      }
      return {};
    }
    if (*k == kind::event) {
      std::string_view type;
      if (!key_is(f, "type") || read_view(f.value(), type)) {
        why = stop::reorder;
        return stopped;
      }
      k = kind_of_event(type);
      start_message(out, *k, type, text);
      return {};
    }
    return body.field(out, f);
  });
  if (why == stop::done) return {};
  if (why == stop::reorder) return parse_message_two_pass(doc, text, out);
  if (ec) return ec;
  if (!k || *k == kind::event) return error::missing_field;
  MUSICBOT_LL_TRY(body.done(out));
  return finish(doc);
}

boost::system::result<message> parse_with(parse_context& ctx, std::string_view text) {
  // in_place_index: a message(), value-initialized, would zero all its bytes first.
  boost::system::result<message> out(boost::system::in_place_value, std::in_place_index<0>);
  if (ec_t ec = parse_message_into(ctx, text, *out)) out = ec;
  return out;
}

// --- load results -----------------------------------------------------------

load_type load_type_from(std::string_view name) {
  if (name == "track") return load_type::track;
  if (name == "playlist") return load_type::playlist;
  if (name == "search") return load_type::search;
  if (name == "empty") return load_type::empty;
  if (name == "error") return load_type::error;
  return load_type::unknown;
}

// `data` of a load result, by its load type.
ec_t read_load_data(od::value& f, load_result& out) {
  switch (out.type) {
    case load_type::track: return read(f, out.data.emplace<track>());
    case load_type::playlist: return read(f, out.data.emplace<playlist>());
    case load_type::search: return read(f, out.data.emplace<std::vector<track>>());
    case load_type::error: return read(f, out.data.emplace<exception_info>());
    case load_type::empty: {  // `{}` in the docs, `null` in Lavalink's serializer tests
      std::string ignored;
      return read_raw(f, ignored);
    }
    case load_type::unknown: return read_raw(f, out.data.emplace<std::string>());
  }
  return {};
}

ec_t parse_load_result_into(std::string_view text, load_result& out) {
  auto& ctx = local_context();
  od::document doc;
  MUSICBOT_LL_TRY(ctx.iterate(text, doc));
  // Pass 1: the load type (it decides how to read `data`).
  bool has_type = false;
  MUSICBOT_LL_TRY(for_each_field(doc, [&](od::field& f) -> ec_t {
    if (!key_is(f, "loadType")) return {};
    has_type = true;
    return read(f.value(), out.type_name);
  }));
  if (!has_type) return error::missing_field;
  out.type = load_type_from(out.type_name);
  doc.rewind();
  bool has_data = false;
  MUSICBOT_LL_TRY(for_each_field(doc, [&](od::field& f) -> ec_t {
    if (!key_is(f, "data")) return {};
    has_data = true;
    return read_load_data(f.value(), out);
  }));
  if (!has_data) {
    if (out.type == load_type::unknown)
      out.data = std::string("null");
    else if (out.type != load_type::empty)
      return error::missing_field;
  }
  return finish(doc);
}

}  // namespace

namespace detail {
/// The buffers of a message_parser.
struct parser_state {
  parse_context ctx;  ///< simdjson parser and padded buffer
};
}  // namespace detail

message_parser::message_parser() : state_(std::make_unique<detail::parser_state>()) {}
message_parser::~message_parser() = default;
message_parser::message_parser(message_parser&&) noexcept = default;
message_parser& message_parser::operator=(message_parser&&) noexcept = default;

boost::system::result<message> message_parser::parse(std::string_view text) {
  return parse_with(state_->ctx, text);
}

boost::system::result<message> parse_message(std::string_view text) {
  return parse_with(local_context(), text);
}

boost::system::result<load_result> parse_load_result(std::string_view text) {
  boost::system::result<load_result> out(boost::system::in_place_value);
  if (ec_t ec = parse_load_result_into(text, *out)) out = ec;
  return out;
}

boost::system::result<track> parse_track(std::string_view text) { return parse_document<track>(text); }
boost::system::result<std::vector<track>> parse_tracks(std::string_view text) {
  return parse_document<std::vector<track>>(text);
}
boost::system::result<player> parse_player(std::string_view text) { return parse_document<player>(text); }
boost::system::result<std::vector<player>> parse_players(std::string_view text) {
  return parse_document<std::vector<player>>(text);
}
boost::system::result<filters> parse_filters(std::string_view text) { return parse_document<filters>(text); }
boost::system::result<player_update> parse_player_update(std::string_view text) {
  return parse_document<player_update>(text);
}
boost::system::result<session_info> parse_session_info(std::string_view text) {
  return parse_document<session_info>(text);
}
boost::system::result<session_update> parse_session_update(std::string_view text) {
  return parse_document<session_update>(text);
}
boost::system::result<node_info> parse_node_info(std::string_view text) {
  return parse_document<node_info>(text);
}
boost::system::result<node_stats> parse_node_stats(std::string_view text) {
  return parse_document<node_stats>(text);
}
boost::system::result<rest_error> parse_rest_error(std::string_view text) {
  return parse_document<rest_error>(text);
}
boost::system::result<route_planner_status> parse_route_planner_status(std::string_view text) {
  return parse_document<route_planner_status>(text);
}

}  // namespace musicbot::lavalink
