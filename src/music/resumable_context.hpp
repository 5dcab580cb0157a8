// Internal: the trace context of one use case across its coroutine's
// suspensions.
//
// trace::current_context() is thread-local and meant for synchronous code:
// a coroutine that held a context_scope across a co_await would leave its
// context current for whatever else the thread runs meanwhile, and restore
// contexts out of order. A resumable_context makes the use case's context
// current while the coroutine's own code runs, and only then: await()
// removes it before the coroutine suspends and installs it again when the
// awaited operation has completed. Between an install and the next removal
// only synchronous code runs, so scopes still nest (LIFO) per thread.
//
// Rule for every use-case coroutine: each co_await of an asynchronous
// operation or of another coroutine goes through await(); a callee that
// logs takes the context as its parent and keeps its own resumable_context.
#pragma once

#include <musicbot/trace/current.hpp>

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace musicbot::music::detail {

class resumable_context {
 public:
  // Installs `ctx` (an invalid context installs nothing).
  explicit resumable_context(const trace::span_context& ctx) noexcept : ctx_(ctx) { enter(); }
  resumable_context(const resumable_context&) = delete;
  resumable_context& operator=(const resumable_context&) = delete;
  ~resumable_context() = default;  // the scope, if installed, restores the previous context

  [[nodiscard]] const trace::span_context& context() const noexcept { return ctx_; }

  // Awaits `op` with the context removed while suspended and installed
  // again once `op` completed.
  template <class T>
  boost::asio::awaitable<T> await(boost::asio::awaitable<T> op) {
    leave();
    if constexpr (std::is_void_v<T>) {
      co_await std::move(op);
      enter();
    } else {
      T result = co_await std::move(op);
      enter();
      co_return result;
    }
  }

 private:
  void enter() noexcept {
    if (ctx_.valid() && !scope_) scope_.emplace(ctx_);
  }
  void leave() noexcept { scope_.reset(); }

  trace::span_context ctx_;
  std::optional<trace::context_scope> scope_;
};

}  // namespace musicbot::music::detail
