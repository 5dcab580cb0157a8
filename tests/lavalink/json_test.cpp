#include <musicbot/lavalink/json.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "testdata.hpp"

namespace ll = musicbot::lavalink;
namespace json = boost::json;
using lavalink_test::read_testdata;

namespace {

constexpr std::string_view rick =
    "QAAAjQIAJVJpY2sgQXN0bGV5IC0gTmV2ZXIgR29ubmEgR2l2ZSBZb3UgVXAADlJpY2tBc3RsZXlWRVZPAAAAAAADPCAAC2RRdzR3OVdnWGNRAAEAK2h0dHBzOi8vd3d3LnlvdXR1YmUuY29tL3dhdGNoP3Y9ZFF3NHc5V2dYY1EAB3lvdXR1YmUAAAAAAAAAAA==";

template <class T>
const T& as(const ll::message& m) {
  EXPECT_TRUE(std::holds_alternative<T>(m));
  return std::get<T>(m);
}

TEST(json_ws, ready) {
  for (auto file : {"ws_ready.json", "proto_message_ready_event_serializer.json"}) {
    auto m = ll::parse_message(read_testdata(file));
    ASSERT_TRUE(m.has_value()) << m.error().message();
    const auto& r = as<ll::ready_op>(*m);
    EXPECT_FALSE(r.resumed);
    EXPECT_EQ(r.session_id, "...");
  }
}

TEST(json_ws, player_update) {
  for (auto file : {"ws_player_state.json", "proto_message_player_update_event_serializer.json"}) {
    auto m = ll::parse_message(read_testdata(file));
    ASSERT_TRUE(m.has_value());
    const auto& u = as<ll::player_update_op>(*m);
    EXPECT_EQ(u.state, (ll::player_state{1500467109, 60000, true, 50}));
  }
}

TEST(json_ws, stats_with_and_without_frames) {
  auto m = ll::parse_message(read_testdata("ws_stats.json"));
  ASSERT_TRUE(m.has_value());
  const auto& s = as<ll::stats_op>(*m).stats;
  EXPECT_EQ(s.players, 1);
  EXPECT_EQ(s.cpu.cores, 4);
  EXPECT_DOUBLE_EQ(s.cpu.system_load, 0.5);
  ASSERT_TRUE(s.frames.has_value());
  EXPECT_EQ(s.frames->deficit, -3010);
  auto rest = ll::parse_node_stats(read_testdata("rest_stats.json"));
  ASSERT_TRUE(rest.has_value());
  EXPECT_FALSE(rest->frames.has_value());
  EXPECT_EQ(rest->memory.reservable, 123456789);
  auto proto = ll::parse_message(read_testdata("proto_message_stats_event_serializer.json"));
  ASSERT_TRUE(proto.has_value());
  EXPECT_EQ(as<ll::stats_op>(*proto).stats.frames->sent, 123456789);
}

TEST(json_ws, track_events) {
  for (auto file : {"ws_event_track_start.json", "proto_message_track_start_event_serializer.json"}) {
    auto m = ll::parse_message(read_testdata(file));
    ASSERT_TRUE(m.has_value());
    EXPECT_FALSE(as<ll::track_start_event>(*m).track.encoded.empty());
  }
  auto end = ll::parse_message(read_testdata("ws_event_track_end.json"));
  ASSERT_TRUE(end.has_value());
  const auto& e = as<ll::track_end_event>(*end);
  EXPECT_EQ(e.reason, ll::track_end_reason::finished);
  EXPECT_TRUE(e.may_start_next());
  EXPECT_EQ(e.track.encoded, rick);
  EXPECT_EQ(e.track.info.title, "Rick Astley - Never Gonna Give You Up");
  EXPECT_EQ(e.track.info.artwork_url, "https://i.ytimg.com/vi/dQw4w9WgXcQ/maxresdefault.jpg");
  EXPECT_FALSE(e.track.info.isrc.has_value());
  EXPECT_EQ(e.track.plugin_info, "{}");
  auto proto_end = ll::parse_message(read_testdata("proto_message_track_end_event_serializer.json"));
  ASSERT_TRUE(proto_end.has_value());
  EXPECT_TRUE(std::holds_alternative<ll::track_end_event>(*proto_end));

  for (auto file : {"ws_event_track_exception.json", "proto_message_track_exception_event_serializer.json"}) {
    auto ex = ll::parse_message(read_testdata(file));
    ASSERT_TRUE(ex.has_value()) << file;
    EXPECT_TRUE(std::holds_alternative<ll::track_exception_event>(*ex));
  }
  auto ex = ll::parse_message(read_testdata("ws_event_track_exception.json"));
  EXPECT_EQ(std::get<ll::track_exception_event>(*ex).exception.severity, ll::severity::common);
  for (auto file : {"ws_event_track_stuck.json", "proto_message_track_stuck_event_serializer.json"}) {
    auto st = ll::parse_message(read_testdata(file));
    ASSERT_TRUE(st.has_value());
    EXPECT_TRUE(std::holds_alternative<ll::track_stuck_event>(*st));
  }
  auto stuck = ll::parse_message(read_testdata("ws_event_track_stuck.json"));
  EXPECT_EQ(std::get<ll::track_stuck_event>(*stuck).threshold_ms, 123456789);
  for (auto file : {"ws_event_websocket_closed.json", "proto_message_websocket_closed_event_serializer.json"}) {
    auto c = ll::parse_message(read_testdata(file));
    ASSERT_TRUE(c.has_value());
    const auto& w = as<ll::websocket_closed_event>(*c);
    EXPECT_EQ(w.code, 4006);
    EXPECT_TRUE(w.by_remote);
    EXPECT_EQ(w.reason, "Your session is no longer valid.");
  }
}

TEST(json_ws, end_reasons_and_may_start_next) {
  const std::pair<const char*, bool> cases[] = {{"finished", true},  {"loadFailed", true},
                                                {"stopped", false},  {"replaced", false},
                                                {"cleanup", false}};
  for (auto [reason, next] : cases) {
    auto v = json::parse(read_testdata("ws_event_track_end.json")).as_object();
    v["reason"] = reason;
    auto m = ll::parse_message(json::serialize(v));
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(std::get<ll::track_end_event>(*m).may_start_next(), next) << reason;
    EXPECT_EQ(ll::to_string(std::get<ll::track_end_event>(*m).reason), reason);
  }
}

TEST(json_ws, unknown_op_and_plugin_event_are_passed_through_raw) {
  const std::string plugin =
      R"({"op":"event","type":"SegmentsLoaded","guildId":"42","segments":[{"category":"intro"}]})";
  auto m = ll::parse_message(plugin);
  ASSERT_TRUE(m.has_value());
  const auto& ev = as<ll::unknown_event>(*m);
  EXPECT_EQ(ev.type, "SegmentsLoaded");
  EXPECT_EQ(ev.guild_id, "42");
  EXPECT_EQ(ev.raw, plugin);
  // A plugin event reusing a known field name with another shape is still raw.
  auto odd = ll::parse_message(R"({"type":"X","track":5,"op":"event"})");
  ASSERT_TRUE(odd.has_value());
  EXPECT_EQ(as<ll::unknown_event>(*odd).type, "X");
  const std::string op = R"({"op":"somethingNew","x":[1,2,3]})";
  auto u = ll::parse_message(op);
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(as<ll::unknown_op>(*u).op, "somethingNew");
  EXPECT_EQ(as<ll::unknown_op>(*u).raw, op);
  EXPECT_EQ(json::serialize(ll::to_json(*u)), R"({"op":"somethingNew","x":[1,2,3]})");
}

TEST(json_ws, fields_in_any_order) {
  auto m = ll::parse_message(R"({"state":{"ping":1,"connected":false,"position":5,"time":9},"guildId":"7","op":"playerUpdate"})");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(as<ll::player_update_op>(*m).state.position_ms, 5);
}

TEST(json_ws, type_after_other_fields_takes_the_two_pass_path) {
  const std::string text =
      R"({"op":"event","guildId":"5","track":{"info":{"title":"t","identifier":"i"},"encoded":"e"},)"
      R"("reason":"stopped","type":"TrackEndEvent"})";
  auto m = ll::parse_message(text);
  ASSERT_TRUE(m.has_value()) << m.error().message();
  const auto& ev = as<ll::track_end_event>(*m);
  EXPECT_EQ(ev.guild_id, "5");
  EXPECT_EQ(ev.track.info.title, "t");
  EXPECT_EQ(ev.track.encoded, "e");
  EXPECT_EQ(ev.reason, ll::track_end_reason::stopped);
}

TEST(json_ws, escaped_strings_and_keys_are_unescaped) {
  const std::string text =
      R"({"op":"event","type":"TrackStartEvent","guild\u0049d":"1\"2","track":{"encoded":"a\\/b",)"
      R"("info":{"identifier":"x","title":"caf\u00e9 \\","author":"","uri":"h\/p"}}})";
  auto m = ll::parse_message(text);
  ASSERT_TRUE(m.has_value()) << m.error().message();
  const auto& ev = as<ll::track_start_event>(*m);
  EXPECT_EQ(ev.guild_id, "1\"2");
  EXPECT_EQ(ev.track.encoded, "a\\/b");
  EXPECT_EQ(ev.track.info.title, "caf\xc3\xa9 \\");
  EXPECT_EQ(ev.track.info.author, "");
  EXPECT_EQ(ev.track.info.uri, "h/p");
  // Escaped keys that are not the expected next field are unescaped once.
  auto ready = ll::parse_message(R"({"op":"ready","sessi\u006fnId":"s","resum\u0065d":true})");
  ASSERT_TRUE(ready.has_value()) << ready.error().message();
  EXPECT_EQ(as<ll::ready_op>(*ready).session_id, "s");
  EXPECT_TRUE(as<ll::ready_op>(*ready).resumed);
  auto reordered = ll::parse_message(R"({"ty\u0070e":"x","o\u0070":"event"})");
  ASSERT_TRUE(reordered.has_value()) << reordered.error().message();
  EXPECT_EQ(as<ll::unknown_event>(*reordered).type, "x");
  // A string field holding another type is a type error, not a crash.
  EXPECT_EQ(ll::parse_message(R"({"op":"ready","sessionId":5})").error(), ll::error::wrong_type);
}

TEST(json_ws, malformed_messages_are_clear_errors) {
  EXPECT_EQ(ll::parse_message("").error(), ll::error::invalid_json);
  EXPECT_EQ(ll::parse_message("{").error(), ll::error::invalid_json);
  EXPECT_EQ(ll::parse_message("[]").error(), ll::error::wrong_type);
  EXPECT_EQ(ll::parse_message(R"({"resumed":true})").error(), ll::error::missing_field);
  EXPECT_EQ(ll::parse_message(R"({"op":"ready","resumed":true})").error(), ll::error::missing_field);
  EXPECT_EQ(ll::parse_message(R"({"op":"playerUpdate","guildId":1,"state":{}})").error(),
            ll::error::wrong_type);
  EXPECT_EQ(ll::parse_message(R"({"op":"event","type":"TrackEndEvent","guildId":"1"})").error(),
            ll::error::missing_field);
  EXPECT_TRUE(ll::parse_message(R"({"op":"ready","sessionId":"a"} x)").has_error());
}

TEST(json_ws, message_parser_object_reuses_buffers) {
  ll::message_parser parser;
  for (int i = 0; i < 3; ++i) {
    auto m = parser.parse(read_testdata("ws_event_track_end.json"));
    ASSERT_TRUE(m.has_value());
  }
}

TEST(json_ws, messages_round_trip_through_to_json) {
  for (auto file : {"ws_ready.json", "ws_player_state.json", "ws_stats.json", "ws_event_track_start.json",
                    "ws_event_track_end.json", "ws_event_track_exception.json",
                    "ws_event_track_stuck.json", "ws_event_websocket_closed.json"}) {
    auto m = ll::parse_message(read_testdata(file));
    ASSERT_TRUE(m.has_value()) << file;
    auto again = ll::parse_message(json::serialize(ll::to_json(*m)));
    ASSERT_TRUE(again.has_value()) << file;
    EXPECT_TRUE(*again == *m) << file;
  }
}

TEST(json_rest, load_results_of_every_type) {
  auto track = ll::parse_load_result(read_testdata("proto_loadresult_track_loaded.json"));
  ASSERT_TRUE(track.has_value());
  EXPECT_EQ(track->type, ll::load_type::track);
  EXPECT_EQ(std::get<ll::track>(track->data).encoded, rick);

  auto playlist = ll::parse_load_result(read_testdata("proto_loadresult_playlist_loaded.json"));
  ASSERT_TRUE(playlist.has_value());
  EXPECT_EQ(std::get<ll::playlist>(playlist->data).info.name, "Example YouTube Playlist");
  EXPECT_EQ(std::get<ll::playlist>(playlist->data).info.selected_track, 3);

  auto search = ll::parse_load_result(read_testdata("proto_loadresult_search_result_loaded.json"));
  ASSERT_TRUE(search.has_value());
  EXPECT_EQ(search->type, ll::load_type::search);
  EXPECT_TRUE(std::get<std::vector<ll::track>>(search->data).empty());

  auto failed = ll::parse_load_result(read_testdata("proto_loadresult_load_failed.json"));
  ASSERT_TRUE(failed.has_value());
  const auto& ex = std::get<ll::exception_info>(failed->data);
  EXPECT_EQ(ex.severity, ll::severity::common);
  EXPECT_EQ(ex.message, "The uploader has not made this video available in your country.");

  auto empty_null = ll::parse_load_result(read_testdata("proto_loadresult_no_matches.json"));
  ASSERT_TRUE(empty_null.has_value());
  EXPECT_EQ(empty_null->type, ll::load_type::empty);
  auto empty_obj = ll::parse_load_result(R"({"loadType":"empty","data":{}})");
  ASSERT_TRUE(empty_obj.has_value());
  EXPECT_EQ(empty_obj->type, ll::load_type::empty);
}

TEST(json_rest, unknown_load_type_kept_raw) {
  auto r = ll::parse_load_result(R"({"data":{"custom":[1]},"loadType":"lyrics"})");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->type, ll::load_type::unknown);
  EXPECT_EQ(r->type_name, "lyrics");
  EXPECT_EQ(std::get<std::string>(r->data), R"({"custom":[1]})");
  EXPECT_EQ(json::serialize(ll::to_json(*r)), R"({"loadType":"lyrics","data":{"custom":[1]}})");
}

TEST(json_rest, load_results_round_trip) {
  for (auto file : {"proto_loadresult_track_loaded.json", "proto_loadresult_playlist_loaded.json",
                    "proto_loadresult_search_result_loaded.json", "proto_loadresult_load_failed.json"}) {
    auto r = ll::parse_load_result(read_testdata(file));
    ASSERT_TRUE(r.has_value());
    auto again = ll::parse_load_result(json::serialize(ll::to_json(*r)));
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(*again, *r) << file;
  }
}

TEST(json_rest, decode_track_players_and_player) {
  auto t = ll::parse_track(read_testdata("rest_decodetrack_response.json"));
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->info.length_ms, 212000);
  auto players = ll::parse_players(read_testdata("rest_players.json"));
  ASSERT_TRUE(players.has_value());
  ASSERT_EQ(players->size(), 1u);
  for (auto file : {"rest_player.json", "rest_update_player_response.json"}) {
    auto p = ll::parse_player(read_testdata(file));
    ASSERT_TRUE(p.has_value()) << file;
    EXPECT_EQ(p->volume, 100);
    EXPECT_EQ(p->state.position_ms, 60000);
    EXPECT_EQ(p->voice.token, "...");
    EXPECT_FALSE(p->voice.channel_id.has_value());
    ASSERT_TRUE(p->track.has_value());
    auto again = ll::parse_player(json::serialize(ll::to_json(*p)));
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(*again, *p);
  }
}

TEST(json_rest, info_error_session_routeplanner) {
  auto info = ll::parse_node_info(read_testdata("rest_info_plugin.json"));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->version.pre_release, "rc.1");
  EXPECT_EQ(info->plugins.size(), 2u);
  EXPECT_EQ(info->source_managers.size(), 2u);
  auto info2 = ll::parse_node_info(json::serialize(ll::to_json(*info)));
  ASSERT_TRUE(info2.has_value());
  EXPECT_EQ(*info2, *info);

  auto err = ll::parse_rest_error(read_testdata("rest_error.json"));
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->status, 404);
  EXPECT_EQ(err->message, "Session not found");
  EXPECT_EQ(err->path, "/v4/sessions/xtaug914v9k5032f/players/817327181659111454");

  for (auto file : {"rest_update_session_request.json", "rest_update_session_response.json",
                    "proto_session_session.json", "proto_session_session_update.json"}) {
    auto s = ll::parse_session_info(read_testdata(file));
    ASSERT_TRUE(s.has_value()) << file;
  }
  auto missing = ll::parse_session_update(read_testdata("proto_session_session_update_when_missing.json"));
  ASSERT_TRUE(missing.has_value());
  EXPECT_FALSE(missing->resuming.has_value());
  EXPECT_EQ(json::serialize(ll::to_json(*missing)), "{}");

  for (auto file : {"rest_routeplanner_status.json", "proto_routeplanner_rotating_nano_ip_route_planner_serializer.json",
                    "proto_routeplanner_balancing_route_planner_serializer.json"}) {
    auto rp = ll::parse_route_planner_status(read_testdata(file));
    ASSERT_TRUE(rp.has_value()) << file;
    ASSERT_TRUE(rp->class_name.has_value());
    EXPECT_NE(rp->details.find("ipBlock"), std::string::npos);
  }
  auto none = ll::parse_route_planner_status(R"({"class":null,"details":null})");
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->class_name.has_value());
}

TEST(json_filters, all_filters_and_plugin_filters) {
  auto f = ll::parse_filters(read_testdata("rest_plugin_filters.json"));
  ASSERT_TRUE(f.has_value()) << f.error().message();
  EXPECT_EQ(f->volume, 1.0);
  ASSERT_TRUE(f->equalizer.has_value());
  EXPECT_EQ(f->equalizer->at(0).gain, 0.2);
  EXPECT_EQ(f->karaoke->filter_band, 220.0);
  EXPECT_EQ(f->timescale->rate, 1.0);
  EXPECT_EQ(f->tremolo->depth, 0.5);
  EXPECT_EQ(f->vibrato->frequency, 2.0);
  EXPECT_EQ(f->rotation->rotation_hz, 0.0);
  EXPECT_EQ(f->distortion->tan_scale, 1.0);
  EXPECT_EQ(f->channel_mix->right_to_right, 1.0);
  EXPECT_EQ(f->low_pass->smoothing, 20.0);
  EXPECT_EQ(json::parse(f->plugin_filters), json::parse(R"({"myPlugin":{"myPluginKey":"myPluginValue"}})"));
  // Serialized filters carry every filter of the docs' example.
  EXPECT_EQ(ll::to_json(*f).size(), json::parse(read_testdata("rest_plugin_filters.json")).as_object().size());
  auto again = ll::parse_filters(json::serialize(ll::to_json(*f)));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->karaoke, f->karaoke);
  EXPECT_EQ(json::parse(again->plugin_filters), json::parse(f->plugin_filters));
  auto empty = ll::parse_filters(read_testdata("proto_filters_empty_filters.json"));
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(*empty, ll::filters{});
  EXPECT_EQ(ll::parse_filters(R"({"equalizer":[{"band":15,"gain":0}]})").error(), ll::error::invalid_value);
}

TEST(json_update, tri_state_fields) {
  ll::player_update none;
  EXPECT_EQ(json::serialize(*ll::to_json(none)), "{}");  // proto_player_empty_update_serialization

  ll::player_update stop;
  stop.track.emplace().encoded = nullptr;
  EXPECT_EQ(json::serialize(*ll::to_json(stop)), R"({"track":{"encoded":null}})");

  ll::player_update play;
  play.track.emplace().encoded = std::string(rick);
  play.end_time_ms = nullptr;
  play.volume = 50;
  auto body = ll::to_json(play);
  ASSERT_TRUE(body.has_value());
  EXPECT_EQ(body->at("track").at("encoded").as_string(), rick);
  EXPECT_TRUE(body->at("endTime").is_null());
  EXPECT_FALSE(body->contains("paused"));

  // And parsing keeps the three states apart (what the fake node relies on).
  auto absent = ll::parse_player_update(R"({"track":{},"volume":3})");
  ASSERT_TRUE(absent.has_value());
  EXPECT_TRUE(absent->track->encoded.is_absent());
  EXPECT_TRUE(absent->end_time_ms.is_absent());
  auto nulls = ll::parse_player_update(R"({"track":{"encoded":null},"endTime":null})");
  ASSERT_TRUE(nulls.has_value());
  EXPECT_TRUE(nulls->track->encoded.is_null());
  EXPECT_TRUE(nulls->end_time_ms.is_null());
  auto values = ll::parse_player_update(R"({"track":{"encoded":"abc","userData":{"k":1}},"endTime":5})");
  ASSERT_TRUE(values.has_value());
  EXPECT_EQ(*values->track->encoded, "abc");
  EXPECT_EQ(*values->end_time_ms, 5);
  EXPECT_EQ(values->track->user_data, R"({"k":1})");

  auto omissible_value = ll::parse_session_update(read_testdata("proto_omissible_value.json"));
  EXPECT_TRUE(omissible_value.has_value());
}

TEST(json_update, docs_request_and_validation) {
  auto req = ll::parse_player_update(read_testdata("rest_update_player_request.json"));
  ASSERT_TRUE(req.has_value());
  EXPECT_TRUE(req->track->encoded.has_value());
  EXPECT_TRUE(req->track->identifier.has_value());
  EXPECT_EQ(ll::to_json(*req).error(), ll::error::exclusive_fields);
  auto excl = ll::parse_player_update(read_testdata("proto_player_encodedtrack_and_identifier_exclusivity.json"));
  ASSERT_TRUE(excl.has_value());
  EXPECT_EQ(ll::to_json(*excl).error(), ll::error::exclusive_fields);

  ll::player_update voice;
  voice.voice = ll::voice_state{"tok", "ep", "sess", std::nullopt};
  auto e = ll::to_json(voice);
  ASSERT_TRUE(e.has_error());
  EXPECT_EQ(e.error(), ll::error::missing_channel_id);
  EXPECT_NE(e.error().message().find("channelId"), std::string::npos);
  voice.voice->channel_id = "123";
  EXPECT_EQ(ll::to_json(voice)->at("voice").at("channelId").as_string(), "123");

  ll::player_update vol;
  vol.volume = 1001;
  EXPECT_EQ(ll::to_json(vol).error(), ll::error::invalid_value);
}

TEST(omissible, states) {
  ll::omissible<int> a;
  EXPECT_TRUE(a.is_absent());
  a = nullptr;
  EXPECT_TRUE(a.is_null());
  EXPECT_TRUE(a.is_present());
  a = 3;
  EXPECT_TRUE(a.has_value());
  EXPECT_EQ(*a, 3);
  a.reset();
  EXPECT_EQ(a, ll::omissible<int>{});
  EXPECT_NE(ll::omissible<int>::null(), ll::omissible<int>{});
}

}  // namespace
