#pragma once
// Client spans for Redis commands (private to the component): started only
// when a tracer is configured and a span context is current on this thread.

#include <musicbot/redis/config.hpp>
#include <musicbot/redis/error.hpp>
#include <musicbot/redis/reply.hpp>
#include <musicbot/trace/current.hpp>
#include <musicbot/trace/tracer.hpp>

#include <boost/asio/error.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace musicbot::redis::detail {

// The command name as a bounded, upper-case token ("GET", "CLIENT|INFO").
// Anything that does not look like a command name is cut off, so a key
// passed by mistake as a command cannot reach a span name.
inline std::string operation_name(std::string_view raw) {
  constexpr std::size_t max_length = 32;
  std::string out;
  for (const char c : raw.substr(0, max_length)) {
    if (c >= 'a' && c <= 'z') {
      out += static_cast<char>(c - 'a' + 'A');
    } else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '|' || c == '-') {
      out += c;
    } else {
      break;
    }
  }
  if (out.empty()) out = "UNKNOWN";
  return out;
}

// The name of the first argument of an encoded argument list ("$3\r\nGET\r\n...").
inline std::string_view first_argument(std::string_view encoded) {
  if (encoded.empty() || encoded.front() != '$') return {};
  const auto eol = encoded.find("\r\n");
  if (eol == std::string_view::npos) return {};
  std::size_t length = 0;
  for (std::size_t i = 1; i < eol; ++i) {
    const char c = encoded[i];
    if (c < '0' || c > '9' || length > 1000000) return {};
    length = length * 10 + static_cast<std::size_t>(c - '0');
  }
  if (eol + 2 + length > encoded.size()) return {};
  return encoded.substr(eol + 2, length);
}

// A client span "redis <OPERATION>" under the current context, or an empty
// span (tracing off, no current context, or sampled out).
inline trace::span start_command_span(const config& cfg, std::string_view raw_operation) {
  if (!cfg.tracer) return {};
  const trace::span_context* parent = trace::current_context();
  if (parent == nullptr || !parent->valid()) return {};
  const std::string operation = operation_name(raw_operation);
  auto span = cfg.tracer->start_span("redis " + operation, *parent, trace::span_kind::client);
  if (!span.recording()) return span;
  span.set_attribute("component", "redis");
  span.set_attribute("db.system", "redis");
  span.set_attribute("db.operation", operation);
  return span;
}

// Outcome of one command: ok, error, timeout, breaker_open or cancelled.
inline const char* command_outcome(const boost::system::error_code& ec, const reply& r) noexcept {
  if (ec == error::timeout) return "timeout";
  if (ec == error::circuit_open) return "breaker_open";
  if (ec == boost::asio::error::operation_aborted) return "cancelled";
  if (ec || r.is_error()) return "error";
  return "ok";
}

// Records the outcome and ends the span. The status message is the error
// code's message, never the server's text (which may quote arguments).
inline void end_command_span(trace::span& span, const boost::system::error_code& ec, const reply& r) {
  if (!span.recording()) return;
  span.set_attribute("outcome", command_outcome(ec, r));
  if (ec) {
    span.set_status(trace::span_status::error, ec.message());
  } else if (r.is_error()) {
    span.set_status(trace::span_status::error, reply_error(r).message());
  }
  span.end();
}

}  // namespace musicbot::redis::detail
