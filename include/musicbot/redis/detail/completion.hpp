#pragma once
// Type-erased completion of one Redis command (internal).

#include <musicbot/redis/reply.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace musicbot::redis::detail {

// Called exactly once with the outcome of a command; deleted afterwards.
class completion {
 public:
  completion() = default;
  completion(const completion&) = delete;
  completion& operator=(const completion&) = delete;
  virtual ~completion() = default;
  virtual void complete(boost::system::error_code ec, reply&& r) = 0;
};

// An Asio handler waiting for its outcome, and the rules to invoke it:
// through its associated executor, as boost::asio::dispatch would (inline
// when that executor runs on this thread, posted otherwise).
//
// Outstanding work: a handler whose associated executor is the client's own
// (`io`, the common case: no associated executor, or a coroutine on the same
// executor) needs no work guard: while a command is pending, the client
// always has an operation outstanding on that executor (the connection's
// read, a connect step or a timer), or the completion itself is posted, so
// the executor's io_context cannot run out of work before the handler runs.
// A handler bound to any other executor keeps a work guard, as before.
//
// Invocation: when the associated executor is a plain io_context executor
// running on this thread, the handler is invoked directly (what dispatch
// does, without its type-erased execute and the function object it
// allocates); otherwise boost::asio::dispatch.
template <class Handler>
class pending_handler {
 public:
  using executor_type = boost::asio::associated_executor_t<Handler, boost::asio::any_io_executor>;

  pending_handler(Handler&& handler, const boost::asio::any_io_executor& io)
      : handler_(std::move(handler)), executor_(boost::asio::get_associated_executor(handler_, io)) {
    if constexpr (std::is_same_v<executor_type, boost::asio::any_io_executor>) {
      if (executor_ == io) {
        plain_ = executor_.template target<boost::asio::io_context::executor_type>();
        return;
      }
    }
    work_.emplace(executor_);
  }
  // plain_ points into executor_: neither copied nor moved.
  pending_handler(const pending_handler&) = delete;
  pending_handler& operator=(const pending_handler&) = delete;

  // True when invoke_inline() may be used: the handler's executor is the
  // client's, a plain io_context executor, running on this thread.
  [[nodiscard]] bool can_invoke_inline() const noexcept {
    return plain_ != nullptr && plain_->running_in_this_thread();
  }

  // The handler, to be invoked right away (only after can_invoke_inline()).
  [[nodiscard]] Handler take() noexcept(std::is_nothrow_move_constructible_v<Handler>) {
    return Handler(std::move(handler_));
  }

  // Runs `f(Handler&&)` as the handler's invocation (f receives the handler
  // by rvalue and invokes it): inline when allowed, else through dispatch.
  template <class F>
  void invoke(F&& f) {
    if (can_invoke_inline()) {
      std::forward<F>(f)(take());
      return;
    }
    auto ex = executor_;
    boost::asio::dispatch(ex, [h = std::move(handler_), f = std::forward<F>(f), w = std::move(work_)]() mutable {
      f(std::move(h));
      w.reset();
    });
  }

 private:
  Handler handler_;
  executor_type executor_;
  std::optional<boost::asio::executor_work_guard<executor_type>> work_;
  // The client's plain io_context executor inside executor_, when the
  // handler runs there without a work guard (else null).
  const boost::asio::io_context::executor_type* plain_ = nullptr;
};

// Holds an Asio handler and a converter `void(error_code, reply&&, Handler&&)`
// that turns the raw reply into the handler's arguments; invokes the handler
// through its associated executor (see pending_handler).
template <class Handler, class Convert>
class completion_op final : public completion {
 public:
  completion_op(Handler&& handler, Convert convert, const boost::asio::any_io_executor& io)
      : handler_(std::move(handler), io), convert_(std::move(convert)) {}

  void complete(boost::system::error_code ec, reply&& r) override {
    if (handler_.can_invoke_inline()) {
      convert_(ec, std::move(r), handler_.take());
      return;
    }
    handler_.invoke([c = std::move(convert_), ec, r = std::move(r)](Handler&& h) mutable {
      c(ec, std::move(r), std::move(h));
    });
  }

 private:
  pending_handler<Handler> handler_;
  Convert convert_;
};

}  // namespace musicbot::redis::detail
