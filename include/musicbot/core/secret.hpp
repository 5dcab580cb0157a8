#pragma once
/// @file
/// `musicbot::core::secret`: a credential that never prints itself.

#include <algorithm>
#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace musicbot::core {

/// Holds a credential (Discord token, Lavalink password, Redis/PostgreSQL
/// password, DSN, API token). Streaming, `to_string` and the fmt formatter
/// (`musicbot/core/secret_fmt.hpp`) all print `***`; only `reveal()` gives
/// the text, so every place a secret leaves the type is greppable.
/// The buffer is overwritten before it is released.
///
/// @par Thread safety
/// Like `std::string`: concurrent reads are safe, writes are not.
class secret {
 public:
  /// What every rendering of a secret prints.
  static constexpr std::string_view mask = "***";

  /// An empty secret.
  secret() = default;
  /// Takes ownership of `value`.
  explicit secret(std::string value) noexcept : value_(std::move(value)) {}
  /// Copies the credential.
  secret(const secret&) = default;
  /// Moves the credential; `other` is left empty.
  secret(secret&& other) noexcept : value_(std::move(other.value_)) { other.wipe(); }
  /// Copies the credential, wiping the old one.
  secret& operator=(const secret& other) {
    if (this != &other) {
      wipe();
      value_ = other.value_;
    }
    return *this;
  }
  /// Moves the credential, wiping the old one; `other` is left empty.
  secret& operator=(secret&& other) noexcept {
    if (this != &other) {
      wipe();
      value_ = std::move(other.value_);
      other.wipe();
    }
    return *this;
  }
  /// Overwrites the buffer.
  ~secret() { wipe(); }

  /// The credential itself. Call only where it is sent to its destination.
  [[nodiscard]] const std::string& reveal() const noexcept { return value_; }
  /// True if no credential is held.
  [[nodiscard]] bool empty() const noexcept { return value_.empty(); }
  /// Length of the credential in bytes.
  [[nodiscard]] std::size_t size() const noexcept { return value_.size(); }

  /// Constant-time comparison (the time does not depend on where the first
  /// difference is), for checking presented tokens.
  [[nodiscard]] bool equals(std::string_view presented) const noexcept {
    const std::size_t n = std::max(value_.size(), presented.size());
    unsigned char diff = value_.size() == presented.size() ? 0 : 1;
    for (std::size_t i = 0; i < n; ++i) {
      const auto a = i < value_.size() ? static_cast<unsigned char>(value_[i]) : 0;
      const auto b = i < presented.size() ? static_cast<unsigned char>(presented[i]) : 0;
      diff = static_cast<unsigned char>(diff | (a ^ b));
    }
    return diff == 0;
  }

  /// Constant-time equality.
  friend bool operator==(const secret& a, const secret& b) noexcept { return a.equals(b.value_); }

  /// Prints `***`.
  friend std::ostream& operator<<(std::ostream& out, const secret&) { return out << mask; }

 private:
  void wipe() noexcept {
    // volatile stores are not optimised away, unlike a plain memset before free.
    volatile char* p = value_.data();
    for (std::size_t i = 0; i < value_.size(); ++i) p[i] = '\0';
    value_.clear();
  }

  std::string value_;
};

/// Always `"***"`.
[[nodiscard]] inline std::string to_string(const secret&) { return std::string(secret::mask); }

}  // namespace musicbot::core
