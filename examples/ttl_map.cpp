// A bounded, expiring per-user map: the shape of every map keyed by
// something users control. Prints what stays, what leaves and why.
#include <musicbot/core/ttl_map.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>

int main() {
  using namespace std::chrono_literals;
  using musicbot::core::removal_reason;

  // Time is injected: this example drives a manual clock instead of sleeping.
  musicbot::core::manual_clock clock;
  musicbot::core::ttl_map<std::uint64_t, std::string, std::hash<std::uint64_t>, std::equal_to<std::uint64_t>,
                          musicbot::core::manual_clock>
      last_search(3, 10min, clock);  // at most 3 users, 10 minutes each

  last_search.set_removal_listener([](const std::uint64_t& user, std::string& query, removal_reason why) {
    const char* reason = why == removal_reason::evicted ? "evicted" : why == removal_reason::expired ? "expired" : "removed";
    std::cout << "  user " << user << " (\"" << query << "\") " << reason << '\n';
  });

  std::cout << "four users search, capacity 3:\n";
  last_search.insert_or_assign(std::uint64_t{1}, std::string("lofi beats"));
  last_search.insert_or_assign(std::uint64_t{2}, std::string("daft punk"));
  last_search.insert_or_assign(std::uint64_t{3}, std::string("bach cello"), 1min);  // shorter TTL
  (void)last_search.find(1);  // user 1 is active again: user 2 is now least recently used
  last_search.insert_or_assign(std::uint64_t{4}, std::string("city pop"));

  std::cout << "two minutes later, user 3 looks up again:\n";
  clock.advance(2min);
  if (last_search.find(3) == nullptr) std::cout << "  nothing for user 3\n";

  std::cout << "live entries:\n";
  for (const auto& [user, query] : last_search) std::cout << "  " << user << " -> " << query << '\n';

  const auto& s = last_search.stats();
  std::cout << "hits " << s.hits << ", misses " << s.misses << ", evictions " << s.evictions << ", expirations "
            << s.expirations << '\n';
  return s.evictions == 1 && s.expirations == 1 && last_search.size() == 2 ? 0 : 1;
}
