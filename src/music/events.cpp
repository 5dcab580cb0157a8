// Session events: the subscription handle and the subscriber list.
#include "event_hub.hpp"

#include <musicbot/music/error.hpp>

#include <spdlog/spdlog.h>

#include <exception>
#include <utility>

namespace musicbot::music {

std::string_view to_string(session_event_kind kind) noexcept {
  switch (kind) {
    case session_event_kind::now_playing: return "now_playing";
    case session_event_kind::queue_changed: return "queue_changed";
    case session_event_kind::paused: return "paused";
    case session_event_kind::resumed: return "resumed";
    case session_event_kind::position: return "position";
    case session_event_kind::player_moved: return "player_moved";
    case session_event_kind::stopped: return "stopped";
    case session_event_kind::session_ended: return "session_ended";
  }
  return "unknown";
}

subscription::subscription(subscription&& other) noexcept
    : hub_(std::move(other.hub_)), id_(std::exchange(other.id_, 0)), error_(std::exchange(other.error_, {})) {}

subscription& subscription::operator=(subscription&& other) noexcept {
  if (this != &other) {
    reset();
    hub_ = std::move(other.hub_);
    id_ = std::exchange(other.id_, 0);
    error_ = std::exchange(other.error_, {});
  }
  return *this;
}

subscription::~subscription() { reset(); }

void subscription::reset() noexcept {
  if (id_ == 0) return;
  if (auto hub = hub_.lock()) hub->unsubscribe(id_);
  hub_.reset();
  id_ = 0;
}

bool subscription::active() const noexcept { return id_ != 0 && !hub_.expired(); }

namespace detail {

event_hub::event_hub(std::size_t max_subscribers, std::shared_ptr<spdlog::logger> logger)
    : max_(max_subscribers), logger_(std::move(logger)) {}

subscription event_hub::subscribe(event_handler handler) {
  if (!handler) return subscription(make_error_code(error::invalid_value));
  std::uint64_t id = 0;
  {
    const std::lock_guard lock(mutex_);
    if (entries_->size() >= max_) {
      logger_->warn("music: event subscriber refused, the cap of {} is reached", max_);
      return subscription(make_error_code(error::too_many_subscribers));
    }
    auto e = std::make_shared<entry>();
    id = e->id = next_id_++;
    e->handler = std::move(handler);
    auto next = std::make_shared<list>(*entries_);
    next->push_back(std::move(e));
    entries_ = std::move(next);
  }
  return subscription(weak_from_this(), id);
}

void event_hub::unsubscribe(std::uint64_t id) noexcept {
  const std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < entries_->size(); ++i) {
    const auto& e = (*entries_)[i];
    if (e->id != id) continue;
    e->active.store(false);
    try {
      auto next = std::make_shared<list>(*entries_);
      next->erase(next->begin() + static_cast<std::ptrdiff_t>(i));
      entries_ = std::move(next);
    } catch (...) {
      // Out of memory: the entry stays in the list, inactive (skipped).
    }
    return;
  }
}

void event_hub::emit(session_event event) {
  event.sequence = next_sequence_.fetch_add(1);
  if (size() == 0 && !dispatching_) return;
  pending_.push_back(std::move(event));
  if (dispatching_) return;  // the outer emit delivers it, in order
  const auto keep_alive = shared_from_this();  // a handler may destroy the manager
  struct dispatch_guard {
    bool& flag;
    explicit dispatch_guard(bool& f) : flag(f) { flag = true; }
    dispatch_guard(const dispatch_guard&) = delete;
    dispatch_guard& operator=(const dispatch_guard&) = delete;
    ~dispatch_guard() { flag = false; }
  } guard(dispatching_);
  while (!pending_.empty()) {
    const session_event next = std::move(pending_.front());
    pending_.pop_front();
    deliver(next);
  }
}

void event_hub::deliver(const session_event& event) {
  std::shared_ptr<const list> snapshot;
  {
    const std::lock_guard lock(mutex_);
    snapshot = entries_;
  }
  for (const auto& e : *snapshot) {
    if (!e->active.load()) continue;
    try {
      e->handler(event);
    } catch (const std::exception& ex) {
      logger_->error("music: an event handler threw: {}", ex.what());
    } catch (...) {
      logger_->error("music: an event handler threw an unknown exception");
    }
  }
}

std::size_t event_hub::size() const noexcept {
  const std::lock_guard lock(mutex_);
  return entries_->size();
}

}  // namespace detail

}  // namespace musicbot::music
