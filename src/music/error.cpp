#include <musicbot/music/error.hpp>

#include <string>

namespace musicbot::music {

namespace {

// Boost's error_category has a protected non-virtual destructor by design.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class category final : public boost::system::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "musicbot.music"; }
  [[nodiscard]] std::string message(int value) const override {
    switch (static_cast<error>(value)) {
      case error::invalid_query: return "the query is empty, too long, or not an allowed search or URL";
      case error::no_results: return "nothing was found for that query";
      case error::load_failed: return "the track could not be loaded";
      case error::nothing_playing: return "nothing is playing";
      case error::queue_full: return "the queue is full";
      case error::out_of_range: return "that position is outside the queue or track";
      case error::invalid_value: return "that value is not allowed";
      case error::not_seekable: return "the current track cannot be seeked";
      case error::too_many_sessions: return "too many active music sessions";
      case error::player_unavailable: return "no audio node is available";
      case error::persistence_failed: return "the change could not be saved";
      case error::too_many_subscribers: return "too many event subscribers";
    }
    return "unknown music error";
  }
};
#pragma GCC diagnostic pop

}  // namespace

const boost::system::error_category& music_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace musicbot::music
