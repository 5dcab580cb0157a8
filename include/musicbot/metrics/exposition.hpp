#pragma once
/// @file
/// Exposition formats: Prometheus text 0.0.4 and OpenMetrics 1.0.0, and the
/// choice between them from an HTTP `Accept` header.

#include <string_view>

namespace musicbot::metrics {

/// The text formats a registry renders.
enum class exposition_format {
  prometheus_text,  ///< Prometheus text format 0.0.4 (`text/plain; version=0.0.4`)
  openmetrics,      ///< OpenMetrics 1.0.0 (`application/openmetrics-text; version=1.0.0`), ends with `# EOF`
};

/// The `Content-Type` header value for `format` (with version and charset).
[[nodiscard]] std::string_view content_type(exposition_format format) noexcept;

/// Chooses the format from an `Accept` header value.
///
/// OpenMetrics is chosen when the header explicitly accepts
/// `application/openmetrics-text` (no version, or version 1.0.0) with a
/// quality at least as high as the best match for Prometheus text
/// (`text/plain` with no version or 0.0.4, `text/*`, `*/*`). Anything
/// else, including an empty or malformed header, gives Prometheus text:
/// a scrape never fails because of content negotiation. Runs in linear time
/// and never throws.
[[nodiscard]] exposition_format negotiate_format(std::string_view accept) noexcept;

}  // namespace musicbot::metrics
