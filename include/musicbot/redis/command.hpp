#pragma once
/// @file
/// `musicbot::redis::command`: a RESP-encoded request, built argument by
/// argument. Arguments are binary safe; numbers are written in decimal.

#include <charconv>
#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>

namespace musicbot::redis {

/// A command ready to send (`*N\r\n$len\r\narg\r\n...`).
///
/// @code
/// redis::command cmd{"SET", key, value};
/// cmd.arg("PX").arg(5000);
/// @endcode
///
/// @par Thread safety
/// A plain value type.
class command {
 public:
  /// An empty command (add arguments with arg()).
  command() = default;
  /// A command from its arguments (strings or integers); the first is the
  /// command name. Variadic rather than an initializer_list, whose backing
  /// array GCC 12 cannot keep alive inside a `co_await` expression.
  template <class... Args>
    requires(sizeof...(Args) > 0)
  explicit command(const Args&... args) {
    (arg(args), ...);
  }

  /// Appends a binary-safe string argument.
  command& arg(std::string_view value) {
    char header[24];
    header[0] = '$';
    const auto res = std::to_chars(header + 1, header + sizeof header, value.size());
    body_.append(header, res.ptr);
    body_.append("\r\n");
    body_.append(value);
    body_.append("\r\n");
    ++count_;
    return *this;
  }
  /// Appends a string literal argument.
  command& arg(const char* value) { return arg(std::string_view(value)); }
  /// Appends a string argument.
  command& arg(const std::string& value) { return arg(std::string_view(value)); }
  /// Appends an integer argument in decimal.
  template <std::integral I>
  command& arg(I value) {
    char digits[24];
    const auto res = std::to_chars(digits, digits + sizeof digits, value);
    return arg(std::string_view(digits, static_cast<std::size_t>(res.ptr - digits)));
  }

  /// Number of arguments so far (including the command name).
  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  /// True if no argument was added.
  [[nodiscard]] bool empty() const noexcept { return count_ == 0; }

  /// Appends the RESP encoding of this command to `out`.
  void append_to(std::string& out) const {
    char header[24];
    header[0] = '*';
    const auto res = std::to_chars(header + 1, header + sizeof header, count_);
    out.append(header, res.ptr);
    out.append("\r\n");
    out.append(body_);
  }
  /// The encoded arguments without the `*N` array header (used to reuse one
  /// argument list under two command names, as EVALSHA and EVAL do).
  [[nodiscard]] const std::string& encoded_arguments() const noexcept { return body_; }

  /// The RESP encoding of this command.
  [[nodiscard]] std::string encoded() const {
    std::string out;
    out.reserve(body_.size() + 16);
    append_to(out);
    return out;
  }

 private:
  std::string body_;
  std::size_t count_ = 0;
};

}  // namespace musicbot::redis
