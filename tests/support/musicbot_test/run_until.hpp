#pragma once
// Drives an io_context until a condition holds, never longer than a timeout.

#include <boost/asio/io_context.hpp>

#include <chrono>

namespace musicbot_test {

/// Runs `ioc` in 5 ms slices until `cond()` is true; false on timeout.
template <class Cond>
bool run_until(boost::asio::io_context& ioc, Cond cond,
               std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    ioc.run_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace musicbot_test
