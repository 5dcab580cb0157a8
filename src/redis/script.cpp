// redis::script: SHA1 of the Lua source for EVALSHA (OpenSSL EVP).
#include <musicbot/redis/script.hpp>

#include <openssl/evp.h>

#include <stdexcept>

namespace musicbot::redis {

namespace {

std::string sha1_hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha1(), nullptr) != 1)
    throw std::runtime_error("redis::script: SHA1 failed");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2U);
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4U];
    out += hex[digest[i] & 0xfU];
  }
  return out;
}

}  // namespace

script::script(std::string source) {
  auto sha = sha1_hex(source);
  data_ = std::make_shared<const data>(data{std::move(source), std::move(sha)});
}

}  // namespace musicbot::redis
