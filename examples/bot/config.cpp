#include "config.hpp"

#include <musicbot/net/url.hpp>

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <variant>

namespace musicbot::bot {

namespace {

// A value as read from TOML or from the environment (always a string there).
struct raw_value {
  std::variant<std::string, std::int64_t, double, bool, std::vector<std::string>> value;
  bool from_env = false;
};

using setter = std::function<std::optional<std::string>(const raw_value&)>;

struct binding {
  std::string key;  // "section.name"
  setter apply;
};

std::optional<std::int64_t> as_integer(const raw_value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v.value)) return *i;
  if (const auto* s = std::get_if<std::string>(&v.value); s != nullptr && v.from_env) {
    std::int64_t out = 0;
    const auto* end = s->data() + s->size();
    const auto [p, ec] = std::from_chars(s->data(), end, out);
    if (ec == std::errc() && p == end) return out;
  }
  return std::nullopt;
}

std::optional<double> as_number(const raw_value& v) {
  if (const auto* d = std::get_if<double>(&v.value)) return *d;
  if (const auto i = as_integer(v)) return static_cast<double>(*i);
  if (const auto* s = std::get_if<std::string>(&v.value); s != nullptr && v.from_env) {
    char* end = nullptr;
    const double d = std::strtod(s->c_str(), &end);
    if (end != s->c_str() && *end == '\0') return d;
  }
  return std::nullopt;
}

const std::string* as_string(const raw_value& v) { return std::get_if<std::string>(&v.value); }

template <class Int>
setter integer(Int& target, std::int64_t min, std::int64_t max) {
  return [&target, min, max](const raw_value& v) -> std::optional<std::string> {
    const auto i = as_integer(v);
    if (!i) return "must be an integer";
    if (*i < min || *i > max) {
      return "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + std::to_string(*i);
    }
    target = static_cast<Int>(*i);
    return std::nullopt;
  };
}

template <class Int>
setter optional_integer(std::optional<Int>& target, std::int64_t min, std::int64_t max, std::string_view none_word) {
  return [&target, min, max, none_word](const raw_value& v) -> std::optional<std::string> {
    if (const auto* s = as_string(v); s != nullptr && *s == none_word) {
      target.reset();
      return std::nullopt;
    }
    Int value{};
    if (auto err = integer(value, min, max)(v)) return *err + " or \"" + std::string(none_word) + "\"";
    target = value;
    return std::nullopt;
  };
}

setter seconds(std::chrono::seconds& target, std::int64_t min, std::int64_t max) {
  return [&target, min, max](const raw_value& v) -> std::optional<std::string> {
    std::int64_t s = 0;
    if (auto err = integer(s, min, max)(v)) return "(seconds) " + *err;
    target = std::chrono::seconds(s);
    return std::nullopt;
  };
}

setter number(double& target, double min, double max) {
  return [&target, min, max](const raw_value& v) -> std::optional<std::string> {
    const auto d = as_number(v);
    if (!d) return "must be a number";
    if (!(*d >= min && *d <= max)) {
      std::ostringstream msg;
      msg << "must be between " << min << " and " << max << ", got " << *d;
      return msg.str();
    }
    target = *d;
    return std::nullopt;
  };
}

setter text(std::string& target, std::size_t max_length = 4096) {
  return [&target, max_length](const raw_value& v) -> std::optional<std::string> {
    const auto* s = as_string(v);
    if (s == nullptr) return "must be a string";
    if (s->size() > max_length) return "is longer than " + std::to_string(max_length) + " characters";
    target = *s;
    return std::nullopt;
  };
}

setter choice(std::string& target, std::vector<std::string> allowed) {
  return [&target, allowed = std::move(allowed)](const raw_value& v) -> std::optional<std::string> {
    const auto* s = as_string(v);
    if (s == nullptr || std::find(allowed.begin(), allowed.end(), *s) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return "must be one of: " + list;
    }
    target = *s;
    return std::nullopt;
  };
}

setter boolean(bool& target) {
  return [&target](const raw_value& v) -> std::optional<std::string> {
    if (const auto* b = std::get_if<bool>(&v.value)) {
      target = *b;
      return std::nullopt;
    }
    if (const auto* s = as_string(v); s != nullptr && v.from_env) {
      if (*s == "true" || *s == "1") {
        target = true;
        return std::nullopt;
      }
      if (*s == "false" || *s == "0") {
        target = false;
        return std::nullopt;
      }
    }
    return "must be true or false";
  };
}

setter days(std::chrono::seconds& target, std::int64_t min, std::int64_t max) {
  return [&target, min, max](const raw_value& v) -> std::optional<std::string> {
    std::int64_t d = 0;
    if (auto err = integer(d, min, max)(v)) return "(days) " + *err;
    target = std::chrono::hours(24 * d);
    return std::nullopt;
  };
}

setter secret_value(core::secret& target) {
  return [&target](const raw_value& v) -> std::optional<std::string> {
    const auto* s = as_string(v);
    if (s == nullptr) return "must be a string";
    target = core::secret(*s);
    return std::nullopt;
  };
}

std::optional<std::string> read_secret_file(const std::string& path, core::secret& target) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot read secret file '" + path + "'";
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!content.empty() && (content.back() == '\n' || content.back() == '\r' || content.back() == ' ')) {
    content.pop_back();
  }
  if (content.empty()) return "secret file '" + path + "' is empty";
  if (content.size() > 8192) return "secret file '" + path + "' is larger than 8 KiB";
  target = core::secret(std::move(content));
  return std::nullopt;
}

setter secret_file(core::secret& target) {
  return [&target](const raw_value& v) -> std::optional<std::string> {
    const auto* s = as_string(v);
    if (s == nullptr) return "must be a file path";
    return read_secret_file(*s, target);
  };
}

setter string_list(std::vector<std::string>& target, std::size_t max_items) {
  return [&target, max_items](const raw_value& v) -> std::optional<std::string> {
    std::vector<std::string> items;
    if (const auto* list = std::get_if<std::vector<std::string>>(&v.value)) {
      items = *list;
    } else if (const auto* s = as_string(v); s != nullptr && v.from_env) {
      std::stringstream in(*s);
      for (std::string item; std::getline(in, item, ',');) {
        if (!item.empty()) items.push_back(item);
      }
    } else {
      return "must be an array of strings";
    }
    if (items.size() > max_items) return "has more than " + std::to_string(max_items) + " items";
    target = std::move(items);
    return std::nullopt;
  };
}

std::vector<binding> bindings_for(bot_config& c) {
  constexpr auto u32max = static_cast<std::int64_t>(std::numeric_limits<std::uint32_t>::max());
  return {
      {"discord.token", secret_value(c.discord.token)},
      {"discord.token_file", secret_file(c.discord.token)},
      {"discord.application_id", integer(c.discord.application_id, 0, std::numeric_limits<std::int64_t>::max())},
      {"discord.rest_url", text(c.discord.rest_url, 2048)},
      {"discord.gateway_url", text(c.discord.gateway_url, 2048)},
      {"discord.shard_count", optional_integer(c.discord.shard_count, 1, 65535, "auto")},
      {"discord.shard_first", integer(c.discord.shard_first, 0, 65534)},
      {"discord.shard_last", optional_integer(c.discord.shard_last, 0, 65534, "last")},
      {"discord.intents", integer(c.discord.intents, 0, u32max)},
      {"store.backend", choice(c.store.backend, {"sqlite", "postgres"})},
      {"store.sqlite_path", text(c.store.sqlite_path, 4096)},
      {"store.postgres_dsn", secret_value(c.store.postgres_dsn)},
      {"store.postgres_dsn_file", secret_file(c.store.postgres_dsn)},
      {"store.pool_max", integer(c.store.pool_max, 1, 256)},
      {"redis.url", secret_value(c.redis.url)},
      {"redis.url_file", secret_file(c.redis.url)},
      {"redis.key_prefix", text(c.redis.key_prefix, 64)},
      {"redis.expected_replicas", integer(c.redis.expected_replicas, 1, 1024)},
      {"redis.fallback_fraction", number(c.redis.fallback_fraction, 0.01, 1.0)},
      {"redis.identify_coordination", boolean(c.redis.identify_coordination)},
      {"limits.user_commands", integer(c.limits.user_commands, 1, 10000)},
      {"limits.user_window_seconds", seconds(c.limits.user_window, 1, 3600)},
      {"limits.guild_commands", integer(c.limits.guild_commands, 1, 100000)},
      {"limits.guild_window_seconds", seconds(c.limits.guild_window, 1, 3600)},
      {"music.default_volume", integer(c.music.default_volume, 0, 200)},
      {"music.max_queue_length", integer(c.music.max_queue_length, 1, 10000)},
      {"music.max_per_user", integer(c.music.max_per_user, 0, 10000)},
      {"music.idle_disconnect_seconds", seconds(c.music.idle_disconnect, 10, 86400)},
      {"music.autoplay_history", integer(c.music.autoplay_history, 1, 500)},
      {"music.search_prefixes", string_list(c.music.search_prefixes, 16)},
      {"observability.listen_address", text(c.observability.listen_address, 255)},
      {"observability.port", integer(c.observability.port, 0, 65535)},
      {"observability.bearer_token", secret_value(c.observability.bearer_token)},
      {"observability.bearer_token_file", secret_file(c.observability.bearer_token)},
      {"observability.log_format", choice(c.observability.log_format, {"text", "json"})},
      {"observability.log_level", choice(c.observability.log_level, {"trace", "debug", "info", "warn", "error"})},
      {"observability.trace_sample_ratio", number(c.observability.trace_sample_ratio, 0.0, 1.0)},
      {"observability.otlp_endpoint", text(c.observability.otlp_endpoint, 2048)},
      {"api.enabled", boolean(c.api.enabled)},
      {"api.host", text(c.api.host, 255)},
      {"api.port", integer(c.api.port, 0, 65535)},
      {"api.allowed_origins", string_list(c.api.allowed_origins, 32)},
      {"api.token_ttl_days", days(c.api.token_ttl, 1, 365)},
      {"api.public_url", text(c.api.public_url, 2048)},
      {"shutdown.deadline_seconds", seconds(c.shutdown_deadline, 1, 300)},
  };
}

std::optional<raw_value> from_toml(const toml::node& node) {
  if (const auto* s = node.as_string()) return raw_value{s->get(), false};
  if (const auto* i = node.as_integer()) return raw_value{i->get(), false};
  if (const auto* d = node.as_floating_point()) return raw_value{d->get(), false};
  if (const auto* b = node.as_boolean()) return raw_value{b->get(), false};
  if (const auto* a = node.as_array()) {
    std::vector<std::string> items;
    for (const auto& item : *a) {
      const auto* s = item.as_string();
      if (s == nullptr) return std::nullopt;
      items.push_back(s->get());
    }
    return raw_value{std::move(items), false};
  }
  return std::nullopt;
}

std::string env_name(const std::string& key) {
  std::string out = "MUSICBOT_";
  for (const char c : key) out.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return out;
}

void load_nodes(const toml::node* nodes, bot_config& config, std::vector<config_problem>& problems,
                const env_lookup& env) {
  if (nodes == nullptr) return;
  const auto* array = nodes->as_array();
  if (array == nullptr) {
    problems.push_back({"lavalink.nodes", "must be an array of tables ([[lavalink.nodes]])"});
    return;
  }
  if (array->size() > 64) problems.push_back({"lavalink.nodes", "has more than 64 nodes"});
  std::set<std::string> names;
  std::size_t index = 0;
  for (const auto& item : *array) {
    const std::string prefix = "lavalink.nodes[" + std::to_string(index++) + "]";
    const auto* table = item.as_table();
    if (table == nullptr) {
      problems.push_back({prefix, "must be a table with name, url, password"});
      continue;
    }
    lavalink_node_config node;
    std::string password_file;
    for (const auto& [k, v] : *table) {
      const std::string key(k.str());
      const auto* s = v.as_string();
      if (key != "name" && key != "url" && key != "password" && key != "password_file" && key != "region") {
        problems.push_back({prefix + "." + key, "unknown key (known: name, url, password, password_file, region)"});
      } else if (s == nullptr) {
        problems.push_back({prefix + "." + key, "must be a string"});
      } else if (key == "name") {
        node.name = s->get();
      } else if (key == "url") {
        node.url = s->get();
      } else if (key == "password") {
        node.password = core::secret(s->get());
      } else if (key == "password_file") {
        password_file = s->get();
      } else {
        node.region = s->get();
      }
    }
    if (node.name.empty() || node.name.size() > 64) {
      problems.push_back({prefix + ".name", "is required (1 to 64 characters)"});
    } else if (!names.insert(node.name).second) {
      problems.push_back({prefix + ".name", "duplicates another node's name '" + node.name + "'"});
    }
    // MUSICBOT_LAVALINK_<NAME>_PASSWORD overrides the file's password.
    std::string upper;
    for (const char c : node.name) upper.push_back(std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : '_');
    if (auto pw = env("MUSICBOT_LAVALINK_" + upper + "_PASSWORD")) {
      node.password = core::secret(*pw);
    } else if (!password_file.empty()) {
      if (auto err = read_secret_file(password_file, node.password)) problems.push_back({prefix + ".password_file", *err});
    }
    if (auto parsed = net::parse_endpoint(node.url); !parsed) {
      problems.push_back({prefix + ".url", "must be an http:// or https:// URL: " + parsed.error().message()});
    } else if (parsed->scheme != net::scheme::http && parsed->scheme != net::scheme::https) {
      problems.push_back({prefix + ".url", "must use http or https"});
    }
    if (node.password.empty()) problems.push_back({prefix + ".password", "is required (or password_file, or MUSICBOT_LAVALINK_" + upper + "_PASSWORD)"});
    config.lavalink_nodes.push_back(std::move(node));
  }
}

void cross_checks(const bot_config& c, std::vector<config_problem>& problems) {
  if (c.discord.token.empty()) {
    problems.push_back({"discord.token", "is required (discord.token, discord.token_file or MUSICBOT_DISCORD_TOKEN)"});
  }
  if (c.lavalink_nodes.empty()) problems.push_back({"lavalink.nodes", "at least one node is required"});
  if (c.store.backend == "postgres" && c.store.postgres_dsn.empty()) {
    problems.push_back({"store.postgres_dsn", "is required when store.backend is \"postgres\""});
  }
  if (c.store.backend == "sqlite" && c.store.sqlite_path.empty()) {
    problems.push_back({"store.sqlite_path", "must not be empty (use \":memory:\" for a throwaway store)"});
  }
  if (c.discord.shard_last && *c.discord.shard_last < c.discord.shard_first) {
    problems.push_back({"discord.shard_last", "must be >= discord.shard_first"});
  }
  if (c.discord.shard_count && c.discord.shard_last && *c.discord.shard_last >= *c.discord.shard_count) {
    problems.push_back({"discord.shard_last", "must be < discord.shard_count"});
  }
  if (!c.redis.url.empty()) {
    const auto& url = c.redis.url.reveal();
    if (url.rfind("redis://", 0) != 0 && url.rfind("rediss://", 0) != 0) {
      problems.push_back({"redis.url", "must start with redis:// or rediss://"});  // never echo the value
    }
  }
  for (const auto& prefix : c.music.search_prefixes) {
    if (prefix.empty() || prefix.size() > 32 || prefix.back() != ':') {
      problems.push_back({"music.search_prefixes", "each prefix must be 1-32 characters ending in ':' (e.g. \"ytsearch:\")"});
      break;
    }
  }
  if (c.api.host.empty()) problems.push_back({"api.host", "must not be empty (127.0.0.1 keeps the API local)"});
  for (const auto& origin : c.api.allowed_origins) {
    const auto parsed = net::parse_endpoint(origin);
    const auto scheme_end = origin.find("://");
    const bool has_path = scheme_end != std::string::npos && origin.find('/', scheme_end + 3) != std::string::npos;
    if (origin == "*" || !parsed || (parsed->scheme != net::scheme::http && parsed->scheme != net::scheme::https) ||
        has_path) {
      problems.push_back({"api.allowed_origins",
                          "each origin must be scheme://host[:port] with http or https and no path (\"*\" is not allowed)"});
      break;
    }
  }
  if (!c.api.public_url.empty()) {
    const auto parsed = net::parse_endpoint(c.api.public_url);
    if (!parsed || (parsed->scheme != net::scheme::http && parsed->scheme != net::scheme::https)) {
      problems.push_back({"api.public_url", "must be an http:// or https:// URL"});
    }
  }
  if (c.api.enabled && c.api.port != 0 && c.api.port == c.observability.port) {
    problems.push_back({"api.port", "must differ from observability.port"});
  }
  if (c.music.max_per_user > c.music.max_queue_length) {
    problems.push_back({"music.max_per_user", "must not exceed music.max_queue_length"});
  }
}

}  // namespace

env_lookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    return std::nullopt;
  };
}

config_load_result load_config(std::string_view toml_text, const env_lookup& env, std::string_view source) {
  config_load_result out;
  toml::table root;
  try {
    root = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    std::ostringstream where;
    where << source << ":" << e.source().begin.line << ":" << e.source().begin.column;
    out.problems.push_back({where.str(), std::string("TOML syntax error: ") + std::string(e.description())});
    return out;
  }

  auto bindings = bindings_for(out.config);
  std::set<std::string> known;
  for (const auto& b : bindings) known.insert(b.key);

  // Unknown keys and sections, all of them.
  for (const auto& [section_key, section] : root) {
    const std::string section_name(section_key.str());
    if (section_name == "lavalink") {
      if (const auto* t = section.as_table()) {
        for (const auto& [k, v] : *t) {
          if (k.str() != "nodes") out.problems.push_back({"lavalink." + std::string(k.str()), "unknown key (known: nodes)"});
        }
      } else {
        out.problems.push_back({"lavalink", "must be a table"});
      }
      continue;
    }
    const auto* table = section.as_table();
    if (table == nullptr) {
      out.problems.push_back({section_name, "unknown top-level key (expected a [section])"});
      continue;
    }
    for (const auto& [k, v] : *table) {
      const std::string key = section_name + "." + std::string(k.str());
      if (known.count(key) == 0) out.problems.push_back({key, "unknown key"});
    }
  }

  for (const auto& b : bindings) {
    const auto dot = b.key.find('.');
    const auto* node = root[b.key.substr(0, dot)][b.key.substr(dot + 1)].node();
    // The environment wins over a secret file: `token_file` is not read when
    // MUSICBOT_DISCORD_TOKEN is set.
    const bool file_key = b.key.size() > 5 && b.key.compare(b.key.size() - 5, 5, "_file") == 0;
    if (file_key && env(env_name(b.key.substr(0, b.key.size() - 5)))) node = nullptr;
    if (node != nullptr) {
      if (auto raw = from_toml(*node)) {
        if (auto err = b.apply(*raw)) out.problems.push_back({b.key, *err});
      } else {
        out.problems.push_back({b.key, "has an unsupported type"});
      }
    }
    if (auto value = env(env_name(b.key))) {
      if (auto err = b.apply(raw_value{*value, true})) out.problems.push_back({env_name(b.key), *err});
    }
  }
  load_nodes(root["lavalink"]["nodes"].node(), out.config, out.problems, env);
  cross_checks(out.config, out.problems);
  return out;
}

config_load_result load_config_file(const std::string& path, const env_lookup& env) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    config_load_result out;
    out.problems.push_back({path, "cannot read the configuration file"});
    return out;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > 1024 * 1024) {
    config_load_result out;
    out.problems.push_back({path, "configuration file is larger than 1 MiB"});
    return out;
  }
  return load_config(text, env, path);
}

std::string describe(const std::vector<config_problem>& problems) {
  std::string out;
  for (const auto& p : problems) out += p.key + ": " + p.message + "\n";
  return out;
}

}  // namespace musicbot::bot
