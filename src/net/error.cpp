#include "musicbot/net/error.hpp"

#include <string>

// boost::system::error_category has a protected non-virtual destructor by
// design; the derived category is never deleted through a base pointer.
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"

namespace musicbot::net {
namespace {

class category final : public boost::system::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "musicbot.net"; }
  [[nodiscard]] std::string message(int value) const override {
    switch (static_cast<error>(value)) {
      case error::timeout: return "operation timed out";
      case error::body_too_large: return "HTTP body too large";
      case error::message_too_large: return "WebSocket message too large";
      case error::bad_url: return "malformed URL";
      case error::unsupported_scheme: return "unsupported URL scheme";
      case error::connection_closed: return "connection closed by peer";
      case error::too_many_connections: return "too many connections";
      case error::handshake_failed: return "WebSocket handshake failed";
      case error::tls_error: return "TLS error";
      case error::header_too_large: return "HTTP header too large";
      case error::bad_response: return "malformed HTTP response";
      case error::bad_request: return "invalid HTTP request";
      case error::write_queue_full: return "WebSocket write queue full";
      case error::operation_in_progress: return "operation already in progress";
      case error::not_connected: return "not connected";
      case error::stopped: return "stopped";
      case error::upgrade_not_accepted: return "WebSocket upgrade not accepted yet";
    }
    return "unknown musicbot.net error";
  }
};

}  // namespace

const boost::system::error_category& net_category() noexcept {
  static const category instance;
  return instance;
}

boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), net_category()};
}

}  // namespace musicbot::net
