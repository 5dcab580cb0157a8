#pragma once
/// @file
/// Node penalties and the choice of a node for a new player.

#include <musicbot/lavalink/protocol.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace musicbot::lavalink {

/// The load penalty of a node (lower is better), the formula Lavalink
/// clients share:
/// @code
/// players + (1.05^(100 * load) * 10 - 10)
///         + 2 * (1.03^(500 * nulled / 3000) * 300 - 300)
///         + (1.03^(500 * deficit / 3000) * 600 - 600)
/// @endcode
/// where `load` is the system CPU load (0..1) and the frame figures (per
/// minute) are clamped at >= 0 and count as 0 when the node reports none.
/// @param stats the node's last statistics
/// @param players player count to use instead of `stats.players` when
///        larger (players created since the last stats message)
[[nodiscard]] double node_penalty(const node_stats& stats, std::int64_t players = 0) noexcept;

/// What node selection knows about one node.
struct node_candidate {
  std::string name;                ///< node name
  bool available = false;          ///< connected with a live session and not draining
  std::optional<node_stats> stats; ///< last statistics, if any arrived
  std::int64_t local_players = 0;  ///< players this client has on the node
  std::vector<std::string> regions; ///< region tags, e.g. "eu", "us-east"
};

/// The index of the best available node: lowest node_penalty(); when
/// `region` is given and an available node carries that tag, only such
/// nodes are considered. Ties go to the earlier node. Nodes without stats
/// are ranked by their local player count alone.
/// @return the index in `nodes`, or nullopt when none is available.
[[nodiscard]] std::optional<std::size_t> select_node(std::span<const node_candidate> nodes,
                                                     std::optional<std::string_view> region = std::nullopt);

}  // namespace musicbot::lavalink
