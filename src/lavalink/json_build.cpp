// Boost.JSON builders for every Lavalink payload; absent optionals are omitted.
#include <musicbot/lavalink/json.hpp>

#include <boost/json.hpp>

namespace musicbot::lavalink {
namespace json = boost::json;

namespace {

template <class T>
void put_opt(json::object& o, std::string_view key, const std::optional<T>& v) {
  if (v) o[key] = *v;
}

json::value nullable(const std::optional<std::string>& v) {
  if (v) return json::value(*v);
  return nullptr;
}

}  // namespace

std::string_view to_string(load_type type) noexcept {
  switch (type) {
    case load_type::track: return "track";
    case load_type::playlist: return "playlist";
    case load_type::search: return "search";
    case load_type::empty: return "empty";
    case load_type::error: return "error";
    case load_type::unknown: return "";
  }
  return "";
}

std::string_view to_string(track_end_reason reason) noexcept {
  switch (reason) {
    case track_end_reason::finished: return "finished";
    case track_end_reason::load_failed: return "loadFailed";
    case track_end_reason::stopped: return "stopped";
    case track_end_reason::replaced: return "replaced";
    case track_end_reason::cleanup: return "cleanup";
    case track_end_reason::unknown: return "unknown";
  }
  return "unknown";
}

std::string_view to_string(lavalink::severity value) noexcept {
  switch (value) {
    case severity::common: return "common";
    case severity::suspicious: return "suspicious";
    case severity::fault: return "fault";
    case severity::unknown: return "unknown";
  }
  return "unknown";
}

json::value raw_to_json(std::string_view raw) {
  if (raw.empty()) return json::object{};
  boost::system::error_code ec;
  json::value v = json::parse(raw, ec);
  if (ec) return json::object{};
  return v;
}

json::object to_json(const track_info& i) {
  json::object o;
  o["identifier"] = i.identifier;
  o["isSeekable"] = i.is_seekable;
  o["author"] = i.author;
  o["length"] = i.length_ms;
  o["isStream"] = i.is_stream;
  o["position"] = i.position_ms;
  o["title"] = i.title;
  o["uri"] = nullable(i.uri);
  o["artworkUrl"] = nullable(i.artwork_url);
  o["isrc"] = nullable(i.isrc);
  o["sourceName"] = i.source_name;
  return o;
}

json::object to_json(const track& t) {
  json::object o;
  o["encoded"] = t.encoded;
  o["info"] = to_json(t.info);
  o["pluginInfo"] = raw_to_json(t.plugin_info);
  o["userData"] = raw_to_json(t.user_data);
  return o;
}

json::object to_json(const player_state& s) {
  return json::object{{"time", s.time}, {"position", s.position_ms}, {"connected", s.connected},
                      {"ping", s.ping}};
}

json::object to_json(const node_stats& s) {
  json::object o;
  o["players"] = s.players;
  o["playingPlayers"] = s.playing_players;
  o["uptime"] = s.uptime_ms;
  o["memory"] = json::object{{"free", s.memory.free}, {"used", s.memory.used},
                             {"allocated", s.memory.allocated}, {"reservable", s.memory.reservable}};
  o["cpu"] = json::object{{"cores", s.cpu.cores}, {"systemLoad", s.cpu.system_load},
                          {"lavalinkLoad", s.cpu.lavalink_load}};
  if (s.frames) {
    o["frameStats"] = json::object{
        {"sent", s.frames->sent}, {"nulled", s.frames->nulled}, {"deficit", s.frames->deficit}};
  }
  return o;
}

json::object to_json(const exception_info& e) {
  json::object o;
  o["message"] = nullable(e.message);
  o["severity"] = to_string(e.severity);
  o["cause"] = e.cause;
  if (e.cause_stack_trace) o["causeStackTrace"] = *e.cause_stack_trace;
  return o;
}

json::object to_json(const filters& f) {
  json::object o;
  put_opt(o, "volume", f.volume);
  if (f.equalizer) {
    json::array bands;
    for (const auto& b : *f.equalizer) bands.push_back(json::object{{"band", b.band}, {"gain", b.gain}});
    o["equalizer"] = std::move(bands);
  }
  if (f.karaoke) {
    json::object k;
    put_opt(k, "level", f.karaoke->level);
    put_opt(k, "monoLevel", f.karaoke->mono_level);
    put_opt(k, "filterBand", f.karaoke->filter_band);
    put_opt(k, "filterWidth", f.karaoke->filter_width);
    o["karaoke"] = std::move(k);
  }
  if (f.timescale) {
    json::object t;
    put_opt(t, "speed", f.timescale->speed);
    put_opt(t, "pitch", f.timescale->pitch);
    put_opt(t, "rate", f.timescale->rate);
    o["timescale"] = std::move(t);
  }
  auto osc = [](const oscillation_filter& x) {
    json::object t;
    put_opt(t, "frequency", x.frequency);
    put_opt(t, "depth", x.depth);
    return t;
  };
  if (f.tremolo) o["tremolo"] = osc(*f.tremolo);
  if (f.vibrato) o["vibrato"] = osc(*f.vibrato);
  if (f.rotation) {
    json::object r;
    put_opt(r, "rotationHz", f.rotation->rotation_hz);
    o["rotation"] = std::move(r);
  }
  if (f.distortion) {
    const auto& d = *f.distortion;
    json::object x;
    put_opt(x, "sinOffset", d.sin_offset);
    put_opt(x, "sinScale", d.sin_scale);
    put_opt(x, "cosOffset", d.cos_offset);
    put_opt(x, "cosScale", d.cos_scale);
    put_opt(x, "tanOffset", d.tan_offset);
    put_opt(x, "tanScale", d.tan_scale);
    put_opt(x, "offset", d.offset);
    put_opt(x, "scale", d.scale);
    o["distortion"] = std::move(x);
  }
  if (f.channel_mix) {
    const auto& c = *f.channel_mix;
    json::object x;
    put_opt(x, "leftToLeft", c.left_to_left);
    put_opt(x, "leftToRight", c.left_to_right);
    put_opt(x, "rightToLeft", c.right_to_left);
    put_opt(x, "rightToRight", c.right_to_right);
    o["channelMix"] = std::move(x);
  }
  if (f.low_pass) {
    json::object x;
    put_opt(x, "smoothing", f.low_pass->smoothing);
    o["lowPass"] = std::move(x);
  }
  if (!f.plugin_filters.empty()) o["pluginFilters"] = raw_to_json(f.plugin_filters);
  return o;
}

json::object to_json(const voice_state& v) {
  json::object o;
  o["token"] = v.token;
  o["endpoint"] = v.endpoint;
  o["sessionId"] = v.session_id;
  if (v.channel_id) o["channelId"] = *v.channel_id;
  return o;
}

json::object to_json(const player& p) {
  json::object o;
  o["guildId"] = p.guild_id;
  if (p.track) {
    o["track"] = to_json(*p.track);
  } else {
    o["track"] = nullptr;
  }
  o["volume"] = p.volume;
  o["paused"] = p.paused;
  o["state"] = to_json(p.state);
  o["voice"] = to_json(p.voice);
  o["filters"] = to_json(p.filters);
  return o;
}

json::object to_json(const load_result& r) {
  json::object o;
  o["loadType"] = r.type == load_type::unknown ? std::string_view(r.type_name) : to_string(r.type);
  struct visitor {
    json::value operator()(std::monostate) const { return json::object{}; }
    json::value operator()(const track& t) const { return to_json(t); }
    json::value operator()(const playlist& p) const {
      json::array tracks;
      for (const auto& t : p.tracks) tracks.push_back(to_json(t));
      return json::object{
          {"info", json::object{{"name", p.info.name}, {"selectedTrack", p.info.selected_track}}},
          {"pluginInfo", raw_to_json(p.plugin_info)},
          {"tracks", std::move(tracks)}};
    }
    json::value operator()(const std::vector<track>& ts) const {
      json::array tracks;
      for (const auto& t : ts) tracks.push_back(to_json(t));
      return tracks;
    }
    json::value operator()(const exception_info& e) const { return to_json(e); }
    json::value operator()(const std::string& raw) const {
      boost::system::error_code ec;
      json::value v = json::parse(raw, ec);
      if (ec) return nullptr;
      return v;
    }
  };
  o["data"] = std::visit(visitor{}, r.data);
  return o;
}

json::value to_json(const message& msg) {
  struct visitor {
    json::value operator()(const ready_op& m) const {
      return json::object{{"op", "ready"}, {"resumed", m.resumed}, {"sessionId", m.session_id}};
    }
    json::value operator()(const player_update_op& m) const {
      return json::object{{"op", "playerUpdate"}, {"guildId", m.guild_id}, {"state", to_json(m.state)}};
    }
    json::value operator()(const stats_op& m) const {
      json::object o{{"op", "stats"}};
      for (auto& kv : to_json(m.stats)) o.emplace(kv.key(), kv.value());
      return o;
    }
    json::value operator()(const track_start_event& e) const {
      return json::object{{"op", "event"}, {"type", "TrackStartEvent"}, {"guildId", e.guild_id},
                          {"track", to_json(e.track)}};
    }
    json::value operator()(const track_end_event& e) const {
      const std::string_view reason =
          e.reason == track_end_reason::unknown ? std::string_view(e.reason_text) : to_string(e.reason);
      return json::object{{"op", "event"}, {"type", "TrackEndEvent"}, {"guildId", e.guild_id},
                          {"track", to_json(e.track)}, {"reason", reason}};
    }
    json::value operator()(const track_exception_event& e) const {
      return json::object{{"op", "event"}, {"type", "TrackExceptionEvent"}, {"guildId", e.guild_id},
                          {"track", to_json(e.track)}, {"exception", to_json(e.exception)}};
    }
    json::value operator()(const track_stuck_event& e) const {
      return json::object{{"op", "event"}, {"type", "TrackStuckEvent"}, {"guildId", e.guild_id},
                          {"track", to_json(e.track)}, {"thresholdMs", e.threshold_ms}};
    }
    json::value operator()(const websocket_closed_event& e) const {
      return json::object{{"op", "event"}, {"type", "WebSocketClosedEvent"}, {"guildId", e.guild_id},
                          {"code", e.code}, {"reason", e.reason}, {"byRemote", e.by_remote}};
    }
    json::value operator()(const unknown_event& e) const { return raw_to_json(e.raw); }
    json::value operator()(const unknown_op& e) const { return raw_to_json(e.raw); }
  };
  return std::visit(visitor{}, msg);
}

json::object to_json(const session_info& s) {
  return json::object{{"resuming", s.resuming}, {"timeout", s.timeout_s}};
}

json::object to_json(const session_update& s) {
  json::object o;
  put_opt(o, "resuming", s.resuming);
  put_opt(o, "timeout", s.timeout_s);
  return o;
}

json::object to_json(const node_info& i) {
  json::object version{{"semver", i.version.semver}, {"major", i.version.major},
                       {"minor", i.version.minor}, {"patch", i.version.patch},
                       {"preRelease", nullable(i.version.pre_release)}};
  if (i.version.build) version["build"] = *i.version.build;
  json::array plugins;
  for (const auto& p : i.plugins) plugins.push_back(json::object{{"name", p.name}, {"version", p.version}});
  json::array sources(i.source_managers.begin(), i.source_managers.end());
  json::array filter_names(i.filters.begin(), i.filters.end());
  return json::object{{"version", std::move(version)},
                      {"buildTime", i.build_time},
                      {"git", json::object{{"branch", i.git_branch},
                                           {"commit", i.git_commit},
                                           {"commitTime", i.git_commit_time}}},
                      {"jvm", i.jvm},
                      {"lavaplayer", i.lavaplayer},
                      {"sourceManagers", std::move(sources)},
                      {"filters", std::move(filter_names)},
                      {"plugins", std::move(plugins)}};
}

json::object to_json(const rest_error& e) {
  json::object o{{"timestamp", e.timestamp}, {"status", e.status}, {"error", e.error}};
  if (e.trace) o["trace"] = *e.trace;
  o["message"] = e.message;
  o["path"] = e.path;
  return o;
}

boost::system::result<json::object> to_json(const player_update& u) {
  json::object o;
  if (u.track) {
    const auto& t = *u.track;
    if (t.encoded.is_present() && t.identifier) return error::exclusive_fields;
    json::object track;
    if (t.encoded.is_null()) track["encoded"] = nullptr;
    if (t.encoded.has_value()) track["encoded"] = *t.encoded;
    if (t.identifier) track["identifier"] = *t.identifier;
    if (t.user_data) track["userData"] = raw_to_json(*t.user_data);
    o["track"] = std::move(track);
  }
  if (u.position_ms) {
    if (*u.position_ms < 0) return error::invalid_value;
    o["position"] = *u.position_ms;
  }
  if (u.end_time_ms.is_null()) o["endTime"] = nullptr;
  if (u.end_time_ms.has_value()) {
    if (*u.end_time_ms < 0) return error::invalid_value;
    o["endTime"] = *u.end_time_ms;
  }
  if (u.volume) {
    if (*u.volume < 0 || *u.volume > 1000) return error::invalid_value;
    o["volume"] = *u.volume;
  }
  if (u.paused) o["paused"] = *u.paused;
  if (u.filters) o["filters"] = to_json(*u.filters);
  if (u.voice) {
    if (!u.voice->channel_id || u.voice->channel_id->empty()) return error::missing_channel_id;
    o["voice"] = to_json(*u.voice);
  }
  return o;
}

}  // namespace musicbot::lavalink
