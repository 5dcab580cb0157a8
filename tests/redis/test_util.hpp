#pragma once
// Helpers shared by the Redis integration tests.

// GCC 12 false positives at -O1 and above with Boost.Asio coroutines:
// "mismatched-new-delete" on awaitable frames (their class-specific
// operator new/delete are paired) and "null-dereference" inside Asio's
// scheduler. Disabled for the rest of each test file that includes this.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif

#include <musicbot/redis/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <functional>

namespace redis_test {

namespace asio = boost::asio;
inline constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

// Runs `body` as a coroutine on `io` until it finishes; fails the test if it
// takes longer than `limit` (a hang guard, not a timing assertion).
inline void run(asio::io_context& io, std::function<asio::awaitable<void>()> body,
                std::chrono::seconds limit = std::chrono::seconds(30)) {
  bool done = false;
  std::exception_ptr failure;
  asio::co_spawn(io, body(), [&](std::exception_ptr e) {
    done = true;
    failure = e;
  });
  io.restart();
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done && std::chrono::steady_clock::now() < deadline) io.run_one_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(done) << "test coroutine did not finish within " << limit.count() << " s";
  if (failure) std::rethrow_exception(failure);
}

inline asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(tuple_awaitable);
}

}  // namespace redis_test
