#pragma once
/// @file
/// A spdlog formatter that writes one JSON object per line: timestamp,
/// level, component (the logger's name), message, and the trace and span id
/// of the current span context (see current.hpp), plus fixed key/value
/// fields. Registered secrets are masked wherever they appear in a message.
///
/// Needs spdlog (the trace component itself does not): include this header
/// only where spdlog is available and link spdlog::spdlog.
///
/// @code
/// auto formatter = std::make_unique<musicbot::trace::json_log_formatter>();
/// formatter->add_field("service", "musicbot");
/// formatter->redact(config.discord_token);
/// spdlog::set_formatter(std::move(formatter));
/// @endcode

#include <musicbot/core/secret.hpp>
#include <musicbot/trace/current.hpp>

#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace musicbot::trace {

/// Appends `text` to `out` as the inside of a JSON string.
inline void append_json_escaped(std::string& out, std::string_view text) {
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out.push_back(ch);
        }
    }
  }
}

/// JSON-lines formatter for spdlog.
///
/// @par Thread safety
/// spdlog calls `format` under its sink lock; configure (add_field,
/// redact) before installing the formatter.
class json_log_formatter final : public spdlog::formatter {
 public:
  /// Adds a constant field written on every line (e.g. service, shard range).
  void add_field(std::string key, std::string value) { fields_.emplace_back(std::move(key), std::move(value)); }

  /// Masks every occurrence of `value` in messages with `***` (defence in
  /// depth: secrets are already formatted as `***` by their own type).
  void redact(const core::secret& value) {
    if (value.size() >= 4) secrets_.push_back(value);  // too short a needle would mask ordinary text
  }

  /// Formats one record as a JSON line.
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line;
    line.reserve(160 + msg.payload.size());
    line += "{\"timestamp\":\"";
    line += iso8601(msg.time);
    line += "\",\"level\":\"";
    const auto level = spdlog::level::to_string_view(msg.level);
    line.append(level.data(), level.size());
    line += "\",\"component\":\"";
    append_json_escaped(line, std::string_view(msg.logger_name.data(), msg.logger_name.size()));
    line += "\",\"message\":\"";
    append_json_escaped(line, masked(std::string_view(msg.payload.data(), msg.payload.size())));
    line += '"';
    if (const auto* ctx = current_context(); ctx != nullptr && ctx->valid()) {
      line += ",\"trace_id\":\"" + ctx->trace.to_hex() + "\",\"span_id\":\"" + ctx->span.to_hex() + '"';
    }
    for (const auto& [key, value] : fields_) {
      line += ",\"";
      append_json_escaped(line, key);
      line += "\":\"";
      append_json_escaped(line, value);
      line += '"';
    }
    line += "}\n";
    dest.append(line.data(), line.data() + line.size());
  }

  /// A copy with the same fields and secrets.
  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_log_formatter>(*this);
  }

 private:
  [[nodiscard]] std::string masked(std::string_view text) const {
    std::string out(text);
    for (const auto& s : secrets_) {
      const auto& needle = s.reveal();
      for (auto pos = out.find(needle); pos != std::string::npos; pos = out.find(needle, pos + 3)) {
        out.replace(pos, needle.size(), core::secret::mask);
      }
    }
    return out;
  }

  static std::string iso8601(std::chrono::system_clock::time_point t) {
    const auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(t - secs).count();
    const std::time_t tt = std::chrono::system_clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(millis));
    return buf;
  }

  std::vector<std::pair<std::string, std::string>> fields_;
  std::vector<core::secret> secrets_;
};

}  // namespace musicbot::trace
