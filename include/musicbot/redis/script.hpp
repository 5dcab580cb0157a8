#pragma once
/// @file
/// `musicbot::redis::script`: a Lua script and its SHA1, for EVALSHA.

#include <memory>
#include <string>

namespace musicbot::redis {

/// A Lua script run with `client::async_eval`: sent as `EVALSHA <sha1>`, and
/// as `EVAL <source>` (which also caches it on the server) when the server
/// answers `NOSCRIPT` (after a restart, a failover or `SCRIPT FLUSH`).
/// Copies share the text.
///
/// @par Thread safety
/// Immutable after construction; safe to share.
class script {
 public:
  /// Takes the Lua source and computes its SHA1 (hex, lower case).
  explicit script(std::string source);
  /// The Lua source.
  [[nodiscard]] const std::string& source() const noexcept { return data_->source; }
  /// SHA1 of the source as 40 lower-case hex digits (what EVALSHA takes).
  [[nodiscard]] const std::string& sha1() const noexcept { return data_->sha1; }

 private:
  struct data {
    std::string source;
    std::string sha1;
  };
  std::shared_ptr<const data> data_;
};

}  // namespace musicbot::redis
