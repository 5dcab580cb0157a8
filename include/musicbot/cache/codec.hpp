#pragma once
/// @file
/// How keys and values cross L2 and the backplane: a codec of four
/// functions, with ready-made key codecs and Boost.JSON value helpers.

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <charconv>
#include <concepts>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace musicbot::cache {

/// Encodes keys and values to strings and back. Decoders return
/// `std::nullopt` for malformed input (never throw): a bad L2 payload is
/// treated as a miss and counted as an L2 error.
template <class Key, class Value>
struct codec {
  std::function<std::string(const Key&)> encode_key;                    ///< Key to string.
  std::function<std::optional<Key>(std::string_view)> decode_key;        ///< String to key.
  std::function<std::string(const Value&)> encode_value;                 ///< Value to payload.
  std::function<std::optional<Value>(std::string_view)> decode_value;    ///< Payload to value.

  /// True if all four functions are set.
  [[nodiscard]] bool complete() const noexcept {
    return encode_key && decode_key && encode_value && decode_value;
  }
};

/// Key encoding for integers (decimal) and strings (as is).
template <class Key>
struct key_codec {
  /// Decimal or verbatim text of `key`.
  static std::string encode(const Key& key) {
    if constexpr (std::is_integral_v<Key>) {
      return std::to_string(key);
    } else {
      return std::string(key);
    }
  }
  /// The key written by encode(), or std::nullopt.
  static std::optional<Key> decode(std::string_view text) {
    if constexpr (std::is_integral_v<Key>) {
      Key key{};
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), key);
      if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
      return key;
    } else {
      return Key(text);
    }
  }
};

/// Serialises `value` with `boost::json::value_from` (the type needs a
/// `tag_invoke(value_from_tag, ...)` overload or to be a described/standard type).
template <class Value>
[[nodiscard]] std::string json_encode(const Value& value) {
  return boost::json::serialize(boost::json::value_from(value));
}

/// Parses `payload` with `boost::json::value_to<Value>`; std::nullopt on
/// malformed JSON or a shape that does not convert.
template <class Value>
[[nodiscard]] std::optional<Value> json_decode(std::string_view payload) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(payload, ec);
  if (ec) return std::nullopt;
  try {
    return boost::json::value_to<Value>(v);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

/// A codec with key_codec for the key and JSON for the value.
template <class Key, class Value>
[[nodiscard]] codec<Key, Value> json_codec() {
  return codec<Key, Value>{&key_codec<Key>::encode, &key_codec<Key>::decode, &json_encode<Value>,
                           &json_decode<Value>};
}

}  // namespace musicbot::cache
