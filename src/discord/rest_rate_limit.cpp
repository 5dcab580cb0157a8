#include "musicbot/discord/rest_rate_limit.hpp"

#include <simdjson.h>

#include <charconv>
#include <vector>

namespace musicbot::discord {

namespace {

bool is_id(std::string_view s) {
  if (s.empty() || s.size() > 20) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  const auto q = path.find('?');
  if (q != std::string_view::npos) path = path.substr(0, q);
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto end = path.find('/');
    out.push_back(path.substr(0, end));
    if (end == std::string_view::npos) break;
    path.remove_prefix(end);
  }
  return out;
}

template <class T>
std::optional<T> to_number(std::string_view s) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

rest_route rest_route::make(std::string_view method, std::string_view path) {
  rest_route r;
  r.method.assign(method);
  r.path.assign(path);
  const auto seg = split_path(path);
  std::string key(method);
  key += ' ';
  std::size_t major_len = 0;
  if (!seg.empty()) {
    const std::string_view top = seg[0];
    if ((top == "channels" || top == "guilds") && seg.size() >= 2) major_len = 2;
    if ((top == "webhooks" || top == "interactions") && seg.size() >= 2) major_len = seg.size() >= 3 ? 3 : 2;
    r.interaction = top == "interactions" || (top == "webhooks" && seg.size() >= 3);
    r.global_exempt = r.interaction;
  }
  for (std::size_t i = 0; i < seg.size(); ++i) {
    key += '/';
    if (i < major_len) {
      if (i > 0) r.major += '/';
      r.major.append(seg[i]);
      key.append(seg[i]);
    } else if (i > 0 && seg[i - 1] == "reactions") {
      key += ":emoji";
    } else if (is_id(seg[i])) {
      key += ":id";
    } else {
      key.append(seg[i]);
    }
  }
  r.key = std::move(key);
  r.display = std::string(method) + ' ';
  for (std::size_t i = 0; i < seg.size(); ++i) {
    r.display += '/';
    const bool token = r.interaction && i == 2;
    r.display.append(token ? std::string_view("***") : (i >= major_len && is_id(seg[i]) ? std::string_view(":id") : seg[i]));
  }
  return r;
}

rate_limit_headers rate_limit_headers::parse(
    const std::function<std::optional<std::string_view>(std::string_view)>& header, std::string_view body) {
  rate_limit_headers h;
  if (auto v = header("X-RateLimit-Bucket")) h.bucket = std::string(*v);
  if (auto v = header("X-RateLimit-Limit")) h.limit = to_number<std::uint32_t>(*v);
  if (auto v = header("X-RateLimit-Remaining")) h.remaining = to_number<std::uint32_t>(*v);
  if (auto v = header("X-RateLimit-Reset-After")) h.reset_after = to_number<double>(*v);
  if (auto v = header("Retry-After")) h.retry_after = to_number<double>(*v);
  if (auto v = header("X-RateLimit-Global")) h.global = *v == "true" || *v == "True";
  if (auto v = header("X-RateLimit-Scope")) h.scope = std::string(*v);
  if (!body.empty() && body.size() < 64 * 1024) {
    // The body's retry_after has decimals; prefer it to the rounded header.
    simdjson::ondemand::parser parser;
    simdjson::padded_string padded(body);
    simdjson::ondemand::document doc;
    if (!parser.iterate(padded).get(doc)) {
      simdjson::ondemand::object obj;
      if (!doc.get_object().get(obj)) {
        for (auto field : obj) {
          simdjson::ondemand::raw_json_string key;
          simdjson::ondemand::value v;
          if (field.key().get(key) || field.value().get(v)) break;
          if (key == "retry_after") {
            double d = 0;
            if (!v.get_double().get(d) && d >= 0) h.retry_after = d;
          } else if (key == "global") {
            bool g = false;
            if (!v.get_bool().get(g)) h.global = h.global || g;
          }
        }
      }
    }
  }
  return h;
}

}  // namespace musicbot::discord
