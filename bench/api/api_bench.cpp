// Control API request bodies: the component's parser (simdjson on-demand,
// one pass, every field validated) against a baseline that parses into a
// Boost.JSON DOM and validates the same fields. Also the cost of verifying
// a presented token without the cache (SHA-256 + constant-time compare).
#include <musicbot/api/requests.hpp>
#include <musicbot/api/token.hpp>
#include <musicbot/queue/validation.hpp>

#include <benchmark/benchmark.h>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>

namespace {

const std::string volume_body = R"({"volume": 55})";
const std::string settings_body =
    R"({"volume":80,"loop":"off","autoplay":true,"automix":false,"dj_role_id":"1173917793654013952",)"
    R"("announce_channel_id":null,"max_queue_length":100,"max_per_user":5})";

// Baseline: DOM parse, then the same checks field by field.
std::optional<musicbot::api::settings_patch> boost_settings(const std::string& body) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  musicbot::api::settings_patch p;
  for (const auto& [key, value] : v.as_object()) {
    if (key == "volume") {
      if (!value.is_int64() || value.as_int64() < 0 || value.as_int64() > 200) return std::nullopt;
      p.volume = static_cast<int>(value.as_int64());
    } else if (key == "loop") {
      if (!value.is_string()) return std::nullopt;
      auto m = musicbot::queue::parse_loop_mode(std::string_view(value.as_string()));
      if (!m) return std::nullopt;
      p.loop = *m;
    } else if (key == "autoplay" || key == "automix") {
      if (!value.is_bool()) return std::nullopt;
      (key == "autoplay" ? p.autoplay : p.automix) = value.as_bool();
    } else if (key == "dj_role_id" || key == "announce_channel_id") {
      std::optional<std::uint64_t> id;
      if (!value.is_null()) {
        if (!value.is_string()) return std::nullopt;
        auto parsed = musicbot::queue::parse_snowflake(std::string_view(value.as_string()),
                                                       std::chrono::system_clock::now());
        if (!parsed) return std::nullopt;
        id = *parsed;
      }
      (key == "dj_role_id" ? p.dj_role_id : p.announce_channel_id) = id;
    } else if (key == "max_queue_length" || key == "max_per_user") {
      if (!value.is_int64() || value.as_int64() < 0 || value.as_int64() > 100000) return std::nullopt;
      (key == "max_queue_length" ? p.max_queue_length : p.max_per_user) = static_cast<std::size_t>(value.as_int64());
    } else {
      return std::nullopt;
    }
  }
  return p;
}

std::optional<int> boost_volume(const std::string& body) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object() || v.as_object().size() != 1) return std::nullopt;
  const auto* f = v.as_object().if_contains("volume");
  if (f == nullptr || !f->is_int64() || f->as_int64() < 0 || f->as_int64() > 200) return std::nullopt;
  return static_cast<int>(f->as_int64());
}

void BM_VolumeBody_Api(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(musicbot::api::parse_volume_request(volume_body));
}
void BM_VolumeBody_BoostJsonBaseline(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(boost_volume(volume_body));
}
void BM_SettingsPatch_Api(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(musicbot::api::parse_settings_patch(settings_body));
}
void BM_SettingsPatch_BoostJsonBaseline(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(boost_settings(settings_body));
}

// An uncached token check: SHA-256 of the presented token plus the
// constant-time comparison with the stored hash (the store lookup excluded).
void BM_TokenVerify_Uncached(benchmark::State& state) {
  const auto t = musicbot::api::generate_token();
  const std::string presented = t->token.reveal();
  const std::string stored = musicbot::api::token_hash(presented);
  for (auto _ : state) {
    const auto h = musicbot::api::token_hash(presented);
    benchmark::DoNotOptimize(musicbot::api::constant_time_equals(h, stored));
  }
}
// Baseline: a plain (variable-time) string comparison, what a cache hit costs at most.
void BM_TokenVerify_PlainCompareBaseline(benchmark::State& state) {
  const auto t = musicbot::api::generate_token();
  const std::string presented = t->token.reveal();
  const std::string copy = presented;
  for (auto _ : state) benchmark::DoNotOptimize(presented == copy);
}

BENCHMARK(BM_VolumeBody_Api);
BENCHMARK(BM_VolumeBody_BoostJsonBaseline);
BENCHMARK(BM_SettingsPatch_Api);
BENCHMARK(BM_SettingsPatch_BoostJsonBaseline);
BENCHMARK(BM_TokenVerify_Uncached);
BENCHMARK(BM_TokenVerify_PlainCompareBaseline);

}  // namespace

BENCHMARK_MAIN();
