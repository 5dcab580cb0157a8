#pragma once
// Type-erased completion of one Redis command (internal).

#include <musicbot/redis/reply.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/system/error_code.hpp>

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

// Holds an Asio handler and a converter `void(error_code, reply&&, Handler&&)`
// that turns the raw reply into the handler's arguments; invokes the handler
// through its associated executor (inline when that is the client's).
template <class Handler, class Convert>
class completion_op final : public completion {
 public:
  completion_op(Handler&& handler, Convert convert, const boost::asio::any_io_executor& io)
      : handler_(std::move(handler)),
        convert_(std::move(convert)),
        work_(boost::asio::make_work_guard(boost::asio::get_associated_executor(handler_, io))) {}

  void complete(boost::system::error_code ec, reply&& r) override {
    auto ex = work_.get_executor();
    boost::asio::dispatch(ex, [h = std::move(handler_), c = std::move(convert_), ec, r = std::move(r),
                               w = std::move(work_)]() mutable {
      c(ec, std::move(r), std::move(h));
      w.reset();
    });
  }

 private:
  Handler handler_;
  Convert convert_;
  boost::asio::executor_work_guard<boost::asio::associated_executor_t<Handler, boost::asio::any_io_executor>> work_;
};

}  // namespace musicbot::redis::detail
