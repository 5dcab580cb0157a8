#pragma once
/// @file
/// The gateway's `compress=zlib-stream` transport compression.

#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

namespace musicbot::discord {

/// Bytes of readable slack kept after every inflated message, so the JSON
/// parser (simdjson) can read it in place without a copy.
inline constexpr std::size_t json_padding = 64;

/// Inflates one gateway connection's zlib-stream.
///
/// Discord compresses a whole connection with one zlib context and ends every
/// gateway message with a sync flush (`00 00 ff ff`). Frames are buffered
/// until a frame ends with that suffix; only then is the buffer inflated, in
/// order, with the connection's single context. Create a new inflater (or
/// call reset()) for every new connection.
///
/// Both the buffered compressed bytes and the inflated message are capped at
/// `max_message_size`; a larger message fails with error::message_too_large.
/// After any error the context is unusable (error::stream_broken) until
/// reset(): the connection must be replaced.
///
/// @par Thread safety
/// Not thread-safe; one inflater per connection.
class zlib_stream_inflater {
 public:
  /// The suffix that ends every complete message.
  static constexpr std::uint8_t sync_flush_suffix[4] = {0x00, 0x00, 0xff, 0xff};
  /// The default cap: 16 MiB (a large GUILD_CREATE is a few MiB).
  static constexpr std::size_t default_max_message_size = std::size_t{16} << 20;

  /// An inflater whose messages may be at most `max_message_size` bytes.
  explicit zlib_stream_inflater(std::size_t max_message_size = default_max_message_size);
  /// Releases the zlib context.
  ~zlib_stream_inflater();
  /// Moves the context.
  zlib_stream_inflater(zlib_stream_inflater&&) noexcept;
  /// Moves the context.
  zlib_stream_inflater& operator=(zlib_stream_inflater&&) noexcept;
  zlib_stream_inflater(const zlib_stream_inflater&) = delete;             ///< Not copyable.
  zlib_stream_inflater& operator=(const zlib_stream_inflater&) = delete;  ///< Not copyable.

  /// Appends one WebSocket message's bytes. Returns the inflated gateway
  /// message when `frame` completes one (it ends with `00 00 ff ff`), an
  /// empty optional when more frames are needed, or an error.
  ///
  /// The returned view stays valid until the next feed() or reset(), and at
  /// least json_padding readable bytes follow it.
  [[nodiscard]] boost::system::result<std::optional<std::string_view>> feed(std::span<const std::uint8_t> frame);
  /// Same as the span overload, for bytes held in a string.
  [[nodiscard]] boost::system::result<std::optional<std::string_view>> feed(std::string_view frame);

  /// Forgets all state and starts a fresh zlib context (new connection).
  void reset();

  /// Compressed bytes buffered while waiting for the suffix.
  [[nodiscard]] std::size_t pending_bytes() const noexcept;
  /// Capacity of the output buffer (grows to the largest message seen).
  [[nodiscard]] std::size_t output_capacity() const noexcept;
  /// The configured cap.
  [[nodiscard]] std::size_t max_message_size() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// True if `bytes` ends with the zlib sync-flush suffix `00 00 ff ff`.
[[nodiscard]] bool ends_with_sync_flush(std::span<const std::uint8_t> bytes) noexcept;

}  // namespace musicbot::discord
