// redis::client and redis::subscriber against a real redis-server.
#include "test_util.hpp"

#include <musicbot/redis/client.hpp>
#include <musicbot/redis/subscriber.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>

#include <musicbot_test/process.hpp>
#include <redis_server.hpp>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <sstream>
#include <thread>

namespace redis = musicbot::redis;
namespace asio = boost::asio;
using redis_test::run;
using redis_test::sleep_for;
using redis_test::tuple_awaitable;
using namespace std::chrono_literals;
using namespace std::string_view_literals;

namespace {

redis::config config_for(const musicbot_test::redis_server& server) {
  auto cfg = redis::parse_url(server.url()).value();
  cfg.command_timeout = 300ms;
  cfg.connect_timeout = 1000ms;
  cfg.reconnect_initial_delay = 20ms;
  cfg.reconnect_max_delay = 200ms;
  cfg.breaker.wait_in_open = 100ms;
  return cfg;
}

// Captures log output so tests can check secrets never reach it.
struct captured_log {
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> logger =
      std::make_shared<spdlog::logger>("redis-test", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
};

// Waits (bounded) until `pred` holds, polling the io_context's time.
asio::awaitable<bool> eventually(std::function<bool()> pred, std::chrono::milliseconds limit = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) co_return true;
    co_await sleep_for(10ms);
  }
  co_return pred();
}

class RedisClient : public ::testing::Test {
 protected:
  musicbot_test::redis_server server;
  asio::io_context io;
};

}  // namespace

TEST_F(RedisClient, TypedCommands) {
  redis::client c(io.get_executor(), config_for(server));
  run(io, [&]() -> asio::awaitable<void> {
    auto [ec] = co_await c.async_connect(tuple_awaitable);
    EXPECT_FALSE(ec) << ec.message();
    auto [e1, pong] = co_await c.async_ping(tuple_awaitable);
    EXPECT_EQ(pong, "PONG");
    auto [e2] = co_await c.async_set("k"sv, std::string("v\0\r\n", 4), 0ms, tuple_awaitable);
    EXPECT_FALSE(e2);
    auto [e3, v] = co_await c.async_get("k"sv, tuple_awaitable);
    EXPECT_EQ(v.value_or(""), std::string("v\0\r\n", 4));
    auto [e4, missing] = co_await c.async_get("nope"sv, tuple_awaitable);
    EXPECT_FALSE(e4);
    EXPECT_FALSE(missing.has_value());
    auto [e5, n] = co_await c.async_incr("counter"sv, tuple_awaitable);
    EXPECT_EQ(n, 1);
    auto [e6, expired] = co_await c.async_pexpire("counter"sv, 10000ms, tuple_awaitable);
    EXPECT_EQ(expired, 1);
    auto [e7, deleted] = co_await c.async_del("k"sv, tuple_awaitable);
    EXPECT_EQ(deleted, 1);
    // A server error reply: classified error + the reply itself.
    const redis::command cmd_1{"NOSUCHCOMMAND"sv};

    auto [e8, r] = co_await c.async_execute(cmd_1, tuple_awaitable);
    EXPECT_EQ(e8, redis::error::server_error);
    EXPECT_TRUE(r.is_error());
    auto [e9, wrong] = co_await c.async_incr("k-list"sv, tuple_awaitable);
    EXPECT_FALSE(e9);
    const redis::command cmd_2{"LPUSH"sv, "l"sv, "x"sv};

    co_await c.async_execute(cmd_2, tuple_awaitable);
    auto [e10, w] = co_await c.async_incr("l"sv, tuple_awaitable);
    EXPECT_EQ(e10, redis::error::wrong_type);
  });
  EXPECT_EQ(c.state(), redis::connection_state::connected);
}

TEST_F(RedisClient, PipelinedRepliesMatchInOrder) {
  redis::client c(io.get_executor(), config_for(server));
  constexpr int count = 2000;
  std::vector<std::int64_t> got(count, -1);
  int completed = 0;
  run(io, [&]() -> asio::awaitable<void> {
    co_await c.async_connect(tuple_awaitable);
    // Issue all commands before any reply can arrive: they share writes.
    for (int i = 0; i < count; ++i) {
      c.async_incr("seq", [&, i](boost::system::error_code ec, std::int64_t v) {
        EXPECT_FALSE(ec);
        got[static_cast<std::size_t>(i)] = v;
        ++completed;
      });
    }
    { const bool ok_1 = co_await eventually([&] { return completed == count; });
    EXPECT_TRUE(ok_1); }
  });
  for (int i = 0; i < count; ++i) EXPECT_EQ(got[static_cast<std::size_t>(i)], i + 1);
  EXPECT_EQ(c.stats().commands, static_cast<std::uint64_t>(count));
}

// Commands issued by completions (closed-loop callers, a command chained in
// a handler) leave when the read's completions have run, in one write,
// directly from the reader when the writer is idle; a write larger than the
// socket takes at once is finished by the writer. Every reply still
// matches its command.
TEST_F(RedisClient, CommandsIssuedByCompletionsKeepTheirOrder) {
  auto cfg = config_for(server);
  cfg.command_timeout = 5000ms;  // the large write below on a loaded machine
  redis::client c(io.get_executor(), cfg);
  constexpr int callers = 50;
  constexpr int rounds = 20;
  const std::string big(8 * 1024 * 1024, 'v');  // far more than a socket buffer
  int finished = 0;
  int wrong = 0;
  bool big_matched = false;
  run(io, [&]() -> asio::awaitable<void> {
    co_await c.async_connect(tuple_awaitable);
    for (int k = 0; k < callers; ++k) {
      asio::co_spawn(io, [&, k]() -> asio::awaitable<void> {
        const std::string key = "loop:" + std::to_string(k);
        for (int r = 0; r < rounds; ++r) {
          auto [ec, v] = co_await c.async_incr(key, tuple_awaitable);
          if (ec || v != r + 1) ++wrong;
        }
        ++finished;
      }, asio::detached);
    }
    // A large SET and a GET chained from a completion handler.
    c.async_ping([&](boost::system::error_code, std::string) {
      c.async_set("big"sv, big, 0ms, [](boost::system::error_code ec) { EXPECT_FALSE(ec) << ec.message(); });
      c.async_get("big"sv, [&](boost::system::error_code ec, std::optional<std::string> v) {
        EXPECT_FALSE(ec) << ec.message();
        big_matched = v && *v == big;
      });
      c.async_incr("after-big"sv, [](boost::system::error_code ec, std::int64_t v) {
        EXPECT_FALSE(ec);
        EXPECT_EQ(v, 1);
      });
    });
    const bool all = co_await eventually([&] { return finished == callers && big_matched; }, 20000ms);
    EXPECT_TRUE(all);
  });
  EXPECT_EQ(wrong, 0);
  EXPECT_TRUE(big_matched);
}

TEST_F(RedisClient, SelectsTheConfiguredDatabase) {
  auto cfg = config_for(server);
  cfg.database = 3;
  redis::client c(io.get_executor(), cfg);
  run(io, [&]() -> asio::awaitable<void> {
    auto [ec] = co_await c.async_connect(tuple_awaitable);
    EXPECT_FALSE(ec);
    co_await c.async_set("in-db-3"sv, "yes"sv, 0ms, tuple_awaitable);
  });
  EXPECT_EQ(server.command({"EXISTS", "in-db-3"}), ":0\r\n");
  EXPECT_EQ(server.command({"SELECT", "3"}), "+OK\r\n");
  auto bad = config_for(server);
  bad.database = 5000;  // beyond the server's "databases 16"
  redis::client d(io.get_executor(), bad);
  run(io, [&]() -> asio::awaitable<void> {
    auto [ec] = co_await d.async_connect(tuple_awaitable);
    EXPECT_EQ(ec, redis::error::select_failed);
  });
}

TEST_F(RedisClient, TimeoutThenRecoversAfterStall) {
  redis::client c(io.get_executor(), config_for(server));
  run(io, [&]() -> asio::awaitable<void> {
    co_await c.async_connect(tuple_awaitable);
    server.pause();
    const redis::command cmd_3{"PING"sv};

    auto [ec, r] = co_await c.async_execute(cmd_3, 100ms, tuple_awaitable);
    EXPECT_EQ(ec, redis::error::timeout);
    server.resume();
    { const bool ok_2 = co_await eventually([&] { return c.state() == redis::connection_state::connected; });
    EXPECT_TRUE(ok_2); }
    bool ok = false;
    for (int i = 0; i < 50 && !ok; ++i) {
      auto res = co_await c.async_ping(tuple_awaitable);
      ok = !std::get<0>(res);
      if (!ok) co_await sleep_for(50ms);
    }
    EXPECT_TRUE(ok);
  });
  EXPECT_GE(c.stats().timeouts, 1U);
}

// A timed-out command's handler may issue a command or close the client;
// the other commands then complete with error::closed.
TEST_F(RedisClient, TimeoutHandlerThatClosesTheClient) {
  redis::client c(io.get_executor(), config_for(server));
  boost::system::error_code first;
  std::vector<boost::system::error_code> others;
  run(io, [&]() -> asio::awaitable<void> {
    co_await c.async_connect(tuple_awaitable);
    server.pause();
    c.async_execute(redis::command{"PING"}, 50ms, [&](boost::system::error_code ec, redis::reply) {
      first = ec;
      for (int i = 0; i < 40; ++i)  // enough to grow the queue's storage
        c.async_execute(redis::command{"PING"}, 5000ms,
                        [&](boost::system::error_code e, redis::reply) { others.push_back(e); });
      c.close();
    });
    for (int i = 0; i < 8; ++i)
      c.async_execute(redis::command{"PING"}, 5000ms,
                      [&](boost::system::error_code e, redis::reply) { others.push_back(e); });
    const bool done = co_await eventually([&] { return others.size() == 48; });
    EXPECT_TRUE(done);
    server.resume();
  });
  EXPECT_EQ(first, redis::error::timeout);
  ASSERT_EQ(others.size(), 48U);
  for (const auto& e : others) EXPECT_EQ(e, redis::error::closed);
}

TEST_F(RedisClient, PerOperationCancellation) {
  redis::client c(io.get_executor(), config_for(server));
  run(io, [&]() -> asio::awaitable<void> {
    co_await c.async_connect(tuple_awaitable);
    asio::cancellation_signal signal;
    boost::system::error_code got;
    bool done = false;
    // BLPOP blocks server-side, so the reply cannot arrive before the cancel.
    c.async_execute(redis::command{"BLPOP", "never", "1"}, 5000ms,
                    asio::bind_cancellation_slot(signal.slot(), [&](boost::system::error_code ec, redis::reply) {
                      got = ec;
                      done = true;
                    }));
    co_await sleep_for(20ms);
    signal.emit(asio::cancellation_type::terminal);
    { const bool ok_3 = co_await eventually([&] { return done; });
    EXPECT_TRUE(ok_3); }
    EXPECT_EQ(got, asio::error::operation_aborted);
    // The connection stays usable; the late BLPOP reply (nil after 1 s) is
    // discarded and the next reply goes to the next command.
    const redis::command incr{"INCR", "after-cancel"};
    auto [ec, r] = co_await c.async_execute(incr, 5000ms, tuple_awaitable);
    EXPECT_FALSE(ec);
    EXPECT_EQ(r.integer(), 1);
  });
}

TEST_F(RedisClient, ReconnectsAfterRestartAndFailsFastMeanwhile) {
  redis::client c(io.get_executor(), config_for(server));
  run(io, [&]() -> asio::awaitable<void> {
    co_await c.async_connect(tuple_awaitable);
    co_await c.async_set("before"sv, "1"sv, 0ms, tuple_awaitable);
    server.kill();
    { const bool ok_4 = co_await eventually([&] { return c.state() != redis::connection_state::connected; });
    EXPECT_TRUE(ok_4); }
    // During the outage: errors, fast; after enough failures the breaker opens.
    int circuit_open = 0;
    for (int i = 0; i < 40; ++i) {
      auto res = co_await c.async_incr("x"sv, tuple_awaitable);
      EXPECT_TRUE(std::get<0>(res));
      if (std::get<0>(res) == redis::error::circuit_open) ++circuit_open;
    }
    EXPECT_GT(circuit_open, 0);
    EXPECT_FALSE(c.healthy());
    server.start();
    bool ok = false;
    for (int i = 0; i < 200 && !ok; ++i) {
      auto res = co_await c.async_incr("x"sv, tuple_awaitable);
      ok = !std::get<0>(res);
      if (!ok) co_await sleep_for(20ms);
    }
    EXPECT_TRUE(ok);
    EXPECT_TRUE(c.healthy());
  });
  EXPECT_GE(c.stats().connects, 2U);
  EXPECT_GT(c.stats().breaker_rejections, 0U);
}

TEST_F(RedisClient, ScriptFlushIsReloadedTransparently) {
  redis::client c(io.get_executor(), config_for(server));
  const redis::script add("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  run(io, [&]() -> asio::awaitable<void> {
    co_await c.async_connect(tuple_awaitable);
    const std::vector<std::string> keys{"s"};
    auto [e1, r1] = co_await c.async_eval(add, keys, std::vector<std::string>(1, "2"), tuple_awaitable);
    EXPECT_FALSE(e1) << e1.message();
    EXPECT_EQ(r1.integer(), 2);
    auto [e2, r2] = co_await c.async_eval(add, keys, std::vector<std::string>(1, "3"), tuple_awaitable);
    EXPECT_EQ(r2.integer(), 5);
    const redis::command cmd_4{"SCRIPT"sv, "FLUSH"sv};

    auto [e3, flushed] = co_await c.async_execute(cmd_4, tuple_awaitable);
    EXPECT_FALSE(e3);
    auto [e4, r4] = co_await c.async_eval(add, keys, std::vector<std::string>(1, "10"), tuple_awaitable);
    EXPECT_FALSE(e4) << e4.message();
    EXPECT_EQ(r4.integer(), 15);
  });
  // First call and the call after the flush needed EVAL; the second did not.
  EXPECT_EQ(c.stats().script_reloads, 2U);
  EXPECT_EQ(server.command({"SCRIPT", "EXISTS", add.sha1()}), "*1\r\n:1\r\n");
}

TEST_F(RedisClient, OversizedReplyDropsTheConnectionNotTheProcess) {
  auto cfg = config_for(server);
  cfg.limits.max_reply_bytes = 1024;
  redis::client c(io.get_executor(), cfg);
  EXPECT_EQ(server.command({"SET", "big", std::string(4096, 'x')}), "+OK\r\n");
  run(io, [&]() -> asio::awaitable<void> {
    co_await c.async_connect(tuple_awaitable);
    auto [ec, v] = co_await c.async_get("big"sv, tuple_awaitable);
    EXPECT_EQ(ec, redis::error::reply_too_large);
    bool ok = false;
    for (int i = 0; i < 100 && !ok; ++i) {
      auto res = co_await c.async_ping(tuple_awaitable);
      ok = !std::get<0>(res);
      if (!ok) co_await sleep_for(20ms);
    }
    EXPECT_TRUE(ok);
  });
  EXPECT_GE(c.stats().connects, 2U);
}

// Where completions run: never inside the initiating call; a handler bound
// to a strand runs in it; a handler bound to another io_context runs there,
// and that io_context keeps work until it did (its run() does not return
// early), even when it is started before the reply arrives.
TEST_F(RedisClient, CompletionsRunOnTheHandlersExecutorNeverInsideTheCall) {
  redis::client c(io.get_executor(), config_for(server));
  asio::io_context other;
  std::atomic<bool> other_ran{false};
  std::atomic<bool> other_on_its_thread{false};
  std::atomic<bool> ran_before_run_returned{false};
  std::thread other_thread;
  run(io, [&]() -> asio::awaitable<void> {
    co_await c.async_connect(tuple_awaitable);
    bool initiating = true;
    int inside = 0;
    int done = 0;
    c.async_incr("calls"sv, [&](boost::system::error_code ec, std::int64_t v) {
      if (initiating) ++inside;
      EXPECT_FALSE(ec);
      EXPECT_EQ(v, 1);
      ++done;
    });
    c.async_execute(redis::command{"NO-SUCH-COMMAND"}, [&](boost::system::error_code ec, redis::reply r) {
      if (initiating) ++inside;
      EXPECT_EQ(ec, redis::error::server_error);
      EXPECT_TRUE(r.is_error());
      ++done;
    });
    initiating = false;
    const bool both = co_await eventually([&] { return done == 2; });
    EXPECT_TRUE(both);
    EXPECT_EQ(inside, 0);

    auto strand = asio::make_strand(io);
    bool in_strand = false;
    bool strand_done = false;
    c.async_incr("calls"sv, asio::bind_executor(strand, [&](boost::system::error_code ec, std::int64_t v) {
                   in_strand = strand.running_in_this_thread();
                   EXPECT_FALSE(ec);
                   EXPECT_EQ(v, 2);
                   strand_done = true;
                 }));
    const bool stranded = co_await eventually([&] { return strand_done; });
    EXPECT_TRUE(stranded);
    EXPECT_TRUE(in_strand);

    // Bound through an any_io_executor, as a coroutine of another io_context is.
    const asio::any_io_executor elsewhere = other.get_executor();
    c.async_incr("calls"sv, asio::bind_executor(elsewhere, [&](boost::system::error_code ec, std::int64_t v) {
                   other_on_its_thread = other.get_executor().running_in_this_thread();
                   EXPECT_FALSE(ec);
                   EXPECT_EQ(v, 3);
                   other_ran = true;
                 }));
    other_thread = std::thread([&] {
      other.run_for(10s);  // bounded; returns as soon as the handler ran
      ran_before_run_returned = other_ran.load();
    });
    const bool ran = co_await eventually([&] { return other_ran.load(); });
    EXPECT_TRUE(ran);
  });
  other_thread.join();
  EXPECT_TRUE(ran_before_run_returned);
  EXPECT_TRUE(other_on_its_thread);
}

TEST_F(RedisClient, CloseCompletesPendingWithClosed) {
  auto c = std::make_unique<redis::client>(io.get_executor(), config_for(server));
  boost::system::error_code got;
  run(io, [&]() -> asio::awaitable<void> {
    co_await c->async_connect(tuple_awaitable);
    bool done = false;
    c->async_execute(redis::command{"BLPOP", "never", "1"}, 5000ms, [&](boost::system::error_code ec, redis::reply) {
      got = ec;
      done = true;
    });
    c.reset();
    { const bool ok_5 = co_await eventually([&] { return done; });
    EXPECT_TRUE(ok_5); }
  });
  EXPECT_EQ(got, redis::error::closed);
}

TEST(RedisAuth, WrongPasswordIsAClearErrorAndNeverLogged) {
  musicbot_test::redis_server_options options;
  options.password = "right-horse-battery";
  musicbot_test::redis_server server(options);
  asio::io_context io;
  captured_log log;
  auto wrong = redis::parse_url(server.url_with_password("wrong-staple-secret")).value();
  redis::client bad(io.get_executor(), wrong, log.logger);
  auto none = redis::parse_url(server.url()).value();
  redis::client anonymous(io.get_executor(), none, log.logger);
  auto right = redis::parse_url(server.url_with_password("right-horse-battery")).value();
  redis::client good(io.get_executor(), right, log.logger);
  run(io, [&]() -> asio::awaitable<void> {
    auto [ec] = co_await bad.async_connect(tuple_awaitable);
    EXPECT_EQ(ec, redis::error::auth_failed);
    EXPECT_NE(ec.message().find("authentication failed"), std::string::npos);
    auto [ec2] = co_await anonymous.async_connect(tuple_awaitable);
    EXPECT_FALSE(ec2);  // no AUTH sent; the first command says NOAUTH
    auto [ec3, v] = co_await anonymous.async_get("k"sv, tuple_awaitable);
    EXPECT_EQ(ec3, redis::error::auth_failed);
    auto [ec4] = co_await good.async_connect(tuple_awaitable);
    EXPECT_FALSE(ec4);
    auto [ec5, pong] = co_await good.async_ping(tuple_awaitable);
    EXPECT_EQ(pong, "PONG");
  });
  bad.close();
  log.logger->flush();
  const auto text = log.out.str();
  EXPECT_NE(text.find("AUTH failed"), std::string::npos) << text;
  EXPECT_EQ(text.find("wrong-staple-secret"), std::string::npos);
  EXPECT_EQ(text.find("right-horse-battery"), std::string::npos);
}

TEST(RedisConnect, NothingListeningIsAnErrorNotAHang) {
  asio::io_context io;
  auto cfg = redis::parse_url("redis://127.0.0.1:" + std::to_string(musicbot_test::free_port())).value();
  cfg.connect_timeout = 500ms;
  redis::client c(io.get_executor(), cfg);
  run(io, [&]() -> asio::awaitable<void> {
    auto [ec] = co_await c.async_connect(tuple_awaitable);
    EXPECT_TRUE(ec);
    auto [ec2, v] = co_await c.async_incr("x"sv, tuple_awaitable);
    EXPECT_TRUE(ec2 == redis::error::not_connected || ec2 == redis::error::circuit_open) << ec2.message();
  });
}

TEST_F(RedisClient, PubSubResubscribesAfterRestart) {
  redis::client pub(io.get_executor(), config_for(server));
  std::vector<std::string> received;
  redis::subscriber sub(io.get_executor(), config_for(server), [&](std::string_view channel, std::string_view payload) {
    received.push_back(std::string(channel) + "=" + std::string(payload));
  });
  sub.subscribe("events");
  run(io, [&]() -> asio::awaitable<void> {
    auto [ec] = co_await sub.async_connect(tuple_awaitable);
    EXPECT_FALSE(ec);
    co_await pub.async_connect(tuple_awaitable);
    { const bool ok_6 = co_await eventually([&] { return sub.active_subscriptions() == 1; });
    EXPECT_TRUE(ok_6); }
    auto [e1, n] = co_await pub.async_publish("events"sv, "one"sv, tuple_awaitable);
    EXPECT_EQ(n, 1);
    { const bool ok_7 = co_await eventually([&] { return received.size() == 1; });
    EXPECT_TRUE(ok_7); }

    server.stop();
    { const bool ok_8 = co_await eventually([&] { return sub.active_subscriptions() == 0; });
    EXPECT_TRUE(ok_8); }
    server.start();
    { const bool ok_9 = co_await eventually([&] { return sub.active_subscriptions() == 1; });
    EXPECT_TRUE(ok_9); }
    bool delivered = false;
    for (int i = 0; i < 100 && !delivered; ++i) {
      auto res = co_await pub.async_publish("events"sv, "two"sv, tuple_awaitable);
      delivered = !std::get<0>(res) && std::get<1>(res) == 1;
      if (!delivered) co_await sleep_for(20ms);
    }
    EXPECT_TRUE(delivered);
    { const bool ok_10 = co_await eventually([&] { return received.size() >= 2; });
    EXPECT_TRUE(ok_10); }
  });
  ASSERT_GE(received.size(), 2U);
  EXPECT_EQ(received[0], "events=one");
  EXPECT_EQ(received[1], "events=two");
}

TEST(RedisTls, VerifiedConnectionAndUntrustedCertificate) {
  // A self-signed certificate for 127.0.0.1, made with the openssl tool.
  const auto openssl = musicbot_test::find_executable("openssl");
  if (openssl.empty()) GTEST_SKIP() << "openssl command not installed";
  musicbot_test::temp_dir certs("musicbot-redis-tls");
  const auto cert = certs.path() + "/cert.pem";
  const auto key = certs.path() + "/key.pem";
  ASSERT_EQ(musicbot_test::run_command({openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
                                        cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
                                        "subjectAltName=IP:127.0.0.1"}),
            0);
  const auto tls_port = musicbot_test::free_port();
  musicbot_test::redis_server_options options;
  options.extra_args = {"--tls-port", std::to_string(tls_port), "--tls-cert-file", cert, "--tls-key-file", key,
                        "--tls-ca-cert-file", cert, "--tls-auth-clients", "no"};
  musicbot_test::redis_server server(options);
  asio::io_context io;

  auto cfg = redis::parse_url("rediss://127.0.0.1:" + std::to_string(tls_port) + "/0?tls_ca_file=" + cert).value();
  EXPECT_TRUE(cfg.tls);
  EXPECT_TRUE(cfg.tls_verify_peer);
  redis::client c(io.get_executor(), cfg);
  auto untrusted = cfg;
  untrusted.tls_ca_file.clear();  // the system store does not know our CA
  untrusted.connect_timeout = 2000ms;
  redis::client rejected(io.get_executor(), untrusted);
  run(io, [&]() -> asio::awaitable<void> {
    auto [ec] = co_await c.async_connect(tuple_awaitable);
    EXPECT_FALSE(ec) << ec.message();
    auto [e1] = co_await c.async_set("over-tls"sv, "yes"sv, 0ms, tuple_awaitable);
    EXPECT_FALSE(e1);
    auto [e2, v] = co_await c.async_get("over-tls"sv, tuple_awaitable);
    EXPECT_EQ(v.value_or(""), "yes");
    auto [e3] = co_await rejected.async_connect(tuple_awaitable);
    EXPECT_EQ(e3, redis::error::tls_failed);
  });
  rejected.close();
  EXPECT_EQ(server.command({"GET", "over-tls"}), "$3\r\nyes\r\n");
}
