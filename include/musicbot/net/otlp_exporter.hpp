#pragma once
/// @file
/// OTLP/HTTP trace exporter with the JSON encoding (`POST /v1/traces`):
/// drains a trace::span_buffer in batches on a timer and at shutdown. A
/// slow or absent collector never blocks anything: the buffer is bounded and
/// counts what it drops, a batch whose POST fails is dropped and counted,
/// and at most one POST is in flight.

#include <musicbot/core/secret.hpp>
#include <musicbot/net/http_client.hpp>
#include <musicbot/trace/span_buffer.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace musicbot::net {

namespace detail {
class otlp_exporter_impl;
}

/// Where and how spans are exported.
struct otlp_exporter_options {
  /// Collector base URL; spans go to `<endpoint>/v1/traces`
  /// (OpenTelemetry Collector, Jaeger and Tempo listen on 4318).
  std::string endpoint = "http://127.0.0.1:4318";
  /// Extra headers (e.g. `Authorization`), values held as secrets.
  std::vector<std::pair<std::string, core::secret>> headers;
  std::string service_name = "musicbot";            ///< `service.name` resource attribute
  std::string service_version = "0.1.0";            ///< `service.version` resource attribute
  std::size_t max_batch = 512;                      ///< spans per POST
  std::chrono::milliseconds flush_interval{2000};   ///< timer period
  std::chrono::milliseconds timeout{3000};          ///< per POST
};

/// Counters of an exporter.
struct otlp_exporter_stats {
  std::uint64_t exported_spans = 0;  ///< spans the collector accepted (2xx)
  std::uint64_t failed_batches = 0;  ///< POSTs that failed or were refused
  std::uint64_t dropped_spans = 0;   ///< spans of failed batches (also counted in the buffer's dropped())
};

/// Encodes spans as an OTLP/JSON `ExportTraceServiceRequest` body (ids as
/// hex, 64-bit integers as strings, as the OTLP JSON mapping requires).
[[nodiscard]] std::string encode_otlp_json(const std::vector<trace::span_data>& spans, std::string_view service_name,
                                           std::string_view service_version = "0.1.0");

/// Periodically exports what a span buffer holds.
///
/// @par Thread safety
/// Call from the executor's thread. The span buffer may be fed from any thread.
class otlp_exporter {
 public:
  /// Exports from `buffer` with `options`; nothing is sent before start().
  otlp_exporter(boost::asio::any_io_executor executor, std::shared_ptr<trace::span_buffer> buffer,
                otlp_exporter_options options);
  ~otlp_exporter();                                    ///< Stops the timer.
  otlp_exporter(const otlp_exporter&) = delete;        ///< Not copyable.
  otlp_exporter& operator=(const otlp_exporter&) = delete;  ///< Not copyable.

  /// Starts the flush timer.
  void start();
  /// Stops the timer (a POST in flight completes on its own).
  void stop();
  /// Exports everything buffered now, batch after batch (shutdown).
  /// Completion: `void(error_code)` — the first failure, if any.
  template <class Token>
  auto async_flush(Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
        [this](auto h) { do_flush(std::move(h)); }, token);
  }
  /// The counters.
  [[nodiscard]] otlp_exporter_stats stats() const noexcept;

 private:
  void do_flush(boost::asio::any_completion_handler<void(boost::system::error_code)> h);
  std::shared_ptr<detail::otlp_exporter_impl> impl_;
};

}  // namespace musicbot::net
