#include <musicbot/cache/redis.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <string>
#include <utility>

namespace musicbot::cache {
namespace {

namespace asio = boost::asio;
constexpr auto as_result = asio::as_tuple(asio::use_awaitable);

// Adds KEYS[2] to the tag set KEYS[1] and keeps the set alive at least ARGV[1] ms.
constexpr const char* tag_add_lua = R"lua(
redis.call('SADD', KEYS[1], KEYS[2])
local left = redis.call('PTTL', KEYS[1])
if left < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 1
)lua";

// Deletes every member of the tag set KEYS[1], then the set.
constexpr const char* tag_erase_lua = R"lua(
local keys = redis.call('SMEMBERS', KEYS[1])
for i = 1, #keys do redis.call('DEL', keys[i]) end
redis.call('DEL', KEYS[1])
return #keys
)lua";

}  // namespace

redis_l2_store::redis_l2_store(redis::client& client)
    : client_(client), tag_add_(tag_add_lua), tag_erase_(tag_erase_lua) {}

asio::awaitable<boost::system::result<std::optional<l2_item>>> redis_l2_store::get(std::string key) {
  using namespace asio::experimental::awaitable_operators;
  // Both commands go out in one write (the client pipelines them).
  auto get_op = client_.async_get(key, as_result);
  auto ttl_op = client_.async_execute(redis::command("PTTL", key), as_result);
  // (awaitable_operators flattens the first tuple: {ec, value, {ec, reply}})
  auto [get_ec, value, ttl] = co_await (std::move(get_op) && std::move(ttl_op));
  if (get_ec) co_return get_ec;
  if (!value) co_return std::optional<l2_item>{};
  l2_item item{std::move(*value), std::nullopt};
  auto& [ttl_ec, ttl_reply] = ttl;
  if (!ttl_ec && ttl_reply.is_integer() && ttl_reply.integer() > 0) {
    item.ttl = std::chrono::milliseconds(ttl_reply.integer());
  }
  co_return std::optional<l2_item>(std::move(item));
}

asio::awaitable<boost::system::error_code> redis_l2_store::set(std::string key, std::string payload,
                                                               std::chrono::milliseconds ttl,
                                                               std::vector<std::string> tags) {
  auto [ec] = co_await client_.async_set(key, payload, ttl, as_result);
  if (ec) co_return ec;
  for (auto& tag : tags) {
    std::vector<std::string> keys{std::move(tag), key};
    std::vector<std::string> args{std::to_string(ttl.count())};
    auto [tag_ec, reply] = co_await client_.async_eval(tag_add_, std::move(keys), std::move(args), as_result);
    if (tag_ec) co_return tag_ec;
  }
  co_return boost::system::error_code{};
}

asio::awaitable<boost::system::error_code> redis_l2_store::erase(std::string key) {
  auto [ec, removed] = co_await client_.async_del(key, as_result);
  co_return ec;
}

asio::awaitable<boost::system::error_code> redis_l2_store::erase_by_tag(std::string tag) {
  std::vector<std::string> keys{std::move(tag)};
  auto [ec, reply] = co_await client_.async_eval(tag_erase_, std::move(keys), {}, as_result);
  co_return ec;
}

redis_backplane::redis_backplane(asio::any_io_executor executor, redis::client& client, redis::config cfg,
                                 std::string channel)
    : client_(client),
      channel_(std::move(channel)),
      state_(std::make_shared<state>()),
      subscriber_(std::move(executor), std::move(cfg),
                  [s = state_](std::string_view, std::string_view payload) {
                    const auto m = decode_invalidation(payload);
                    if (!m) {
                      ++s->malformed;
                      return;
                    }
                    const auto handlers = s->handlers;  // a handler may unsubscribe
                    for (const auto& [id, h] : handlers) h(*m);
                  }) {
  subscriber_.subscribe(channel_);
}

void redis_backplane::start() { subscriber_.start(); }

asio::awaitable<boost::system::error_code> redis_backplane::publish(invalidation message) {
  const std::string payload = encode_invalidation(message);
  auto [ec, receivers] = co_await client_.async_publish(channel_, payload, as_result);
  co_return ec;
}

std::size_t redis_backplane::subscribe(handler on_message) {
  const std::size_t id = ++state_->next_id;
  state_->handlers[id] = std::move(on_message);
  return id;
}

void redis_backplane::unsubscribe(std::size_t id) { state_->handlers.erase(id); }

}  // namespace musicbot::cache
