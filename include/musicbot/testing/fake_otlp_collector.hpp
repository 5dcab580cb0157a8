#pragma once
/// @file
/// A fake OpenTelemetry collector on loopback: accepts OTLP/HTTP JSON trace
/// exports (`POST /v1/traces`), records what it received (bounded), and can
/// refuse or delay them to test exporters against a failing collector.

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace musicbot::testing {

namespace detail {
struct fake_otlp_state;
}

/// One received export.
struct otlp_export {
  std::string body;                 ///< the JSON body as received
  std::string authorization;        ///< the `Authorization` header, if any
  std::chrono::steady_clock::time_point at;  ///< when
};

/// The fake collector.
///
/// @par Thread safety
/// Call from the executor's thread.
class fake_otlp_collector {
 public:
  /// A stopped collector keeping at most `max_recorded` exports.
  explicit fake_otlp_collector(boost::asio::any_io_executor executor, std::size_t max_recorded = 1000);
  ~fake_otlp_collector();                                          ///< Stops it.
  fake_otlp_collector(const fake_otlp_collector&) = delete;        ///< Not copyable.
  fake_otlp_collector& operator=(const fake_otlp_collector&) = delete;  ///< Not copyable.

  /// Binds 127.0.0.1 on a free port and serves; returns the port.
  boost::system::result<std::uint16_t> start();
  /// Closes the listener and every connection.
  void stop();
  /// `http://127.0.0.1:PORT` (an exporter's endpoint).
  [[nodiscard]] std::string endpoint() const;
  /// Answer every export with `status` (200 = accept; e.g. 503 to refuse).
  void set_status(unsigned status);
  /// Wait this long before answering each export.
  void set_delay(std::chrono::milliseconds delay);
  /// The exports received (oldest first, at most max_recorded).
  [[nodiscard]] const std::vector<otlp_export>& exports() const noexcept;
  /// Spans received in accepted exports (counted from the bodies).
  [[nodiscard]] std::size_t span_count() const noexcept;

 private:
  std::shared_ptr<detail::fake_otlp_state> state_;
};

}  // namespace musicbot::testing
