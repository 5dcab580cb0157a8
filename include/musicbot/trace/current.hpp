#pragma once
/// @file
/// The span context "current" on this thread, so log lines can carry the
/// trace id of the command being handled without passing it everywhere.

#include <musicbot/trace/context.hpp>

namespace musicbot::trace {

namespace detail {
inline const span_context*& current_slot() noexcept {
  thread_local const span_context* current = nullptr;
  return current;
}
}  // namespace detail

/// The innermost context made current on this thread, or null.
[[nodiscard]] inline const span_context* current_context() noexcept { return detail::current_slot(); }

/// Makes `ctx` current on this thread for the guard's lifetime (nests).
///
/// With coroutines, hold the guard only across synchronous code: a
/// coroutine may resume on another thread or interleave with others.
class context_scope {
 public:
  /// Makes `ctx` current; `ctx` must outlive the guard.
  explicit context_scope(const span_context& ctx) noexcept : previous_(detail::current_slot()) {
    detail::current_slot() = &ctx;
  }
  context_scope(const context_scope&) = delete;
  context_scope& operator=(const context_scope&) = delete;
  /// Restores the previous current context.
  ~context_scope() { detail::current_slot() = previous_; }

 private:
  const span_context* previous_;
};

}  // namespace musicbot::trace
