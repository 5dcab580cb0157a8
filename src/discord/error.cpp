#include "musicbot/discord/error.hpp"

namespace musicbot::discord {
namespace {

// boost::system::error_category has a protected non-virtual destructor by design.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class error_category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "musicbot.discord"; }
  std::string message(int value) const override;
};
#pragma GCC diagnostic pop

std::string error_category::message(int value) const {
  switch (static_cast<error>(value)) {
    case error::ok: return "success";
    case error::message_too_large: return "gateway message exceeds the size cap";
    case error::inflate_failed: return "zlib-stream data is corrupt";
    case error::stream_broken: return "zlib-stream context failed earlier; reconnect";
    case error::invalid_json: return "payload is not valid JSON";
    case error::invalid_payload: return "payload lacks required fields or has wrong types";
    case error::authentication_failed: return "gateway closed 4004: authentication failed (check the bot token)";
    case error::invalid_shard: return "gateway closed 4010: invalid shard";
    case error::sharding_required: return "gateway closed 4011: sharding required (use more shards)";
    case error::invalid_api_version: return "gateway closed 4012: invalid API version";
    case error::invalid_intents: return "gateway closed 4013: invalid intents";
    case error::disallowed_intents:
      return "gateway closed 4014: disallowed intents (enable privileged intents in the developer portal or drop them)";
    case error::zombie_connection: return "no heartbeat ACK between two heartbeats (zombie connection)";
    case error::rate_limited: return "rate limited";
    case error::invalid_request_guard: return "too many invalid (401/403/429) requests recently; holding requests back";
    case error::identify_budget_exhausted: return "daily session start limit exhausted";
    case error::interaction_expired: return "interaction token expired (older than 15 minutes)";
    case error::already_acknowledged: return "interaction already acknowledged";
    case error::custom_id_too_long: return "custom_id longer than 100 characters";
    case error::invalid_command: return "invalid application command definition";
    case error::http_error: return "Discord REST API returned an error status";
    case error::payload_too_large: return "outbound gateway payload exceeds 4096 bytes";
    case error::timeout: return "timed out";
    case error::shard_stopped: return "shard stopped";
    case error::not_connected: return "shard not connected";
  }
  return "unknown musicbot.discord error";
}

}  // namespace

const boost::system::error_category& discord_category() noexcept {
  static const error_category instance;
  return instance;
}

}  // namespace musicbot::discord
