// A complete music bot in under 50 lines: /play queues and plays through
// Lavalink, queues persist in SQLite. Usage: minimal_bot TOKEN APP_ID LAVALINK_URL PASSWORD
#include <musicbot/discord/gateway.hpp>
#include <musicbot/discord/rest_client.hpp>
#include <musicbot/lavalink/node_pool.hpp>
#include <musicbot/music/session_manager.hpp>
#include <musicbot/store/sqlite_store.hpp>

#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <string>

namespace mb = musicbot;

int main(int argc, char** argv) {
  if (argc != 5) return std::fprintf(stderr, "usage: minimal_bot TOKEN APP_ID LAVALINK_URL PASSWORD\n"), 2;
  const mb::core::secret token{std::string(argv[1])};
  const std::string app_id = argv[2];
  boost::asio::io_context ioc;
  mb::store::sqlite_config store_config;
  store_config.path = "minimal_bot.db";
  mb::store::sqlite_store db(ioc.get_executor(), store_config);
  mb::lavalink::pool_options pool_config;
  pool_config.user_id = app_id;
  mb::lavalink::node_pool pool(ioc.get_executor(), pool_config);
  mb::lavalink::node_options node;
  node.url = argv[3];
  node.password = mb::core::secret(std::string(argv[4]));
  pool.add_node(node);
  mb::music::session_manager music(ioc.get_executor(), pool, db, {});
  mb::discord::rest_options rest_config;
  rest_config.token = token;
  mb::discord::rest_client rest(ioc.get_executor(), rest_config);
  mb::discord::shard_manager_options shard_config;
  shard_config.gateway.token = token;
  mb::discord::shard_manager shards(ioc.get_executor(), shard_config, rest);

  shards.set_voice_handler([&](const mb::discord::voice_update& u) {  // voice credentials go to Lavalink
    const auto guild = std::to_string(u.guild_id);
    std::optional<std::string> channel;
    if (u.channel_id) channel = std::to_string(*u.channel_id);
    pool.on_voice_state(guild, app_id, u.session_id, channel);
    pool.on_voice_server(guild, u.token, u.endpoint);
  });
  shards.set_event_handler([&](std::uint32_t, const mb::discord::gateway_payload& p) {
    const auto* i = std::get_if<mb::discord::interaction>(&p.event);
    if (i == nullptr || i->command_name != "play" || !i->guild_id) return;  // (joining voice: see examples/bot)
    const auto* query = mb::discord::find_option(i->options, "query");
    const auto* text = query ? std::get_if<std::string>(&query->value) : nullptr;
    music.async_play(*i->guild_id, i->user_id, text ? *text : "", [&, i = *i](auto ec, mb::music::play_outcome out) {
      mb::discord::message_content reply;
      reply.content = ec ? ec.message() : "Queued " + out.added.front().title;
      rest.async_create_interaction_response(i.id, i.token, mb::discord::interaction_response::reply(reply),
                                             [](auto, auto) {});
    });
  });
  db.async_start([&](boost::system::error_code) {
    pool.start();
    shards.async_start([](boost::system::error_code) {});
  });
  ioc.run();
}
