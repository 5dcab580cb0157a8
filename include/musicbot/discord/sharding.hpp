#pragma once
/// @file
/// Shard arithmetic: which shard owns a guild, identify buckets, shard ranges.

#include "musicbot/discord/gateway_payload.hpp"

#include <cstdint>
#include <stdexcept>

namespace musicbot::discord {

/// `shard_id = (guild_id >> 22) % shard_count` (docs: Sharding formula).
/// Events without a guild go to shard 0.
[[nodiscard]] constexpr std::uint32_t shard_for(snowflake guild_id, std::uint32_t shard_count) noexcept {
  return shard_count == 0 ? 0 : static_cast<std::uint32_t>((guild_id >> 22) % shard_count);
}

/// The identify bucket of a shard: `shard_id % max_concurrency`.
[[nodiscard]] constexpr std::uint32_t rate_limit_key(std::uint32_t shard_id, std::uint32_t max_concurrency) noexcept {
  return max_concurrency == 0 ? 0 : shard_id % max_concurrency;
}

/// The shards one process runs: `[first, last]` of `total`.
struct shard_range {
  std::uint32_t first = 0;  ///< first shard id (inclusive)
  std::uint32_t last = 0;   ///< last shard id (inclusive)
  std::uint32_t total = 1;  ///< total shard count of the bot

  /// Number of shards in the range.
  [[nodiscard]] constexpr std::uint32_t size() const noexcept { return last - first + 1; }
  /// True if `shard_id` is run by this process.
  [[nodiscard]] constexpr bool contains(std::uint32_t shard_id) const noexcept {
    return shard_id >= first && shard_id <= last;
  }
  /// Throws std::invalid_argument unless `first <= last < total` (configuration error).
  void validate() const {
    if (total == 0 || first > last || last >= total) throw std::invalid_argument("invalid shard range");
  }
  /// Process `index` of `processes` running an even split of `total` shards.
  [[nodiscard]] static shard_range split(std::uint32_t total, std::uint32_t processes, std::uint32_t index) {
    if (processes == 0 || index >= processes || total < processes) throw std::invalid_argument("invalid shard split");
    const std::uint32_t base = total / processes;
    const std::uint32_t extra = total % processes;
    const std::uint32_t first = index * base + (index < extra ? index : extra);
    const std::uint32_t count = base + (index < extra ? 1 : 0);
    return {first, first + count - 1, total};
  }
};

}  // namespace musicbot::discord
