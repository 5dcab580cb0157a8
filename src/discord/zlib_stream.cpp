#include "musicbot/discord/zlib_stream.hpp"

#include "musicbot/discord/error.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

namespace musicbot::discord {

struct zlib_stream_inflater::impl {
  explicit impl(std::size_t cap) : max_size(cap) { init(); }
  ~impl() { end(); }
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  void init() {
    std::memset(&zs, 0, sizeof zs);
    ok = inflateInit(&zs) == Z_OK;
    broken = !ok;
  }
  void end() {
    if (ok) inflateEnd(&zs);
    ok = false;
  }

  z_stream zs{};
  bool ok = false;
  bool broken = false;
  std::size_t max_size;
  std::vector<std::uint8_t> pending;  // compressed bytes waiting for the suffix
  std::vector<char> out;              // inflated message + json_padding
};

bool ends_with_sync_flush(std::span<const std::uint8_t> bytes) noexcept {
  return bytes.size() >= 4 && std::equal(bytes.end() - 4, bytes.end(), zlib_stream_inflater::sync_flush_suffix);
}

namespace {

// True if pending + frame ends with the suffix (the suffix may straddle frames).
bool completes_message(const std::vector<std::uint8_t>& pending, std::span<const std::uint8_t> frame) noexcept {
  if (pending.size() + frame.size() < 4) return false;
  for (std::size_t i = 0; i < 4; ++i) {
    const std::size_t from_end = 4 - i;  // position counted from the end
    const std::uint8_t b = from_end <= frame.size() ? frame[frame.size() - from_end]
                                                    : pending[pending.size() - (from_end - frame.size())];
    if (b != zlib_stream_inflater::sync_flush_suffix[i]) return false;
  }
  return true;
}

}  // namespace

zlib_stream_inflater::zlib_stream_inflater(std::size_t max_message_size)
    : impl_(std::make_unique<impl>(max_message_size)) {}
zlib_stream_inflater::~zlib_stream_inflater() = default;
zlib_stream_inflater::zlib_stream_inflater(zlib_stream_inflater&&) noexcept = default;
zlib_stream_inflater& zlib_stream_inflater::operator=(zlib_stream_inflater&&) noexcept = default;

void zlib_stream_inflater::reset() {
  impl_->end();
  impl_->pending.clear();
  impl_->init();
}

std::size_t zlib_stream_inflater::pending_bytes() const noexcept { return impl_->pending.size(); }
std::size_t zlib_stream_inflater::output_capacity() const noexcept { return impl_->out.capacity(); }
std::size_t zlib_stream_inflater::max_message_size() const noexcept { return impl_->max_size; }

boost::system::result<std::optional<std::string_view>> zlib_stream_inflater::feed(std::string_view frame) {
  return feed(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(frame.data()), frame.size()));
}

boost::system::result<std::optional<std::string_view>> zlib_stream_inflater::feed(
    std::span<const std::uint8_t> frame) {
  impl& s = *impl_;
  if (s.broken) return make_error_code(error::stream_broken);
  const bool complete = completes_message(s.pending, frame);
  if (s.pending.size() + frame.size() > s.max_size) {
    s.broken = true;
    s.pending.clear();
    return make_error_code(error::message_too_large);
  }
  std::span<const std::uint8_t> input = frame;
  if (!s.pending.empty() || !complete) {
    s.pending.insert(s.pending.end(), frame.begin(), frame.end());
    if (!complete) return std::optional<std::string_view>{};
    input = s.pending;
  }

  s.zs.next_in = const_cast<Bytef*>(input.data());  // zlib's API is not const-correct
  s.zs.avail_in = static_cast<uInt>(input.size());
  std::size_t produced = 0;
  if (s.out.size() < 4096) s.out.resize(4096);
  for (;;) {
    if (s.out.size() - produced < json_padding + 1024) {
      const std::size_t grown = std::min(s.out.size() * 2, s.max_size + json_padding + 1);
      if (grown <= s.out.size()) {
        s.broken = true;
        s.pending.clear();
        return make_error_code(error::message_too_large);
      }
      s.out.reserve(grown);  // exact, so the cap also bounds the allocation
      s.out.resize(grown);
    }
    const std::size_t room = s.out.size() - produced - json_padding;
    s.zs.next_out = reinterpret_cast<Bytef*>(s.out.data() + produced);
    s.zs.avail_out = static_cast<uInt>(std::min<std::size_t>(room, std::numeric_limits<uInt>::max()));
    const uInt before = s.zs.avail_out;
    const int rc = inflate(&s.zs, Z_SYNC_FLUSH);
    produced += before - s.zs.avail_out;
    if (produced > s.max_size) {
      s.broken = true;
      s.pending.clear();
      return make_error_code(error::message_too_large);
    }
    if (rc == Z_STREAM_END) {
      // The peer finished the stream; a new message needs a new connection.
      s.broken = true;
      break;
    }
    if (rc == Z_BUF_ERROR && s.zs.avail_in == 0) break;  // all input consumed
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      s.broken = true;
      s.pending.clear();
      return make_error_code(error::inflate_failed);
    }
    if (s.zs.avail_in == 0 && s.zs.avail_out != 0) break;
  }
  s.pending.clear();
  std::memset(s.out.data() + produced, 0, json_padding);
  return std::optional<std::string_view>{std::string_view(s.out.data(), produced)};
}

}  // namespace musicbot::discord
