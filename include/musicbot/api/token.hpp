#pragma once
/// @file
/// API tokens: generation from a CSPRNG, the stored hash, parsing of the
/// `Authorization: Bearer` header and constant-time comparison.
///
/// A token reads `mbt_<id>.<secret>`: `id` is 16 lowercase hex digits
/// (public, names the token in lists, logs and the audit log), `secret` is
/// 32 random bytes in unpadded base64url (43 characters). Only the SHA-256
/// of the whole token is stored.

#include <musicbot/core/secret.hpp>

#include <boost/system/result.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace musicbot::api {

/// Prefix of every token (lets secret scanners recognise leaked tokens).
inline constexpr std::string_view token_prefix = "mbt_";
/// Hex digits of a token id.
inline constexpr std::size_t token_id_length = 16;
/// Characters of the secret part (32 bytes, unpadded base64url).
inline constexpr std::size_t token_secret_length = 43;
/// Characters of a whole token.
inline constexpr std::size_t token_length = token_prefix.size() + token_id_length + 1 + token_secret_length;

/// A freshly generated token.
struct generated_token {
  std::string id;      ///< the public id (16 hex digits)
  core::secret token;  ///< the whole token, shown once to its creator
};

/// Generates a token from OpenSSL's CSPRNG (`RAND_bytes`).
/// Error: api::error::random_failed when the generator fails.
[[nodiscard]] boost::system::result<generated_token> generate_token();

/// Lowercase hex SHA-256 of `token` (64 characters): what the store keeps.
[[nodiscard]] std::string token_hash(std::string_view token);

/// The id of a well-formed token (prefix, 16 hex digits, '.', 43 base64url
/// characters), or nothing for anything else.
[[nodiscard]] std::optional<std::string_view> token_id_of(std::string_view token) noexcept;

/// The credentials of an `Authorization` header value of the form
/// `Bearer <token>` (scheme case-insensitive, one or more spaces), or
/// nothing when the scheme is another or the credentials are empty.
[[nodiscard]] std::optional<std::string_view> bearer_credentials(std::string_view authorization) noexcept;

/// Compares two strings in time that depends only on their lengths.
[[nodiscard]] bool constant_time_equals(std::string_view a, std::string_view b) noexcept;

}  // namespace musicbot::api
