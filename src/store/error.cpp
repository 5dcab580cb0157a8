#include <musicbot/store/error.hpp>

#include <string>

namespace musicbot::store {

namespace {

// boost::system::error_category has a protected non-virtual destructor by
// design; the category object is never deleted through a base pointer.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class store_error_category final : public boost::system::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "musicbot.store"; }
  [[nodiscard]] std::string message(int value) const override {
    switch (static_cast<error>(value)) {
      case error::ok: return "success";
      case error::not_started: return "store not started";
      case error::closed: return "store closed";
      case error::overloaded: return "too many pending store operations";
      case error::invalid_argument: return "invalid argument";
      case error::value_too_large: return "value too large";
      case error::schema_too_new: return "database schema is newer than this program supports";
      case error::migration_failed: return "database migration failed";
      case error::corrupt_data: return "stored data is corrupt";
      case error::backend_error: return "database error";
      case error::busy: return "database busy";
      case error::connection_failed: return "cannot connect to the database";
      case error::connection_lost: return "database connection lost during the operation";
      case error::timed_out: return "database operation timed out";
      case error::pool_exhausted: return "no database connection available";
      case error::already_exists: return "a record with that id already exists";
      case error::limit_reached: return "the per-guild limit is reached";
    }
    return "unknown musicbot.store error";
  }
};
#pragma GCC diagnostic pop

}  // namespace

const boost::system::error_category& store_category() noexcept {
  static const store_error_category instance;
  return instance;
}

}  // namespace musicbot::store
