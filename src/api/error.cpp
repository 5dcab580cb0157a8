#include <musicbot/api/error.hpp>

#include <string>

namespace musicbot::api {
namespace {

// Boost's error_category has a protected non-virtual destructor by design.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class category final : public boost::system::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "musicbot.api"; }
  [[nodiscard]] std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::invalid_ttl: return "token lifetime is negative or above the maximum";
      case error::invalid_label: return "token label is too long or has control characters";
      case error::too_many_tokens: return "the guild has too many live tokens";
      case error::invalid_guild: return "guild or user id is 0";
      case error::random_failed: return "the random generator failed";
      case error::stopped: return "the control server is stopped";
    }
    return "unknown api error";
  }
};
#pragma GCC diagnostic pop

}  // namespace

const boost::system::error_category& api_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace musicbot::api
