// A breaker in front of a flaky dependency: it opens, rejects without
// calling, probes in half-open and closes again.
#include <musicbot/core/circuit_breaker.hpp>

#include <chrono>
#include <iostream>

int main() {
  using namespace std::chrono_literals;
  using musicbot::core::circuit_state;

  musicbot::core::manual_clock clock;
  auto config = musicbot::core::circuit_breaker_config::redis();  // 3 s timeout, 50 %, open 30 s
  config.minimum_calls = 10;
  musicbot::core::circuit_breaker<musicbot::core::manual_clock> breaker(config, clock);
  breaker.set_listener([](circuit_state from, circuit_state to) {
    std::cout << "  breaker " << to_string(from) << " -> " << to_string(to) << '\n';
  });

  bool dependency_up = false;
  int calls_made = 0;
  int rejected = 0;
  auto call = [&] {
    auto permit = breaker.try_acquire();
    if (!permit) {
      ++rejected;
      return;
    }
    ++calls_made;
    if (dependency_up) {
      permit.success(2ms);
    } else {
      permit.failure(3s);  // timed out
    }
  };

  std::cout << "dependency down, 30 calls:\n";
  for (int i = 0; i < 30; ++i) call();
  std::cout << "  made " << calls_made << ", rejected " << rejected << '\n';

  std::cout << "30 s later, dependency back:\n";
  clock.advance(30s);
  dependency_up = true;
  for (int i = 0; i < 10; ++i) call();
  std::cout << "  state " << to_string(breaker.state()) << '\n';
  return breaker.state() == circuit_state::closed && calls_made == 20 ? 0 : 1;
}
