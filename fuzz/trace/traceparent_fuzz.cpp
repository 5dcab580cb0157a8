// traceparent / tracestate parsing: never crashes, and whatever parses
// formats back to something that parses to the same context.
#include <musicbot/trace/context.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto split = input.find('\n');
  const auto parent = input.substr(0, split);
  const auto state = split == std::string_view::npos ? std::string_view{} : input.substr(split + 1);

  using namespace musicbot::trace;
  if (auto ctx = parse_traceparent(parent)) {
    auto again = parse_traceparent(format_traceparent(*ctx));
    if (!again || again->trace != ctx->trace || again->span != ctx->span || again->flags != ctx->flags) std::abort();
  }
  if (auto parsed = parse_tracestate(state)) {
    auto again = parse_tracestate(format_tracestate(*parsed));
    if (!again || *again != *parsed) std::abort();
  }
  (void)extract_context(parent, state);
  return 0;
}
