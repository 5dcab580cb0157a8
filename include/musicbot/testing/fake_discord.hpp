#pragma once
/// @file
/// A fake Discord on loopback: gateway (plain ws, zlib-stream optional) with
/// real session/sequence state, and REST with rate-limit buckets, for tests
/// and the offline demo. Also shipped as the `musicbot-fake-discord` executable.

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace musicbot::testing {

/// Settings of a fake_discord.
struct fake_discord_options {
  std::string host = "127.0.0.1";       ///< address to bind
  std::uint16_t port = 0;               ///< 0 = a free port
  std::string token = "fake-bot-token"; ///< the bot token clients must present
  std::uint32_t shards = 1;             ///< shard count recommended by GET /gateway/bot
  std::uint32_t guilds = 0;             ///< synthetic guilds, spread over the shards by the docs' formula
  std::uint32_t max_concurrency = 1;    ///< session_start_limit.max_concurrency (enforced: excess → op 9)
  std::chrono::milliseconds identify_window{5000};  ///< one identify per bucket per window (Discord: 5 s)
  std::uint32_t session_start_total = 1000;      ///< session_start_limit.total
  std::uint32_t session_start_remaining = 1000;  ///< session_start_limit.remaining (enforced: none left → op 9)
  /// session_start_limit.reset_after: `remaining` goes back to `total` this
  /// long after start(), and every period after that.
  std::chrono::milliseconds session_start_reset_after{14400000};
  std::chrono::milliseconds heartbeat_interval{41'250};  ///< sent in HELLO
  std::chrono::milliseconds heartbeat_grace{1000};  ///< no heartbeat for interval × 1.5 + this → close 4009
  bool ack_heartbeats = true;           ///< false: never ACK (zombie tests)
  bool allow_privileged_intents = false;  ///< false: privileged intents → close 4014
  std::size_t replay_buffer = 5000;     ///< events kept per session for RESUME replay (a startup burst is up to 2,501)
  std::size_t max_pending_sends = 100000;  ///< bound of the messages queued for one connection and not yet written (see fake_discord)
  std::uint64_t bot_user_id = 1173917793654013952ull;    ///< READY user id = application id
  std::string voice_endpoint = "voice.fake.invalid:443"; ///< VOICE_SERVER_UPDATE endpoint
  // REST
  std::uint32_t bucket_limit = 5;                    ///< requests per bucket window
  std::chrono::milliseconds bucket_window{1000};     ///< bucket window
  std::uint32_t global_limit = 50;                   ///< global requests per second (interactions exempt)
  std::size_t max_recorded = 20'000;                 ///< bound of every recorded list
};

/// A REST request the fake received.
struct fake_rest_request {
  std::string method;   ///< method
  std::string path;     ///< path after /api/v10
  std::string body;     ///< body
  unsigned status = 0;  ///< status answered
  std::chrono::steady_clock::time_point at;  ///< when
};

/// An IDENTIFY the fake accepted.
struct fake_identify {
  std::uint32_t shard_id = 0;     ///< shard
  std::uint32_t shard_count = 1;  ///< total shards the client announced
  std::uint32_t intents = 0;      ///< intents
  std::chrono::steady_clock::time_point at;  ///< when
};

/// A gateway payload a client sent.
struct fake_gateway_receipt {
  std::optional<std::uint32_t> shard_id;  ///< the connection's shard (after IDENTIFY/RESUME)
  int op = -1;                            ///< opcode
  std::string json;                       ///< the payload
  std::chrono::steady_clock::time_point at;  ///< when
};

/// The fake. Start it, point a rest_client at api_base() and shards at
/// gateway_url().
///
/// Gateway: `GET /?v=10&encoding=json[&compress=zlib-stream]` upgrades to a
/// WebSocket; HELLO, then IDENTIFY (token, shard, intents and identify
/// concurrency checked; READY then GUILD_CREATE per guild of the shard) or
/// RESUME (replay after the given seq, then RESUMED; unknown session or
/// sequence → op 9 false). Messages to a client are written in order, one at
/// a time, and never dropped (a startup burst is READY plus one GUILD_CREATE
/// per guild, up to 2,501 messages): past max_pending_sends unwritten
/// messages the connection is closed with 4000, as Discord drops a client
/// that does not read. Heartbeats are ACKed (unless disabled) and
/// checked. op 4 is answered with VOICE_STATE_UPDATE + VOICE_SERVER_UPDATE.
///
/// REST under `/api/v10`: gateway/bot, command bulk overwrite, interaction
/// callback, follow-up webhooks, channel messages; buckets with
/// `X-RateLimit-*` headers, a global limit, 429 on excess or on demand.
///
/// @par Thread safety
/// Control and inspection functions may be called from any thread; control
/// functions take effect on the server's executor (asynchronously).
class fake_discord {
 public:
  /// A stopped fake whose server runs on `executor`.
  fake_discord(boost::asio::any_io_executor executor, fake_discord_options options = {});
  /// Stops the server.
  ~fake_discord();
  fake_discord(const fake_discord&) = delete;             ///< Not copyable.
  fake_discord& operator=(const fake_discord&) = delete;  ///< Not copyable.

  /// Binds and listens; returns the port.
  boost::system::result<std::uint16_t> start();
  /// Closes everything.
  void stop();

  /// The bound port.
  [[nodiscard]] std::uint16_t port() const noexcept;
  /// `ws://host:port` (give it to gateway_options::gateway_url or let GET /gateway/bot report it).
  [[nodiscard]] std::string gateway_url() const;
  /// `http://host:port/api/v10` (rest_options::base_url).
  [[nodiscard]] std::string api_base() const;
  /// The synthetic guild ids owned by `shard_id` of `shard_count`.
  [[nodiscard]] std::vector<std::uint64_t> guild_ids(std::uint32_t shard_id, std::uint32_t shard_count) const;

  // -- gateway control -------------------------------------------------------

  /// Sends dispatch `t` with data `d_json` to the current session of
  /// `shard_id` (kept for replay while the shard is disconnected).
  void dispatch(std::uint32_t shard_id, std::string t, std::string d_json);
  /// Closes the shard's connection with `code`.
  void close_shard(std::uint32_t shard_id, std::uint16_t code, std::string reason = {});
  /// Drops the shard's TCP connection without a close frame.
  void drop_shard(std::uint32_t shard_id);
  /// Sends op 7.
  void send_reconnect(std::uint32_t shard_id);
  /// Sends op 9 with `resumable`; when false the session is discarded.
  void send_invalid_session(std::uint32_t shard_id, bool resumable);
  /// Sends op 1 (asks for an immediate heartbeat).
  void request_heartbeat(std::uint32_t shard_id);
  /// Turns heartbeat ACKs on or off.
  void set_ack_heartbeats(bool ack);

  // -- REST control ----------------------------------------------------------

  /// Answers the next `count` REST requests with 429 (`retry_after` seconds,
  /// global or user scope) instead of handling them.
  void fail_next_requests(std::size_t count, double retry_after, bool global = false);

  // -- inspection ----------------------------------------------------------------

  /// REST requests received, in order.
  [[nodiscard]] std::vector<fake_rest_request> requests() const;
  /// IDENTIFYs accepted, in order.
  [[nodiscard]] std::vector<fake_identify> identifies() const;
  /// Gateway payloads received from clients, in order.
  [[nodiscard]] std::vector<fake_gateway_receipt> received() const;
  /// RESUMEs accepted.
  [[nodiscard]] std::size_t resumes() const;
  /// Heartbeats received.
  [[nodiscard]] std::size_t heartbeats() const;
  /// 429 answers sent (forced ones included).
  [[nodiscard]] std::size_t rate_limited() const;
  /// Gateway connections accepted so far.
  [[nodiscard]] std::size_t connections() const;
  /// The close code the client sent on the shard's last closed connection.
  [[nodiscard]] std::optional<std::uint16_t> last_client_close_code(std::uint32_t shard_id) const;
  /// True while the shard has a connection with an identified/resumed session.
  [[nodiscard]] bool shard_connected(std::uint32_t shard_id) const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace musicbot::testing
