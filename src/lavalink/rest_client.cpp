#include <musicbot/lavalink/rest_client.hpp>
#include <musicbot/lavalink/observer.hpp>
#include <musicbot/net/error.hpp>

#include "logging.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>

namespace musicbot::lavalink {

std::string_view to_string(rest_operation operation) noexcept {
  switch (operation) {
    case rest_operation::load_tracks: return "load_tracks";
    case rest_operation::decode_track: return "decode_track";
    case rest_operation::decode_tracks: return "decode_tracks";
    case rest_operation::get_players: return "get_players";
    case rest_operation::get_player: return "get_player";
    case rest_operation::update_player: return "update_player";
    case rest_operation::destroy_player: return "destroy_player";
    case rest_operation::update_session: return "update_session";
    case rest_operation::info: return "info";
    case rest_operation::version: return "version";
    case rest_operation::stats: return "stats";
    case rest_operation::route_planner_status: return "route_planner_status";
    case rest_operation::unmark_address: return "unmark_address";
    case rest_operation::unmark_all: return "unmark_all";
  }
  return "unknown";
}

std::string_view to_string(rest_outcome outcome) noexcept {
  switch (outcome) {
    case rest_outcome::success: return "success";
    case rest_outcome::client_error: return "client_error";
    case rest_outcome::server_error: return "server_error";
    case rest_outcome::timeout: return "timeout";
    case rest_outcome::network_error: return "network_error";
    case rest_outcome::breaker_open: return "breaker_open";
    case rest_outcome::cancelled: return "cancelled";
  }
  return "unknown";
}

namespace detail {
boost::system::result<load_result> parse_reply(std::string_view body, const load_result*) {
  return parse_load_result(body);
}
boost::system::result<track> parse_reply(std::string_view body, const track*) { return parse_track(body); }
boost::system::result<std::vector<track>> parse_reply(std::string_view body, const std::vector<track>*) {
  return parse_tracks(body);
}
boost::system::result<player> parse_reply(std::string_view body, const player*) { return parse_player(body); }
boost::system::result<std::vector<player>> parse_reply(std::string_view body, const std::vector<player>*) {
  return parse_players(body);
}
boost::system::result<session_info> parse_reply(std::string_view body, const session_info*) {
  return parse_session_info(body);
}
boost::system::result<node_info> parse_reply(std::string_view body, const node_info*) {
  return parse_node_info(body);
}
boost::system::result<node_stats> parse_reply(std::string_view body, const node_stats*) {
  return parse_node_stats(body);
}
boost::system::result<route_planner_status> parse_reply(std::string_view body, const route_planner_status*) {
  if (body.empty()) return route_planner_status{std::nullopt, "null"};  // 204: no planner configured
  return parse_route_planner_status(body);
}
boost::system::result<std::string> parse_reply(std::string_view body, const std::string*) {
  return std::string(body);
}
boost::system::result<rest_reply> parse_reply(std::string_view body, const rest_reply*) {
  return rest_reply{200, std::string(body)};
}
}  // namespace detail

namespace {

net::http_client_options http_options(const rest_options& o) {
  net::http_client_options h;
  h.base_url = o.base_url;
  h.max_connections = o.max_connections;
  h.default_timeout = o.timeout;
  h.user_agent = "musicbot-lavalink/0.1";
  return h;
}

// Per-call state: the breaker outlives the permit (declared first).
struct call_state {
  std::shared_ptr<core::circuit_breaker<>> breaker;
  core::circuit_breaker<>::permit permit;
  std::chrono::steady_clock::time_point start;
  std::string method;
  std::string target;
  rest_operation op = rest_operation::info;
  std::shared_ptr<observer> watcher;  // may outlive the client
  std::string node_name;

  void report(rest_outcome outcome, std::chrono::steady_clock::duration elapsed) const {
    if (watcher) {
      watcher->on_rest_request(node_name, op, outcome,
                               std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed));
    }
  }
};

rest_outcome outcome_of(boost::system::error_code ec) {
  if (ec == boost::asio::error::operation_aborted) return rest_outcome::cancelled;
  if (ec == net::error::timeout || ec == boost::asio::error::timed_out) return rest_outcome::timeout;
  return rest_outcome::network_error;
}

rest_outcome outcome_of(unsigned status) {
  if (status >= 200 && status < 300) return rest_outcome::success;
  if (status >= 400 && status < 500) return rest_outcome::client_error;
  return rest_outcome::server_error;
}

}  // namespace

rest_client::rest_client(executor_type executor, rest_options options)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      http_(std::make_unique<net::http_client>(executor_, http_options(options_))),
      breaker_(std::make_shared<core::circuit_breaker<>>(options_.breaker)),
      logger_(options_.logger ? options_.logger : detail::default_logger()),
      alive_(std::make_shared<bool>(true)) {}

rest_client::~rest_client() { *alive_ = false; }

std::string rest_client::url_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

boost::system::result<std::string> rest_client::serialize_update(const player_update& update) {
  auto obj = to_json(update);
  if (!obj) return obj.error();
  return boost::json::serialize(*obj);
}

std::string rest_client::serialize_session(const session_update& update) {
  return boost::json::serialize(to_json(update));
}

std::string rest_client::json_array(const std::vector<std::string>& values) {
  boost::json::array arr(values.begin(), values.end());
  return boost::json::serialize(arr);
}

std::string rest_client::address_body(std::string_view address) {
  return boost::json::serialize(boost::json::object{{"address", address}});
}

std::string rest_client::session_path(std::string_view session_id) {
  return "/v4/sessions/" + url_encode(session_id);
}

std::string rest_client::player_path(std::string_view session_id, std::string_view guild_id) {
  return session_path(session_id) + "/players/" + url_encode(guild_id);
}

void rest_client::post_error(boost::system::error_code ec, raw_handler handler) {
  boost::asio::post(executor_, [h = std::move(handler), ec]() mutable { std::move(h)(ec, std::string{}); });
}

void rest_client::initiate(rest_operation op, std::string method, std::string target, std::string body,
                           raw_handler handler) {
  auto permit = breaker_->try_acquire();
  if (!permit) {
    logger_->warn("lavalink REST {} {}: circuit breaker open", method, target);
    if (options_.observer) {
      options_.observer->on_rest_request(options_.node_name, op, rest_outcome::breaker_open,
                                         std::chrono::nanoseconds::zero());
    }
    post_error(error::breaker_open, std::move(handler));
    return;
  }
  net::http_request req;
  req.method = method;
  req.target = target;
  req.timeout = options_.timeout;
  net::set_header(req.headers, "Authorization", options_.password.reveal());
  if (!body.empty()) {
    net::set_header(req.headers, "Content-Type", "application/json");
    req.body = std::move(body);
  }
  auto state = std::make_shared<call_state>(call_state{breaker_, std::move(permit),
                                                      std::chrono::steady_clock::now(), std::move(method),
                                                      std::move(target), op, options_.observer,
                                                      options_.node_name});
  auto slot = boost::asio::get_associated_cancellation_slot(handler);
  http_->async_request(
      std::move(req),
      boost::asio::bind_cancellation_slot(
          slot, [this, alive = alive_, state, h = std::move(handler)](boost::system::error_code ec,
                                                                       net::http_response resp) mutable {
            const auto elapsed = std::chrono::steady_clock::now() - state->start;
            if (!*alive) {  // the client is gone: report without touching it
              state->permit.release();
              state->report(rest_outcome::cancelled, elapsed);
              std::move(h)(ec ? ec : make_error_code(error::not_connected), std::string{});
              return;
            }
            if (ec) {
              state->permit.failure(elapsed);
              state->report(outcome_of(ec), elapsed);
              logger_->warn("lavalink REST {} {} failed: {}", state->method, state->target, ec.message());
              std::move(h)(ec, std::string{});
              return;
            }
            if (resp.status >= 500) {
              state->permit.failure(elapsed);
            } else {
              state->permit.success(elapsed);
            }
            state->report(outcome_of(resp.status), elapsed);
            if (resp.status >= 200 && resp.status < 300) {
              std::move(h)(boost::system::error_code{}, std::move(resp.body));
              return;
            }
            auto err = parse_rest_error(resp.body);
            rest_error detail = err ? *err : rest_error{};
            detail.status = resp.status;
            if (detail.path.empty()) detail.path = state->target;
            if (detail.message.empty()) detail.message = resp.body.substr(0, 200);
            logger_->warn("lavalink REST {} {} -> {} {}: {} (path {})", state->method, state->target,
                          resp.status, detail.error, detail.message, detail.path);
            boost::system::error_code out = error::http_status;
            if (resp.status == 400 && detail.message.find("channelId") != std::string::npos) {
              out = error::missing_channel_id;
            } else if (resp.status == 404 && state->target.find("/players/") != std::string::npos &&
                       detail.message.find("Session") == std::string::npos) {
              out = error::player_not_found;
            }
            last_error_ = std::move(detail);
            std::move(h)(out, std::string{});
          }));
}

}  // namespace musicbot::lavalink
