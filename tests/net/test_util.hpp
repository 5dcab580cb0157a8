#pragma once
// Helpers for the net tests: run a coroutine test body on a fresh
// io_context with a hard time bound.

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <functional>

namespace musicbot_net_test {

namespace asio = boost::asio;
inline constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

/// Fails the test (and leaves the coroutine) when `cond` is false.
#define CO_ASSERT_TRUE(cond)                       \
  do {                                             \
    if (!(cond)) {                                 \
      ADD_FAILURE() << "CO_ASSERT_TRUE: " #cond;   \
      co_return;                                   \
    }                                              \
  } while (0)

/// Runs `body(io)` to completion within `limit` (fails the test otherwise).
inline void run_async(const std::function<asio::awaitable<void>(asio::io_context&)>& body,
                      std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  asio::io_context io;
  bool done = false;
  std::exception_ptr error;
  asio::co_spawn(io, body(io), [&](std::exception_ptr e) {
    done = true;
    error = e;
    io.stop();
  });
  io.run_for(limit);
  ASSERT_TRUE(done) << "test body did not finish within the deadline";
  if (error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      FAIL() << "test body threw: " << e.what();
    }
  }
}

/// Waits `d` on the current coroutine's executor.
inline asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(d);
  co_await t.async_wait(use_tuple);
}

}  // namespace musicbot_net_test
