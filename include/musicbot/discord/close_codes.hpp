#pragma once
/// @file
/// What to do when the gateway (or a voice gateway) closes: the close-code
/// table of Discord's docs turned into a decision.

#include "musicbot/discord/error.hpp"

#include <cstdint>
#include <string_view>

namespace musicbot::discord {

/// What a shard does after its connection closed.
enum class close_action {
  resume,      ///< reconnect to resume_gateway_url and RESUME (session kept)
  reidentify,  ///< reconnect to the gateway URL and IDENTIFY anew (session lost)
  stop,        ///< fatal: stop the shard and report the error; never loop
};

/// The decision for one close code.
struct close_decision {
  close_action action = close_action::resume;  ///< what to do
  boost::system::error_code error;             ///< for stop: the fatal error to report
  std::string_view name;                       ///< the docs' name of the code ("Authentication failed")
};

/// Gateway close codes (docs: opcodes-and-status-codes, gateway close event codes).
namespace gateway_close {
inline constexpr std::uint16_t unknown_error = 4000;          ///< reconnect
inline constexpr std::uint16_t unknown_opcode = 4001;         ///< reconnect
inline constexpr std::uint16_t decode_error = 4002;           ///< reconnect
inline constexpr std::uint16_t not_authenticated = 4003;      ///< reconnect
inline constexpr std::uint16_t authentication_failed = 4004;  ///< fatal
inline constexpr std::uint16_t already_authenticated = 4005;  ///< reconnect
inline constexpr std::uint16_t invalid_seq = 4007;            ///< reconnect with a new session
inline constexpr std::uint16_t rate_limited = 4008;           ///< reconnect
inline constexpr std::uint16_t session_timed_out = 4009;      ///< reconnect with a new session
inline constexpr std::uint16_t invalid_shard = 4010;          ///< fatal
inline constexpr std::uint16_t sharding_required = 4011;      ///< fatal
inline constexpr std::uint16_t invalid_api_version = 4012;    ///< fatal
inline constexpr std::uint16_t invalid_intents = 4013;        ///< fatal
inline constexpr std::uint16_t disallowed_intents = 4014;     ///< fatal
/// The code a client uses to drop a connection while keeping the session
/// resumable (anything but 1000/1001 keeps it; 4900 is private-use).
inline constexpr std::uint16_t client_resumable = 4900;
}  // namespace gateway_close

/// Decides what a shard does when the gateway closed with `code`
/// (0 = the TCP connection dropped without a close frame).
///
/// - 4004, 4010–4014: stop with the matching fatal error.
/// - 4007 (invalid seq), 4009 (session timed out): re-identify.
/// - other documented 4000–4008 codes, 1001+ transport codes, 0: resume.
/// - 1000 from the server: the session is gone, re-identify.
/// - unknown 4xxx codes: re-identify (conservative: never loop on a resume
///   the server rejects, never stop on a code the docs may add later).
[[nodiscard]] close_decision classify_gateway_close(std::uint16_t code) noexcept;

/// What to do when a voice gateway closed (for the voice bridge / Lavalink).
enum class voice_close_action {
  resume,       ///< try resuming the voice session (4015)
  new_session,  ///< redo the op 4 flow to get a new session and token
  stop,         ///< do not reconnect (4014, 4021, 4022)
  fix_client,   ///< a client bug or unsupported feature (e.g. 4017 DAVE required): do not loop
};

/// Decides what to do with a voice gateway close code (docs where stated,
/// inferred elsewhere, as in the test data's close_codes.json).
[[nodiscard]] voice_close_action classify_voice_close(std::uint16_t code) noexcept;

}  // namespace musicbot::discord
