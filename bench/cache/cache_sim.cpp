// musicbot_cache_sim: replays a key trace through an L1 eviction policy and
// prints the hit ratio (in percent) as the last number of its output.
//
//   musicbot_cache_sim --trace FILE --size N --policy lru|tinylfu
//
// FILE holds one decimal (optionally negative) key per line, plain or gzip-compressed. --size and
// --policy also accept comma-separated lists (one result line each).
// --set name=value overrides one policy_options field (for experiments; the
// defaults are the shipped configuration).

#include "trace_reader.hpp"

#include <musicbot/cache/policy.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

using musicbot::cache::eviction_policy;
using musicbot::cache::policy_options;
using musicbot::cache::slot_policy;

int usage() {
  std::fprintf(stderr,
               "usage: musicbot_cache_sim --trace FILE --size N[,N...] --policy lru|tinylfu[,...]\n"
               "                          [--set option=value]...\n");
  return 2;
}

std::vector<std::string> split(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const auto comma = s.find(',');
    out.emplace_back(s.substr(0, comma));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

bool set_option(policy_options& o, std::string_view assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string_view::npos) return false;
  const std::string name(assignment.substr(0, eq));
  const std::string value(assignment.substr(eq + 1));
  const double v = std::strtod(value.c_str(), nullptr);
  if (name == "initial_window") o.initial_window = v;
  else if (name == "protected_share") o.protected_share = v;
  else if (name == "sample_factor") o.sample_factor = static_cast<std::size_t>(v);
  else if (name == "doorkeeper") o.doorkeeper = v != 0;
  else if (name == "adaptive") o.adaptive = v != 0;
  else if (name == "shadow_entries") o.shadow_entries = static_cast<std::size_t>(v);
  else if (name == "epoch_factor") o.epoch_factor = v;
  else if (name == "score_decay") o.score_decay = v;
  else return false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const char* trace = nullptr;
  std::vector<std::string> sizes;
  std::vector<std::string> policies;
  policy_options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) return usage();
    if (arg == "--trace") trace = argv[++i];
    else if (arg == "--size") sizes = split(argv[++i]);
    else if (arg == "--policy") policies = split(argv[++i]);
    else if (arg == "--set") {
      if (!set_option(options, argv[++i])) return usage();
    } else {
      return usage();
    }
  }
  if (trace == nullptr || sizes.empty() || policies.empty()) return usage();

  std::vector<std::uint64_t> keys;
  if (!musicbot_bench::read_trace(trace, keys)) return 1;
  if (keys.empty()) {
    std::fprintf(stderr, "%s: empty trace\n", trace);
    return 1;
  }
  for (const std::string& policy_name : policies) {
    eviction_policy kind{};
    if (policy_name == "lru") kind = eviction_policy::lru;
    else if (policy_name == "tinylfu") kind = eviction_policy::tinylfu;
    else return usage();
    for (const std::string& size_text : sizes) {
      std::size_t size = 0;
      const auto [end, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), size);
      if (ec != std::errc{} || end != size_text.data() + size_text.size() || size == 0) return usage();
      const auto start = std::chrono::steady_clock::now();
      slot_policy<std::uint64_t> cache(size, kind, options);
      std::uint64_t hits = 0;
      for (const std::uint64_t key : keys) {
        if (cache.find(key) != cache.npos) {
          ++hits;
        } else {
          cache.insert(key, [](auto) {});
        }
      }
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("policy %s size %zu accesses %zu hits %llu window %zu time %.2fs hit_ratio %.2f\n",
                  policy_name.c_str(), size, keys.size(), static_cast<unsigned long long>(hits),
                  cache.window_capacity(), seconds,
                  100.0 * static_cast<double>(hits) / static_cast<double>(keys.size()));
    }
  }
  return 0;
}
