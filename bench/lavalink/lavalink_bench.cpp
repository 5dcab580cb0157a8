// Parsing and codec costs against baselines in the same binary:
// simdjson into our structs vs Boost.JSON DOM into the same structs, and
// track decoding vs plain base64 decoding of the same string.
#include <musicbot/lavalink/json.hpp>
#include <musicbot/lavalink/track_codec.hpp>

#include <benchmark/benchmark.h>
#include <boost/json.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace ll = musicbot::lavalink;
namespace json = boost::json;

namespace {

std::string read_testdata(const std::string& name) {
  std::ifstream in(std::string(MUSICBOT_TESTDATA_DIR) + "/lavalink/" + name, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + name);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// --- Boost.JSON baselines: the same structs, filled from a DOM -------------

std::string str(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string();
}

std::optional<std::string> opt_str(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return std::nullopt;
  return std::string(it->value().get_string());
}

std::int64_t num(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_int64() ? it->value().get_int64() : 0;
}

bool flag(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_bool() && it->value().get_bool();
}

ll::track track_from(const json::object& o) {
  ll::track t;
  t.encoded = str(o, "encoded");
  const auto& i = o.at("info").as_object();
  t.info.identifier = str(i, "identifier");
  t.info.is_seekable = flag(i, "isSeekable");
  t.info.author = str(i, "author");
  t.info.length_ms = num(i, "length");
  t.info.is_stream = flag(i, "isStream");
  t.info.position_ms = num(i, "position");
  t.info.title = str(i, "title");
  t.info.uri = opt_str(i, "uri");
  t.info.artwork_url = opt_str(i, "artworkUrl");
  t.info.isrc = opt_str(i, "isrc");
  t.info.source_name = str(i, "sourceName");
  if (auto it = o.find("pluginInfo"); it != o.end()) t.plugin_info = json::serialize(it->value());
  if (auto it = o.find("userData"); it != o.end()) t.user_data = json::serialize(it->value());
  return t;
}

ll::player_update_op boost_player_update(std::string_view text) {
  const auto v = json::parse(text);
  const auto& o = v.as_object();
  ll::player_update_op m;
  m.guild_id = str(o, "guildId");
  const auto& s = o.at("state").as_object();
  m.state = ll::player_state{num(s, "time"), num(s, "position"), flag(s, "connected"), num(s, "ping")};
  return m;
}

ll::track_end_event boost_track_end(std::string_view text) {
  const auto v = json::parse(text);
  const auto& o = v.as_object();
  ll::track_end_event e;
  e.guild_id = str(o, "guildId");
  e.track = track_from(o.at("track").as_object());
  e.reason_text = str(o, "reason");
  e.reason = e.reason_text == "finished" ? ll::track_end_reason::finished : ll::track_end_reason::unknown;
  return e;
}

const std::string& player_update_text() {
  static const std::string text = read_testdata("ws_player_state.json");
  return text;
}
const std::string& track_end_text() {
  static const std::string text = read_testdata("ws_event_track_end.json");
  return text;
}
constexpr std::string_view sample_track =
    "QAAA2QMAPFJpY2sgQXN0bGV5IC0gTmV2ZXIgR29ubmEgR2l2ZSBZb3UgVXAgKE9mZmljaWFsIE11c2ljIFZpZGVvKQALUmljayBBc3RsZXkAAAAAAANACAALZFF3NHc5V2dYY1EAAQAraHR0cHM6Ly93d3cueW91dHViZS5jb20vd2F0Y2g/dj1kUXc0dzlXZ1hjUQEANGh0dHBzOi8vaS55dGltZy5jb20vdmkvZFF3NHc5V2dYY1EvbWF4cmVzZGVmYXVsdC5qcGcAAAd5b3V0dWJlAAAAAAAAAAA=";

void BM_parse_player_update(benchmark::State& state) {
  ll::message_parser parser;
  const auto& text = player_update_text();
  for (auto _ : state) {
    auto m = parser.parse(text);
    benchmark::DoNotOptimize(m);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_parse_player_update);

void BM_parse_player_update_boost_json(benchmark::State& state) {
  const auto& text = player_update_text();
  for (auto _ : state) {
    auto m = boost_player_update(text);
    benchmark::DoNotOptimize(m);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_parse_player_update_boost_json);

void BM_parse_track_end_event(benchmark::State& state) {
  ll::message_parser parser;
  const auto& text = track_end_text();
  for (auto _ : state) {
    auto m = parser.parse(text);
    benchmark::DoNotOptimize(m);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_parse_track_end_event);

void BM_parse_track_end_event_boost_json(benchmark::State& state) {
  const auto& text = track_end_text();
  for (auto _ : state) {
    auto m = boost_track_end(text);
    benchmark::DoNotOptimize(m);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_parse_track_end_event_boost_json);

void BM_track_decode(benchmark::State& state) {
  for (auto _ : state) {
    auto t = ll::decode_track(sample_track);
    benchmark::DoNotOptimize(t);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(sample_track.size()));
}
BENCHMARK(BM_track_decode);

void BM_base64_decode_only(benchmark::State& state) {
  std::vector<std::uint8_t> out;
  for (auto _ : state) {
    bool ok = ll::base64_decode(sample_track, out);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(sample_track.size()));
}
BENCHMARK(BM_base64_decode_only);

}  // namespace

BENCHMARK_MAIN();
