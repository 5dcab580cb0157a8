#include <musicbot/cache/error.hpp>

#include <string>

namespace musicbot::cache {
namespace {

// boost::system::error_category has a protected non-virtual destructor by
// design; the category object is never deleted through a base pointer.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class category final : public boost::system::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "musicbot.cache"; }
  [[nodiscard]] std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::not_found: return "value not found";
      case error::timeout: return "cache load timed out";
      case error::cancelled: return "cache wait cancelled";
      case error::loader_failed: return "cache loader failed";
      case error::l2_unavailable: return "L2 store unavailable";
      case error::decode_failed: return "L2 payload could not be decoded";
      case error::closed: return "cache closed";
      case error::overloaded: return "too many loads in flight";
    }
    return "unknown cache error";
  }
};
#pragma GCC diagnostic pop

}  // namespace

const boost::system::error_category& cache_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace musicbot::cache
