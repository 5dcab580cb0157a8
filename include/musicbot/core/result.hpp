#pragma once
/// @file
/// `musicbot::core::result<T>`: a value or a `std::error_code`, the return
/// type of every fallible synchronous function in the core layer.
///
/// Components above core use `boost::system::result<T>`, which converts from
/// a `std::error_code` too. Parsers return a result and never throw on bad
/// input; `value()` on an error is a programmer error and throws
/// `std::system_error`.

#include <musicbot/core/error.hpp>

#include <cassert>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace musicbot::core {

/// A value of type `T` or the error that prevented it.
///
/// @par Thread safety
/// Like any value type: distinct objects are independent; one object must
/// not be mutated concurrently.
template <class T>
class [[nodiscard]] result {
  static_assert(!std::is_reference_v<T>, "result<T&> is not supported");

 public:
  using value_type = T;  ///< The type of the value.

  /// Holds a value.
  template <class U = T,
            class = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                     !std::is_same_v<std::decay_t<U>, result> &&
                                     !std::is_same_v<std::decay_t<U>, std::error_code> &&
                                     !std::is_error_code_enum_v<std::decay_t<U>>>>
  result(U&& value) : state_(std::in_place_index<0>, std::forward<U>(value)) {}  // NOLINT(google-explicit-constructor)

  /// Holds an error; `ec` must not be a success code.
  result(std::error_code ec) : state_(std::in_place_index<1>, ec) {  // NOLINT(google-explicit-constructor)
    assert(ec && "a result error must not be success");
  }

  /// Holds an error from any error code enum (e.g. `core::error::not_found`).
  template <class E, class = std::enable_if_t<std::is_error_code_enum_v<E>>>
  result(E e) : result(std::error_code(make_error_code(e))) {}  // NOLINT(google-explicit-constructor)

  /// True if this holds a value.
  [[nodiscard]] bool has_value() const noexcept { return state_.index() == 0; }
  /// True if this holds an error.
  [[nodiscard]] bool has_error() const noexcept { return state_.index() == 1; }
  /// Same as has_value().
  explicit operator bool() const noexcept { return has_value(); }

  /// The value; throws `std::system_error` if this holds an error.
  [[nodiscard]] T& value() & { check(); return std::get<0>(state_); }
  /// @copydoc value()
  [[nodiscard]] const T& value() const& { check(); return std::get<0>(state_); }
  /// @copydoc value()
  [[nodiscard]] T&& value() && { check(); return std::get<0>(std::move(state_)); }

  /// The error, or a default (success) code if this holds a value.
  [[nodiscard]] std::error_code error() const noexcept {
    return has_error() ? std::get<1>(state_) : std::error_code{};
  }

  /// Unchecked access; the caller has tested `has_value()`.
  [[nodiscard]] T& operator*() & noexcept { return *std::get_if<0>(&state_); }
  /// @copydoc operator*()
  [[nodiscard]] const T& operator*() const& noexcept { return *std::get_if<0>(&state_); }
  /// Unchecked member access; the caller has tested `has_value()`.
  [[nodiscard]] T* operator->() noexcept { return std::get_if<0>(&state_); }
  /// @copydoc operator->()
  [[nodiscard]] const T* operator->() const noexcept { return std::get_if<0>(&state_); }

  /// The value, or `fallback` if this holds an error.
  template <class U>
  [[nodiscard]] T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(state_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  void check() const {
    if (has_error()) throw std::system_error(std::get<1>(state_));
  }

  std::variant<T, std::error_code> state_;
};

/// `result<void>`: success, or the error that happened.
template <>
class [[nodiscard]] result<void> {
 public:
  using value_type = void;  ///< No value.

  /// Success.
  result() noexcept = default;
  /// An error; `ec` must not be a success code.
  result(std::error_code ec) noexcept : ec_(ec) {}  // NOLINT(google-explicit-constructor)
  /// An error from any error code enum.
  template <class E, class = std::enable_if_t<std::is_error_code_enum_v<E>>>
  result(E e) noexcept : ec_(make_error_code(e)) {}  // NOLINT(google-explicit-constructor)

  /// True on success.
  [[nodiscard]] bool has_value() const noexcept { return !ec_; }
  /// True on error.
  [[nodiscard]] bool has_error() const noexcept { return static_cast<bool>(ec_); }
  /// Same as has_value().
  explicit operator bool() const noexcept { return has_value(); }
  /// Throws `std::system_error` if this holds an error.
  void value() const {
    if (ec_) throw std::system_error(ec_);
  }
  /// The error, or a success code.
  [[nodiscard]] std::error_code error() const noexcept { return ec_; }

 private:
  std::error_code ec_;
};

}  // namespace musicbot::core
