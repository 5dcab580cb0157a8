// Fuzzes every Lavalink JSON parser: any input gives a value or an error
// code, never a crash; parsed messages serialize back without throwing.
#include <musicbot/lavalink/json.hpp>

#include <boost/json/serialize.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace ll = musicbot::lavalink;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto m = ll::parse_message(text)) (void)boost::json::serialize(ll::to_json(*m));
  if (auto r = ll::parse_load_result(text)) (void)boost::json::serialize(ll::to_json(*r));
  if (auto p = ll::parse_player(text)) (void)boost::json::serialize(ll::to_json(*p));
  if (auto u = ll::parse_player_update(text)) (void)ll::to_json(*u);
  (void)ll::parse_players(text);
  (void)ll::parse_tracks(text);
  (void)ll::parse_filters(text);
  (void)ll::parse_node_info(text);
  (void)ll::parse_node_stats(text);
  (void)ll::parse_rest_error(text);
  (void)ll::parse_route_planner_status(text);
  (void)ll::parse_session_update(text);
  return 0;
}
