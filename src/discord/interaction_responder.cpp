#include "musicbot/discord/interaction_responder.hpp"

#include "musicbot/discord/interaction_deadline.hpp"
#include "musicbot/discord/rest_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace musicbot::discord {

namespace asio = boost::asio;
using boost::system::error_code;

interaction_responder::interaction_responder(rest_client& rest, std::chrono::milliseconds defer_after)
    : rest_(rest), defer_after_(defer_after) {}

namespace {

struct run_state {
  explicit run_state(const asio::any_io_executor& ex) : signal(ex) {}
  asio::steady_timer signal;
  std::optional<interaction_response> result;
  bool done = false;
};

interaction_response failure_reply() {
  message_content m;
  m.content = "Something went wrong while handling this command.";
  m.ephemeral = true;
  return interaction_response::reply(std::move(m));
}

asio::awaitable<error_code> run(rest_client& rest, interaction in, interaction_responder::handler h,
                                std::chrono::milliseconds defer_after, std::shared_ptr<std::uint64_t> deferred_count) {
  auto ex = co_await asio::this_coro::executor;
  interaction_deadline<core::steady_clock> deadline(core::steady_clock{}, defer_after);
  auto st = std::make_shared<run_state>(ex);
  st->signal.expires_at(deadline.defer_at());
  asio::co_spawn(ex, h(in), [st](std::exception_ptr e, interaction_response r) {
    st->result = e ? failure_reply() : std::move(r);
    st->done = true;
    st->signal.cancel();
  });
  if (!st->done) {
    auto [ec] = co_await st->signal.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)ec;
  }
  if (!st->done && deadline.should_defer()) {
    const bool component = in.type == interaction_type::message_component;
    const auto defer = component ? interaction_response::defer_update() : interaction_response::defer();
    deadline.on_acknowledged(true);
    ++*deferred_count;
    auto [dec, resp] = co_await rest.async_create_interaction_response(in.id, in.token, defer,
                                                                       asio::as_tuple(asio::use_awaitable));
    if (dec) co_return dec;
    if (!st->done) {
      st->signal.expires_at(deadline.expires_at());
      auto [ec] = co_await st->signal.async_wait(asio::as_tuple(asio::use_awaitable));
      (void)ec;
    }
  }
  if (!st->done) co_return make_error_code(error::interaction_expired);
  interaction_response answer = std::move(*st->result);
  switch (deadline.route()) {
    case reply_route::initial_callback: {
      auto [ec, r] = co_await rest.async_create_interaction_response(in.id, in.token, answer,
                                                                    asio::as_tuple(asio::use_awaitable));
      co_return ec;
    }
    case reply_route::edit_original: {
      if (!answer.message) co_return error_code{};  // a deferral needs nothing more
      auto [ec, r] = co_await rest.async_edit_original_response(in.application_id, in.token, *answer.message,
                                                               asio::as_tuple(asio::use_awaitable));
      co_return ec;
    }
    case reply_route::followup: {
      if (!answer.message) co_return error_code{};
      auto [ec, r] = co_await rest.async_create_followup(in.application_id, in.token, *answer.message,
                                                        asio::as_tuple(asio::use_awaitable));
      co_return ec;
    }
    case reply_route::expired: break;
  }
  co_return make_error_code(error::interaction_expired);
}

}  // namespace

void interaction_responder::initiate(interaction in, handler h,
                                     asio::any_completion_handler<void(error_code)> done) {
  auto ex = rest_.get_executor();
  asio::co_spawn(ex, run(rest_, std::move(in), std::move(h), defer_after_, deferred_),
                 [d = std::move(done)](std::exception_ptr e, error_code ec) mutable {
                   std::move(d)(e ? make_error_code(error::http_error) : ec);
                 });
}

}  // namespace musicbot::discord
