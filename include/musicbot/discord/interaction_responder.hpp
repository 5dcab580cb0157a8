#pragma once
/// @file
/// Answers interactions within Discord's deadlines: runs the handler, defers
/// automatically when it is slow, and sends the final answer to the right
/// endpoint (initial callback or edit of the deferred original).

#include "musicbot/discord/commands.hpp"
#include "musicbot/discord/gateway_payload.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>

namespace musicbot::discord {

class rest_client;

/// Runs interaction handlers under the 3 s / 15 min rules.
///
/// If the handler has not produced its answer after `defer_after`
/// (default 1.5 s), a deferral is sent (type 5 for commands, type 6 for
/// components) and the answer later replaces the deferred original
/// (`PATCH …/messages/@original`). A handler that throws gets an ephemeral
/// error reply. Answers after the token expired fail with
/// error::interaction_expired.
///
/// @par Thread safety
/// Use from the rest_client's executor.
class interaction_responder {
 public:
  /// Produces the answer to an interaction (may take as long as it needs).
  using handler = std::function<boost::asio::awaitable<interaction_response>(const interaction&)>;

  /// A responder sending through `rest`.
  explicit interaction_responder(rest_client& rest,
                                 std::chrono::milliseconds defer_after = std::chrono::milliseconds(1500));

  /// Runs `h` for `in` and delivers its answer.
  /// Completion signature: `void(error_code)` once the answer was delivered.
  template <class CompletionToken>
  auto async_handle(interaction in, handler h, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
        [this](auto done, interaction i, handler fn) { initiate(std::move(i), std::move(fn), std::move(done)); },
        token, std::move(in), std::move(h));
  }

  /// Interactions that needed a deferral so far.
  [[nodiscard]] std::uint64_t deferred_count() const noexcept { return *deferred_; }

 private:
  void initiate(interaction in, handler h, boost::asio::any_completion_handler<void(boost::system::error_code)> done);
  rest_client& rest_;
  std::chrono::milliseconds defer_after_;
  std::shared_ptr<std::uint64_t> deferred_ = std::make_shared<std::uint64_t>(0);
};

}  // namespace musicbot::discord
