#include "musicbot/net/http_types.hpp"

namespace musicbot::net {

namespace {
char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::optional<std::string_view> find_header(const http_headers& headers, std::string_view name) noexcept {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return std::string_view(h.value);
  }
  return std::nullopt;
}

void set_header(http_headers& headers, std::string_view name, std::string_view value) {
  bool done = false;
  for (auto it = headers.begin(); it != headers.end();) {
    if (iequals(it->name, name)) {
      if (!done) {
        it->value = std::string(value);
        done = true;
        ++it;
      } else {
        it = headers.erase(it);
      }
    } else {
      ++it;
    }
  }
  if (!done) headers.push_back({std::string(name), std::string(value)});
}

http_response http_response::text(unsigned status, std::string body, std::string_view content_type) {
  http_response r;
  r.status = status;
  r.body = std::move(body);
  r.headers.push_back({"Content-Type", std::string(content_type)});
  return r;
}

http_response http_response::json(unsigned status, std::string body) {
  return text(status, std::move(body), "application/json");
}

}  // namespace musicbot::net
