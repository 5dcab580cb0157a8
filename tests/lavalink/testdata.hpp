#pragma once
// Reads files of /work/shared/testdata/lavalink through MUSICBOT_TESTDATA_DIR.
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace lavalink_test {

inline std::string read_testdata(const std::string& name) {
  const std::string path = std::string(MUSICBOT_TESTDATA_DIR) + "/lavalink/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace lavalink_test
