#pragma once
// Helpers to read the shared Discord test data.
#include <boost/json.hpp>

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace musicbot::discord::test {

inline std::string data_path(const std::string& rel) {
  return std::string(MUSICBOT_TESTDATA_DIR) + "/discord/" + rel;
}

inline std::string read_file(const std::string& rel) {
  std::ifstream in(data_path(rel), std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + rel);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline boost::json::value read_json(const std::string& rel) { return boost::json::parse(read_file(rel)); }

}  // namespace musicbot::discord::test
