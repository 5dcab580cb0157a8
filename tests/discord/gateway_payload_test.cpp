#include "musicbot/discord/gateway_commands.hpp"
#include "musicbot/discord/gateway_payload.hpp"

#include "musicbot/discord/error.hpp"
#include "musicbot/discord/zlib_stream.hpp"
#include "test_data.hpp"

#include <gtest/gtest.h>

namespace musicbot::discord {
namespace {

using test::read_file;
using test::read_json;

gateway_payload parse_file(const std::string& rel) {
  gateway_parser parser;
  auto r = parser.parse(read_file(rel));
  EXPECT_TRUE(r) << rel << ": " << (r ? "" : r.error().message());
  return r ? *r : gateway_payload{};
}

// The single-walk path (op/t before d) and the general path (d first) give
// the same typed event and the same raw d, equal to the file's d.
TEST(GatewayPayload, KeyOrderDoesNotChangeTheResult) {
  const char* files[] = {"gw_hello.json",
                         "gw_invalid_session_true.json",
                         "gw_ready.json",
                         "gw_dispatch_guild_create_min.json",
                         "gw_dispatch_voice_state_update.json",
                         "gw_dispatch_voice_server_update.json",
                         "gw_dispatch_voice_server_update_null_endpoint.json",
                         "gw_dispatch_interaction_create_command.json",
                         "gw_dispatch_interaction_create_button.json"};
  gateway_parser parser;
  for (const char* f : files) {
    SCOPED_TRACE(f);
    const auto doc = read_json(f).as_object();
    boost::json::object d_first;
    d_first["d"] = doc.at("d");
    for (const auto& kv : doc)
      if (kv.key() != "d") d_first[kv.key()] = kv.value();
    auto a = parser.parse(boost::json::serialize(doc));
    ASSERT_TRUE(a);
    auto b = parser.parse(boost::json::serialize(d_first));
    ASSERT_TRUE(b);
    EXPECT_EQ(a->event.index(), b->event.index());
    EXPECT_FALSE(a->typed_error);
    EXPECT_FALSE(std::holds_alternative<raw_dispatch>(a->event));
    EXPECT_EQ(boost::json::parse(a->d), doc.at("d"));
    EXPECT_EQ(a->d, b->d);
    EXPECT_EQ(a->op, b->op);
    EXPECT_EQ(a->s, b->s);
    EXPECT_EQ(a->t, b->t);
  }
}

// One parser reused over different events: nothing leaks from an earlier
// event of the same type into a later one (buffers are recycled).
TEST(GatewayPayload, ReusedParserLeavesNoStaleFields) {
  gateway_parser parser;
  gateway_payload p;
  const auto command = read_file("gw_dispatch_interaction_create_command.json");
  const auto button = read_file("gw_dispatch_interaction_create_button.json");
  const auto voice = read_file("gw_dispatch_voice_state_update.json");
  ASSERT_FALSE(parser.parse_into(command, p));
  const auto first = std::get<interaction>(p.event);
  ASSERT_FALSE(parser.parse_into(voice, p));
  ASSERT_TRUE(std::holds_alternative<voice_state>(p.event));
  ASSERT_FALSE(parser.parse_into(button, p));
  const auto& btn = std::get<interaction>(p.event);
  EXPECT_TRUE(btn.command_name.empty());
  EXPECT_TRUE(btn.options.empty());
  EXPECT_FALSE(btn.command_id);
  EXPECT_EQ(btn.custom_id, "player:skip");
  ASSERT_FALSE(parser.parse_into(command, p));
  const auto& again = std::get<interaction>(p.event);
  EXPECT_TRUE(again.custom_id.empty());
  EXPECT_FALSE(again.message_id);
  EXPECT_EQ(again.command_name, first.command_name);
  EXPECT_EQ(again.token, first.token);
  ASSERT_EQ(again.options.size(), first.options.size());
  EXPECT_EQ(again.options[0].value, first.options[0].value);
  // A known dispatch that does not match its model is delivered raw.
  ASSERT_FALSE(parser.parse_into(R"({"t":"INTERACTION_CREATE","s":9,"op":0,"d":{"id":"x"}})", p));
  EXPECT_TRUE(std::holds_alternative<raw_dispatch>(p.event));
  EXPECT_TRUE(p.typed_error);
  EXPECT_EQ(p.d, R"({"id":"x"})");
  ASSERT_FALSE(parser.parse_into(R"({"t":"VOICE_SERVER_UPDATE","s":10,"op":0,"d":{"token":"a","guild_id":"1"}} )", p));
  EXPECT_FALSE(std::get<voice_server_update_event>(p.event).endpoint);
  EXPECT_EQ(p.d, R"({"token":"a","guild_id":"1"})");
}

TEST(GatewayPayload, Hello) {
  auto p = parse_file("gw_hello.json");
  EXPECT_EQ(p.op, 10);
  ASSERT_TRUE(std::holds_alternative<hello_event>(p.event));
  EXPECT_EQ(std::get<hello_event>(p.event).heartbeat_interval, std::chrono::milliseconds(45000));
  EXPECT_FALSE(p.s);
  EXPECT_TRUE(p.t.empty());
}

TEST(GatewayPayload, HeartbeatAckBothForms) {
  auto a = parse_file("gw_heartbeat_ack.json");
  EXPECT_TRUE(std::holds_alternative<heartbeat_ack_event>(a.event));
  auto b = parse_file("zlib_stream/expected/msg_05_heartbeat_ack.json");
  EXPECT_TRUE(std::holds_alternative<heartbeat_ack_event>(b.event));
  EXPECT_EQ(b.d, "null");
}

TEST(GatewayPayload, HeartbeatRequestReconnectInvalidSession) {
  EXPECT_TRUE(std::holds_alternative<heartbeat_request>(parse_file("gw_heartbeat.json").event));
  EXPECT_TRUE(std::holds_alternative<reconnect_event>(parse_file("gw_reconnect.json").event));
  auto f = parse_file("gw_invalid_session_false.json");
  ASSERT_TRUE(std::holds_alternative<invalid_session_event>(f.event));
  EXPECT_FALSE(std::get<invalid_session_event>(f.event).resumable);
  auto t = parse_file("gw_invalid_session_true.json");
  ASSERT_TRUE(std::holds_alternative<invalid_session_event>(t.event));
  EXPECT_TRUE(std::get<invalid_session_event>(t.event).resumable);
}

TEST(GatewayPayload, Ready) {
  auto p = parse_file("gw_ready.json");
  EXPECT_EQ(p.t, "READY");
  EXPECT_EQ(p.s, 1);
  ASSERT_TRUE(std::holds_alternative<ready_event>(p.event));
  const auto& r = std::get<ready_event>(p.event);
  EXPECT_EQ(r.api_version, 10);
  EXPECT_EQ(r.session_id, "9a1f5e3c7b2d4e6f8a0b1c2d3e4f5a6b");
  EXPECT_EQ(r.resume_gateway_url, "wss://gateway-us-east1-b.discord.gg");
  EXPECT_EQ(r.user_id, 1173917793654013952u);
  EXPECT_EQ(r.username, "Tunebot");
  EXPECT_EQ(r.application_id, 1173917793654013952u);
  ASSERT_TRUE(r.shard);
  EXPECT_EQ((*r.shard)[1], 1u);
  EXPECT_EQ(r.guild_ids, (std::vector<snowflake>{41771983423143937u, 706475143987331072u}));
}

TEST(GatewayPayload, ResumedDoesNotDependOnD) {
  auto p = parse_file("gw_resumed.json");
  EXPECT_TRUE(std::holds_alternative<resumed_event>(p.event));
  EXPECT_EQ(p.s, 1338);
}

TEST(GatewayPayload, GuildCreateVoiceStatesGetTheGuildId) {
  auto p = parse_file("gw_dispatch_guild_create_min.json");
  ASSERT_TRUE(std::holds_alternative<guild_create_event>(p.event));
  const auto& g = std::get<guild_create_event>(p.event);
  EXPECT_EQ(g.id, 41771983423143937u);
  EXPECT_EQ(g.name, "Lo-fi Lounge \xF0\x9F\x8E\xA7");
  ASSERT_EQ(g.voice_states.size(), 1u);
  EXPECT_EQ(g.voice_states[0].guild_id, g.id);
  EXPECT_EQ(g.voice_states[0].channel_id, 127121515262115840u);
  EXPECT_TRUE(g.voice_states[0].self_mute);
}

TEST(GatewayPayload, LargeGuildCreateWithDataBeforeTheEnvelope) {
  auto p = parse_file("zlib_stream/expected/msg_06_guild_create_large.json");
  EXPECT_EQ(p.t, "GUILD_CREATE");
  ASSERT_TRUE(std::holds_alternative<guild_create_event>(p.event)) << p.typed_error.message();
  const auto& g = std::get<guild_create_event>(p.event);
  EXPECT_EQ(g.id, 706475143987331072u);
  EXPECT_EQ(g.member_count, 48211u);
  EXPECT_EQ(g.voice_states.size(), 25u);
  EXPECT_GT(p.d.size(), 1u << 20);
}

TEST(GatewayPayload, VoiceStateUpdate) {
  auto p = parse_file("gw_dispatch_voice_state_update.json");
  ASSERT_TRUE(std::holds_alternative<voice_state>(p.event));
  const auto& vs = std::get<voice_state>(p.event);
  EXPECT_EQ(vs.guild_id, 41771983423143937u);
  EXPECT_EQ(vs.channel_id, 127121515262115840u);
  EXPECT_EQ(vs.user_id, 1173917793654013952u);
  EXPECT_EQ(vs.session_id, "90326bd25d71d39b9ef95b299e3872ff");
}

TEST(GatewayPayload, VoiceServerUpdateWithAndWithoutEndpoint) {
  auto p = parse_file("gw_dispatch_voice_server_update.json");
  ASSERT_TRUE(std::holds_alternative<voice_server_update_event>(p.event));
  EXPECT_EQ(std::get<voice_server_update_event>(p.event).endpoint, "sweetwater-12345.discord.media:2048");
  EXPECT_EQ(std::get<voice_server_update_event>(p.event).token, "my_token");
  auto n = parse_file("gw_dispatch_voice_server_update_null_endpoint.json");
  ASSERT_TRUE(std::holds_alternative<voice_server_update_event>(n.event));
  EXPECT_FALSE(std::get<voice_server_update_event>(n.event).endpoint);
  EXPECT_EQ(std::get<voice_server_update_event>(n.event).guild_id, 41771983423143937u);
}

TEST(GatewayPayload, SlashCommandInteraction) {
  auto p = parse_file("gw_dispatch_interaction_create_command.json");
  ASSERT_TRUE(std::holds_alternative<interaction>(p.event));
  const auto& in = std::get<interaction>(p.event);
  EXPECT_EQ(in.type, interaction_type::application_command);
  EXPECT_EQ(in.id, 1424099381862334464u);
  EXPECT_EQ(in.token, "INTERACTION_TOKEN");
  EXPECT_EQ(in.command_name, "play");
  EXPECT_EQ(in.user_id, 597869602013315072u);
  EXPECT_EQ(in.guild_id, 41771983423143937u);
  EXPECT_EQ(in.member_permissions, 2248473465835073u);
  ASSERT_EQ(in.options.size(), 1u);
  EXPECT_EQ(in.options[0].name, "query");
  EXPECT_EQ(std::get<std::string>(in.options[0].value), "Daft Punk \xE2\x80\x93 Harder, Better, Faster, Stronger");
}

TEST(GatewayPayload, ButtonInteraction) {
  auto p = parse_file("gw_dispatch_interaction_create_button.json");
  ASSERT_TRUE(std::holds_alternative<interaction>(p.event));
  const auto& in = std::get<interaction>(p.event);
  EXPECT_EQ(in.type, interaction_type::message_component);
  EXPECT_EQ(in.custom_id, "player:skip");
  EXPECT_EQ(in.component_type, 2);
  EXPECT_EQ(in.message_id, 1424099393509916672u);
  EXPECT_FALSE(in.command_id);
}

TEST(GatewayPayload, EveryInflatedStreamMessageParses) {
  const auto index = read_json("zlib_stream/index.json");
  gateway_parser parser;
  zlib_stream_inflater inflater;
  gateway_payload out;
  for (const auto& v : index.at("frames").as_array()) {
    const auto& f = v.as_object();
    if (f.at("new_connection").as_bool()) inflater.reset();
    auto msg = inflater.feed(read_file("zlib_stream/" + std::string(f.at("file").as_string())));
    ASSERT_TRUE(msg);
    if (!msg->has_value()) continue;
    const auto view = **msg;
    ASSERT_FALSE(parser.parse_into(view, out, view.size() + json_padding)) << f.at("file");
    EXPECT_EQ(out.op, f.at("op").as_int64());
    if (f.at("t").is_string()) { EXPECT_EQ(out.t, f.at("t").as_string()); }
    if (f.at("s").is_int64()) { EXPECT_EQ(out.s, f.at("s").as_int64()); }
    EXPECT_FALSE(std::holds_alternative<raw_dispatch>(out.event)) << f.at("file");
    EXPECT_FALSE(out.typed_error);
  }
}

TEST(GatewayPayload, UnknownDispatchIsDeliveredRaw) {
  gateway_parser parser;
  auto p = parser.parse(R"({"t":"MESSAGE_CREATE","s":9,"op":0,"d":{"content":"hi","x":[1,2]}})");
  ASSERT_TRUE(p);
  EXPECT_TRUE(std::holds_alternative<raw_dispatch>(p->event));
  EXPECT_EQ(p->d, R"({"content":"hi","x":[1,2]})");
}

TEST(GatewayPayload, MalformedKnownDispatchIsDeliveredRawWithTheReason) {
  gateway_parser parser;
  auto p = parser.parse(R"({"t":"VOICE_SERVER_UPDATE","s":3,"op":0,"d":{"token":"x","guild_id":"not-a-number"}})");
  ASSERT_TRUE(p);
  EXPECT_TRUE(std::holds_alternative<raw_dispatch>(p->event));
  EXPECT_EQ(p->typed_error, error::invalid_payload);
  EXPECT_FALSE(p->d.empty());
}

TEST(GatewayPayload, UnknownOpcodeIsKept) {
  gateway_parser parser;
  auto p = parser.parse(R"({"op":42,"d":{"a":1}})");
  ASSERT_TRUE(p);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(p->event));
  EXPECT_EQ(p->d, R"({"a":1})");
}

TEST(GatewayPayload, BadInputIsAnError) {
  gateway_parser parser;
  for (std::string_view bad : {"", "{", "[]", "null", R"({"d":1})", R"({"op":"x"})", R"({"op":10,"d":{}})",
                               R"({"op":10})", R"({"op":9,"d":"yes"})", "\xff\xfe"}) {
    auto p = parser.parse(bad);
    EXPECT_FALSE(p) << bad;
  }
}

TEST(GatewayCommands, VoiceStateUpdateMatchesTheDocs) {
  const auto expected = read_json("gw_voice_state_update_send.json");
  const auto built = boost::json::parse(build_voice_state_update(41771983423143937u, 127121515262115840u, false, false));
  EXPECT_EQ(built, expected);
  const auto leave = boost::json::parse(build_voice_state_update(41771983423143937u, std::nullopt));
  EXPECT_TRUE(leave.at("d").at("channel_id").is_null());
}

TEST(GatewayCommands, ResumeMatchesTheDocs) {
  const auto expected = read_json("gw_resume.json");
  const auto built = boost::json::parse(build_resume(core::secret("TOKEN"), "evenmorerandomstring", 1337));
  EXPECT_EQ(built, expected);
}

TEST(GatewayCommands, HeartbeatCarriesTheLastSequenceOrNull) {
  EXPECT_EQ(boost::json::parse(build_heartbeat(251)), read_json("gw_heartbeat.json"));
  EXPECT_TRUE(boost::json::parse(build_heartbeat(std::nullopt)).at("d").is_null());
}

TEST(GatewayCommands, IdentifyHasTheDocumentedShapeAndDefaultIntents) {
  identify_options o;
  o.token = core::secret("TOKEN");
  o.shard = {3, 16};
  const auto built = boost::json::parse(build_identify(o));
  const auto expected = read_json("gw_identify.json");
  EXPECT_EQ(built.at("op"), expected.at("op"));
  EXPECT_EQ(built.at("d").at("token"), expected.at("d").at("token"));
  for (const auto& kv : expected.at("d").at("properties").as_object())
    EXPECT_TRUE(built.at("d").at("properties").as_object().contains(kv.key()));
  EXPECT_EQ(built.at("d").at("intents").as_int64(), 129);
  EXPECT_EQ(built.at("d").at("shard"), (boost::json::array{3, 16}));
  EXPECT_FALSE(built.at("d").as_object().contains("compress"));
  EXPECT_LE(build_identify(o).size(), max_outbound_payload);
}

// Malformed JSON inside a `d` that has a typed model: the parser retries on
// the general path, which must start from a fresh document (the first one
// is unusable after the error). Found by differential fuzzing.
TEST(GatewayPayload, MalformedJsonInsideATypedDIsAnErrorNotACrash) {
  gateway_parser parser;
  for (const std::string_view json : {R"({"op":10,"d":{"a"1}})", R"({"op":10,"d":{"heartbeat_interval":41250,})"}) {
    auto p = parser.parse(json);
    ASSERT_FALSE(p) << json;
    EXPECT_EQ(p.error(), error::invalid_json) << json;
  }
  // A dispatch is an error too, or delivered raw with the reason (the raw
  // path skips over `d` without checking all of it): never a typed event.
  for (const std::string_view json : {R"({"op":0,"t":"GUILD_DELETE","d":{"id":"1" "x":1}})",
                                      R"({"op":0,"t":"INTERACTION_CREATE","d":{"id":"1","token":})"}) {
    auto p = parser.parse(json);
    if (!p) continue;
    EXPECT_TRUE(std::holds_alternative<raw_dispatch>(p->event)) << json;
    EXPECT_TRUE(p->typed_error) << json;
  }
  // The parser is still usable afterwards.
  auto ok = parser.parse(R"({"op":10,"d":{"heartbeat_interval":41250}})");
  ASSERT_TRUE(ok);
  ASSERT_TRUE(std::holds_alternative<hello_event>(ok->event));
}

// Numbers outside what their field can hold are refused, not wrapped.
TEST(GatewayPayload, OutOfRangeNumbersAreRefused) {
  gateway_parser parser;
  auto hello = parser.parse(R"({"op":10,"d":{"heartbeat_interval":18446744073709551615}})");
  EXPECT_FALSE(hello) << "a heartbeat interval beyond any sane bound";
  auto ready = parser.parse(
      R"({"op":0,"s":1,"t":"READY","d":{"v":4294967306,"session_id":"s","resume_gateway_url":"wss://g","user":{"id":"1"},"guilds":[]}})");
  ASSERT_TRUE(ready);
  EXPECT_TRUE(std::holds_alternative<raw_dispatch>(ready->event)) << "v = 2^32 + 10 must not read as 10";
  EXPECT_EQ(ready->typed_error, error::invalid_payload);
  auto press = parser.parse(
      R"({"op":0,"s":2,"t":"INTERACTION_CREATE","d":{"id":"5","token":"t","type":4294967299,"data":{"name":"play"}}})");
  ASSERT_TRUE(press);
  EXPECT_TRUE(std::holds_alternative<raw_dispatch>(press->event)) << "type = 2^32 + 3 must not read as 3";
}

// What an interaction means does not depend on the order of its keys.
TEST(GatewayPayload, InteractionFieldsDoNotDependOnKeyOrder) {
  gateway_parser parser;
  // A button press whose `data` comes before `type`: `data.id` is not a command id.
  auto press = parser.parse(
      R"({"op":0,"s":3,"t":"INTERACTION_CREATE","d":{"id":"5","token":"t","data":{"id":"77","custom_id":"player:skip","component_type":2},"type":3}})");
  ASSERT_TRUE(press);
  ASSERT_TRUE(std::holds_alternative<interaction>(press->event));
  const auto& in = std::get<interaction>(press->event);
  EXPECT_EQ(in.custom_id, "player:skip");
  EXPECT_FALSE(in.command_id) << "a component's data.id was taken as a command id";
  // A member whose `user` key appears twice still has its permissions read.
  auto cmd = parser.parse(
      R"({"op":0,"s":4,"t":"INTERACTION_CREATE","d":{"id":"6","token":"t","type":2,"data":{"id":"9","name":"play"},"member":{"user":{"id":"11"},"user":{"id":"11"},"permissions":"8"}}})");
  ASSERT_TRUE(cmd);
  ASSERT_TRUE(std::holds_alternative<interaction>(cmd->event));
  const auto& c = std::get<interaction>(cmd->event);
  EXPECT_EQ(c.user_id, 11u);
  EXPECT_EQ(c.member_permissions, 8u) << "permissions after a repeated user key were skipped";
  EXPECT_EQ(c.command_id, 9u);
}

}  // namespace
}  // namespace musicbot::discord
