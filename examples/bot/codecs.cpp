#include "codecs.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <cstdint>

namespace musicbot::bot {

namespace {

constexpr std::size_t max_payload = 4096;

// Snowflakes travel as strings (JSON numbers lose precision past 2^53).
std::optional<std::uint64_t> snowflake_at(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  const auto& s = v->get_string();
  std::uint64_t out = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || p != s.data() + s.size() || out == 0) return std::nullopt;
  return out;
}

std::optional<std::int64_t> integer_at(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return std::nullopt;
  if (const auto* i = v->if_int64()) return *i;
  if (const auto* u = v->if_uint64(); u != nullptr && *u <= 1'000'000'000ULL) return static_cast<std::int64_t>(*u);
  return std::nullopt;
}

std::optional<bool> bool_at(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_bool()) return std::nullopt;
  return v->get_bool();
}

}  // namespace

std::string encode_settings(const queue::guild_settings& s) {
  boost::json::object o;
  o["guild"] = std::to_string(s.guild_id);
  o["volume"] = s.volume;
  o["loop"] = static_cast<int>(s.loop);
  o["autoplay"] = s.autoplay;
  o["automix"] = s.automix;
  if (s.dj_role_id) o["dj_role"] = std::to_string(*s.dj_role_id);
  if (s.announce_channel_id) o["announce_channel"] = std::to_string(*s.announce_channel_id);
  o["max_queue_length"] = static_cast<std::uint64_t>(s.max_queue_length);
  o["max_per_user"] = static_cast<std::uint64_t>(s.max_per_user);
  return boost::json::serialize(o);
}

std::optional<queue::guild_settings> decode_settings(std::string_view json) {
  if (json.size() > max_payload) return std::nullopt;
  boost::system::error_code ec;
  const auto v = boost::json::parse(json, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  queue::guild_settings s;
  const auto guild = snowflake_at(o, "guild");
  const auto volume = integer_at(o, "volume");
  const auto loop = integer_at(o, "loop");
  const auto autoplay = bool_at(o, "autoplay");
  const auto automix = bool_at(o, "automix");
  const auto max_length = integer_at(o, "max_queue_length");
  const auto per_user = integer_at(o, "max_per_user");
  if (!guild || !volume || !loop || !autoplay || !automix || !max_length || !per_user) return std::nullopt;
  if (*volume < queue::guild_settings::min_volume || *volume > queue::guild_settings::max_volume) return std::nullopt;
  if (*loop < 0 || *loop > 2 || *max_length < 0 || *per_user < 0) return std::nullopt;
  s.guild_id = *guild;
  s.volume = static_cast<int>(*volume);
  s.loop = static_cast<queue::loop_mode>(*loop);
  s.autoplay = *autoplay;
  s.automix = *automix;
  s.max_queue_length = static_cast<std::size_t>(*max_length);
  s.max_per_user = static_cast<std::size_t>(*per_user);
  if (o.contains("dj_role")) {
    s.dj_role_id = snowflake_at(o, "dj_role");
    if (!s.dj_role_id) return std::nullopt;
  }
  if (o.contains("announce_channel")) {
    s.announce_channel_id = snowflake_at(o, "announce_channel");
    if (!s.announce_channel_id) return std::nullopt;
  }
  if (!queue::validate(s)) return std::nullopt;
  return s;
}

}  // namespace musicbot::bot
