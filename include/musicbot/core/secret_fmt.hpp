#pragma once
/// @file
/// fmt (and so spdlog) support for `musicbot::core::secret`: prints `***`.
/// Kept apart from secret.hpp because the core layer needs only the
/// standard library; include this where fmt is available.

#include <musicbot/core/secret.hpp>

#include <fmt/format.h>

/// @cond INTERNAL
// Formats a secret as `***`, whatever the format spec.
template <>
struct fmt::formatter<musicbot::core::secret> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const musicbot::core::secret&, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(musicbot::core::secret::mask, ctx);
  }
};
/// @endcond
