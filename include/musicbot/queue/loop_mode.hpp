#pragma once
/// @file
/// `musicbot::queue::loop_mode`.

#include <optional>
#include <string_view>

namespace musicbot::queue {

/// What happens when the current track ends.
enum class loop_mode {
  off = 0,    ///< move on to the next track; the finished one goes to history
  track = 1,  ///< play the current track again
  queue = 2,  ///< the finished track goes to the back of the queue
};

/// "off", "track" or "queue".
[[nodiscard]] constexpr std::string_view to_string(loop_mode mode) noexcept {
  switch (mode) {
    case loop_mode::off: return "off";
    case loop_mode::track: return "track";
    case loop_mode::queue: return "queue";
  }
  return "off";
}

/// Parses "off", "track" or "queue"; anything else gives `std::nullopt`.
[[nodiscard]] constexpr std::optional<loop_mode> parse_loop_mode(std::string_view text) noexcept {
  if (text == "off") return loop_mode::off;
  if (text == "track") return loop_mode::track;
  if (text == "queue") return loop_mode::queue;
  return std::nullopt;
}

}  // namespace musicbot::queue
