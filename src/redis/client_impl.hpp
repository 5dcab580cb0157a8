#pragma once
// The connection machinery behind redis::client and redis::subscriber
// (private to the component).

#include <musicbot/redis/client.hpp>
#include <musicbot/redis/reply_parser.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include <spdlog/logger.h>

#include <musicbot/core/circuit_breaker.hpp>

#include <deque>
#include <optional>
#include <functional>
#include <random>
#include <set>

namespace musicbot::redis::detail {

class client_impl : public std::enable_shared_from_this<client_impl> {
 public:
  using clock = std::chrono::steady_clock;
  using breaker_type = core::circuit_breaker<core::steady_clock>;
  // Called for pub/sub pushes: (kind, channel, payload).
  using push_handler = std::function<void(std::string_view, std::string_view, std::string_view)>;

  client_impl(boost::asio::any_io_executor ex, config cfg, std::shared_ptr<spdlog::logger> logger);
  ~client_impl();

  void start();
  void close();

  void submit(const command& cmd, std::chrono::milliseconds timeout, boost::asio::cancellation_slot slot,
              std::unique_ptr<completion> done);
  void submit_script(const script& s, command tail, std::chrono::milliseconds timeout,
                     boost::asio::cancellation_slot slot, std::unique_ptr<completion> done);
  void submit_connect_waiter(std::unique_ptr<completion> done);

  // Pub/sub mode: pushes go to `handler`; `subscriptions` are re-sent after
  // every connect. Must be set before start().
  void enable_pubsub(push_handler handler);
  void subscribe(const std::string& channel);
  void unsubscribe(const std::string& channel);
  std::size_t active_subscriptions() const noexcept { return active_.size(); }

  boost::asio::any_io_executor executor;
  config cfg;
  std::shared_ptr<spdlog::logger> log;
  connection_state state = connection_state::disconnected;
  client_stats stats;
  bool breaker_allows() const noexcept;

  // Write hold: while held, accepted commands wait in the write buffer
  // instead of waking the writer; the last release writes them at once
  // (directly on plain TCP when the writer is parked, else via the
  // writer). Used around a read's completions and the limiter's flush, so
  // that what one handler issues leaves in one write with no extra hop.
  void hold_writes() noexcept;
  void release_writes() noexcept;
  // The hold for one scope.
  struct write_hold {
    explicit write_hold(client_impl& c) noexcept : owner(c) { owner.hold_writes(); }
    ~write_hold() { owner.release_writes(); }
    write_hold(const write_hold&) = delete;
    write_hold& operator=(const write_hold&) = delete;
    client_impl& owner;
  };

 private:
  struct script_retry {
    script code;
    command tail;
  };

  struct pending {
    std::uint64_t id = 0;
    std::unique_ptr<completion> done;  // null once abandoned (timed out / cancelled)
    clock::time_point sent;
    std::chrono::milliseconds timeout{0};
    clock::time_point deadline;
    boost::asio::cancellation_slot slot;
    std::shared_ptr<const script_retry> eval_retry;  // to resend as EVAL on NOSCRIPT
    bool internal = false;                           // health-check PING etc.
    std::optional<breaker_type::permit> permit;      // null for internal commands
  };


  struct cancel_handler {
    cancel_handler(std::weak_ptr<client_impl> o, std::uint64_t i) : owner(std::move(o)), id(i) {}
    std::weak_ptr<client_impl> owner;
    std::uint64_t id;
    void operator()(boost::asio::cancellation_type type) const;
  };

  boost::asio::awaitable<void> run();
  boost::asio::awaitable<boost::system::error_code> connect_once();
  boost::asio::awaitable<void> reader_loop();
  boost::asio::awaitable<void> writer_loop();
  boost::asio::awaitable<void> watchdog_loop();
  boost::asio::awaitable<void> health_loop();
  boost::asio::awaitable<std::size_t> read_some(boost::asio::mutable_buffer buf, boost::system::error_code& ec);
  boost::asio::awaitable<void> write_all(boost::asio::const_buffer buf, boost::system::error_code& ec);
  boost::asio::awaitable<boost::system::error_code> handshake_commands();

  // `encode(std::string&)` appends the command's RESP encoding to the write
  // buffer (called only once the command is accepted).
  template <class Encode>
  void enqueue(Encode&& encode, std::chrono::milliseconds timeout, boost::asio::cancellation_slot slot,
               std::unique_ptr<completion> done, std::shared_ptr<const script_retry> eval_retry, bool internal);
  // `received`: when the read that carried the reply completed (one clock
  // read per read, shared by every reply in it).
  void on_reply(reply&& r, clock::time_point received);
  void finish(pending& p, boost::system::error_code ec, reply&& r);
  void fail_now(std::unique_ptr<completion> done, boost::system::error_code ec);
  void fail_all(boost::system::error_code ec);
  void drop_connection(boost::system::error_code why);
  void wake_writer();
  void notify_connect_waiters(boost::system::error_code ec);
  void cancel_request(std::uint64_t id);
  bool is_push(const reply& r) const;
  static void record(pending& p, bool success, clock::time_point now);
  void on_push(const reply& r);
  void close_socket();
  std::chrono::milliseconds backoff(int attempt);

  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<boost::asio::ssl::context> tls_context_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  boost::asio::steady_timer write_signal_;
  boost::asio::steady_timer watchdog_;
  boost::asio::steady_timer backoff_timer_;
  boost::asio::steady_timer health_timer_;
  std::vector<char> read_buffer_;
  bool writer_waiting_ = false;
  int write_hold_ = 0;
  bool watchdog_waiting_ = false;
  std::chrono::milliseconds shortest_timeout_{0};
  boost::system::error_code lost_reason_;
  reply_parser parser_;
  std::deque<pending> pending_;
  std::string write_buffer_;
  std::string writing_;
  std::uint64_t next_id_ = 1;
  std::vector<std::unique_ptr<completion>> connect_waiters_;
  bool started_ = false;
  bool closed_ = false;
  bool connection_lost_ = false;
  boost::system::error_code last_connect_error_;
  bool outage_logged_ = false;
  clock::time_point last_read_;
  clock::time_point last_reload_log_;
  std::mt19937_64 rng_;

  breaker_type breaker_;

  push_handler push_;
  std::set<std::string> subscriptions_;
  std::set<std::string> active_;
};

}  // namespace musicbot::redis::detail
