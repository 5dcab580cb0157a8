#pragma once
/// @file
/// `musicbot::redis::reply_parser`: incremental RESP2 parser built on
/// hiredis' `redisReader` (only its reader; the connection is ours), with
/// hard limits so a hostile or broken server cannot make memory grow without
/// bound.

#include <musicbot/redis/reply.hpp>

#include <boost/system/result.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>

namespace musicbot::redis {

/// Limits applied while parsing one reply.
struct reply_limits {
  /// Maximum bytes buffered for one incomplete reply and the total size of
  /// the strings in one reply.
  std::size_t max_reply_bytes = 64U * 1024U * 1024U;
  /// Maximum number of values (array elements at every depth) in one reply.
  std::size_t max_reply_elements = 1024U * 1024U;
};

/// Feeds bytes in, takes complete replies out, in order.
///
/// @code
/// redis::reply_parser parser;
/// if (auto ec = parser.feed(bytes)) return ec;
/// for (;;) {
///   auto next = parser.next();
///   if (!next) return next.error();     // protocol_error / reply_too_large
///   if (!*next) break;                  // need more bytes
///   use(**next);
/// }
/// @endcode
///
/// After an error the parser stays failed: the stream cannot be resynchronised
/// and the connection must be dropped.
///
/// @par Thread safety
/// One object must not be used concurrently.
class reply_parser {
 public:
  /// A parser with the given limits.
  explicit reply_parser(reply_limits limits = {});
  /// Releases the hiredis reader.
  ~reply_parser();
  reply_parser(const reply_parser&) = delete;             ///< Not copyable.
  reply_parser& operator=(const reply_parser&) = delete;  ///< Not copyable.
  /// Moves the parser state.
  reply_parser(reply_parser&& other) noexcept;
  /// Moves the parser state.
  reply_parser& operator=(reply_parser&& other) noexcept;

  /// Appends received bytes. Fails with error::reply_too_large when more than
  /// `max_reply_bytes` would wait unparsed, or with the earlier error if the
  /// parser already failed.
  boost::system::error_code feed(std::string_view bytes);

  /// The next complete reply; `std::nullopt` when more bytes are needed;
  /// error::protocol_error or error::reply_too_large on bad input.
  [[nodiscard]] boost::system::result<std::optional<reply>> next();

  /// Bytes fed but not yet consumed by a complete reply.
  [[nodiscard]] std::size_t buffered() const noexcept;

  /// True once the parser hit an error.
  [[nodiscard]] bool failed() const noexcept;

  /// Drops all state and starts afresh (used after a reconnect).
  void reset();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace musicbot::redis
