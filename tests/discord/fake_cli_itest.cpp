// The standalone `musicbot-fake-discord` executable: a shard manager
// identifies against it, receives a scripted dispatch and follows a
// scripted op 7 by resuming.
#include "musicbot/discord/gateway.hpp"
#include "musicbot/discord/rest_client.hpp"

#include "itest_support.hpp"
#include "musicbot_test/process.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>

namespace musicbot::discord {
namespace {

using namespace std::chrono_literals;

TEST(FakeDiscordCli, ShardsIdentifyReceiveScriptedEventsAndResume) {
  const std::string exe = std::string(MUSICBOT_BINARY_DIR) + "/src/testing/musicbot-fake-discord";
  musicbot_test::temp_dir dir("discord-cli");
  const std::string script = dir.path() + "/script.json";
  {
    std::ofstream out(script);
    out << R"([{"at_ms": 100, "shard": 1, "t": "MESSAGE_CREATE", "d": {"id": "1", "content": "scripted"}},
               {"at_ms": 100, "shard": 1, "op": 7}])";
  }
  const auto port = musicbot_test::free_port();
  musicbot_test::child_process fake({exe, "--port", std::to_string(port), "--shards", "2", "--guilds", "4",
                                     "--heartbeat-ms", "300", "--max-concurrency", "2", "--script", script,
                                     "--duration", "30"},
                                    dir.path() + "/fake.log");
  ASSERT_TRUE(musicbot_test::wait_for_port(port, 10s));

  boost::asio::io_context io;
  rest_options ro;
  ro.base_url = "http://127.0.0.1:" + std::to_string(port) + "/api/v10";
  ro.token = core::secret("fake-bot-token");
  rest_client rest(io.get_executor(), ro);
  shard_manager_options mo;
  mo.gateway.token = core::secret("fake-bot-token");
  mo.gateway.reconnect_backoff = {10ms, 50ms, net::jitter::full, 3};
  shard_manager manager(io.get_executor(), mo, rest);
  std::size_t guilds = 0;
  std::size_t scripted = 0;
  std::size_t resumed = 0;
  manager.set_event_handler([&](std::uint32_t shard, const gateway_payload& p) {
    if (p.t == "GUILD_CREATE") ++guilds;
    if (p.t == "MESSAGE_CREATE" && shard == 1) ++scripted;
    if (p.t == "RESUMED") ++resumed;
  });
  manager.async_start([](boost::system::error_code ec) { EXPECT_FALSE(ec) << ec.message(); });
  ASSERT_TRUE(test::run_until(io, [&] { return guilds == 4 && scripted == 1 && resumed == 1; }, 20s))
      << guilds << " " << scripted << " " << resumed;
  EXPECT_EQ(manager.shard_count(), 2u);
  manager.stop();
  test::run_for(io, 50ms);
  EXPECT_EQ(fake.stop(SIGTERM, 5s), 0);
}

}  // namespace
}  // namespace musicbot::discord
