// Built against the installed package by tests/install.
#include <musicbot/core/result.hpp>
#include <musicbot/core/secret.hpp>
#include <musicbot/core/ttl_map.hpp>

#include <chrono>
#include <sstream>
#include <string>

int main() {
  const musicbot::core::secret token("consumer-token");
  std::ostringstream out;
  out << token;
  const musicbot::core::result<int> r = 42;

  musicbot::core::ttl_map<std::string, int, musicbot::core::string_hash, std::equal_to<>> cache(2, std::chrono::minutes(1));
  cache.insert_or_assign(std::string("a"), 1);
  cache.insert_or_assign(std::string("b"), 2);
  cache.insert_or_assign(std::string("c"), 3);  // evicts "a"
  const bool cache_ok = !cache.contains("a") && cache.find("c") != nullptr && *cache.find("c") == 3;

  return out.str() == "***" && r && *r == 42 && cache_ok ? 0 : 1;
}
