#pragma once
/// @file
/// `musicbot::core::keyed_rate_limiter`: one local limit per key (user,
/// guild, `guild:user:command`), with a bounded number of tracked keys.

#include <musicbot/core/gcra.hpp>
#include <musicbot/core/rate_limit.hpp>
#include <musicbot/core/sliding_window.hpp>
#include <musicbot/core/token_bucket.hpp>
#include <musicbot/core/ttl_map.hpp>

#include <charconv>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace musicbot::core {

namespace detail {

template <class Out, class T>
void append_key_part(Out& out, const T& part) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char>) {
    char buf[24];
    const auto res = std::to_chars(buf, buf + sizeof buf, part);
    out.append(buf, res.ptr);
  } else {
    // Escape the separator so that ("a:b", "c") and ("a", "b:c") differ.
    const std::string_view s(part);
    for (const char c : s) {
      if (c == ':' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
  }
}

// Writes the parts of a composite key, joined by ':', into `out` (anything
// with push_back(char) and append(const char*, const char*)).
template <class Out, class... Parts>
void write_key(Out& out, const Parts&... parts) {
  bool first = true;
  const auto add = [&](const auto& part) {
    if (!first) out.push_back(':');
    first = false;
    append_key_part(out, part);
  };
  (add(parts), ...);
}

// A key's text written on the stack first, so that rate_limit_key()
// allocates only when the text does not fit a std::string's inline buffer,
// and then exactly once.
class stack_key_text {
 public:
  void push_back(char c) noexcept {
    if (size_ < sizeof buf_) buf_[size_] = c;
    ++size_;
  }
  void append(const char* first, const char* last) noexcept {
    for (; first != last; ++first) push_back(*first);
  }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }  // of the whole text, even past the buffer
  [[nodiscard]] bool fits() const noexcept { return size_ <= sizeof buf_; }
  [[nodiscard]] std::string str() const { return std::string(buf_, size_); }  // only when fits()

 private:
  char buf_[160];
  std::size_t size_ = 0;
};

// The binary form of a composite key given as parts: each part is a marker
// byte and its bytes (integers: 8 bytes; strings: a 4-byte length, then
// the characters). The encoding is prefix-free, so distinct part lists
// give distinct keys, and it costs no decimal formatting. Bytes are
// assembled in a register and stored a whole 8-byte word at a time, so the
// hash that reads the key right after gets its words by store forwarding
// instead of waiting for the stores to reach the cache.
class key_buffer {
 public:
  static constexpr std::size_t inline_words = 12;

  template <class T>
  void add(const T& part) {
    if constexpr (std::is_integral_v<T>) {
      const bool negative = std::is_signed_v<T> && part < 0;
      put_byte(negative ? 2U : 1U);
      put_word(static_cast<std::uint64_t>(part));  // two's complement for negatives
    } else {
      const std::string_view s(part);
      put_byte(3U);
      const auto n = static_cast<std::uint32_t>(s.size());
      for (unsigned i = 0; i < 4; ++i) put_byte(static_cast<std::uint8_t>(n >> (8U * i)));
      for (const char c : s) put_byte(static_cast<std::uint8_t>(c));
    }
  }
  [[nodiscard]] std::string_view view() noexcept {
    if (!spill_.empty()) return spill_;
    if (size_ % 8 != 0) words_[size_ / 8] = acc_;
    return std::string_view(reinterpret_cast<const char*>(words_), size_);
  }

 private:
  void put_byte(std::uint8_t b) {
    if (size_ + 1 > sizeof words_ || !spill_.empty()) return spill_byte(b);
    acc_ |= std::uint64_t{b} << (8U * (size_ % 8));
    if (++size_ % 8 == 0) {
      words_[size_ / 8 - 1] = acc_;
      acc_ = 0;
    }
  }
  void put_word(std::uint64_t w) {
    if (size_ + 8 > sizeof words_ || !spill_.empty()) {
      for (unsigned i = 0; i < 8; ++i) spill_byte(static_cast<std::uint8_t>(w >> (8U * i)));
      return;
    }
    const auto fill = static_cast<unsigned>(size_ % 8);
    if (fill == 0) {
      words_[size_ / 8] = w;
    } else {
      words_[size_ / 8] = acc_ | (w << (8U * fill));
      acc_ = w >> (64U - 8U * fill);
    }
    size_ += 8;
  }
  void spill_byte(std::uint8_t b) {
    if (spill_.empty()) spill_.assign(view());
    spill_.push_back(static_cast<char>(b));
  }

  std::uint64_t words_[inline_words];
  std::size_t size_ = 0;
  std::uint64_t acc_ = 0;  // the bytes of the word being filled
  std::string spill_;      // keys longer than the inline words
};

// The stored key of a keyed_rate_limiter: 32 bytes, so that a tracked key,
// its state, expiry and LRU links fill exactly one 64-byte cache line. The
// key's bytes are inline when they fit (28 bytes: every (guild, user,
// command) key given as parts with a command name of up to 6 characters),
// else one heap copy. A flag keeps keys given as parts apart from string
// keys. Compared byte for byte, so distinct keys never share a quota.
class limiter_key {
 public:
  static constexpr std::size_t inline_size = 28;
  static constexpr std::uint32_t parts_flag = 0x80000000U;

  limiter_key(std::string_view s, bool from_parts) : size_(static_cast<std::uint32_t>(s.size())) {
    if (s.size() >= parts_flag) throw std::length_error("keyed_rate_limiter: key too long");
    char* dst = buf_;
    if (size_ > inline_size) {
      dst = new char[size_];
      std::memcpy(buf_, &dst, sizeof dst);
    }
    if (size_ != 0) std::memcpy(dst, s.data(), size_);
    if (from_parts) size_ |= parts_flag;
  }
  limiter_key(const limiter_key& other) : limiter_key(other.view(), other.from_parts()) {}
  limiter_key(limiter_key&& other) noexcept : size_(other.size_) {
    std::memcpy(buf_, other.buf_, sizeof buf_);
    other.size_ = 0;  // the heap copy (if any) now belongs to this key
  }
  limiter_key& operator=(const limiter_key&) = delete;
  limiter_key& operator=(limiter_key&&) = delete;
  ~limiter_key() {
    if (length() > inline_size) delete[] heap();
  }

  [[nodiscard]] std::size_t length() const noexcept { return size_ & ~parts_flag; }
  [[nodiscard]] bool from_parts() const noexcept { return (size_ & parts_flag) != 0; }
  [[nodiscard]] std::string_view view() const noexcept {
    return std::string_view(length() > inline_size ? heap() : buf_, length());
  }

 private:
  [[nodiscard]] char* heap() const noexcept {
    char* p = nullptr;
    std::memcpy(&p, buf_, sizeof p);
    return p;
  }

  std::uint32_t size_;
  char buf_[inline_size];
};
static_assert(sizeof(limiter_key) == 32);

// A lookup key: the bytes and whether they came from parts.
struct limiter_key_view {
  std::string_view bytes;
  bool from_parts;
};

// A short-key hash: 8 bytes per multiply, a few instructions for the
// 20–50-byte keys a limiter sees (ttl_map mixes the result once more).
[[nodiscard]] inline std::uint64_t hash_key_bytes(std::string_view s, std::uint64_t seed) noexcept {
  constexpr std::uint64_t k1 = 0x9E3779B97F4A7C15ULL;
  constexpr std::uint64_t k2 = 0xC2B2AE3D27D4EB4FULL;
  std::uint64_t h = seed ^ (static_cast<std::uint64_t>(s.size()) * k2);
  const char* p = s.data();
  std::size_t n = s.size();
  for (; n >= 8; n -= 8, p += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * k1;
    h ^= h >> 29U;
  }
  if (n != 0) {
    std::uint64_t w = 0;
    for (std::size_t i = 0; i < n; ++i) w |= std::uint64_t{static_cast<std::uint8_t>(p[i])} << (8U * i);
    h = (h ^ w) * k1;
    h ^= h >> 29U;
  }
  h *= k2;
  return h ^ (h >> 32U);
}

// Equality of two byte strings of the same length, 8 bytes at a time.
[[nodiscard]] inline bool same_key_bytes(const char* a, const char* b, std::size_t n) noexcept {
  for (; n >= 8; n -= 8, a += 8, b += 8) {
    std::uint64_t x = 0;
    std::uint64_t y = 0;
    std::memcpy(&x, a, 8);
    std::memcpy(&y, b, 8);
    if (x != y) return false;
  }
  for (; n != 0; --n, ++a, ++b) {
    if (*a != *b) return false;
  }
  return true;
}

// Transparent hash and equality: a stored limiter_key is found by a view.
struct limiter_key_hash {
  using is_transparent = void;
  [[nodiscard]] std::size_t operator()(limiter_key_view k) const noexcept {
    return static_cast<std::size_t>(hash_key_bytes(k.bytes, k.from_parts ? 1U : 0U));
  }
  [[nodiscard]] std::size_t operator()(const limiter_key& k) const noexcept {
    return (*this)(limiter_key_view{k.view(), k.from_parts()});
  }
};
struct limiter_key_equal {
  using is_transparent = void;
  [[nodiscard]] bool operator()(const limiter_key& a, const limiter_key& b) const noexcept {
    return (*this)(a, limiter_key_view{b.view(), b.from_parts()});
  }
  [[nodiscard]] bool operator()(const limiter_key& a, limiter_key_view b) const noexcept {
    const std::string_view av = a.view();
    return a.from_parts() == b.from_parts && av.size() == b.bytes.size() &&
           same_key_bytes(av.data(), b.bytes.data(), av.size());
  }
  [[nodiscard]] bool operator()(limiter_key_view a, const limiter_key& b) const noexcept { return (*this)(b, a); }
};

// The state of one key under whichever policy the limiter runs (the
// policy is fixed per limiter, so no tag is stored): 16 bytes.
class alignas(8) limiter_state {
 public:
  template <class State>
  explicit limiter_state(std::in_place_type_t<State>) noexcept {
    static_assert(sizeof(State) <= sizeof raw_ && std::is_trivially_copyable_v<State>);
    ::new (static_cast<void*>(raw_)) State{};
  }
  template <class State>
  [[nodiscard]] State& as() noexcept {
    return *std::launder(reinterpret_cast<State*>(raw_));
  }

 private:
  unsigned char raw_[16];
};

template <class... Parts>
concept key_parts = sizeof...(Parts) > 0 &&
                    ((std::is_integral_v<Parts> || std::is_convertible_v<const Parts&, std::string_view>) && ...);

// Parts that are not a single string (those go to the string_view overloads).
template <class... Parts>
concept composite_key_parts =
    key_parts<Parts...> && !(sizeof...(Parts) == 1 && (std::is_convertible_v<const Parts&, std::string_view> && ...));

}  // namespace detail

/// Builds a composite limiter key such as `guild:user:command` from integers
/// and strings, joined by ':'. A ':' or '\\' inside a string part is escaped
/// with '\\', so distinct part lists always give distinct keys.
///
/// Example: `rate_limit_key(guild_id, user_id, "play")` → `"1234:5678:play"`.
template <class... Parts>
  requires detail::key_parts<Parts...>
[[nodiscard]] std::string rate_limit_key(const Parts&... parts) {
  detail::stack_key_text text;
  detail::write_key(text, parts...);
  if (text.fits()) return text.str();
  std::string out;  // an unusually long key
  out.reserve(text.size());
  detail::write_key(out, parts...);
  return out;
}

/// A local rate limiter with one quota per key. The per-key states live in a
/// ttl_map: at most `max_keys` keys are tracked; a key idle long enough to be
/// back to a full quota is dropped on its own, and when the map is full the
/// least recently used key is dropped (it starts again with a full quota,
/// which is the price of bounded memory: size `max_keys` above the number of
/// keys active within one window).
///
/// The distributed (Redis) limiter falls back to this with
/// `config.scaled(fallback_fraction, expected_replicas)`.
///
/// @tparam Clock a clock_source (manual_clock in tests). The default,
///               coarse_steady_clock, reads time at kernel-tick resolution
///               (1–4 ms): decisions and `retry_after` can be off by one tick,
///               and a decision costs a fraction of a precise clock read
///               (see docs/BENCHMARKS.md). Pass steady_clock for
///               nanosecond-exact limits.
///
/// @par Thread safety
/// Not thread-safe: use it from one thread (or strand), or guard it.
template <clock_source Clock = coarse_steady_clock>
class keyed_rate_limiter {
 public:
  /// @throws std::invalid_argument if `config` is invalid or `max_keys` is 0.
  keyed_rate_limiter(const rate_limit_config& config, std::size_t max_keys, Clock clock = Clock{})
      : config_(validated(config)), policy_(make_policy(config)),
        idle_(std::visit([](const auto& p) { return p.idle_reset(); }, policy_)),
        idle_ttl_(std::chrono::duration_cast<typename Clock::duration>(idle_)),
        states_(max_keys, idle_ttl_, std::move(clock)) {}

  /// Decides one call for `key` (allowed or refused, never an exception).
  /// A known key costs one hash lookup and no allocation; a new key of up
  /// to 28 bytes is stored inline, a longer one takes one heap copy.
  [[nodiscard]] rate_limit_decision try_acquire(std::string_view key) {
    return decide(key, false);
  }

  /// Decides one call for the composite key made of `parts` (integers and
  /// strings), e.g. `limiter.try_acquire(guild_id, user_id, "play")`. The
  /// key is encoded in binary on the stack — no decimal formatting, no
  /// allocation, and (guild, user, command) keys with a command name of up
  /// to 6 characters are stored inline — so this is the cheapest way to
  /// key a limiter by ids.
  ///
  /// Keys given as parts form their own key space: `try_acquire(g, u, "play")`
  /// and `try_acquire(rate_limit_key(g, u, "play"))` are two different keys.
  /// Use one form per limiter.
  template <class... Parts>
    requires detail::composite_key_parts<Parts...>
  [[nodiscard]] rate_limit_decision try_acquire(const Parts&... parts) {
    detail::key_buffer key;
    (key.add(parts), ...);
    return decide(key.view(), true);
  }

  /// Forgets `key` (its next call starts with a full quota).
  void reset(std::string_view key) { states_.erase(detail::limiter_key_view{key, false}); }
  /// Forgets the composite key made of `parts` (see the try_acquire() overload).
  template <class... Parts>
    requires detail::composite_key_parts<Parts...>
  void reset(const Parts&... parts) {
    detail::key_buffer key;
    (key.add(parts), ...);
    states_.erase(detail::limiter_key_view{key.view(), true});
  }
  /// Forgets every key.
  void clear() { states_.clear(); }
  /// Number of tracked keys (including idle ones not dropped yet).
  [[nodiscard]] std::size_t size() const noexcept { return states_.size(); }
  /// The maximum number of tracked keys.
  [[nodiscard]] std::size_t max_keys() const noexcept { return states_.capacity(); }
  /// The configuration.
  [[nodiscard]] const rate_limit_config& config() const noexcept { return config_; }
  /// Counters of the key map (hits, misses, evictions of active keys, expirations of idle ones).
  [[nodiscard]] const ttl_map_stats& stats() const noexcept { return states_.stats(); }

 private:
  using policy_variant = std::variant<gcra_policy, token_bucket_policy, sliding_window_policy>;
  using key_state = detail::limiter_state;

  // (The key arrives as two scalars, not a 24-byte struct passed in memory:
  // reading such a struct back right after writing it stalls on store
  // forwarding, which serializes the lookup's cache misses.)
  rate_limit_decision decide(std::string_view bytes, bool from_parts) {
    const auto instant = states_.clock().now();  // one clock read serves the map and the policy
    const detail::limiter_key_view key{bytes, from_parts};
    key_state* st = states_.find_and_refresh(key, idle_ttl_, instant);
    if (st == nullptr) {
      st = states_.try_emplace_for(idle_ttl_, detail::limiter_key(bytes, from_parts), initial_state()).first;
    }
    const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(instant.time_since_epoch());
    switch (policy_.index()) {
      case 0: return std::get<0>(policy_).acquire(st->as<gcra_policy::state>(), now);
      case 1: return std::get<1>(policy_).acquire(st->as<token_bucket_policy::state>(), now);
      default: return std::get<2>(policy_).acquire(st->as<sliding_window_policy::state>(), now);
    }
  }

  static const rate_limit_config& validated(const rate_limit_config& config) {
    config.validate();
    return config;
  }
  static policy_variant make_policy(const rate_limit_config& config) {
    switch (config.algorithm) {
      case rate_limit_algorithm::token_bucket: return policy_variant(std::in_place_index<1>, config);
      case rate_limit_algorithm::sliding_window: return policy_variant(std::in_place_index<2>, config);
      case rate_limit_algorithm::gcra: break;
    }
    return policy_variant(std::in_place_index<0>, config);
  }
  [[nodiscard]] key_state initial_state() const {
    switch (policy_.index()) {
      case 1: return key_state(std::in_place_type<token_bucket_policy::state>);
      case 2: return key_state(std::in_place_type<sliding_window_policy::state>);
      default: return key_state(std::in_place_type<gcra_policy::state>);
    }
  }

  rate_limit_config config_;
  policy_variant policy_;
  std::chrono::nanoseconds idle_;
  typename Clock::duration idle_ttl_;
  ttl_map<detail::limiter_key, key_state, detail::limiter_key_hash, detail::limiter_key_equal, Clock> states_;
  static_assert(sizeof(detail::limiter_key) + sizeof(key_state) == 48);  // + expiry + links = one cache line
};

}  // namespace musicbot::core
