#pragma once
/// @file
/// The L2 store and invalidation backplane interfaces of the layered cache,
/// and in-process implementations of both (for a single process, and for tests).

#include <musicbot/cache/error.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace musicbot::cache {

/// A value read from L2.
struct l2_item {
  std::string payload;                         ///< The encoded value.
  std::optional<std::chrono::milliseconds> ttl;  ///< Remaining lifetime in L2, if known.
};

/// A shared, out-of-process cache layer (Redis in production).
///
/// Keys arrive already namespaced by the cache (`<cache name>:<key>`).
/// Implementations must bound their own waits; the cache additionally
/// applies `entry_options::l2_timeout` and a circuit breaker.
///
/// @par Thread safety
/// Called from the cache's executor only.
class l2_store {
 public:
  virtual ~l2_store() = default;
  /// Reads `key`: the item, `std::nullopt` if absent, or an error.
  virtual boost::asio::awaitable<boost::system::result<std::optional<l2_item>>> get(std::string key) = 0;
  /// Writes `key` with a lifetime, and records it under each tag.
  virtual boost::asio::awaitable<boost::system::error_code> set(std::string key, std::string payload,
                                                                std::chrono::milliseconds ttl,
                                                                std::vector<std::string> tags) = 0;
  /// Removes `key`.
  virtual boost::asio::awaitable<boost::system::error_code> erase(std::string key) = 0;
  /// Removes every key recorded under `tag` (tags are namespaced by the cache too).
  virtual boost::asio::awaitable<boost::system::error_code> erase_by_tag(std::string tag) = 0;
};

/// What an invalidation message asks other processes to drop from L1.
struct invalidation {
  /// What `target` names.
  enum class kind {
    key,  ///< One encoded key.
    tag,  ///< Every entry with this tag.
    all,  ///< The whole L1 (target unused).
  };
  std::string cache;    ///< Name of the cache the message is for.
  kind what = kind::key;  ///< What to drop.
  std::string target;   ///< The encoded key or the tag.
  std::string origin;   ///< Id of the sending cache instance (it ignores its own messages).
};

/// Longest encoded invalidation message accepted by decode_invalidation().
inline constexpr std::size_t max_invalidation_size = 64 * 1024;

/// Encodes `m` for a network backplane: `I1<kind><len>:<cache><len>:<origin><target>`
/// with kind `k`, `t` or `a` and decimal lengths.
[[nodiscard]] std::string encode_invalidation(const invalidation& m);

/// Decodes a message written by encode_invalidation(); std::nullopt for
/// anything malformed or longer than max_invalidation_size (never throws).
[[nodiscard]] std::optional<invalidation> decode_invalidation(std::string_view text);

/// Carries invalidations between processes (Redis pub/sub in production).
///
/// @par Thread safety
/// Called from the cache's executor only; handlers are invoked on it.
class backplane {
 public:
  /// Called for every message received.
  using handler = std::function<void(const invalidation&)>;
  virtual ~backplane() = default;
  /// Sends `message` to every subscriber (including, possibly, the sender).
  virtual boost::asio::awaitable<boost::system::error_code> publish(invalidation message) = 0;
  /// Registers `on_message`; returns an id for unsubscribe().
  virtual std::size_t subscribe(handler on_message) = 0;
  /// Removes a subscription.
  virtual void unsubscribe(std::size_t id) = 0;
};

/// An L2 store in process memory: lets several caches in one process share
/// a second level, and lets tests switch it "down" to exercise fail-safe paths.
///
/// @par Thread safety
/// None: use from one executor.
class memory_l2_store final : public l2_store {
 public:
  /// Number of entries kept at most (the oldest-expiring are dropped first).
  explicit memory_l2_store(std::size_t max_entries = 100000) : max_entries_(max_entries) {}

  /// Simulates an outage: while unavailable every call fails with error::l2_unavailable.
  void set_available(bool available) noexcept { available_ = available; }
  /// Number of get() calls so far.
  [[nodiscard]] std::size_t gets() const noexcept { return gets_; }
  /// Number of set() calls so far.
  [[nodiscard]] std::size_t sets() const noexcept { return sets_; }
  /// Number of stored entries (including expired ones not yet purged).
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

  /// @copydoc l2_store::get
  boost::asio::awaitable<boost::system::result<std::optional<l2_item>>> get(std::string key) override {
    ++gets_;
    if (!available_) co_return boost::system::error_code(error::l2_unavailable);
    const auto it = entries_.find(key);
    if (it == entries_.end()) co_return std::optional<l2_item>{};
    const auto now = std::chrono::steady_clock::now();
    if (it->second.expires <= now) {
      entries_.erase(it);
      co_return std::optional<l2_item>{};
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(it->second.expires - now);
    co_return std::optional<l2_item>(l2_item{it->second.payload, left});
  }
  /// @copydoc l2_store::set
  boost::asio::awaitable<boost::system::error_code> set(std::string key, std::string payload,
                                                        std::chrono::milliseconds ttl,
                                                        std::vector<std::string> tags) override {
    ++sets_;
    if (!available_) co_return boost::system::error_code(error::l2_unavailable);
    if (entries_.size() >= max_entries_ && !entries_.contains(key)) entries_.erase(entries_.begin());
    for (auto& tag : tags) tagged_[tag].insert(key);
    entries_[std::move(key)] = stored{std::move(payload), std::chrono::steady_clock::now() + ttl};
    co_return boost::system::error_code{};
  }
  /// @copydoc l2_store::erase
  boost::asio::awaitable<boost::system::error_code> erase(std::string key) override {
    if (!available_) co_return boost::system::error_code(error::l2_unavailable);
    entries_.erase(key);
    co_return boost::system::error_code{};
  }
  /// @copydoc l2_store::erase_by_tag
  boost::asio::awaitable<boost::system::error_code> erase_by_tag(std::string tag) override {
    if (!available_) co_return boost::system::error_code(error::l2_unavailable);
    const auto it = tagged_.find(tag);
    if (it != tagged_.end()) {
      for (const auto& key : it->second) entries_.erase(key);
      tagged_.erase(it);
    }
    co_return boost::system::error_code{};
  }

 private:
  struct stored {
    std::string payload;
    std::chrono::steady_clock::time_point expires;
  };
  std::size_t max_entries_;
  bool available_ = true;
  std::size_t gets_ = 0;
  std::size_t sets_ = 0;
  std::map<std::string, stored, std::less<>> entries_;
  std::map<std::string, std::set<std::string>, std::less<>> tagged_;
};

/// A backplane inside one process: every subscriber gets every message
/// (delivered through a post, as a network backplane would).
///
/// @par Thread safety
/// None: use from one executor.
template <class Executor>
class memory_backplane final : public backplane {
 public:
  /// Delivers messages on `ex`.
  explicit memory_backplane(Executor ex) : ex_(std::move(ex)), subscribers_(std::make_shared<map>()) {}

  /// @copydoc backplane::publish
  boost::asio::awaitable<boost::system::error_code> publish(invalidation message) override {
    boost::asio::post(ex_, [subs = subscribers_, m = std::move(message)] {
      const auto copy = *subs;  // a handler may unsubscribe
      for (const auto& [id, h] : copy) h(m);
    });
    co_return boost::system::error_code{};
  }
  /// @copydoc backplane::subscribe
  std::size_t subscribe(handler on_message) override {
    const std::size_t id = ++next_id_;
    (*subscribers_)[id] = std::move(on_message);
    return id;
  }
  /// @copydoc backplane::unsubscribe
  void unsubscribe(std::size_t id) override { subscribers_->erase(id); }

 private:
  using map = std::map<std::size_t, handler>;
  Executor ex_;
  std::shared_ptr<map> subscribers_;
  std::size_t next_id_ = 0;
};

}  // namespace musicbot::cache
