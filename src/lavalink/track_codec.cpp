// Lavalink's track message: a 4-byte header (flags in the top 2 bits, size in
// the low 30), an optional version byte, then Java DataOutput fields.
#include <musicbot/lavalink/track_codec.hpp>

#include <array>
#include <cstring>

namespace musicbot::lavalink {
namespace {

constexpr std::uint32_t versioned_flag = 1;
constexpr std::uint32_t size_mask = 0x3FFFFFFFu;

constexpr std::array<std::int8_t, 256> make_decode_table() {
  std::array<std::int8_t, 256> table{};
  for (auto& v : table) v = -1;
  constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  }
  return table;
}
constexpr auto decode_table = make_decode_table();
constexpr std::string_view encode_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Reads big-endian Java DataInput fields; every read checks the bounds.
class reader {
 public:
  reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  [[nodiscard]] std::size_t remaining() const noexcept { return size_ - pos_; }
  [[nodiscard]] std::size_t position() const noexcept { return pos_; }

  bool u8(std::uint8_t& out) {
    if (remaining() < 1) return false;
    out = data_[pos_++];
    return true;
  }
  bool u16(std::uint16_t& out) {
    if (remaining() < 2) return false;
    out = static_cast<std::uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool i64(std::int64_t& out) {
    if (remaining() < 8) return false;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | data_[pos_ + i];
    pos_ += 8;
    out = static_cast<std::int64_t>(v);
    return true;
  }
  // Reads a writeUTF string: 2-byte length + modified UTF-8, into UTF-8.
  boost::system::error_code utf(std::string& out) {
    std::uint16_t len = 0;
    if (!u16(len)) return error::track_truncated;
    if (remaining() < len) return error::track_truncated;
    const std::uint8_t* p = data_ + pos_;
    pos_ += len;
    return modified_utf8_to_utf8(p, len, out);
  }
  boost::system::error_code nullable_utf(std::optional<std::string>& out) {
    std::uint8_t present = 0;
    if (!u8(present)) return error::track_truncated;
    if (present == 0) {
      out.reset();
      return {};
    }
    std::string s;
    if (auto ec = utf(s)) return ec;
    out = std::move(s);
    return {};
  }
  void bytes(std::size_t n, std::string& out) {
    out.assign(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
  }

 private:
  static void put_utf8(std::uint32_t cp, std::string& out) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  // Reads one UTF-16 unit from modified UTF-8 at p[i]; advances i.
  static bool read_unit(const std::uint8_t* p, std::size_t n, std::size_t& i, std::uint32_t& unit) {
    const std::uint8_t b = p[i];
    if (b < 0x80) {
      unit = b;
      i += 1;
      return true;
    }
    if ((b & 0xE0) == 0xC0) {
      if (i + 1 >= n || (p[i + 1] & 0xC0) != 0x80) return false;
      unit = (static_cast<std::uint32_t>(b & 0x1F) << 6) | (p[i + 1] & 0x3Fu);
      i += 2;
      return true;
    }
    if ((b & 0xF0) == 0xE0) {
      if (i + 2 >= n || (p[i + 1] & 0xC0) != 0x80 || (p[i + 2] & 0xC0) != 0x80) return false;
      unit = (static_cast<std::uint32_t>(b & 0x0F) << 12) |
             (static_cast<std::uint32_t>(p[i + 1] & 0x3F) << 6) | (p[i + 2] & 0x3Fu);
      i += 3;
      return true;
    }
    return false;
  }

  static boost::system::error_code modified_utf8_to_utf8(const std::uint8_t* p, std::size_t n,
                                                         std::string& out) {
    // Fast path: plain ASCII without NUL is the same in both encodings.
    std::size_t ascii = 0;
    while (ascii < n && p[ascii] != 0 && p[ascii] < 0x80) ++ascii;
    if (ascii == n) {
      out.assign(reinterpret_cast<const char*>(p), n);
      return {};
    }
    out.clear();
    out.reserve(n);
    std::size_t i = 0;
    while (i < n) {
      if (p[i] < 0x80) {  // fast path for ASCII runs
        out.push_back(static_cast<char>(p[i++]));
        continue;
      }
      std::uint32_t unit = 0;
      if (!read_unit(p, n, i, unit)) return error::invalid_track_string;
      if (unit >= 0xD800 && unit <= 0xDBFF && i < n) {
        std::size_t j = i;
        std::uint32_t low = 0;
        if (read_unit(p, n, j, low) && low >= 0xDC00 && low <= 0xDFFF) {
          put_utf8(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00), out);
          i = j;
          continue;
        }
      }
      put_utf8(unit, out);  // lone surrogates stay 3-byte (WTF-8) so they round-trip
    }
    return {};
  }

  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

void put_i64(std::string& out, std::int64_t value) {
  const auto v = static_cast<std::uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

void put_unit3(std::string& out, std::uint32_t unit) {
  out.push_back(static_cast<char>(0xE0 | (unit >> 12)));
  out.push_back(static_cast<char>(0x80 | ((unit >> 6) & 0x3F)));
  out.push_back(static_cast<char>(0x80 | (unit & 0x3F)));
}

// UTF-8 (or WTF-8) to Java's modified UTF-8.
bool utf8_to_modified(std::string_view in, std::string& out) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(in.data());
  const std::size_t n = in.size();
  std::size_t i = 0;
  while (i < n) {
    const std::uint8_t b = p[i];
    if (b == 0) {
      out.push_back(static_cast<char>(0xC0));
      out.push_back(static_cast<char>(0x80));
      i += 1;
    } else if (b < 0x80) {
      out.push_back(static_cast<char>(b));
      i += 1;
    } else if ((b & 0xE0) == 0xC0) {
      if (i + 1 >= n || (p[i + 1] & 0xC0) != 0x80) return false;
      out.append(in.substr(i, 2));
      i += 2;
    } else if ((b & 0xF0) == 0xE0) {
      if (i + 2 >= n || (p[i + 1] & 0xC0) != 0x80 || (p[i + 2] & 0xC0) != 0x80) return false;
      out.append(in.substr(i, 3));
      i += 3;
    } else if ((b & 0xF8) == 0xF0) {
      if (i + 3 >= n || (p[i + 1] & 0xC0) != 0x80 || (p[i + 2] & 0xC0) != 0x80 ||
          (p[i + 3] & 0xC0) != 0x80) {
        return false;
      }
      const std::uint32_t cp = (static_cast<std::uint32_t>(b & 0x07) << 18) |
                               (static_cast<std::uint32_t>(p[i + 1] & 0x3F) << 12) |
                               (static_cast<std::uint32_t>(p[i + 2] & 0x3F) << 6) | (p[i + 3] & 0x3Fu);
      if (cp < 0x10000 || cp > 0x10FFFF) return false;
      const std::uint32_t v = cp - 0x10000;
      put_unit3(out, 0xD800 + (v >> 10));
      put_unit3(out, 0xDC00 + (v & 0x3FF));
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

boost::system::error_code put_utf(std::string& out, std::string_view text) {
  const std::size_t at = out.size();
  out.append(2, '\0');
  if (!utf8_to_modified(text, out)) return error::invalid_track_string;
  const std::size_t len = out.size() - at - 2;
  if (len > 0xFFFF) return error::invalid_value;
  out[at] = static_cast<char>((len >> 8) & 0xFF);
  out[at + 1] = static_cast<char>(len & 0xFF);
  return {};
}

boost::system::error_code put_nullable_utf(std::string& out, const std::optional<std::string>& text) {
  if (!text) {
    out.push_back('\0');
    return {};
  }
  out.push_back('\1');
  return put_utf(out, *text);
}

}  // namespace

bool base64_decode(std::string_view text, std::vector<std::uint8_t>& out) {
  out.clear();
  std::size_t n = text.size();
  if (n >= 1 && text[n - 1] == '=') --n;
  if (n >= 1 && text[n - 1] == '=') --n;
  if (n % 4 == 1) return false;
  if (n != text.size() && text.size() % 4 != 0) return false;  // padding only on a full quartet
  out.resize(n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1));
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  std::uint8_t* o = out.data();
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const int a = decode_table[in[i]], b = decode_table[in[i + 1]], c = decode_table[in[i + 2]],
              d = decode_table[in[i + 3]];
    if ((a | b | c | d) < 0) return false;
    const auto v = static_cast<std::uint32_t>((a << 18) | (b << 12) | (c << 6) | d);
    *o++ = static_cast<std::uint8_t>(v >> 16);
    *o++ = static_cast<std::uint8_t>(v >> 8);
    *o++ = static_cast<std::uint8_t>(v);
  }
  const std::size_t rest = n - i;
  if (rest >= 2) {
    const int a = decode_table[in[i]], b = decode_table[in[i + 1]];
    const int c = rest == 3 ? decode_table[in[i + 2]] : 0;
    if ((a | b | c) < 0) return false;
    const auto v = static_cast<std::uint32_t>((a << 18) | (b << 12) | (c << 6));
    *o++ = static_cast<std::uint8_t>(v >> 16);
    if (rest == 3) *o++ = static_cast<std::uint8_t>(v >> 8);
  }
  return true;
}

std::string base64_encode(const std::uint8_t* data, std::size_t size) {
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const std::uint32_t v = (static_cast<std::uint32_t>(data[i]) << 16) |
                            (static_cast<std::uint32_t>(data[i + 1]) << 8) | data[i + 2];
    out.push_back(encode_alphabet[(v >> 18) & 63]);
    out.push_back(encode_alphabet[(v >> 12) & 63]);
    out.push_back(encode_alphabet[(v >> 6) & 63]);
    out.push_back(encode_alphabet[v & 63]);
  }
  if (size - i == 1) {
    const std::uint32_t v = static_cast<std::uint32_t>(data[i]) << 16;
    out.push_back(encode_alphabet[(v >> 18) & 63]);
    out.push_back(encode_alphabet[(v >> 12) & 63]);
    out.append("==");
  } else if (size - i == 2) {
    const std::uint32_t v =
        (static_cast<std::uint32_t>(data[i]) << 16) | (static_cast<std::uint32_t>(data[i + 1]) << 8);
    out.push_back(encode_alphabet[(v >> 18) & 63]);
    out.push_back(encode_alphabet[(v >> 12) & 63]);
    out.push_back(encode_alphabet[(v >> 6) & 63]);
    out.push_back('=');
  }
  return out;
}

boost::system::result<decoded_track> decode_track(std::string_view base64) {
  thread_local std::vector<std::uint8_t> bytes;
  if (base64.empty()) return error::track_truncated;
  if (!base64_decode(base64, bytes)) return error::invalid_base64;
  if (bytes.size() < 4) return error::track_truncated;
  const std::uint32_t header = (static_cast<std::uint32_t>(bytes[0]) << 24) |
                               (static_cast<std::uint32_t>(bytes[1]) << 16) |
                               (static_cast<std::uint32_t>(bytes[2]) << 8) | bytes[3];
  const std::size_t size = header & size_mask;
  const std::uint32_t flags = header >> 30;
  if (size > bytes.size() - 4) return error::track_size_mismatch;
  if (size < bytes.size() - 4) return error::track_size_mismatch;

  reader in(bytes.data() + 4, size);
  decoded_track t;
  t.version = 1;
  if ((flags & versioned_flag) != 0) {
    if (!in.u8(t.version)) return error::track_truncated;
  }
  if (t.version < 1 || t.version > 3) return error::unsupported_track_version;
  if (auto ec = in.utf(t.title)) return ec;
  if (auto ec = in.utf(t.author)) return ec;
  if (!in.i64(t.length_ms)) return error::track_truncated;
  if (auto ec = in.utf(t.identifier)) return ec;
  std::uint8_t stream = 0;
  if (!in.u8(stream)) return error::track_truncated;
  t.is_stream = stream != 0;
  if (t.version >= 2) {
    if (auto ec = in.nullable_utf(t.uri)) return ec;
  }
  if (t.version >= 3) {
    if (auto ec = in.nullable_utf(t.artwork_url)) return ec;
    if (auto ec = in.nullable_utf(t.isrc)) return ec;
  }
  if (auto ec = in.utf(t.source_name)) return ec;
  if (in.remaining() < 8) return error::track_truncated;
  in.bytes(in.remaining() - 8, t.source_specific);
  if (!in.i64(t.position_ms)) return error::track_truncated;
  return t;
}

boost::system::result<std::string> encode_track(const decoded_track& t) {
  std::uint8_t version = t.version < 1 ? std::uint8_t{1} : t.version;
  if (t.uri && version < 2) version = 2;
  if ((t.artwork_url || t.isrc) && version < 3) version = 3;
  if (version > 3) return error::unsupported_track_version;

  std::string msg;
  msg.reserve(64 + t.title.size() + t.author.size() + t.identifier.size() +
              (t.uri ? t.uri->size() : 0) + (t.artwork_url ? t.artwork_url->size() : 0) +
              t.source_specific.size());
  msg.append(4, '\0');
  const bool versioned = version > 1;
  if (versioned) msg.push_back(static_cast<char>(version));
  if (auto ec = put_utf(msg, t.title)) return ec;
  if (auto ec = put_utf(msg, t.author)) return ec;
  put_i64(msg, t.length_ms);
  if (auto ec = put_utf(msg, t.identifier)) return ec;
  msg.push_back(t.is_stream ? '\1' : '\0');
  if (version >= 2) {
    if (auto ec = put_nullable_utf(msg, t.uri)) return ec;
  }
  if (version >= 3) {
    if (auto ec = put_nullable_utf(msg, t.artwork_url)) return ec;
    if (auto ec = put_nullable_utf(msg, t.isrc)) return ec;
  }
  if (auto ec = put_utf(msg, t.source_name)) return ec;
  msg.append(t.source_specific);
  put_i64(msg, t.position_ms);

  const std::size_t size = msg.size() - 4;
  if (size > size_mask) return error::invalid_value;
  const std::uint32_t header =
      static_cast<std::uint32_t>(size) | (versioned ? (versioned_flag << 30) : 0u);
  msg[0] = static_cast<char>((header >> 24) & 0xFF);
  msg[1] = static_cast<char>((header >> 16) & 0xFF);
  msg[2] = static_cast<char>((header >> 8) & 0xFF);
  msg[3] = static_cast<char>(header & 0xFF);
  return base64_encode(reinterpret_cast<const std::uint8_t*>(msg.data()), msg.size());
}

}  // namespace musicbot::lavalink
