#include "musicbot/discord/close_codes.hpp"

namespace musicbot::discord {

close_decision classify_gateway_close(std::uint16_t code) noexcept {
  using enum close_action;
  switch (code) {
    case gateway_close::unknown_error: return {resume, {}, "Unknown error"};
    case gateway_close::unknown_opcode: return {resume, {}, "Unknown opcode"};
    case gateway_close::decode_error: return {resume, {}, "Decode error"};
    case gateway_close::not_authenticated: return {resume, {}, "Not authenticated"};
    case gateway_close::authentication_failed:
      return {stop, make_error_code(error::authentication_failed), "Authentication failed"};
    case gateway_close::already_authenticated: return {resume, {}, "Already authenticated"};
    case gateway_close::invalid_seq: return {reidentify, {}, "Invalid seq"};
    case gateway_close::rate_limited: return {resume, {}, "Rate limited"};
    case gateway_close::session_timed_out: return {reidentify, {}, "Session timed out"};
    case gateway_close::invalid_shard: return {stop, make_error_code(error::invalid_shard), "Invalid shard"};
    case gateway_close::sharding_required:
      return {stop, make_error_code(error::sharding_required), "Sharding required"};
    case gateway_close::invalid_api_version:
      return {stop, make_error_code(error::invalid_api_version), "Invalid API version"};
    case gateway_close::invalid_intents: return {stop, make_error_code(error::invalid_intents), "Invalid intent(s)"};
    case gateway_close::disallowed_intents:
      return {stop, make_error_code(error::disallowed_intents), "Disallowed intent(s)"};
    case 1000: return {reidentify, {}, "Normal closure"};
    default: break;
  }
  if (code >= 4000 && code <= 4999) return {reidentify, {}, "Unknown gateway close code"};
  return {resume, {}, code == 0 ? "Connection dropped" : "Transport close"};
}

voice_close_action classify_voice_close(std::uint16_t code) noexcept {
  switch (code) {
    case 4015: return voice_close_action::resume;
    case 4014:
    case 4021:
    case 4022: return voice_close_action::stop;
    case 4004:
    case 4006:
    case 4009:
    case 4011: return voice_close_action::new_session;
    case 4001:
    case 4002:
    case 4003:
    case 4005:
    case 4012:
    case 4016:
    case 4017:
    case 4020: return voice_close_action::fix_client;
    default: return code >= 4000 ? voice_close_action::fix_client : voice_close_action::new_session;
  }
}

}  // namespace musicbot::discord
