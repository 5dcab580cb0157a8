#pragma once
/// @file
/// `omissible<T>`: a field of a partial update that is absent (leave
/// unchanged), `null` (clear) or a value (set) — Lavalink's tri-state fields.

#include <cstddef>
#include <utility>
#include <variant>

namespace musicbot::lavalink {

/// A tri-state field: absent, null, or a value of `T`.
///
/// Default-constructed it is absent, so a partial update built field by field
/// only sends what was set. Assign `nullptr` for an explicit JSON `null`.
///
/// @par Thread safety
/// A value type.
template <class T>
class omissible {
 public:
  /// Absent: the field is not sent, the setting stays as it is.
  constexpr omissible() noexcept = default;
  /// Null: the field is sent as JSON `null` and clears the setting.
  constexpr omissible(std::nullptr_t) noexcept : state_(std::in_place_index<1>) {}  // NOLINT
  /// A value: the field is sent and sets the setting.
  template <class U = T, class = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                                  !std::is_same_v<std::decay_t<U>, omissible> &&
                                                  !std::is_same_v<std::decay_t<U>, std::nullptr_t>>>
  constexpr omissible(U&& value) : state_(std::in_place_index<2>, std::forward<U>(value)) {}  // NOLINT

  /// An explicit null.
  [[nodiscard]] static constexpr omissible null() noexcept { return omissible(nullptr); }

  /// True when the field is absent.
  [[nodiscard]] constexpr bool is_absent() const noexcept { return state_.index() == 0; }
  /// True when the field is present and null.
  [[nodiscard]] constexpr bool is_null() const noexcept { return state_.index() == 1; }
  /// True when the field holds a value.
  [[nodiscard]] constexpr bool has_value() const noexcept { return state_.index() == 2; }
  /// True when the field is present (null or a value).
  [[nodiscard]] constexpr bool is_present() const noexcept { return state_.index() != 0; }

  /// The value; throws `std::bad_variant_access` unless has_value().
  [[nodiscard]] constexpr const T& value() const& { return std::get<2>(state_); }
  /// The value, mutable; throws `std::bad_variant_access` unless has_value().
  [[nodiscard]] constexpr T& value() & { return std::get<2>(state_); }
  /// Unchecked access; the caller has tested has_value().
  [[nodiscard]] constexpr const T& operator*() const& noexcept { return *std::get_if<2>(&state_); }
  /// Unchecked member access; the caller has tested has_value().
  [[nodiscard]] constexpr const T* operator->() const noexcept { return std::get_if<2>(&state_); }

  /// Makes the field absent again.
  constexpr void reset() noexcept { state_.template emplace<0>(); }

  /// Equal when both are absent, both null, or both hold equal values.
  friend constexpr bool operator==(const omissible&, const omissible&) = default;

 private:
  struct absent_t {
    friend constexpr bool operator==(absent_t, absent_t) noexcept { return true; }
  };
  struct null_t {
    friend constexpr bool operator==(null_t, null_t) noexcept { return true; }
  };
  std::variant<absent_t, null_t, T> state_;
};

}  // namespace musicbot::lavalink
