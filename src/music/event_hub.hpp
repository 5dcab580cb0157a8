// Internal: the subscriber list behind session_manager::subscribe().
//
// Subscribers live in a copy-on-write vector: dispatch takes the current
// snapshot under the lock and calls handlers without it, so a handler may
// subscribe or unsubscribe (itself or others) while it runs. An entry
// removed during a dispatch is skipped by its `active` flag.
//
// An event emitted while a dispatch runs (a handler called a synchronous
// use case) is queued and delivered when the current one is done, so every
// subscriber sees events in sequence order.
#pragma once

#include <musicbot/music/events.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace spdlog {
class logger;
}

namespace musicbot::music::detail {

class event_hub : public std::enable_shared_from_this<event_hub> {
 public:
  event_hub(std::size_t max_subscribers, std::shared_ptr<spdlog::logger> logger);

  subscription subscribe(event_handler handler);
  void unsubscribe(std::uint64_t id) noexcept;
  // Stamps the sequence number and calls every active handler (executor only).
  void emit(session_event event);
  [[nodiscard]] std::size_t size() const noexcept;
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }

 private:
  void deliver(const session_event& event);

  struct entry {
    std::uint64_t id = 0;
    event_handler handler;
    std::atomic<bool> active{true};
  };
  using list = std::vector<std::shared_ptr<entry>>;

  const std::size_t max_;
  std::shared_ptr<spdlog::logger> logger_;
  mutable std::mutex mutex_;
  std::shared_ptr<const list> entries_ = std::make_shared<const list>();
  std::uint64_t next_id_ = 1;
  std::atomic<std::uint64_t> next_sequence_{1};
  // Executor only:
  std::deque<session_event> pending_;
  bool dispatching_ = false;
};

}  // namespace musicbot::music::detail
