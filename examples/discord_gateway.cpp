// A bot's first minute on Discord: connect and identify, receive READY and
// the guilds, register /play, answer a /play by joining voice, post a few
// messages under a bucket rate limit. Discord is the testing kit's fake
// (gateway + REST on loopback), so this runs anywhere.
#include <musicbot/discord/gateway.hpp>
#include <musicbot/discord/interaction_responder.hpp>
#include <musicbot/discord/rest_client.hpp>
#include <musicbot/testing/fake_discord.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace ds = musicbot::discord;
using namespace std::chrono_literals;

namespace {

constexpr auto await_tuple = asio::as_tuple(asio::use_awaitable);  // errors as values, not exceptions

// What the bot has seen so far (filled by the handlers in main).
struct bot_state {
  std::optional<ds::ready_event> ready;
  std::vector<ds::guild_create_event> guilds;
  std::map<ds::snowflake, std::string> raw_guilds;  // GUILD_CREATE `d` as sent: channels are not typed
  std::vector<ds::voice_update> voice;
  std::optional<boost::system::error_code> answered;
};

// Polls (bounded) until `done()`: the example checks outcomes instead of sleeping and hoping.
asio::awaitable<bool> eventually(std::function<bool()> done, std::chrono::milliseconds limit = 3s) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) co_return false;
    timer.expires_after(10ms);
    co_await timer.async_wait(await_tuple);
  }
  co_return true;
}

int fail(const std::string& why) {  // says why, and gives the exit code
  std::cout << "FAILED: " << why << '\n';
  return 1;
}

// The first channel of `type` (2 voice, 0 text) in a raw GUILD_CREATE; 0 if none.
ds::snowflake channel_of(const std::string& guild_json, std::int64_t type) {
  boost::system::error_code ec;
  const auto guild = boost::json::parse(guild_json, ec);
  const auto* channels = !ec && guild.is_object() ? guild.as_object().if_contains("channels") : nullptr;
  if (channels == nullptr || !channels->is_array()) return 0;
  for (const auto& c : channels->as_array()) {
    if (c.is_object() && c.as_object().if_contains("type") && c.at("type") == type && c.at("id").is_string())
      return ds::parse_snowflake(c.at("id").get_string()).value_or(0);
  }
  return 0;
}

// The INTERACTION_CREATE `d` of a user typing "/play northern lights" (the fields a bot reads).
std::string play_interaction(ds::snowflake application, ds::snowflake guild, ds::snowflake channel) {
  const boost::json::object in{
      {"id", "1424099381862334464"}, {"application_id", std::to_string(application)}, {"type", 2},
      {"token", "interaction-token-1"}, {"guild_id", std::to_string(guild)}, {"channel_id", std::to_string(channel)},
      {"member", {{"user", {{"id", "597869602013315072"}}}, {"permissions", "0"}}},
      {"data", {{"id", "1"}, {"name", "play"}, {"type", 1},
                {"options", {{{"name", "query"}, {"type", 3}, {"value", "northern lights"}}}}}}};
  return boost::json::serialize(in);
}

// /play: join the voice channel, then answer. The responder defers for us if this gets slow.
asio::awaitable<ds::interaction_response> play(ds::shard_manager& shards, ds::snowflake voice_channel,
                                               ds::interaction in) {
  const auto* query = ds::find_option(in.options, "query");
  const auto* text = query ? std::get_if<std::string>(&query->value) : nullptr;
  ds::message_content reply;
  auto [ec] = co_await shards.async_update_voice_state(in.guild_id.value_or(0), voice_channel, false, true,
                                                       await_tuple);
  reply.content = ec ? "Cannot join voice: " + ec.message() : "Queued: " + (text ? *text : std::string("?"));
  reply.ephemeral = static_cast<bool>(ec);
  co_return ds::interaction_response::reply(std::move(reply));
}

asio::awaitable<int> demo(musicbot::testing::fake_discord& fake, ds::rest_client& rest, ds::shard_manager& shards,
                          bot_state& bot) {
  // GET /gateway/bot, then the shard connects (zlib-stream), gets HELLO, IDENTIFYs.
  if (auto [ec] = co_await shards.async_start(await_tuple); ec) co_return fail("start: " + ec.message());
  // (A named bool: GCC 12 took the branch of `!co_await eventually(...) || ...` here with both sides false.)
  const bool started =
      co_await eventually([&] { return bot.ready && bot.guilds.size() == bot.ready->guild_ids.size(); });
  if (!started || fake.identifies().size() != 1) co_return fail("no READY and GUILD_CREATEs after one IDENTIFY");
  std::cout << "READY as " << bot.ready->username << ", GUILD_CREATE for " << bot.guilds.size() << " guilds, first \""
            << bot.guilds.front().name << "\"\n";

  // Guild commands show up at once (global ones can take a while to spread).
  std::vector<ds::application_command> commands(1);  // (a named vector: GCC 12 rejects braced lists in coroutines)
  commands[0].name = "play";
  commands[0].description = "Play a song";
  commands[0].options.resize(1);  // a string option by default
  commands[0].options[0].name = "query";
  commands[0].options[0].description = "Title or URL";
  commands[0].options[0].required = true;
  if (!ds::validate(commands[0])) co_return fail("invalid command");
  for (const auto& g : bot.guilds) {
    auto [ec, r] = co_await rest.async_bulk_overwrite_guild_commands(bot.ready->application_id, g.id, commands,
                                                                     await_tuple);
    if (ec || r.body.find("\"id\"") == std::string::npos) co_return fail("register /play: " + ec.message());
  }
  std::cout << "registered /play in " << bot.guilds.size() << " guilds\n";

  // A user types "/play northern lights": the fake sends the INTERACTION_CREATE Discord would.
  const ds::snowflake guild = bot.guilds.front().id;
  const ds::snowflake text_channel = channel_of(bot.raw_guilds[guild], 0);
  const ds::snowflake voice_channel = channel_of(bot.raw_guilds[guild], 2);
  if (text_channel == 0 || voice_channel == 0) co_return fail("no text and voice channel in GUILD_CREATE");
  fake.dispatch(0, "INTERACTION_CREATE", play_interaction(bot.ready->application_id, guild, text_channel));
  if (!co_await eventually([&] { return bot.answered.has_value() && !bot.voice.empty(); }))
    co_return fail("the interaction was not answered, or no voice connection");
  if (*bot.answered) co_return fail("answer: " + bot.answered->message());

  // Check what Discord (the fake) got: the callback, and op 4 on the gateway.
  bool callback = false;
  for (const auto& r : fake.requests())
    callback |= r.method == "POST" && r.path == "/interactions/1424099381862334464/interaction-token-1/callback" &&
                r.body.find("Queued: northern lights") != std::string::npos;
  bool joined = false;
  for (const auto& g : fake.received())
    joined |= g.op == 4 && g.json.find(std::to_string(voice_channel)) != std::string::npos;
  const ds::voice_update& v = bot.voice.front();
  if (!callback || !joined || v.what != ds::voice_update::kind::ready || v.channel_id != voice_channel)
    co_return fail("the fake did not see the answer and the voice join");
  std::cout << "/play northern lights -> answered \"Queued: northern lights\"\n"
            << "joined voice channel " << voice_channel << ": endpoint " << v.endpoint << ", session "
            << v.session_id.substr(0, 8) << "... (what a Lavalink player needs)\n";

  // Seven messages on a route whose bucket allows five per window: the
  // client reads X-RateLimit-* and waits for the reset instead of earning 429s.
  int sent = 0;
  for (int i = 1; i <= 7; ++i) {
    ds::message_content m;
    m.content = "Up next #" + std::to_string(i);
    rest.async_create_message(text_channel, m,
                              [&](auto ec, const ds::rest_response& r) { sent += !ec && r.status == 200; });
  }
  if (!co_await eventually([&] { return sent == 7; }, 5s)) co_return fail("messages were not all sent");
  std::cout << "7 messages posted, " << rest.stats().waits << " waits for the bucket, " << fake.rate_limited()
            << " 429s\n";
  if (fake.rate_limited() != 0 || rest.stats().waits == 0) co_return fail("the bucket limit was not respected");

  // Meanwhile the shard has been heartbeating at HELLO's interval; the fake ACKs.
  if (!co_await eventually([&] { return shards.status().front().latency.has_value(); })) co_return fail("no ACK");
  std::cout << "heartbeats: " << fake.heartbeats() << ", last round trip " << shards.status().front().latency->count()
            << " ms\n";
  co_return 0;
}

}  // namespace

int main() {
  asio::io_context io;  // everything runs here: the fake, the shard, REST, the demo
  auto quiet = spdlog::default_logger()->clone("example");
  quiet->set_level(spdlog::level::warn);  // the demo prints its own lines

  musicbot::testing::fake_discord_options fake_options;
  fake_options.guilds = 2;
  fake_options.heartbeat_interval = 500ms;  // Discord says ~41 s: short, so the demo sees a heartbeat
  fake_options.bucket_window = 500ms;       // 5 requests per 0.5 s per route
  musicbot::testing::fake_discord fake(io.get_executor(), fake_options);
  if (!fake.start()) return fail("the fake could not listen");

  ds::rest_options rest_options;
  rest_options.base_url = fake.api_base();
  rest_options.token = musicbot::core::secret(fake_options.token);
  rest_options.logger = quiet;
  ds::rest_client rest(io.get_executor(), rest_options);
  ds::shard_manager_options shard_options;
  shard_options.gateway.token = rest_options.token;
  shard_options.gateway.logger = quiet;
  ds::shard_manager shards(io.get_executor(), shard_options, rest);
  ds::interaction_responder responder(rest);

  bot_state bot;
  shards.set_event_handler([&](std::uint32_t, const ds::gateway_payload& p) {
    if (const auto* r = std::get_if<ds::ready_event>(&p.event)) bot.ready = *r;
    if (const auto* g = std::get_if<ds::guild_create_event>(&p.event)) {
      bot.guilds.push_back(*g);
      bot.raw_guilds[g->id] = p.d;
    }
    if (const auto* in = std::get_if<ds::interaction>(&p.event); in && in->command_name == "play") {
      const ds::snowflake voice_channel = channel_of(bot.raw_guilds[in->guild_id.value_or(0)], 2);
      // A plain lambda starting a coroutine: the coroutine keeps its own copy of the interaction.
      auto handler = [&shards, voice_channel](const ds::interaction& i) { return play(shards, voice_channel, i); };
      responder.async_handle(*in, handler, [&](boost::system::error_code ec) { bot.answered = ec; });
    }
  });
  shards.set_voice_handler([&](const ds::voice_update& v) { bot.voice.push_back(v); });

  std::optional<int> result;
  asio::co_spawn(io, demo(fake, rest, shards, bot), [&](std::exception_ptr e, int rc) {
    result = e ? fail("exception") : rc;
    shards.stop(false);  // close 1000: this session ends here
    fake.stop();
  });
  io.run_for(9s);  // returns once everything is closed; bounded if something hangs
  if (!result) return fail("timed out");
  return *result;
}
