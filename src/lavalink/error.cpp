#include <musicbot/lavalink/error.hpp>

#include <string>

namespace musicbot::lavalink {
namespace {

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
#endif
class error_category final : public boost::system::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "musicbot.lavalink"; }
  [[nodiscard]] std::string message(int value) const override;
};
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

std::string error_category::message(int value) const {
  switch (static_cast<error>(value)) {
    case error::ok: return "success";
    case error::invalid_base64: return "encoded track is not valid base64";
    case error::track_truncated: return "encoded track ends before a field it declares";
    case error::unsupported_track_version: return "encoded track has an unsupported message version";
    case error::invalid_track_string: return "encoded track holds malformed modified UTF-8";
    case error::track_size_mismatch: return "encoded track header size disagrees with the data";
    case error::invalid_json: return "payload is not valid JSON";
    case error::missing_field: return "required JSON field is missing";
    case error::wrong_type: return "JSON field has an unexpected type";
    case error::invalid_value: return "field value is out of range";
    case error::missing_channel_id:
      return "voice update without channelId: Lavalink >= 4.2 requires the voice channel id "
             "(it answers 400 without it)";
    case error::exclusive_fields: return "track.encoded and track.identifier are mutually exclusive";
    case error::http_status: return "Lavalink node answered with an HTTP error";
    case error::not_connected: return "Lavalink node has no live session";
    case error::no_node_available: return "no Lavalink node available";
    case error::breaker_open: return "circuit breaker of the Lavalink node is open";
    case error::player_not_found: return "no player for this guild";
    case error::timed_out: return "Lavalink operation timed out";
    case error::session_not_resumed: return "Lavalink session was not resumed";
  }
  return "unknown musicbot.lavalink error";
}

}  // namespace

const boost::system::error_category& lavalink_category() noexcept {
  static const error_category instance;
  return instance;
}

}  // namespace musicbot::lavalink
