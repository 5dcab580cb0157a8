// API token generation, hashing and parsing (OpenSSL for randomness and SHA-256).
#include <musicbot/api/error.hpp>
#include <musicbot/api/token.hpp>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstdint>

namespace musicbot::api {
namespace {

constexpr std::string_view hex_digits = "0123456789abcdef";
constexpr std::string_view base64url_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

bool is_hex(char c) noexcept { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
bool is_base64url(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

template <std::size_t N>
void append_hex(std::string& out, const std::array<unsigned char, N>& bytes) {
  for (const unsigned char b : bytes) {
    out.push_back(hex_digits[b >> 4U]);
    out.push_back(hex_digits[b & 0x0FU]);
  }
}

// Unpadded base64url of `bytes`.
template <std::size_t N>
void append_base64url(std::string& out, const std::array<unsigned char, N>& bytes) {
  std::size_t i = 0;
  for (; i + 3 <= N; i += 3) {
    const std::uint32_t v = (std::uint32_t{bytes[i]} << 16U) | (std::uint32_t{bytes[i + 1]} << 8U) | bytes[i + 2];
    out.push_back(base64url_alphabet[(v >> 18U) & 63U]);
    out.push_back(base64url_alphabet[(v >> 12U) & 63U]);
    out.push_back(base64url_alphabet[(v >> 6U) & 63U]);
    out.push_back(base64url_alphabet[v & 63U]);
  }
  if (N - i == 1) {
    const std::uint32_t v = std::uint32_t{bytes[i]} << 16U;
    out.push_back(base64url_alphabet[(v >> 18U) & 63U]);
    out.push_back(base64url_alphabet[(v >> 12U) & 63U]);
  } else if (N - i == 2) {
    const std::uint32_t v = (std::uint32_t{bytes[i]} << 16U) | (std::uint32_t{bytes[i + 1]} << 8U);
    out.push_back(base64url_alphabet[(v >> 18U) & 63U]);
    out.push_back(base64url_alphabet[(v >> 12U) & 63U]);
    out.push_back(base64url_alphabet[(v >> 6U) & 63U]);
  }
}

template <std::size_t N>
void wipe(std::array<unsigned char, N>& bytes) noexcept {
  volatile unsigned char* p = bytes.data();
  for (std::size_t i = 0; i < N; ++i) p[i] = 0;
}

}  // namespace

boost::system::result<generated_token> generate_token() {
  std::array<unsigned char, 8> id_bytes{};
  std::array<unsigned char, 32> secret_bytes{};
  if (RAND_bytes(id_bytes.data(), static_cast<int>(id_bytes.size())) != 1 ||
      RAND_bytes(secret_bytes.data(), static_cast<int>(secret_bytes.size())) != 1) {
    wipe(secret_bytes);
    return boost::system::error_code(error::random_failed);
  }
  generated_token out;
  append_hex(out.id, id_bytes);
  std::string token;
  token.reserve(token_length);
  token.append(token_prefix);
  token.append(out.id);
  token.push_back('.');
  append_base64url(token, secret_bytes);
  wipe(secret_bytes);
  out.token = core::secret(std::move(token));
  return out;
}

std::string token_hash(std::string_view token) {
  std::array<unsigned char, 32> digest{};
  unsigned int len = 0;
  // EVP_Digest cannot fail for SHA-256 with valid arguments short of an
  // allocation failure; an all-zero digest then matches no stored hash.
  if (EVP_Digest(token.data(), token.size(), digest.data(), &len, EVP_sha256(), nullptr) != 1) digest.fill(0);
  std::string out;
  out.reserve(64);
  append_hex(out, digest);
  return out;
}

std::optional<std::string_view> token_id_of(std::string_view token) noexcept {
  if (token.size() != token_length || token.substr(0, token_prefix.size()) != token_prefix) return std::nullopt;
  const auto id = token.substr(token_prefix.size(), token_id_length);
  for (const char c : id) {
    if (!is_hex(c)) return std::nullopt;
  }
  if (token[token_prefix.size() + token_id_length] != '.') return std::nullopt;
  for (const char c : token.substr(token_prefix.size() + token_id_length + 1)) {
    if (!is_base64url(c)) return std::nullopt;
  }
  return id;
}

std::optional<std::string_view> bearer_credentials(std::string_view authorization) noexcept {
  constexpr std::string_view scheme = "bearer";
  if (authorization.size() <= scheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    char c = authorization[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != scheme[i]) return std::nullopt;
  }
  auto rest = authorization.substr(scheme.size());
  if (rest.front() != ' ') return std::nullopt;
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.remove_suffix(1);
  if (rest.empty()) return std::nullopt;
  return rest;
}

bool constant_time_equals(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = a.size() > b.size() ? a.size() : b.size();
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const auto y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff = static_cast<unsigned char>(diff | (x ^ y));
  }
  return diff == 0;
}

}  // namespace musicbot::api
