#pragma once
// Internal: delivering results to type-erased completion handlers, and
// running coroutine-based operations for token-based public functions.
// No Beast here.

#include "musicbot/net/error.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/system_error.hpp>

#include <exception>
#include <memory>
#include <utility>

namespace musicbot::net::detail {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

/// Invokes `h(args...)` later (never inside the initiating function), on the
/// handler's associated executor.
template <class Handler, class... Args>
void post_completion(const asio::any_io_executor& ex, Handler h, Args... args) {
  // post() runs on `ex`, then hands over to the handler's associated executor.
  asio::post(ex, asio::append(std::move(h), std::move(args)...));
}

/// Invokes `h(args...)` from a completion context, on the handler's executor.
template <class Handler, class... Args>
void dispatch_completion(const asio::any_io_executor& ex, Handler h, Args... args) {
  asio::dispatch(ex, asio::append(std::move(h), std::move(args)...));
}

/// The error code carried by an exception thrown out of a coroutine.
inline error_code code_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const boost::system::system_error& se) {
    return se.code();
  } catch (...) {
    return asio::error::make_error_code(asio::error::fault);
  }
}

/// Connects the handler's cancellation slot (if any) to a signal owned by the
/// operation. The emission is forwarded through `ex`, so the coroutine only
/// ever sees it on its own executor. (Asio 1.81's co_spawn forwards it with a
/// pointer into the coroutine state, which may be gone by the time a posted
/// forward runs; owning the signal here avoids that.)
template <class Handler>
std::shared_ptr<asio::cancellation_signal> forward_cancellation(const asio::any_io_executor& ex, Handler& h) {
  auto signal = std::make_shared<asio::cancellation_signal>();
  auto slot = asio::get_associated_cancellation_slot(h);
  if (slot.is_connected()) {
    slot.assign([weak = std::weak_ptr<asio::cancellation_signal>(signal), ex](asio::cancellation_type type) {
      asio::dispatch(ex, [weak, type] {
        if (auto s = weak.lock()) s->emit(type);
      });
    });
  }
  return signal;
}

/// Detaches the handler's cancellation slot before completing it.
template <class Handler>
void clear_cancellation(Handler& h) {
  auto slot = asio::get_associated_cancellation_slot(h);
  if (slot.is_connected()) slot.clear();
}

/// Runs `op` on `ex`; its result completes `h`. Terminal cancellation through
/// the handler's slot cancels the coroutine.
template <class R>
void launch(const asio::any_io_executor& ex, asio::awaitable<std::pair<error_code, R>> op,
            asio::any_completion_handler<void(error_code, R)> h) {
  auto signal = forward_cancellation(ex, h);
  auto slot = signal->slot();
  asio::co_spawn(ex, std::move(op),
                 asio::bind_cancellation_slot(
                     slot, [h = std::move(h), ex, signal](std::exception_ptr e, std::pair<error_code, R> r) mutable {
                       if (e) r = {code_of(e), R{}};
                       clear_cancellation(h);
                       dispatch_completion(ex, std::move(h), r.first, std::move(r.second));
                     }));
}

/// Same for operations completing with only an error code.
inline void launch(const asio::any_io_executor& ex, asio::awaitable<error_code> op,
                   asio::any_completion_handler<void(error_code)> h) {
  auto signal = forward_cancellation(ex, h);
  auto slot = signal->slot();
  asio::co_spawn(ex, std::move(op),
                 asio::bind_cancellation_slot(slot, [h = std::move(h), ex, signal](std::exception_ptr e,
                                                                                   error_code ec) mutable {
                   if (e) ec = code_of(e);
                   clear_cancellation(h);
                   dispatch_completion(ex, std::move(h), ec);
                 }));
}

}  // namespace musicbot::net::detail
