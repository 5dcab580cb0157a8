// Built against the installed package by tests/install.
#include <musicbot/core/result.hpp>
#include <musicbot/core/secret.hpp>

#include <sstream>

int main() {
  const musicbot::core::secret token("consumer-token");
  std::ostringstream out;
  out << token;
  const musicbot::core::result<int> r = 42;
  return out.str() == "***" && r && *r == 42 ? 0 : 1;
}
