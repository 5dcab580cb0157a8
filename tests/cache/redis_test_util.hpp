#pragma once
// Shared by the Redis integration test and the peer process it starts.

#include <boost/asio/io_context.hpp>

#include <chrono>

namespace musicbot_cache_test {

// Runs `ioc` in short slices until `done()` or `limit` passes; returns done().
template <class Pred>
bool run_until(boost::asio::io_context& ioc, Pred done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    ioc.restart();
    ioc.run_for(std::chrono::milliseconds(5));
  }
  return done();
}

}  // namespace musicbot_cache_test
