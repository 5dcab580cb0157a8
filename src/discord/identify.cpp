#include "musicbot/discord/identify.hpp"

#include "musicbot/discord/error.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>

namespace musicbot::discord {

struct local_identify_coordinator::state {
  state(executor_type ex, session_start_limit limit, std::chrono::milliseconds window)
      : executor(std::move(ex)), scheduler(limit, core::steady_clock{}, window) {}
  executor_type executor;
  identify_scheduler<core::steady_clock> scheduler;
};

local_identify_coordinator::local_identify_coordinator(executor_type executor, session_start_limit limit,
                                                       std::chrono::milliseconds window)
    : state_(std::make_shared<state>(std::move(executor), limit, window)) {}
local_identify_coordinator::~local_identify_coordinator() = default;

void local_identify_coordinator::update(const session_start_limit& limit) { state_->scheduler.update(limit); }
std::uint32_t local_identify_coordinator::remaining() const { return state_->scheduler.remaining(); }
std::chrono::milliseconds local_identify_coordinator::budget_reset_in() const {
  return state_->scheduler.budget_reset_in();
}

void local_identify_coordinator::do_acquire(
    std::uint32_t shard_id, boost::asio::any_completion_handler<void(boost::system::error_code)> handler) {
  const auto slot = state_->scheduler.reserve(shard_id);
  if (!slot.granted) {
    boost::asio::post(state_->executor, [h = std::move(handler)]() mutable {
      std::move(h)(make_error_code(error::identify_budget_exhausted));
    });
    return;
  }
  auto timer = std::make_shared<boost::asio::steady_timer>(state_->executor, slot.at);
  auto slot_c = boost::asio::get_associated_cancellation_slot(handler);
  if (slot_c.is_connected()) {
    slot_c.assign([weak = std::weak_ptr(timer)](boost::asio::cancellation_type) {
      if (auto t = weak.lock()) t->cancel();
    });
  }
  timer->async_wait([timer, h = std::move(handler)](boost::system::error_code ec) mutable {
    auto s = boost::asio::get_associated_cancellation_slot(h);
    if (s.is_connected()) s.clear();
    std::move(h)(ec);
  });
}

}  // namespace musicbot::discord
