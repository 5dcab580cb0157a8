// Spans of Redis commands (config::tracer) against a real redis-server:
// children of the current context, named "redis <COMMAND>", with component,
// operation and outcome, and never a key, a value or the password.
#include "test_util.hpp"

#include <musicbot/redis/client.hpp>
#include <musicbot/redis/rate_limiter.hpp>
#include <musicbot/trace/current.hpp>
#include <musicbot/trace/span_buffer.hpp>
#include <musicbot/trace/tracer.hpp>

#include <redis_server.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace redis = musicbot::redis;
namespace trace = musicbot::trace;
namespace asio = boost::asio;
using redis_test::run;
using redis_test::sleep_for;
using redis_test::tuple_awaitable;
using namespace std::chrono_literals;
using namespace std::string_view_literals;

namespace {

constexpr const char* password = "tracing-test-password-7731";
constexpr const char* secret_key = "user:secret-key-4417";
constexpr const char* secret_value = "secret-value-9902";

struct RedisTracing : ::testing::Test {
  musicbot_test::redis_server server{musicbot_test::redis_server_options{password, {}, 10000ms}};
  asio::io_context io;
  std::shared_ptr<trace::span_buffer> spans = std::make_shared<trace::span_buffer>(1024);
  std::shared_ptr<const trace::tracer> tracer = std::make_shared<trace::tracer>(trace::tracer_options{}, spans);

  redis::config traced_config() {
    auto cfg = redis::parse_url(server.url()).value();
    cfg.password = musicbot::core::secret(password);
    cfg.command_timeout = 300ms;
    cfg.connect_timeout = 1000ms;
    cfg.reconnect_initial_delay = 20ms;
    cfg.reconnect_max_delay = 100ms;
    cfg.health_check_interval = 0ms;
    cfg.tracer = tracer;
    return cfg;
  }
};

// Waits (bounded) until `pred` holds.
asio::awaitable<bool> eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) co_return true;
    co_await sleep_for(5ms);
  }
  co_return pred();
}

std::optional<trace::attribute_value> attribute(const trace::span_data& s, std::string_view key) {
  for (const auto& a : s.attributes) {
    if (a.key == key) return a.value;
  }
  return std::nullopt;
}

std::string text_attribute(const trace::span_data& s, std::string_view key) {
  const auto v = attribute(s, key);
  if (!v) return "<missing>";
  const auto* text = std::get_if<std::string>(&*v);
  return text != nullptr ? *text : "<not a string>";
}

// Everything a span carries as text, to look for leaked secrets.
std::string everything(const trace::span_data& s) {
  std::string out = s.name + " " + s.status_message;
  for (const auto& a : s.attributes) {
    out += " " + a.key;
    if (const auto* t = std::get_if<std::string>(&a.value)) out += "=" + *t;
  }
  for (const auto& e : s.events) out += " " + e.name;
  return out;
}

void expect_no_secrets(const std::vector<trace::span_data>& all) {
  for (const auto& s : all) {
    const auto text = everything(s);
    EXPECT_EQ(text.find("secret-key"), std::string::npos) << text;
    EXPECT_EQ(text.find("secret-value"), std::string::npos) << text;
    EXPECT_EQ(text.find(password), std::string::npos) << text;
    EXPECT_EQ(text.find("musicbot:rl"), std::string::npos) << text;
  }
}

}  // namespace

TEST_F(RedisTracing, CommandsAreChildSpansOfTheCurrentContextWithOperationAndOutcome) {
  redis::client c(io.get_executor(), traced_config());
  auto root = tracer->start_span("command /play", {}, trace::span_kind::server);
  ASSERT_TRUE(root.recording());
  run(io, [&]() -> asio::awaitable<void> {
    auto [ec] = co_await c.async_connect(tuple_awaitable);
    EXPECT_FALSE(ec) << ec.message();
    // Outside any context: no span (AUTH at connect time made none either).
    co_await c.async_ping(tuple_awaitable);

    int answered = 0;
    {
      const trace::context_scope scope(root.context());
      c.async_set(secret_key, secret_value, 0ms, [&](boost::system::error_code e) {
        EXPECT_FALSE(e) << e.message();
        ++answered;
      });
      c.async_get(secret_key, [&](boost::system::error_code e, std::optional<std::string> v) {
        EXPECT_FALSE(e) << e.message();
        EXPECT_EQ(v.value_or(""), secret_value);
        ++answered;
      });
      // A server error reply: INCR of a value that is not an integer.
      c.async_incr(secret_key, [&](boost::system::error_code e, std::int64_t) {
        EXPECT_TRUE(e);
        ++answered;
      });
      c.async_execute(redis::command{"hset", secret_key, "f", secret_value}, [&](boost::system::error_code, redis::reply) {
        ++answered;
      });
    }
    EXPECT_EQ(trace::current_context(), nullptr);
    const bool all = co_await eventually([&] { return answered == 4; });
    EXPECT_TRUE(all);
  });
  root.end();

  const auto all = spans->drain(100);
  ASSERT_EQ(all.size(), 5U);  // four commands + the root
  const std::vector<std::string> names{"redis SET", "redis GET", "redis INCR", "redis HSET"};
  const std::vector<std::string> outcomes{"ok", "ok", "error", "error"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto& s = all[i];
    EXPECT_EQ(s.name, names[i]);
    EXPECT_EQ(s.kind, trace::span_kind::client);
    EXPECT_EQ(s.context.trace.bytes, root.context().trace.bytes);
    EXPECT_EQ(s.parent.bytes, root.context().span.bytes);
    EXPECT_EQ(text_attribute(s, "component"), "redis");
    EXPECT_EQ(text_attribute(s, "db.system"), "redis");
    EXPECT_EQ(text_attribute(s, "db.operation"), names[i].substr(6));
    EXPECT_EQ(text_attribute(s, "outcome"), outcomes[i]) << s.name;
    EXPECT_EQ(s.status, outcomes[i] == "ok" ? trace::span_status::unset : trace::span_status::error);
    EXPECT_GE(s.end_unix_nano, s.start_unix_nano);
  }
  EXPECT_EQ(all[4].name, "command /play");
  expect_no_secrets(all);
}

TEST_F(RedisTracing, TimeoutAndOpenBreakerAreOutcomes) {
  auto cfg = traced_config();
  cfg.breaker.minimum_calls = 2;
  cfg.breaker.window_size = 4;
  cfg.breaker.wait_in_open = 60s;
  redis::client c(io.get_executor(), cfg);
  auto root = tracer->start_span("command /skip");
  run(io, [&]() -> asio::awaitable<void> {
    auto [ec] = co_await c.async_connect(tuple_awaitable);
    EXPECT_FALSE(ec) << ec.message();
    server.pause();
    std::vector<boost::system::error_code> results;
    // Timeouts until the breaker opens, then fast rejections (bounded).
    for (int i = 0; i < 20 && (results.empty() || results.back() != redis::error::circuit_open); ++i) {
      bool done = false;
      {
        const trace::context_scope scope(root.context());
        c.async_execute(redis::command{"GET", secret_key}, 50ms, [&](boost::system::error_code e, redis::reply) {
          results.push_back(e);
          done = true;
        });
      }
      const bool answered = co_await eventually([&] { return done; });
      EXPECT_TRUE(answered);
    }
    server.resume();
    EXPECT_GE(std::count(results.begin(), results.end(), redis::error::timeout), 1);
    EXPECT_FALSE(results.empty());
    if (!results.empty()) {
      EXPECT_EQ(results.back(), redis::error::circuit_open);
    }
  });
  root.end();
  auto all = spans->drain(100);
  ASSERT_GE(all.size(), 3U);
  all.pop_back();  // the root
  std::vector<std::string> outcomes;
  for (const auto& s : all) {
    EXPECT_EQ(s.name, "redis GET");
    EXPECT_EQ(s.parent.bytes, root.context().span.bytes);
    outcomes.push_back(text_attribute(s, "outcome"));
  }
  EXPECT_EQ(outcomes.front(), "timeout");
  EXPECT_EQ(outcomes.back(), "breaker_open");
  expect_no_secrets(all);
}

TEST_F(RedisTracing, EveryRateLimitDecisionHasItsOwnSpan) {
  redis::client c(io.get_executor(), traced_config());
  redis::distributed_rate_limiter_config lcfg;
  lcfg.per_user = musicbot::core::rate_limit_config{5, 1s};
  redis::distributed_rate_limiter limiter(c, lcfg);
  auto first = tracer->start_span("command /play");
  auto second = tracer->start_span("command /skip");
  run(io, [&]() -> asio::awaitable<void> {
    co_await c.async_connect(tuple_awaitable);
    int answered = 0;
    // Two commands decided in the same batch (one EVALSHA): one span each,
    // under each command's own context.
    for (const auto* parent : {&first, &second}) {
      const trace::context_scope scope(parent->context());
      limiter.async_decide({1, 2, "play"}, [&](boost::system::error_code e, musicbot::core::rate_limit_decision d) {
        EXPECT_FALSE(e);
        EXPECT_TRUE(d.allowed);
        ++answered;
      });
    }
    // A decision outside any context: no span.
    limiter.async_decide({1, 3, "play"}, [&](boost::system::error_code, musicbot::core::rate_limit_decision) {
      ++answered;
    });
    const bool all = co_await eventually([&] { return answered == 3; });
    EXPECT_TRUE(all);
    // Redis down: the fallback decides; the span says why.
    server.kill();
    bool done = false;
    {
      const trace::context_scope scope(first.context());
      limiter.async_decide({1, 2, "play"}, [&](boost::system::error_code, musicbot::core::rate_limit_decision) {
        done = true;
      });
    }
    const bool fell_back = co_await eventually([&] { return done; });
    EXPECT_TRUE(fell_back);
  });
  EXPECT_EQ(limiter.stats().redis_allowed, 3U);
  EXPECT_EQ(limiter.stats().fallback_allowed, 1U);
  const auto all = spans->drain(100);
  ASSERT_EQ(all.size(), 3U);
  EXPECT_EQ(all[0].parent.bytes, first.context().span.bytes);
  EXPECT_EQ(all[1].parent.bytes, second.context().span.bytes);
  EXPECT_EQ(all[2].parent.bytes, first.context().span.bytes);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].name, "redis EVALSHA");
    EXPECT_EQ(text_attribute(all[i], "component"), "redis");
    EXPECT_EQ(text_attribute(all[i], "db.operation"), "EVALSHA");
    const auto outcome = text_attribute(all[i], "outcome");
    if (i < 2) {
      EXPECT_EQ(outcome, "ok");
    } else {
      // The dead connection is seen as closed, or (rarely) the call times out.
      EXPECT_TRUE(outcome == "error" || outcome == "timeout") << outcome;
    }
    EXPECT_EQ(text_attribute(all[i], "rate_limit.source"), i < 2 ? "redis" : "fallback");
  }
  expect_no_secrets(all);
}

TEST_F(RedisTracing, NoTracerNoSpans) {
  auto cfg = traced_config();
  cfg.tracer = nullptr;
  redis::client c(io.get_executor(), cfg);
  auto root = tracer->start_span("command /play");
  run(io, [&]() -> asio::awaitable<void> {
    co_await c.async_connect(tuple_awaitable);
    bool done = false;
    {
      const trace::context_scope scope(root.context());
      c.async_incr("n"sv, [&](boost::system::error_code e, std::int64_t) {
        EXPECT_FALSE(e);
        done = true;
      });
    }
    const bool answered = co_await eventually([&] { return done; });
    EXPECT_TRUE(answered);
  });
  EXPECT_EQ(spans->size(), 0U);
}

TEST_F(RedisTracing, OperationNameIsBoundedAndNeverCarriesArguments) {
  redis::client c(io.get_executor(), traced_config());
  auto root = tracer->start_span("command /debug");
  run(io, [&]() -> asio::awaitable<void> {
    co_await c.async_connect(tuple_awaitable);
    int answered = 0;
    {
      const trace::context_scope scope(root.context());
      // A key passed by mistake as the command name: Redis refuses it, and
      // the span name keeps only the leading command-like token.
      c.async_execute(redis::command{secret_key, secret_value}, [&](boost::system::error_code e, redis::reply) {
        EXPECT_TRUE(e);
        ++answered;
      });
      c.async_execute(redis::command{std::string(100, 'x')}, [&](boost::system::error_code, redis::reply) {
        ++answered;
      });
    }
    const bool all = co_await eventually([&] { return answered == 2; });
    EXPECT_TRUE(all);
  });
  root.end();
  const auto all = spans->drain(100);
  ASSERT_EQ(all.size(), 3U);
  EXPECT_EQ(all[0].name, "redis USER");
  EXPECT_EQ(text_attribute(all[0], "outcome"), "error");
  EXPECT_EQ(all[1].name, "redis " + std::string(32, 'X'));
  expect_no_secrets(all);
}
