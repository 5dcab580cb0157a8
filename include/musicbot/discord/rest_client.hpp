#pragma once
/// @file
/// Discord REST client: keep-alive pool (musicbot::net::http_client), bot
/// token authentication, bucket/global rate limits, 429 handling, safe
/// retries and the endpoints a music bot uses.

#include "musicbot/core/secret.hpp"
#include "musicbot/discord/commands.hpp"
#include "musicbot/discord/error.hpp"
#include "musicbot/discord/identify.hpp"
#include "musicbot/discord/rest_rate_limit.hpp"
#include "musicbot/net/http_types.hpp"
#include "musicbot/net/tls.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace spdlog {
class logger;
}  // namespace spdlog

namespace musicbot::discord {

/// Settings of a rest_client.
struct rest_options {
  /// API base URL. Tests and the offline demo point it at the fake
  /// (`http://127.0.0.1:PORT/api/v10`); TLS follows the scheme.
  std::string base_url = "https://discord.com/api/v10";
  core::secret token;  ///< the bot token (sent as `Authorization: Bot …`, never logged)
  /// User-Agent per Discord's rule: `DiscordBot ($url, $version)`.
  std::string user_agent = "DiscordBot (https://example.invalid/musicbot, 0.1.0)";
  std::chrono::milliseconds timeout{15'000};           ///< per HTTP exchange
  std::chrono::milliseconds max_rate_limit_wait{60'000};  ///< fail with rate_limited instead of waiting longer
  std::size_t max_connections = 8;                     ///< keep-alive pool size
  unsigned max_retries = 3;                            ///< 429s, and 5xx/transport errors of idempotent methods
  std::size_t max_response_bytes = std::size_t{8} << 20;  ///< response body cap
  rest_rate_limit_options rate_limits;                 ///< limiter settings
  net::tls_options tls;                                ///< certificate verification
  std::shared_ptr<spdlog::logger> logger;              ///< default: "musicbot.discord"
};

/// A REST response.
struct rest_response {
  unsigned status = 0;       ///< HTTP status
  std::string body;          ///< response body (JSON or empty)
  net::http_headers headers; ///< response headers
};

/// `GET /gateway/bot`.
struct gateway_bot_info {
  std::string url;                   ///< gateway URL, e.g. "wss://gateway.discord.gg"
  std::uint32_t shards = 1;          ///< recommended shard count
  session_start_limit limit;         ///< identify budget and max_concurrency
};

/// Counters for metrics and tests.
struct rest_stats {
  std::uint64_t requests = 0;        ///< HTTP exchanges sent
  std::uint64_t rate_limited = 0;    ///< 429 responses received
  std::uint64_t retries = 0;         ///< requests sent again
  std::uint64_t waits = 0;           ///< times a request waited for a rate limit before sending
};

/// The Discord REST API for one bot token.
///
/// Every request goes through the rate limiter: a request on a route waits
/// (bounded by max_rate_limit_wait) until its bucket and the global limit
/// allow it; requests on one route go one at a time so `Remaining` stays
/// exact. A 429 records the wait and the request is retried; 5xx and
/// transport errors are retried only for GET/PUT/DELETE. Non-2xx answers
/// complete with error::http_error and the response.
///
/// @par Thread safety
/// Use from one executor (the io_context's thread or a strand).
class rest_client {
 public:
  /// The executor type.
  using executor_type = boost::asio::any_io_executor;
  /// The completion signature of requests.
  using request_signature = void(boost::system::error_code, rest_response);

  /// A client; throws std::invalid_argument for a bad base_url.
  rest_client(executor_type executor, rest_options options);
  /// Releases the client; requests in flight still complete (they keep the
  /// internals alive until their handlers ran).
  ~rest_client();
  rest_client(const rest_client&) = delete;             ///< Not copyable.
  rest_client& operator=(const rest_client&) = delete;  ///< Not copyable.

  /// Sends `method` `path` (relative to the base URL, e.g.
  /// "/channels/1/messages") with a JSON `body` (may be empty).
  /// Completion signature: `void(error_code, rest_response)`.
  template <class CompletionToken>
  auto async_request(std::string method, std::string path, std::string body, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, request_signature>(
        [this](auto h, std::string m, std::string p, std::string b) {
          initiate(std::move(m), std::move(p), std::move(b), std::move(h));
        },
        token, std::move(method), std::move(path), std::move(body));
  }

  /// `GET /gateway/bot`. Completion signature: `void(error_code, gateway_bot_info)`.
  template <class CompletionToken>
  auto async_get_gateway_bot(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code, gateway_bot_info)>(
        [this](auto h) { initiate_gateway_bot(std::move(h)); }, token);
  }

  /// `PUT /applications/{app}/commands`: replaces all global commands.
  template <class CompletionToken>
  auto async_bulk_overwrite_global_commands(snowflake application_id, const std::vector<application_command>& commands,
                                            CompletionToken&& token) {
    return async_request("PUT", "/applications/" + std::to_string(application_id) + "/commands",
                         commands_body(commands), std::forward<CompletionToken>(token));
  }
  /// `PUT /applications/{app}/guilds/{guild}/commands`: replaces a guild's commands.
  template <class CompletionToken>
  auto async_bulk_overwrite_guild_commands(snowflake application_id, snowflake guild_id,
                                           const std::vector<application_command>& commands, CompletionToken&& token) {
    return async_request("PUT",
                         "/applications/" + std::to_string(application_id) + "/guilds/" + std::to_string(guild_id) +
                             "/commands",
                         commands_body(commands), std::forward<CompletionToken>(token));
  }
  /// `POST /interactions/{id}/{token}/callback` (message, defer 5/6, update 7, autocomplete 8).
  template <class CompletionToken>
  auto async_create_interaction_response(snowflake interaction_id, const std::string& interaction_token,
                                         const interaction_response& response, CompletionToken&& token) {
    return async_request("POST",
                         "/interactions/" + std::to_string(interaction_id) + "/" + interaction_token + "/callback",
                         body_of(response), std::forward<CompletionToken>(token));
  }
  /// `PATCH /webhooks/{app}/{token}/messages/@original`: fills in a deferred response.
  template <class CompletionToken>
  auto async_edit_original_response(snowflake application_id, const std::string& interaction_token,
                                    const message_content& message, CompletionToken&& token) {
    return async_request("PATCH", webhook_path(application_id, interaction_token) + "/messages/@original",
                         body_of(message), std::forward<CompletionToken>(token));
  }
  /// `POST /webhooks/{app}/{token}`: a follow-up message (valid 15 min).
  template <class CompletionToken>
  auto async_create_followup(snowflake application_id, const std::string& interaction_token,
                             const message_content& message, CompletionToken&& token) {
    return async_request("POST", webhook_path(application_id, interaction_token), body_of(message),
                         std::forward<CompletionToken>(token));
  }
  /// `PATCH /webhooks/{app}/{token}/messages/{id}`: edits a follow-up.
  template <class CompletionToken>
  auto async_edit_followup(snowflake application_id, const std::string& interaction_token, snowflake message_id,
                           const message_content& message, CompletionToken&& token) {
    return async_request("PATCH",
                         webhook_path(application_id, interaction_token) + "/messages/" + std::to_string(message_id),
                         body_of(message), std::forward<CompletionToken>(token));
  }
  /// `DELETE /webhooks/{app}/{token}/messages/{id}`: deletes a follow-up.
  template <class CompletionToken>
  auto async_delete_followup(snowflake application_id, const std::string& interaction_token, snowflake message_id,
                             CompletionToken&& token) {
    return async_request("DELETE",
                         webhook_path(application_id, interaction_token) + "/messages/" + std::to_string(message_id),
                         std::string(), std::forward<CompletionToken>(token));
  }
  /// `POST /channels/{id}/messages`.
  template <class CompletionToken>
  auto async_create_message(snowflake channel_id, const message_content& message, CompletionToken&& token) {
    return async_request("POST", "/channels/" + std::to_string(channel_id) + "/messages", body_of(message),
                         std::forward<CompletionToken>(token));
  }
  /// `PATCH /channels/{id}/messages/{message}`.
  template <class CompletionToken>
  auto async_edit_message(snowflake channel_id, snowflake message_id, const message_content& message,
                          CompletionToken&& token) {
    return async_request("PATCH",
                         "/channels/" + std::to_string(channel_id) + "/messages/" + std::to_string(message_id),
                         body_of(message), std::forward<CompletionToken>(token));
  }

  /// Counters.
  [[nodiscard]] rest_stats stats() const noexcept;
  /// The executor requests run on.
  [[nodiscard]] executor_type get_executor() const noexcept;

 private:
  static std::string commands_body(const std::vector<application_command>& commands);
  static std::string body_of(const interaction_response& response);
  static std::string body_of(const message_content& message);
  static std::string webhook_path(snowflake application_id, const std::string& token);
  void initiate(std::string method, std::string path, std::string body,
                boost::asio::any_completion_handler<request_signature> handler);
  void initiate_gateway_bot(
      boost::asio::any_completion_handler<void(boost::system::error_code, gateway_bot_info)> handler);

  struct impl;
  std::shared_ptr<impl> impl_;
};

/// Parses a `GET /gateway/bot` body.
[[nodiscard]] boost::system::result<gateway_bot_info> parse_gateway_bot(std::string_view json);

}  // namespace musicbot::discord
