#pragma once
// The component's default logger ("musicbot.discord").
#include <spdlog/spdlog.h>

#include <memory>

namespace musicbot::discord::detail {

inline std::shared_ptr<spdlog::logger> default_logger() {
  static const std::shared_ptr<spdlog::logger> logger = [] {
    if (auto existing = spdlog::get("musicbot.discord")) return existing;
    auto l = spdlog::default_logger()->clone("musicbot.discord");
    return l;
  }();
  return logger;
}

}  // namespace musicbot::discord::detail
