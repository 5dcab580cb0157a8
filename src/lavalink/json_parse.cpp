// simdjson on-demand parsers for every Lavalink payload. Objects are walked
// field by field (any order, unknown fields skipped); nothing throws.
#include <musicbot/lavalink/json.hpp>

#include <simdjson.h>

#include <cstdint>
#include <string>

namespace musicbot::lavalink {
namespace {

namespace od = simdjson::ondemand;
using ec_t = boost::system::error_code;

#define MUSICBOT_LL_TRY(expr)            \
  do {                                   \
    if (ec_t try_ec_ = (expr)) return try_ec_; \
  } while (false)

ec_t map_error(simdjson::error_code e) {
  switch (e) {
    case simdjson::SUCCESS: return {};
    case simdjson::INCORRECT_TYPE:
    case simdjson::NUMBER_OUT_OF_RANGE:
    case simdjson::NUMBER_ERROR: return error::wrong_type;
    case simdjson::NO_SUCH_FIELD: return error::missing_field;
    default: return error::invalid_json;
  }
}

ec_t read(od::value& v, std::string& out) {
  std::string_view sv;
  if (auto e = v.get_string().get(sv)) return map_error(e);
  out.assign(sv.data(), sv.size());
  return {};
}
ec_t read(od::value& v, std::int64_t& out) {
  if (auto e = v.get_int64().get(out)) return map_error(e);
  return {};
}
ec_t read(od::value& v, bool& out) {
  if (auto e = v.get_bool().get(out)) return map_error(e);
  return {};
}
ec_t read(od::value& v, double& out) {
  if (auto e = v.get_double().get(out)) return map_error(e);
  return {};
}

// Every reader, declared up front so the templates below find them all.
ec_t read(od::value& v, track_info& out);
ec_t read(od::value& v, track& out);
ec_t read(od::value& v, player_state& out);
ec_t read(od::value& v, memory_stats& out);
ec_t read(od::value& v, cpu_stats& out);
ec_t read(od::value& v, frame_stats& out);
ec_t read(od::value& v, exception_info& out);
ec_t read(od::value& v, voice_state& out);
ec_t read(od::value& v, equalizer_band& out);
ec_t read(od::value& v, std::vector<equalizer_band>& out);
ec_t read(od::value& v, karaoke_filter& out);
ec_t read(od::value& v, timescale_filter& out);
ec_t read(od::value& v, oscillation_filter& out);
ec_t read(od::value& v, rotation_filter& out);
ec_t read(od::value& v, distortion_filter& out);
ec_t read(od::value& v, channel_mix_filter& out);
ec_t read(od::value& v, low_pass_filter& out);
ec_t read(od::value& v, filters& out);
ec_t read(od::value& v, player& out);
ec_t read(od::value& v, std::vector<track>& out);
ec_t read(od::value& v, std::vector<player>& out);
ec_t read(od::value& v, playlist& out);
ec_t read(od::value& v, track_update& out);
ec_t read(od::value& v, player_update& out);
ec_t read(od::value& v, session_info& out);
ec_t read(od::value& v, session_update& out);
ec_t read(od::value& v, std::vector<std::string>& out);
ec_t read(od::value& v, node_info& out);
ec_t read(od::value& v, node_stats& out);
ec_t read(od::value& v, rest_error& out);
ec_t read(od::value& v, route_planner_status& out);

ec_t check_null(od::value& v, bool& is_null) {
  if (auto e = v.is_null().get(is_null)) return map_error(e);
  return {};
}

template <class T>
ec_t read(od::value& v, std::optional<T>& out) {
  bool is_null = false;
  MUSICBOT_LL_TRY(check_null(v, is_null));
  if (is_null) {
    out.reset();
    return {};
  }
  T value{};
  MUSICBOT_LL_TRY(read(v, value));
  out = std::move(value);
  return {};
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

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// The value's JSON text, verbatim.
ec_t read_raw(od::value& v, std::string& out) {
  od::json_type type{};
  if (auto e = v.type().get(type)) return map_error(e);
  std::string_view sv;
  if (type == od::json_type::object) {
    od::object obj;
    if (auto e = v.get_object().get(obj)) return map_error(e);
    if (auto e = obj.raw_json().get(sv)) return map_error(e);
    sv = trim(sv);
  } else if (type == od::json_type::array) {
    od::array arr;
    if (auto e = v.get_array().get(arr)) return map_error(e);
    if (auto e = arr.raw_json().get(sv)) return map_error(e);
    sv = trim(sv);
  } else {
    sv = trim(v.raw_json_token());
    // Consume scalars so the iterator moves on consistently.
    if (type == od::json_type::null) {
      bool n = false;
      if (auto e = v.is_null().get(n)) return map_error(e);
    }
  }
  out.assign(sv.data(), sv.size());
  return {};
}

// The key of a field without copying: the raw text up to the closing quote
// when it holds no escape (every key Lavalink sends), else unescaped.
template <class Field>
ec_t key_of(Field& field, std::string_view& out) {
  const char* raw = field.key().raw();
  std::size_t n = 0;
  while (raw[n] != '"' && raw[n] != '\\') ++n;  // stage 1 guarantees a closing quote
  if (raw[n] == '"') {
    out = std::string_view(raw, n);
    return {};
  }
  if (auto e = field.unescaped_key().get(out)) return map_error(e);
  return {};
}

// Calls f(key, value) for each field of the object `v`.
template <class V, class F>
ec_t for_each_field(V& v, F&& f) {
  od::object obj;
  if (auto e = v.get_object().get(obj)) return map_error(e);
  for (auto item : obj) {
    od::field field;
    if (auto e = std::move(item).get(field)) return map_error(e);
    std::string_view key;
    MUSICBOT_LL_TRY(key_of(field, key));
    od::value value = field.value();
    MUSICBOT_LL_TRY(f(key, value));
  }
  return {};
}

template <class V, class F>
ec_t for_each_element(V& v, F&& f) {
  od::array arr;
  if (auto e = v.get_array().get(arr)) return map_error(e);
  for (auto element : arr) {
    od::value value;
    if (auto e = element.get(value)) return map_error(e);
    MUSICBOT_LL_TRY(f(value));
  }
  return {};
}

ec_t read(od::value& v, track_info& out) {
  unsigned seen = 0;
  MUSICBOT_LL_TRY(for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "identifier") { seen |= 1; return read(f, out.identifier); }
    if (k == "isSeekable") return read(f, out.is_seekable);
    if (k == "author") return read(f, out.author);
    if (k == "length") return read(f, out.length_ms);
    if (k == "isStream") return read(f, out.is_stream);
    if (k == "position") return read(f, out.position_ms);
    if (k == "title") { seen |= 2; return read(f, out.title); }
    if (k == "uri") return read(f, out.uri);
    if (k == "artworkUrl") return read(f, out.artwork_url);
    if (k == "isrc") return read(f, out.isrc);
    if (k == "sourceName") return read(f, out.source_name);
    return {};
  }));
  if (seen != 3) return error::missing_field;
  return {};
}

ec_t read(od::value& v, track& out) {
  bool encoded = false;
  bool info = false;
  MUSICBOT_LL_TRY(for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "encoded") { encoded = true; return read(f, out.encoded); }
    if (k == "info") { info = true; return read(f, out.info); }
    if (k == "pluginInfo") return read_raw(f, out.plugin_info);
    if (k == "userData") return read_raw(f, out.user_data);
    return {};
  }));
  if (!encoded || !info) return error::missing_field;
  return {};
}

ec_t read(od::value& v, player_state& out) {
  return for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "time") return read(f, out.time);
    if (k == "position") return read(f, out.position_ms);
    if (k == "connected") return read(f, out.connected);
    if (k == "ping") return read(f, out.ping);
    return {};
  });
}

ec_t read(od::value& v, memory_stats& out) {
  return for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "free") return read(f, out.free);
    if (k == "used") return read(f, out.used);
    if (k == "allocated") return read(f, out.allocated);
    if (k == "reservable") return read(f, out.reservable);
    return {};
  });
}

ec_t read(od::value& v, cpu_stats& out) {
  return for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "cores") return read(f, out.cores);
    if (k == "systemLoad") return read(f, out.system_load);
    if (k == "lavalinkLoad") return read(f, out.lavalink_load);
    return {};
  });
}

ec_t read(od::value& v, frame_stats& out) {
  return for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "sent") return read(f, out.sent);
    if (k == "nulled") return read(f, out.nulled);
    if (k == "deficit") return read(f, out.deficit);
    return {};
  });
}

// One stats field (shared by the `stats` op and GET /v4/stats).
ec_t read_stats_field(std::string_view k, od::value& f, node_stats& out, bool& handled) {
  handled = true;
  if (k == "players") return read(f, out.players);
  if (k == "playingPlayers") return read(f, out.playing_players);
  if (k == "uptime") return read(f, out.uptime_ms);
  if (k == "memory") return read(f, out.memory);
  if (k == "cpu") return read(f, out.cpu);
  if (k == "frameStats") return read(f, out.frames);
  handled = false;
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

ec_t read(od::value& v, exception_info& out) {
  return for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "message") return read(f, out.message);
    if (k == "severity") {
      std::string s;
      MUSICBOT_LL_TRY(read(f, s));
      out.severity = severity_from(s);
      return {};
    }
    if (k == "cause") {
      std::optional<std::string> cause;
      MUSICBOT_LL_TRY(read(f, cause));
      out.cause = cause.value_or("");
      return {};
    }
    if (k == "causeStackTrace") return read(f, out.cause_stack_trace);
    return {};
  });
}

ec_t read(od::value& v, voice_state& out) {
  return for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "token") return read(f, out.token);
    if (k == "endpoint") return read(f, out.endpoint);
    if (k == "sessionId") return read(f, out.session_id);
    if (k == "channelId") return read(f, out.channel_id);
    return {};
  });
}

ec_t read(od::value& v, equalizer_band& out) {
  return for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "band") {
      std::int64_t b = 0;
      MUSICBOT_LL_TRY(read(f, b));
      if (b < 0 || b > 14) return error::invalid_value;
      out.band = static_cast<int>(b);
      return {};
    }
    if (k == "gain") return read(f, out.gain);
    return {};
  });
}

ec_t read(od::value& v, std::vector<equalizer_band>& out) {
  return for_each_element(v, [&](od::value& e) -> ec_t {
    if (out.size() >= 15) return error::invalid_value;
    equalizer_band band;
    MUSICBOT_LL_TRY(read(e, band));
    out.push_back(band);
    return {};
  });
}

ec_t read(od::value& v, karaoke_filter& out) {
  return for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "level") return read(f, out.level);
    if (k == "monoLevel") return read(f, out.mono_level);
    if (k == "filterBand") return read(f, out.filter_band);
    if (k == "filterWidth") return read(f, out.filter_width);
    return {};
  });
}

ec_t read(od::value& v, timescale_filter& out) {
  return for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "speed") return read(f, out.speed);
    if (k == "pitch") return read(f, out.pitch);
    if (k == "rate") return read(f, out.rate);
    return {};
  });
}

ec_t read(od::value& v, oscillation_filter& out) {
  return for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "frequency") return read(f, out.frequency);
    if (k == "depth") return read(f, out.depth);
    return {};
  });
}

ec_t read(od::value& v, rotation_filter& out) {
  return for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "rotationHz") return read(f, out.rotation_hz);
    return {};
  });
}

ec_t read(od::value& v, distortion_filter& out) {
  return for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "sinOffset") return read(f, out.sin_offset);
    if (k == "sinScale") return read(f, out.sin_scale);
    if (k == "cosOffset") return read(f, out.cos_offset);
    if (k == "cosScale") return read(f, out.cos_scale);
    if (k == "tanOffset") return read(f, out.tan_offset);
    if (k == "tanScale") return read(f, out.tan_scale);
    if (k == "offset") return read(f, out.offset);
    if (k == "scale") return read(f, out.scale);
    return {};
  });
}

ec_t read(od::value& v, channel_mix_filter& out) {
  return for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "leftToLeft") return read(f, out.left_to_left);
    if (k == "leftToRight") return read(f, out.left_to_right);
    if (k == "rightToLeft") return read(f, out.right_to_left);
    if (k == "rightToRight") return read(f, out.right_to_right);
    return {};
  });
}

ec_t read(od::value& v, low_pass_filter& out) {
  return for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "smoothing") return read(f, out.smoothing);
    return {};
  });
}

ec_t read(od::value& v, filters& out) {
  return for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "volume") return read(f, out.volume);
    if (k == "equalizer") return read(f, out.equalizer);
    if (k == "karaoke") return read(f, out.karaoke);
    if (k == "timescale") return read(f, out.timescale);
    if (k == "tremolo") return read(f, out.tremolo);
    if (k == "vibrato") return read(f, out.vibrato);
    if (k == "rotation") return read(f, out.rotation);
    if (k == "distortion") return read(f, out.distortion);
    if (k == "channelMix") return read(f, out.channel_mix);
    if (k == "lowPass") return read(f, out.low_pass);
    if (k == "pluginFilters") {
      bool is_null = false;
      MUSICBOT_LL_TRY(check_null(f, is_null));
      if (is_null) return {};
      od::json_type type{};
      if (auto e = f.type().get(type)) return map_error(e);
      if (type != od::json_type::object) return error::wrong_type;
      return read_raw(f, out.plugin_filters);
    }
    return {};
  });
}

ec_t read(od::value& v, player& out) {
  bool guild = false;
  MUSICBOT_LL_TRY(for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "guildId") { guild = true; return read(f, out.guild_id); }
    if (k == "track") return read(f, out.track);
    if (k == "volume") return read(f, out.volume);
    if (k == "paused") return read(f, out.paused);
    if (k == "state") return read(f, out.state);
    if (k == "voice") return read(f, out.voice);
    if (k == "filters") return read(f, out.filters);
    return {};
  }));
  if (!guild) return error::missing_field;
  return {};
}

ec_t read(od::value& v, std::vector<track>& out) {
  return for_each_element(v, [&](od::value& e) -> ec_t {
    track t;
    MUSICBOT_LL_TRY(read(e, t));
    out.push_back(std::move(t));
    return {};
  });
}

ec_t read(od::value& v, std::vector<player>& out) {
  return for_each_element(v, [&](od::value& e) -> ec_t {
    player p;
    MUSICBOT_LL_TRY(read(e, p));
    out.push_back(std::move(p));
    return {};
  });
}

ec_t read(od::value& v, playlist& out) {
  return for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "info") {
      return for_each_field(f, [&](std::string_view ik, od::value& iv) -> ec_t {
        if (ik == "name") return read(iv, out.info.name);
        if (ik == "selectedTrack") return read(iv, out.info.selected_track);
        return {};
      });
    }
    if (k == "pluginInfo") return read_raw(f, out.plugin_info);
    if (k == "tracks") return read(f, out.tracks);
    return {};
  });
}

ec_t read(od::value& v, track_update& out) {
  return for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "encoded") return read(f, out.encoded);
    if (k == "identifier") return read(f, out.identifier);
    if (k == "userData") {
      std::string raw;
      MUSICBOT_LL_TRY(read_raw(f, raw));
      out.user_data = std::move(raw);
      return {};
    }
    return {};
  });
}

ec_t read(od::value& v, player_update& out) {
  return for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "track") {
      track_update t;
      MUSICBOT_LL_TRY(read(f, t));
      out.track = std::move(t);
      return {};
    }
    if (k == "encodedTrack") {  // deprecated top-level form
      if (!out.track) out.track.emplace();
      return read(f, out.track->encoded);
    }
    if (k == "identifier") {  // deprecated top-level form
      if (!out.track) out.track.emplace();
      return read(f, out.track->identifier);
    }
    if (k == "position") return read(f, out.position_ms);
    if (k == "endTime") return read(f, out.end_time_ms);
    if (k == "volume") return read(f, out.volume);
    if (k == "paused") return read(f, out.paused);
    if (k == "filters") return read(f, out.filters);
    if (k == "voice") return read(f, out.voice);
    return {};
  });
}

ec_t read(od::value& v, session_info& out) {
  return for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "resuming") return read(f, out.resuming);
    if (k == "timeout") return read(f, out.timeout_s);
    return {};
  });
}

ec_t read(od::value& v, session_update& out) {
  return for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "resuming") return read(f, out.resuming);
    if (k == "timeout") return read(f, out.timeout_s);
    return {};
  });
}

ec_t read(od::value& v, std::vector<std::string>& out) {
  return for_each_element(v, [&](od::value& e) -> ec_t {
    std::string s;
    MUSICBOT_LL_TRY(read(e, s));
    out.push_back(std::move(s));
    return {};
  });
}

ec_t read(od::value& v, node_info& out) {
  return for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "version") {
      return for_each_field(f, [&](std::string_view vk, od::value& vv) -> ec_t {
        if (vk == "semver") return read(vv, out.version.semver);
        if (vk == "major") return read(vv, out.version.major);
        if (vk == "minor") return read(vv, out.version.minor);
        if (vk == "patch") return read(vv, out.version.patch);
        if (vk == "preRelease") return read(vv, out.version.pre_release);
        if (vk == "build") return read(vv, out.version.build);
        return {};
      });
    }
    if (k == "buildTime") return read(f, out.build_time);
    if (k == "git") {
      return for_each_field(f, [&](std::string_view gk, od::value& gv) -> ec_t {
        if (gk == "branch") return read(gv, out.git_branch);
        if (gk == "commit") return read(gv, out.git_commit);
        if (gk == "commitTime") return read(gv, out.git_commit_time);
        return {};
      });
    }
    if (k == "jvm") return read(f, out.jvm);
    if (k == "lavaplayer") return read(f, out.lavaplayer);
    if (k == "sourceManagers") return read(f, out.source_managers);
    if (k == "filters") return read(f, out.filters);
    if (k == "plugins") {
      return for_each_element(f, [&](od::value& e) -> ec_t {
        plugin_info p;
        MUSICBOT_LL_TRY(for_each_field(e, [&](std::string_view pk, od::value& pv) -> ec_t {
          if (pk == "name") return read(pv, p.name);
          if (pk == "version") return read(pv, p.version);
          return {};
        }));
        out.plugins.push_back(std::move(p));
        return {};
      });
    }
    return {};
  });
}

ec_t read(od::value& v, node_stats& out) {
  return for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    bool handled = false;
    return read_stats_field(k, f, out, handled);
  });
}

ec_t read(od::value& v, rest_error& out) {
  return for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "timestamp") return read(f, out.timestamp);
    if (k == "status") return read(f, out.status);
    if (k == "error") return read(f, out.error);
    if (k == "trace") return read(f, out.trace);
    if (k == "message") return read(f, out.message);
    if (k == "path") return read(f, out.path);
    return {};
  });
}

ec_t read(od::value& v, route_planner_status& out) {
  out.details = "null";
  return for_each_field(v, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "class") return read(f, out.class_name);
    if (k == "details") return read_raw(f, out.details);
    return {};
  });
}

// A reusable padded buffer + simdjson parser.
struct parse_context {
  od::parser parser;
  std::string buffer;

  ec_t iterate(std::string_view text, od::document& doc) {
    buffer.reserve(text.size() + simdjson::SIMDJSON_PADDING);
    buffer.assign(text.data(), text.size());
    if (auto e = parser.iterate(buffer.data(), buffer.size(), buffer.capacity()).get(doc)) {
      return map_error(e);
    }
    return {};
  }
};

parse_context& local_context() {
  thread_local parse_context ctx;
  return ctx;
}

ec_t finish(od::document& doc) {
  const char* rest = nullptr;
  if (doc.current_location().get(rest) == simdjson::SUCCESS) return error::invalid_json;
  return {};
}

// Parses a whole document into T via read(value&, T&).
template <class T>
boost::system::result<T> parse_document(std::string_view text) {
  auto& ctx = local_context();
  od::document doc;
  if (ec_t ec = ctx.iterate(text, doc)) return ec;
  od::value root;
  if (auto e = doc.get_value().get(root)) return map_error(e);
  T out{};
  if (ec_t ec = read(root, out)) return ec;
  if (ec_t ec = finish(doc)) return ec;
  return out;
}

// --- WebSocket messages ---------------------------------------------------

struct op_and_type {
  std::string op;
  std::string type;
  bool has_op = false;
};

ec_t scan_op(od::document& doc, op_and_type& out) {
  od::object obj;
  if (auto e = doc.get_object().get(obj)) return map_error(e);
  for (auto item : obj) {
    od::field field;
    if (auto e = std::move(item).get(field)) return map_error(e);
    std::string_view key;
    MUSICBOT_LL_TRY(key_of(field, key));
    od::value value = field.value();
    if (key == "op") {
      MUSICBOT_LL_TRY(read(value, out.op));
      out.has_op = true;
      if (out.op != "event") break;
      if (!out.type.empty()) break;
    } else if (key == "type") {
      bool is_string = false;
      od::json_type t{};
      if (auto e = value.type().get(t)) return map_error(e);
      is_string = t == od::json_type::string;
      if (is_string) MUSICBOT_LL_TRY(read(value, out.type));
      if (out.has_op) break;
    }
  }
  return {};
}

template <class F>
ec_t each_root_field(od::document& doc, F&& f) {
  od::object obj;
  if (auto e = doc.get_object().get(obj)) return map_error(e);
  for (auto item : obj) {
    od::field field;
    if (auto e = std::move(item).get(field)) return map_error(e);
    std::string_view key;
    MUSICBOT_LL_TRY(key_of(field, key));
    od::value value = field.value();
    MUSICBOT_LL_TRY(f(key, value));
  }
  return {};
}

}  // namespace

namespace detail {
/// The buffers of a message_parser.
struct parser_state {
  parse_context ctx;  ///< simdjson parser and padded buffer
};
}  // namespace detail

namespace {

boost::system::result<message> parse_event(od::document& doc, std::string_view text,
                                           const std::string& type) {
  std::string guild_id;
  bool has_guild = false;
  auto guild = [&](std::string_view k, od::value& f, ec_t& ec) {
    if (k != "guildId") return false;
    has_guild = true;
    ec = read(f, guild_id);
    return true;
  };
  if (type == "TrackStartEvent") {
    track_start_event ev;
    bool has_track = false;
    ec_t ec = each_root_field(doc, [&](std::string_view k, od::value& f) -> ec_t {
      ec_t r;
      if (guild(k, f, r)) return r;
      if (k == "track") { has_track = true; return read(f, ev.track); }
      return {};
    });
    if (ec) return ec;
    if (!has_guild || !has_track) return error::missing_field;
    ev.guild_id = std::move(guild_id);
    return message{std::move(ev)};
  }
  if (type == "TrackEndEvent") {
    track_end_event ev;
    bool has_track = false;
    bool has_reason = false;
    ec_t ec = each_root_field(doc, [&](std::string_view k, od::value& f) -> ec_t {
      ec_t r;
      if (guild(k, f, r)) return r;
      if (k == "track") { has_track = true; return read(f, ev.track); }
      if (k == "reason") {
        has_reason = true;
        MUSICBOT_LL_TRY(read(f, ev.reason_text));
        ev.reason = reason_from(ev.reason_text);
        return {};
      }
      return {};
    });
    if (ec) return ec;
    if (!has_guild || !has_track || !has_reason) return error::missing_field;
    ev.guild_id = std::move(guild_id);
    return message{std::move(ev)};
  }
  if (type == "TrackExceptionEvent") {
    track_exception_event ev;
    bool has_track = false;
    bool has_ex = false;
    ec_t ec = each_root_field(doc, [&](std::string_view k, od::value& f) -> ec_t {
      ec_t r;
      if (guild(k, f, r)) return r;
      if (k == "track") { has_track = true; return read(f, ev.track); }
      if (k == "exception") { has_ex = true; return read(f, ev.exception); }
      return {};
    });
    if (ec) return ec;
    if (!has_guild || !has_track || !has_ex) return error::missing_field;
    ev.guild_id = std::move(guild_id);
    return message{std::move(ev)};
  }
  if (type == "TrackStuckEvent") {
    track_stuck_event ev;
    bool has_track = false;
    ec_t ec = each_root_field(doc, [&](std::string_view k, od::value& f) -> ec_t {
      ec_t r;
      if (guild(k, f, r)) return r;
      if (k == "track") { has_track = true; return read(f, ev.track); }
      if (k == "thresholdMs") return read(f, ev.threshold_ms);
      return {};
    });
    if (ec) return ec;
    if (!has_guild || !has_track) return error::missing_field;
    ev.guild_id = std::move(guild_id);
    return message{std::move(ev)};
  }
  if (type == "WebSocketClosedEvent") {
    websocket_closed_event ev;
    ec_t ec = each_root_field(doc, [&](std::string_view k, od::value& f) -> ec_t {
      ec_t r;
      if (guild(k, f, r)) return r;
      if (k == "code") return read(f, ev.code);
      if (k == "reason") return read(f, ev.reason);
      if (k == "byRemote") return read(f, ev.by_remote);
      return {};
    });
    if (ec) return ec;
    if (!has_guild) return error::missing_field;
    ev.guild_id = std::move(guild_id);
    return message{std::move(ev)};
  }
  // A plugin's (or a newer Lavalink's) event: keep it verbatim. A guildId
  // that is not a string is tolerated.
  unknown_event ev;
  ev.type = type;
  ev.raw.assign(text.data(), text.size());
  (void)each_root_field(doc, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "guildId") {
      std::string_view sv;
      if (f.get_string().get(sv) == simdjson::SUCCESS) ev.guild_id.assign(sv.data(), sv.size());
    }
    return {};
  });
  return message{std::move(ev)};
}

boost::system::result<message> parse_with(parse_context& ctx, std::string_view text) {
  od::document doc;
  if (ec_t ec = ctx.iterate(text, doc)) return ec;
  op_and_type ot;
  if (ec_t ec = scan_op(doc, ot)) return ec;
  if (!ot.has_op) return error::missing_field;
  doc.rewind();

  boost::system::result<message> out = error::invalid_json;
  if (ot.op == "playerUpdate") {
    player_update_op msg;
    bool guild = false;
    bool state = false;
    ec_t ec = each_root_field(doc, [&](std::string_view k, od::value& f) -> ec_t {
      if (k == "guildId") { guild = true; return read(f, msg.guild_id); }
      if (k == "state") { state = true; return read(f, msg.state); }
      return {};
    });
    if (ec) return ec;
    if (!guild || !state) return error::missing_field;
    out = message{std::move(msg)};
  } else if (ot.op == "event") {
    if (ot.type.empty()) return error::missing_field;
    out = parse_event(doc, text, ot.type);
    if (!out) return out;
  } else if (ot.op == "stats") {
    stats_op msg;
    ec_t ec = each_root_field(doc, [&](std::string_view k, od::value& f) -> ec_t {
      bool handled = false;
      return read_stats_field(k, f, msg.stats, handled);
    });
    if (ec) return ec;
    out = message{std::move(msg)};
  } else if (ot.op == "ready") {
    ready_op msg;
    bool session = false;
    ec_t ec = each_root_field(doc, [&](std::string_view k, od::value& f) -> ec_t {
      if (k == "resumed") return read(f, msg.resumed);
      if (k == "sessionId") { session = true; return read(f, msg.session_id); }
      return {};
    });
    if (ec) return ec;
    if (!session) return error::missing_field;
    out = message{std::move(msg)};
  } else {
    unknown_op msg;
    msg.op = ot.op;
    msg.raw.assign(text.data(), text.size());
    return message{std::move(msg)};
  }
  if (ec_t ec = finish(doc)) return ec;
  return out;
}

}  // namespace

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
  auto& ctx = local_context();
  od::document doc;
  if (ec_t ec = ctx.iterate(text, doc)) return ec;
  // Pass 1: the load type (it decides how to read `data`).
  std::string type_name;
  bool has_type = false;
  ec_t ec = each_root_field(doc, [&](std::string_view k, od::value& f) -> ec_t {
    if (k == "loadType") { has_type = true; return read(f, type_name); }
    return {};
  });
  if (ec) return ec;
  if (!has_type) return error::missing_field;
  doc.rewind();

  load_result out;
  out.type_name = type_name;
  if (type_name == "track") out.type = load_type::track;
  else if (type_name == "playlist") out.type = load_type::playlist;
  else if (type_name == "search") out.type = load_type::search;
  else if (type_name == "empty") out.type = load_type::empty;
  else if (type_name == "error") out.type = load_type::error;
  else out.type = load_type::unknown;

  bool has_data = false;
  ec = each_root_field(doc, [&](std::string_view k, od::value& f) -> ec_t {
    if (k != "data") return {};
    has_data = true;
    switch (out.type) {
      case load_type::track: {
        track t;
        MUSICBOT_LL_TRY(read(f, t));
        out.data = std::move(t);
        return {};
      }
      case load_type::playlist: {
        playlist p;
        MUSICBOT_LL_TRY(read(f, p));
        out.data = std::move(p);
        return {};
      }
      case load_type::search: {
        std::vector<track> tracks;
        MUSICBOT_LL_TRY(read(f, tracks));
        out.data = std::move(tracks);
        return {};
      }
      case load_type::error: {
        exception_info ex;
        MUSICBOT_LL_TRY(read(f, ex));
        out.data = std::move(ex);
        return {};
      }
      case load_type::empty: {  // `{}` in the docs, `null` in Lavalink's serializer tests
        std::string raw;
        return read_raw(f, raw);
      }
      case load_type::unknown: {
        std::string raw;
        MUSICBOT_LL_TRY(read_raw(f, raw));
        out.data = std::move(raw);
        return {};
      }
    }
    return {};
  });
  if (ec) return ec;
  if (!has_data && out.type != load_type::empty && out.type != load_type::unknown) {
    return error::missing_field;
  }
  if (out.type == load_type::unknown && !has_data) out.data = std::string("null");
  if (ec_t fin = finish(doc)) return fin;
  return out;
}

boost::system::result<track> parse_track(std::string_view text) { return parse_document<track>(text); }

boost::system::result<std::vector<track>> parse_tracks(std::string_view text) {
  return parse_document<std::vector<track>>(text);
}

boost::system::result<player> parse_player(std::string_view text) {
  return parse_document<player>(text);
}

boost::system::result<std::vector<player>> parse_players(std::string_view text) {
  return parse_document<std::vector<player>>(text);
}

boost::system::result<filters> parse_filters(std::string_view text) {
  return parse_document<filters>(text);
}


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
