// redis::subscriber: the client machinery in pub/sub mode.
#include "client_impl.hpp"

#include <musicbot/redis/subscriber.hpp>

namespace musicbot::redis {

subscriber::subscriber(boost::asio::any_io_executor executor, config cfg, message_handler handler,
                       std::shared_ptr<spdlog::logger> logger)
    : executor_(executor),
      impl_(std::make_shared<detail::client_impl>(std::move(executor), std::move(cfg), std::move(logger))) {
  impl_->enable_pubsub([h = std::move(handler)](std::string_view, std::string_view channel,
                                                std::string_view payload) { h(channel, payload); });
}

subscriber::~subscriber() { impl_->close(); }

void subscriber::subscribe(const std::string& channel) { impl_->subscribe(channel); }
void subscriber::unsubscribe(const std::string& channel) { impl_->unsubscribe(channel); }
std::size_t subscriber::active_subscriptions() const noexcept { return impl_->active_subscriptions(); }
void subscriber::start() { impl_->start(); }
void subscriber::close() { impl_->close(); }
connection_state subscriber::state() const noexcept { return impl_->state; }
void subscriber::submit_connect_waiter(std::unique_ptr<detail::completion> done) {
  impl_->submit_connect_waiter(std::move(done));
}

}  // namespace musicbot::redis
