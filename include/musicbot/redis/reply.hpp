#pragma once
/// @file
/// `musicbot::redis::reply`: one RESP2 value, and the conversions the typed
/// helpers use (`to_integer`, `to_string`, ...). Conversions never throw:
/// they return `boost::system::result` with a musicbot::redis::error.

#include <musicbot/redis/error.hpp>

#include <boost/system/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace musicbot::redis {

/// The RESP2 type of a reply.
enum class reply_type {
  nil,      ///< a null bulk string or null array
  string,   ///< a bulk string (binary safe)
  status,   ///< a simple string such as `+OK`
  error,    ///< an error reply such as `-ERR unknown command`
  integer,  ///< a 64-bit signed integer
  array,    ///< an array of replies (possibly nested)
};

/// One value received from Redis. A plain value type.
///
/// @par Thread safety
/// Distinct objects are independent; one object must not be mutated
/// concurrently.
class reply {
 public:
  /// A nil reply.
  reply() = default;

  /// A bulk string.
  [[nodiscard]] static reply make_string(std::string s) { return reply(reply_type::string, std::move(s)); }
  /// A simple string (status).
  [[nodiscard]] static reply make_status(std::string s) { return reply(reply_type::status, std::move(s)); }
  /// An error reply carrying the server's message.
  [[nodiscard]] static reply make_error(std::string s) { return reply(reply_type::error, std::move(s)); }
  /// An integer.
  [[nodiscard]] static reply make_integer(std::int64_t v) {
    reply r(reply_type::integer, {});
    r.integer_ = v;
    return r;
  }
  /// An array of `elements`.
  [[nodiscard]] static reply make_array(std::vector<reply> elements) {
    reply r(reply_type::array, {});
    r.elements_ = std::move(elements);
    return r;
  }

  /// The RESP type.
  [[nodiscard]] reply_type type() const noexcept { return type_; }
  /// True for nil.
  [[nodiscard]] bool is_nil() const noexcept { return type_ == reply_type::nil; }
  /// True for an error reply.
  [[nodiscard]] bool is_error() const noexcept { return type_ == reply_type::error; }
  /// True for an array.
  [[nodiscard]] bool is_array() const noexcept { return type_ == reply_type::array; }
  /// True for an integer.
  [[nodiscard]] bool is_integer() const noexcept { return type_ == reply_type::integer; }

  /// The text of a string, status or error reply (empty for other types).
  [[nodiscard]] const std::string& text() const noexcept { return text_; }
  /// The value of an integer reply (0 for other types).
  [[nodiscard]] std::int64_t integer() const noexcept { return integer_; }
  /// The elements of an array reply (empty for other types).
  [[nodiscard]] const std::vector<reply>& elements() const noexcept { return elements_; }
  /// @copydoc elements() const
  [[nodiscard]] std::vector<reply>& elements() noexcept { return elements_; }

  /// Structural equality.
  friend bool operator==(const reply&, const reply&) = default;

 private:
  reply(reply_type type, std::string text) : type_(type), text_(std::move(text)) {}

  reply_type type_ = reply_type::nil;
  std::int64_t integer_ = 0;
  std::string text_;
  std::vector<reply> elements_;
};

/// The error code an error reply stands for: `NOSCRIPT` -> error::noscript,
/// `WRONGPASS` / `NOAUTH` / invalid password -> error::auth_failed,
/// `WRONGTYPE` -> error::wrong_type, anything else -> error::server_error.
[[nodiscard]] boost::system::error_code classify_server_error(std::string_view message) noexcept;

/// Success for a non-error reply; the classified error for an error reply.
[[nodiscard]] boost::system::error_code reply_error(const reply& r) noexcept;

/// An integer reply, or a bulk string holding a decimal integer.
[[nodiscard]] boost::system::result<std::int64_t> to_integer(const reply& r);
/// A bulk string or status as text; nil is error::unexpected_reply.
[[nodiscard]] boost::system::result<std::string> to_string(const reply& r);
/// A bulk string or status as text, nil as `std::nullopt`.
[[nodiscard]] boost::system::result<std::optional<std::string>> to_optional_string(const reply& r);
/// Success for `+OK` (any status reply).
[[nodiscard]] boost::system::result<void> to_ok(const reply& r);
/// An array of integers (e.g. a script's return value).
[[nodiscard]] boost::system::result<std::vector<std::int64_t>> to_integers(const reply& r);

/// Renders a reply for debugging in a compact one-line form
/// (`"OK"`, `(integer) 3`, `(nil)`, `[1, "a"]`, `(error) ERR ...`).
[[nodiscard]] std::string to_debug_string(const reply& r);

}  // namespace musicbot::redis
