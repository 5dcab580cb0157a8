// One /play command traced across a process boundary: the caller's
// traceparent is continued, child spans nest under the command, a bad header
// starts a fresh trace instead of failing the command, and everything a
// span or the export buffer would hold past its bounds is dropped and counted.
#include <musicbot/trace/context.hpp>
#include <musicbot/trace/span_buffer.hpp>
#include <musicbot/trace/tracer.hpp>

#include <iostream>
#include <memory>
#include <string>

namespace tr = musicbot::trace;

int main() {
  bool ok = true;
  auto check = [&ok](bool condition, const std::string& what) {
    if (!condition) std::cout << "  UNEXPECTED: " << what << '\n';
    ok = ok && condition;
  };

  // Finished spans wait here for an exporter (OTLP/HTTP in the bot); a full
  // buffer drops and counts rather than blocking a command.
  auto buffer = std::make_shared<tr::span_buffer>(/*capacity=*/8);
  tr::tracer_options options;
  options.sample_ratio = 0.0;  // new traces are not sampled here...
  options.limits.max_attributes = 4;
  tr::tracer tracer(options, buffer);

  // ...but a caller that sampled its trace is followed (parent-based).
  const std::string incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  auto parent = tr::extract_context(incoming, "vendor=abc");
  check(parent.has_value() && parent->sampled() && parent->remote, "traceparent parsed, sampled, remote");
  {
    auto command = tracer.start_span("command /play", *parent, tr::span_kind::server);
    command.set_attribute("command", "play");
    {
      auto update = tracer.start_child(command, "lavalink.update_player", tr::span_kind::client);
      update.set_attribute("component", "lavalink");
      // The header a downstream call carries: same trace, this span as parent.
      const auto outgoing = tr::format_traceparent(update.context());
      std::cout << "outgoing traceparent: " << outgoing << '\n';
      check(outgoing.substr(3, 32) == parent->trace.to_hex(), "the trace id travels on");
    }  // a span ends when it leaves scope
    for (int i = 0; i < 6; ++i) command.set_attribute("extra." + std::to_string(i), i);  // 1 + 6 > 4
  }
  auto spans = buffer->drain(16);
  std::cout << "spans exported: " << spans.size() << '\n';
  check(spans.size() == 2, "two spans, child first");
  if (spans.size() == 2) {
    const auto& child = spans[0];
    const auto& root = spans[1];
    std::cout << "  " << root.name << " (parent " << root.parent.to_hex() << ", " << root.attributes.size()
              << " attributes, " << root.dropped_attributes << " dropped)\n"
              << "  " << child.name << " (parent " << child.parent.to_hex() << ")\n";
    check(root.parent == parent->span && child.parent == root.context.span, "spans nest under the caller's span");
    check(root.context.state == parent->state, "tracestate passed through unchanged");
    check(root.attributes.size() == 4 && root.dropped_attributes == 3, "attributes bounded, overflow counted");
  }

  // A malformed header is an error to ignore: the command starts its own
  // trace, which this tracer's ratio of 0 does not sample.
  auto bad = tr::extract_context("00-not-a-trace", "");
  std::cout << "bad traceparent: " << bad.error().message() << '\n';
  check(!bad, "malformed traceparent refused");
  {
    auto fresh = tracer.start_span("command /skip", {}, tr::span_kind::server);
    check(fresh.context().valid() && !fresh.recording(), "fresh trace, not sampled, not recorded");
  }
  check(buffer->size() == 0, "an unsampled span exports nothing");

  // The buffer holds 8 spans; the 12 that end before an export drain leave 4 behind.
  tr::tracer_options always;
  tr::tracer busy(always, buffer);
  for (int i = 0; i < 12; ++i) auto s = busy.start_span("burst");
  std::cout << "burst of 12 into a buffer of 8: kept " << buffer->size() << ", dropped " << buffer->dropped() << '\n';
  check(buffer->size() == 8 && buffer->dropped() == 4, "buffer bounded, drops counted");

  std::cout << (ok ? "all as described\n" : "example FAILED\n");
  return ok ? 0 : 1;
}
