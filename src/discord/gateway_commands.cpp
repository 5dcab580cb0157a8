#include "musicbot/discord/gateway_commands.hpp"

#include <boost/json.hpp>

namespace musicbot::discord {

namespace json = boost::json;

namespace {

json::object presence_object(const presence& p) {
  json::array activities;
  if (p.activity_name) activities.push_back(json::object{{"name", *p.activity_name}, {"type", p.activity_type}});
  return json::object{{"since", nullptr}, {"activities", std::move(activities)}, {"status", p.status}, {"afk", p.afk}};
}

std::string envelope(opcode op, json::value d) {
  return json::serialize(json::object{{"op", static_cast<int>(op)}, {"d", std::move(d)}});
}

}  // namespace

std::string build_identify(const identify_options& o) {
  json::object d{
      {"token", o.token.reveal()},
      {"properties", json::object{{"os", o.os}, {"browser", o.browser}, {"device", o.device}}},
      {"large_threshold", o.large_threshold},
      {"shard", json::array{o.shard[0], o.shard[1]}},
      {"intents", o.intents},
  };
  if (o.initial_presence) d["presence"] = presence_object(*o.initial_presence);
  return envelope(opcode::identify, std::move(d));
}

std::string build_resume(const core::secret& token, std::string_view session_id, std::int64_t seq) {
  return envelope(opcode::resume, json::object{{"token", token.reveal()}, {"session_id", session_id}, {"seq", seq}});
}

std::string build_heartbeat(std::optional<std::int64_t> last_seq) {
  return envelope(opcode::heartbeat, last_seq ? json::value(*last_seq) : json::value(nullptr));
}

std::string build_voice_state_update(snowflake guild_id, std::optional<snowflake> channel_id, bool self_mute,
                                     bool self_deaf) {
  return envelope(opcode::voice_state_update,
                  json::object{{"guild_id", std::to_string(guild_id)},
                               {"channel_id", channel_id ? json::value(std::to_string(*channel_id)) : json::value(nullptr)},
                               {"self_mute", self_mute},
                               {"self_deaf", self_deaf}});
}

std::string build_presence_update(const presence& p) { return envelope(opcode::presence_update, presence_object(p)); }

}  // namespace musicbot::discord
