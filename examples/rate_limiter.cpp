// Per-user, per-command limits with a bounded number of tracked keys, and
// the fallback configuration a distributed limiter switches to.
#include <musicbot/core/keyed_rate_limiter.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>

int main() {
  using namespace std::chrono_literals;
  using musicbot::core::rate_limit_config;

  musicbot::core::manual_clock clock;
  // 3 /play per user per 10 s, GCRA, at most 10 000 users tracked.
  const rate_limit_config play_limit{3, 10s, musicbot::core::rate_limit_algorithm::gcra};
  musicbot::core::keyed_rate_limiter<musicbot::core::manual_clock> limiter(play_limit, 10000, clock);

  const std::uint64_t guild = 81384788765712384;
  const std::uint64_t user = 80351110224678912;
  // The key given as parts: encoded on the stack, no string, no allocation.
  // (limiter.try_acquire(rate_limit_key(guild, user, "play")) works too, as
  // another key space: use one form per limiter.)
  std::cout << "string form of the key: " << musicbot::core::rate_limit_key(guild, user, "play") << '\n';

  int allowed = 0;
  musicbot::core::rate_limit_decision d;
  for (int i = 0; i < 5; ++i) {
    d = limiter.try_acquire(guild, user, "play");
    if (d) ++allowed;
    std::cout << "/play #" << i + 1 << ": " << (d ? "allowed" : "refused") << ", remaining " << d.remaining
              << ", retry after " << std::chrono::duration_cast<std::chrono::milliseconds>(d.retry_after).count()
              << " ms\n";
  }
  clock.advance(d.retry_after);  // what a client would be told to wait
  const bool after_wait = static_cast<bool>(limiter.try_acquire(guild, user, "play"));
  std::cout << "after waiting retry_after: " << (after_wait ? "allowed" : "refused") << '\n';

  // Redis down: each of 4 replicas enforces half of its share locally.
  const auto fallback = rate_limit_config{100, 1min}.scaled(0.5, 4);
  std::cout << "fallback limit: " << fallback.limit << " per minute per replica\n";
  return allowed == 3 && after_wait && fallback.limit == 12 ? 0 : 1;
}
