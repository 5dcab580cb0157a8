#include "musicbot/discord/commands.hpp"

#include "musicbot/discord/error.hpp"

#include <boost/json.hpp>

namespace musicbot::discord {

namespace json = boost::json;

namespace {

const boost::system::error_code invalid_command = make_error_code(error::invalid_command);

// Counts UTF-8 code points (Discord's limits are in characters).
std::size_t chars(std::string_view s) {
  std::size_t n = 0;
  for (char ch : s)
    if (const auto c = static_cast<unsigned char>(ch); (c & 0xC0) != 0x80) ++n;
  return n;
}

bool valid_name(std::string_view name) {
  if (chars(name) < 1 || chars(name) > 32) return false;
  for (char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 'A' && c <= 'Z') return false;  // must be lowercase
    if (c < 0x80 && !(c == '-' || c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

bool valid_description(std::string_view d) { return chars(d) >= 1 && chars(d) <= 100; }

json::value choice_value(const command_choice& c) {
  return std::visit([](const auto& v) { return json::value(v); }, c.value);
}

boost::system::result<void> validate_options(const std::vector<command_option>& options, int depth) {
  if (options.size() > 25 || depth > 3) return invalid_command;
  bool optional_seen = false;
  for (const auto& o : options) {
    if (!valid_name(o.name) || !valid_description(o.description)) return invalid_command;
    const bool sub = o.type == option_type::sub_command || o.type == option_type::sub_command_group;
    if (sub && (depth >= 3 || o.required)) return invalid_command;
    if (o.type == option_type::sub_command_group) {
      for (const auto& child : o.options)
        if (child.type != option_type::sub_command) return invalid_command;
    }
    if (!sub && !o.options.empty()) return invalid_command;
    if (o.required && optional_seen) return invalid_command;  // required options come first
    if (!o.required && !sub) optional_seen = true;
    if (o.choices.size() > 25 || (o.autocomplete && !o.choices.empty())) return invalid_command;
    for (const auto& c : o.choices)
      if (chars(c.name) < 1 || chars(c.name) > 100) return invalid_command;
    if (auto r = validate_options(o.options, depth + 1); !r) return r;
  }
  return {};
}

json::array options_json(const std::vector<command_option>& options) {
  json::array out;
  for (const auto& o : options) {
    json::object j{{"type", static_cast<int>(o.type)}, {"name", o.name}, {"description", o.description}};
    if (o.required) j["required"] = true;
    if (o.autocomplete) j["autocomplete"] = true;
    if (!o.choices.empty()) {
      json::array cs;
      for (const auto& c : o.choices) cs.push_back(json::object{{"name", c.name}, {"value", choice_value(c)}});
      j["choices"] = std::move(cs);
    }
    if (o.min_value) j["min_value"] = *o.min_value;
    if (o.max_value) j["max_value"] = *o.max_value;
    if (o.min_length) j["min_length"] = *o.min_length;
    if (o.max_length) j["max_length"] = *o.max_length;
    if (!o.channel_types.empty()) j["channel_types"] = json::value_from(o.channel_types);
    if (!o.options.empty()) j["options"] = options_json(o.options);
    out.push_back(std::move(j));
  }
  return out;
}

boost::system::result<void> validate_custom_id(std::string_view id) {
  if (id.empty()) return make_error_code(error::invalid_payload);
  if (chars(id) > max_custom_id_length) return make_error_code(error::custom_id_too_long);
  return {};
}

}  // namespace

boost::system::result<void> validate(const application_command& c) {
  if (!valid_name(c.name) || !valid_description(c.description)) return invalid_command;
  return validate_options(c.options, 1);
}

json::value to_json(const application_command& c) {
  json::object j{{"type", 1}, {"name", c.name}, {"description", c.description}, {"options", options_json(c.options)}};
  if (c.default_member_permissions) j["default_member_permissions"] = std::to_string(*c.default_member_permissions);
  if (c.guild_only) j["contexts"] = json::array{0};
  if (c.nsfw) j["nsfw"] = true;
  return j;
}

boost::system::result<void> validate(const message_content& m) {
  if (chars(m.content) > 2000 || m.components.size() > 5 || m.embeds.size() > 10) return make_error_code(error::invalid_payload);
  for (const auto& row : m.components) {
    std::size_t buttons = 0;
    std::size_t selects = 0;
    for (const auto& c : row.components) {
      if (const auto* b = std::get_if<button>(&c)) {
        ++buttons;
        if (b->style == button_style::link) {
          if (b->url.empty()) return make_error_code(error::invalid_payload);
        } else if (auto r = validate_custom_id(b->custom_id); !r) {
          return r;
        }
        if (chars(b->label) > 80) return make_error_code(error::invalid_payload);
      } else {
        const auto& s = std::get<select_menu>(c);
        ++selects;
        if (auto r = validate_custom_id(s.custom_id); !r) return r;
        if (s.options.empty() || s.options.size() > 25 || s.min_values > s.max_values ||
            s.max_values > s.options.size())
          return make_error_code(error::invalid_payload);
        for (const auto& o : s.options)
          if (chars(o.label) > 100 || chars(o.value) > 100 || chars(o.description) > 100)
            return make_error_code(error::invalid_payload);
      }
    }
    if (buttons > 5 || (selects > 0 && (selects > 1 || buttons > 0)) || (buttons == 0 && selects == 0))
      return make_error_code(error::invalid_payload);
  }
  return {};
}

json::value to_json(const message_content& m) {
  json::object j;
  j["content"] = m.content;
  if (!m.embeds.empty()) j["embeds"] = json::array(m.embeds.begin(), m.embeds.end());
  json::array rows;
  for (const auto& row : m.components) {
    json::array cs;
    for (const auto& c : row.components) {
      if (const auto* b = std::get_if<button>(&c)) {
        json::object bj{{"type", 2}, {"style", static_cast<int>(b->style)}, {"label", b->label}};
        if (b->style == button_style::link) bj["url"] = b->url;
        else bj["custom_id"] = b->custom_id;
        if (b->emoji) bj["emoji"] = json::object{{"name", *b->emoji}};
        if (b->disabled) bj["disabled"] = true;
        cs.push_back(std::move(bj));
      } else {
        const auto& s = std::get<select_menu>(c);
        json::array opts;
        for (const auto& o : s.options) {
          json::object oj{{"label", o.label}, {"value", o.value}};
          if (!o.description.empty()) oj["description"] = o.description;
          if (o.is_default) oj["default"] = true;
          opts.push_back(std::move(oj));
        }
        json::object sj{{"type", 3}, {"custom_id", s.custom_id}, {"options", std::move(opts)},
                        {"min_values", s.min_values}, {"max_values", s.max_values}};
        if (!s.placeholder.empty()) sj["placeholder"] = s.placeholder;
        if (s.disabled) sj["disabled"] = true;
        cs.push_back(std::move(sj));
      }
    }
    rows.push_back(json::object{{"type", 1}, {"components", std::move(cs)}});
  }
  if (!rows.empty()) j["components"] = std::move(rows);
  if (m.ephemeral) j["flags"] = 64;
  if (m.suppress_mentions) j["allowed_mentions"] = json::object{{"parse", json::array{}}};
  return j;
}

boost::system::result<void> validate(const interaction_response& r) {
  if (r.message) {
    if (auto v = validate(*r.message); !v) return v;
  }
  if (r.choices.size() > 25) return make_error_code(error::invalid_payload);
  if ((r.type == callback_type::channel_message_with_source || r.type == callback_type::update_message) && !r.message)
    return make_error_code(error::invalid_payload);
  return {};
}

json::value to_json(const interaction_response& r) {
  json::object j{{"type", static_cast<int>(r.type)}};
  if (r.message) {
    j["data"] = to_json(*r.message);
  } else if (r.type == callback_type::application_command_autocomplete_result) {
    json::array cs;
    for (const auto& c : r.choices) cs.push_back(json::object{{"name", c.name}, {"value", choice_value(c)}});
    j["data"] = json::object{{"choices", std::move(cs)}};
  } else if (r.ephemeral) {
    j["data"] = json::object{{"flags", 64}};
  }
  return j;
}

const interaction_option* find_option(const std::vector<interaction_option>& options, std::string_view name) noexcept {
  for (const auto& o : options) {
    if (o.name == name) return &o;
    if (const auto* nested = find_option(o.options, name)) return nested;
  }
  return nullptr;
}

}  // namespace musicbot::discord
