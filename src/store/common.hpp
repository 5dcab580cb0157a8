#pragma once
// Internal helpers shared by the store backends (not installed).

#include <musicbot/queue/guild_settings.hpp>
#include <musicbot/store/repository.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

#include <spdlog/logger.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <memory>

namespace musicbot::store::detail {

namespace asio = boost::asio;

inline std::int64_t to_db(std::uint64_t v) noexcept { return static_cast<std::int64_t>(v); }
inline std::uint64_t from_db(std::int64_t v) noexcept { return static_cast<std::uint64_t>(v); }

inline timestamp system_now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

inline std::shared_ptr<spdlog::logger> store_logger(std::shared_ptr<spdlog::logger> given) {
  if (given) return given;
  if (auto existing = spdlog::get("musicbot.store")) return existing;
  return spdlog::default_logger()->clone("musicbot.store");
}

// A handler plus a work-tracking executor to complete it on, so the
// caller's io_context keeps running while the operation is in flight.
template <class Signature>
class pending;

template <class T>
class pending<void(error_code, T)> {
 public:
  pending(handler<T> h, const asio::any_io_executor& fallback)
      : work_(asio::prefer(asio::get_associated_executor(h, fallback), asio::execution::outstanding_work.tracked)),
        fallback_(asio::prefer(fallback, asio::execution::outstanding_work.tracked)),
        handler_(std::move(h)) {}
  // Posts through the store's executor; asio then dispatches the handler
  // on its own associated executor.
  void complete(error_code ec, T value) {
    auto ex = std::move(fallback_);
    asio::post(ex, asio::append(std::move(handler_), ec, std::move(value)));
    work_ = asio::any_completion_executor();
  }

 private:
  asio::any_completion_executor work_;
  asio::any_io_executor fallback_;
  handler<T> handler_;
};

template <>
class pending<void(error_code)> {
 public:
  pending(void_handler h, const asio::any_io_executor& fallback)
      : work_(asio::prefer(asio::get_associated_executor(h, fallback), asio::execution::outstanding_work.tracked)),
        fallback_(asio::prefer(fallback, asio::execution::outstanding_work.tracked)),
        handler_(std::move(h)) {}
  void complete(error_code ec) {
    auto ex = std::move(fallback_);
    asio::post(ex, asio::append(std::move(handler_), ec));
    work_ = asio::any_completion_executor();
  }

 private:
  asio::any_completion_executor work_;
  asio::any_io_executor fallback_;
  void_handler handler_;
};

inline error_code check_settings(const queue::guild_settings& s) {
  return queue::validate(s) ? error_code{} : error_code(error::invalid_argument);
}

inline error_code check_audit(const audit_entry& e) {
  if (e.command.size() > audit_limits::max_command || e.outcome.size() > audit_limits::max_outcome ||
      e.detail.size() > audit_limits::max_detail) {
    return error::value_too_large;
  }
  return {};
}

// Input rules of api_token_repository::async_create_api_token.
inline error_code check_api_token(const api_token_record& r) {
  if (!valid_api_token_id(r.id) || !valid_token_hash(r.hash) || !valid_token_label(r.label) || r.guild_id == 0 ||
      r.created_by == 0 || r.expires_at <= r.created_at) {
    return error::invalid_argument;
  }
  return {};
}

inline std::size_t track_count(const queue::queue_state& s) noexcept {
  return s.upcoming.size() + (s.current ? 1 : 0);
}

}  // namespace musicbot::store::detail
