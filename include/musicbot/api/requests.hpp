#pragma once
/// @file
/// The JSON request bodies of the control API, parsed (simdjson on-demand)
/// and validated into plain structs. Parsers never throw on bad input and
/// report every bad field, not just the first.

#include <musicbot/queue/guild_settings.hpp>
#include <musicbot/queue/loop_mode.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace musicbot::api {

/// Largest accepted `position_ms` of a seek (24 hours).
inline constexpr std::int64_t max_seek_ms = 24LL * 3600 * 1000;

/// One problem with one field of a request (or of the body as a whole,
/// with field "body").
struct field_error {
  std::string field;    ///< the JSON field name, e.g. "volume"
  std::string message;  ///< what is wrong, e.g. "must be an integer 0-200"

  /// Member-wise equality.
  friend bool operator==(const field_error&, const field_error&) = default;
};

/// A parsed body or every problem found in it.
template <class T>
struct parse_result {
  std::optional<T> value;            ///< set when the body is valid
  std::vector<field_error> errors;   ///< every problem when it is not (never empty then)

  /// True when the body is valid.
  explicit operator bool() const noexcept { return value.has_value(); }
};

/// `POST .../queue`: `{"query": "..."}` (the query itself is checked by the
/// music session, with the same rules as /play).
struct queue_request {
  std::string query;  ///< search text or URL, 1–512 bytes here
};
/// `POST .../seek`: `{"position_ms": 0..86400000}`.
struct seek_request {
  std::chrono::milliseconds position{0};  ///< target position
};
/// `POST .../volume`: `{"volume": 0..200}`.
struct volume_request {
  int volume = 100;  ///< new volume
};
/// `POST .../loop`: `{"mode": "off" | "track" | "queue"}`.
struct loop_request {
  queue::loop_mode mode = queue::loop_mode::off;  ///< new loop mode
};
/// `POST .../autoplay`: `{"enabled": true | false}`.
struct autoplay_request {
  bool enabled = false;  ///< autoplay on or off
};
/// `POST .../queue/move`: `{"from": n, "to": m}` (0-based upcoming positions).
struct move_request {
  std::size_t from = 0;  ///< current position
  std::size_t to = 0;    ///< new position
};

/// `PATCH .../settings`: any subset of the guild settings. Ids are strings
/// of digits (Discord snowflakes); `null` clears an optional id.
struct settings_patch {
  std::optional<int> volume;                                   ///< default volume 0–200
  std::optional<queue::loop_mode> loop;                        ///< default loop mode
  std::optional<bool> autoplay;                                ///< autoplay by default
  std::optional<bool> automix;                                 ///< crossfade between tracks
  std::optional<std::optional<std::uint64_t>> dj_role_id;      ///< DJ role; inner nullopt clears it
  std::optional<std::optional<std::uint64_t>> announce_channel_id;  ///< announce channel; inner nullopt clears it
  std::optional<std::size_t> max_queue_length;                 ///< queue maximum length
  std::optional<std::size_t> max_per_user;                     ///< per-user maximum (0 = unlimited)

  /// True if no field is set.
  [[nodiscard]] bool empty() const noexcept {
    return !volume && !loop && !autoplay && !automix && !dj_role_id && !announce_channel_id &&
           !max_queue_length && !max_per_user;
  }
};

/// Parses a `POST .../queue` body.
[[nodiscard]] parse_result<queue_request> parse_queue_request(std::string_view body);
/// Parses a `POST .../seek` body.
[[nodiscard]] parse_result<seek_request> parse_seek_request(std::string_view body);
/// Parses a `POST .../volume` body.
[[nodiscard]] parse_result<volume_request> parse_volume_request(std::string_view body);
/// Parses a `POST .../loop` body.
[[nodiscard]] parse_result<loop_request> parse_loop_request(std::string_view body);
/// Parses a `POST .../autoplay` body.
[[nodiscard]] parse_result<autoplay_request> parse_autoplay_request(std::string_view body);
/// Parses a `POST .../queue/move` body.
[[nodiscard]] parse_result<move_request> parse_move_request(std::string_view body);
/// Parses a `PATCH .../settings` body (at least one field).
[[nodiscard]] parse_result<settings_patch> parse_settings_patch(std::string_view body);

/// Applies `patch` to `settings` with the guild_settings rules
/// (queue::set_volume, set_loop, set_autoplay, set_queue_limits), loop and
/// autoplay in the order that lets a patch switch one off and the other on.
/// Returns every violated rule; `settings` is unchanged if any.
[[nodiscard]] std::vector<field_error> apply_settings_patch(queue::guild_settings& settings,
                                                            const settings_patch& patch);

}  // namespace musicbot::api
