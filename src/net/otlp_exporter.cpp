#include <musicbot/net/otlp_exporter.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

namespace musicbot::net {

namespace asio = boost::asio;
namespace json = boost::json;
using boost::system::error_code;

namespace {

json::object otlp_value(const trace::attribute_value& v) {
  json::object out;
  if (const auto* b = std::get_if<bool>(&v)) {
    out["boolValue"] = *b;
  } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
    out["intValue"] = std::to_string(*i);
  } else if (const auto* d = std::get_if<double>(&v)) {
    out["doubleValue"] = *d;
  } else {
    out["stringValue"] = std::get<std::string>(v);
  }
  return out;
}

json::array otlp_attributes(const std::vector<trace::attribute>& attributes) {
  json::array out;
  for (const auto& a : attributes) out.push_back(json::object{{"key", a.key}, {"value", otlp_value(a.value)}});
  return out;
}

int otlp_kind(trace::span_kind k) { return static_cast<int>(k) + 1; }  // SPAN_KIND_INTERNAL = 1 ...

}  // namespace

std::string encode_otlp_json(const std::vector<trace::span_data>& spans, std::string_view service_name,
                             std::string_view service_version) {
  json::array out_spans;
  for (const auto& s : spans) {
    json::object span{{"traceId", s.context.trace.to_hex()},
                      {"spanId", s.context.span.to_hex()},
                      {"name", s.name},
                      {"kind", otlp_kind(s.kind)},
                      {"startTimeUnixNano", std::to_string(s.start_unix_nano)},
                      {"endTimeUnixNano", std::to_string(s.end_unix_nano)},
                      {"attributes", otlp_attributes(s.attributes)},
                      {"droppedAttributesCount", s.dropped_attributes},
                      {"droppedEventsCount", s.dropped_events}};
    if (s.parent.valid()) span["parentSpanId"] = s.parent.to_hex();
    if (!s.context.state.empty()) span["traceState"] = trace::format_tracestate(s.context.state);
    json::array events;
    for (const auto& e : s.events) {
      events.push_back(json::object{{"timeUnixNano", std::to_string(e.time_unix_nano)},
                                    {"name", e.name},
                                    {"attributes", otlp_attributes(e.attributes)}});
    }
    span["events"] = std::move(events);
    json::object status{{"code", static_cast<int>(s.status)}};  // UNSET 0, OK 1, ERROR 2
    if (!s.status_message.empty()) status["message"] = s.status_message;
    span["status"] = std::move(status);
    out_spans.push_back(std::move(span));
  }
  json::array resource_attributes{
      json::object{{"key", "service.name"}, {"value", json::object{{"stringValue", service_name}}}},
      json::object{{"key", "service.version"}, {"value", json::object{{"stringValue", service_version}}}}};
  json::object scope_spans{{"scope", json::object{{"name", "musicbot"}, {"version", service_version}}},
                           {"spans", std::move(out_spans)}};
  json::object resource_spans{{"resource", json::object{{"attributes", std::move(resource_attributes)}}},
                              {"scopeSpans", json::array{std::move(scope_spans)}}};
  return json::serialize(json::object{{"resourceSpans", json::array{std::move(resource_spans)}}});
}

namespace detail {

class otlp_exporter_impl : public std::enable_shared_from_this<otlp_exporter_impl> {
 public:
  otlp_exporter_impl(asio::any_io_executor ex, std::shared_ptr<trace::span_buffer> b, otlp_exporter_options o)
      : executor(ex), buffer(std::move(b)), options(std::move(o)), timer(ex), client(ex, client_options(options)) {}

  static http_client_options client_options(const otlp_exporter_options& o) {
    http_client_options c;
    c.base_url = o.endpoint;
    c.max_connections = 1;
    c.max_response_body_bytes = 64 * 1024;
    return c;
  }

  asio::awaitable<error_code> export_batch(std::vector<trace::span_data> batch) {
    http_request req;
    req.method = "POST";
    req.target = "/v1/traces";
    req.timeout = options.timeout;
    req.body = encode_otlp_json(batch, options.service_name, options.service_version);
    set_header(req.headers, "Content-Type", "application/json");
    for (const auto& [name, value] : options.headers) set_header(req.headers, name, value.reveal());
    in_flight = true;
    auto [ec, res] = co_await client.async_request(std::move(req), asio::as_tuple(asio::use_awaitable));
    in_flight = false;
    if (!ec && (res.status < 200 || res.status >= 300)) ec = asio::error::connection_refused;
    if (ec) {
      ++stats.failed_batches;
      stats.dropped_spans += batch.size();
      buffer->count_dropped(batch.size());
    } else {
      stats.exported_spans += batch.size();
    }
    co_return ec;
  }

  void arm() {
    if (stopped) return;
    timer.expires_after(options.flush_interval);
    timer.async_wait([self = shared_from_this()](error_code ec) {
      if (ec || self->stopped) return;
      if (!self->in_flight) {
        auto batch = self->buffer->drain(self->options.max_batch);
        if (!batch.empty()) {
          // The export keeps the exporter alive: destroying it mid-export
          // completes the request (aborted) before the state goes away.
          asio::co_spawn(
              self->executor,
              [self, batch = std::move(batch)]() mutable -> asio::awaitable<void> {
                co_await self->export_batch(std::move(batch));
              },
              asio::detached);
        }
      }
      self->arm();
    });
  }

  asio::any_io_executor executor;
  std::shared_ptr<trace::span_buffer> buffer;
  otlp_exporter_options options;
  asio::steady_timer timer;
  http_client client;
  otlp_exporter_stats stats;
  bool in_flight = false;
  bool stopped = false;
};

}  // namespace detail

otlp_exporter::otlp_exporter(asio::any_io_executor executor, std::shared_ptr<trace::span_buffer> buffer,
                             otlp_exporter_options options)
    : impl_(std::make_shared<detail::otlp_exporter_impl>(std::move(executor), std::move(buffer), std::move(options))) {}

otlp_exporter::~otlp_exporter() { stop(); }

void otlp_exporter::start() {
  impl_->stopped = false;
  impl_->arm();
}

void otlp_exporter::stop() {
  impl_->stopped = true;
  impl_->timer.cancel();
}

otlp_exporter_stats otlp_exporter::stats() const noexcept { return impl_->stats; }

void otlp_exporter::do_flush(asio::any_completion_handler<void(error_code)> h) {
  auto impl = impl_;
  asio::co_spawn(
      impl->executor,
      [impl, h = std::move(h)]() mutable -> asio::awaitable<void> {
        error_code first;
        // Bounded: at most as many batches as the buffer can hold.
        const std::size_t max_rounds = impl->buffer->capacity() / std::max<std::size_t>(1, impl->options.max_batch) + 2;
        for (std::size_t round = 0; round < max_rounds; ++round) {
          auto batch = impl->buffer->drain(impl->options.max_batch);
          if (batch.empty()) break;
          const auto ec = co_await impl->export_batch(std::move(batch));
          if (ec && !first) first = ec;
          if (ec) break;  // a down collector: do not hammer it at shutdown
        }
        auto ex = asio::get_associated_executor(h, impl->executor);
        asio::dispatch(ex, [h = std::move(h), first]() mutable { std::move(h)(first); });
      },
      asio::detached);
}

}  // namespace musicbot::net
