#pragma once
/// @file
/// What a finished span carries to its exporter, and the limits that keep
/// every span small whatever the code under trace does.

#include <musicbot/trace/context.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace musicbot::trace {

/// OpenTelemetry span kinds.
enum class span_kind : std::uint8_t {
  internal,  ///< Work inside the process.
  server,    ///< Handling an incoming request (an interaction, an API call).
  client,    ///< An outgoing call (Redis, PostgreSQL, Lavalink, Discord).
  producer,  ///< Starting asynchronous work for someone else.
  consumer,  ///< Handling asynchronous work.
};

/// OpenTelemetry span status.
enum class span_status : std::uint8_t {
  unset,  ///< Not set by the instrumentation.
  ok,     ///< Explicitly successful.
  error,  ///< Failed; see the status message.
};

/// An attribute value: the OpenTelemetry scalar types.
using attribute_value = std::variant<bool, std::int64_t, double, std::string>;

/// A key/value attribute on a span or an event.
struct attribute {
  std::string key;        ///< Attribute name, e.g. `db.system`.
  attribute_value value;  ///< Attribute value.
};

/// A timestamped event inside a span.
struct span_event {
  std::string name;                  ///< Event name.
  std::uint64_t time_unix_nano = 0;  ///< When it happened (Unix epoch, ns).
  std::vector<attribute> attributes; ///< Event attributes (bounded).
};

/// Bounds applied to every span; anything over them is dropped and counted.
struct span_limits {
  std::size_t max_attributes = 32;       ///< Attributes per span.
  std::size_t max_events = 16;           ///< Events per span.
  std::size_t max_event_attributes = 8;  ///< Attributes per event.
  std::size_t max_value_length = 256;    ///< Bytes per string value (truncated beyond).
  std::size_t max_name_length = 128;     ///< Bytes per span/event/attribute name (truncated).
};

/// A finished span, as handed to a span processor.
struct span_data {
  std::string name;                    ///< Operation name.
  span_kind kind = span_kind::internal;  ///< Span kind.
  span_context context;                ///< This span's identity.
  span_id parent;                      ///< Parent span id (invalid for a root).
  std::uint64_t start_unix_nano = 0;   ///< Start time (Unix epoch, ns).
  std::uint64_t end_unix_nano = 0;     ///< End time (Unix epoch, ns).
  std::vector<attribute> attributes;   ///< Attributes (bounded).
  std::vector<span_event> events;      ///< Events (bounded).
  span_status status = span_status::unset;  ///< Status.
  std::string status_message;          ///< Status description (for errors).
  std::uint32_t dropped_attributes = 0;  ///< Attributes refused by the limits.
  std::uint32_t dropped_events = 0;      ///< Events refused by the limits.
};

/// Receives finished, sampled spans. `on_end` is called on the thread that
/// ended the span and must not block (buffer and return).
class span_processor {
 public:
  /// Virtual destructor for the interface.
  virtual ~span_processor() = default;
  /// Takes a finished span.
  virtual void on_end(span_data&& span) noexcept = 0;
};

}  // namespace musicbot::trace
