#pragma once
// The default logger of musicbot::lavalink (internal).
#include <spdlog/spdlog.h>

#include <memory>

namespace musicbot::lavalink::detail {

/// The named logger "musicbot.lavalink", created on first use with the
/// default logger's sinks.
inline std::shared_ptr<spdlog::logger> default_logger() {
  if (auto existing = spdlog::get("musicbot.lavalink")) return existing;
  auto logger = std::make_shared<spdlog::logger>("musicbot.lavalink", spdlog::default_logger()->sinks().begin(),
                                                 spdlog::default_logger()->sinks().end());
  try {
    spdlog::register_logger(logger);
  } catch (const spdlog::spdlog_ex&) {
    if (auto existing = spdlog::get("musicbot.lavalink")) return existing;
  }
  return logger;
}

}  // namespace musicbot::lavalink::detail
