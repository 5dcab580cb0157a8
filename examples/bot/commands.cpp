#include "commands.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace musicbot::bot {

namespace {

using discord::application_command;
using discord::command_option;
using discord::option_type;

command_option opt(option_type type, std::string name, std::string description, bool required = true) {
  command_option o;
  o.type = type;
  o.name = std::move(name);
  o.description = std::move(description);
  o.required = required;
  return o;
}

application_command cmd(std::string name, std::string description, std::vector<command_option> options = {}) {
  application_command c;
  c.name = std::move(name);
  c.description = std::move(description);
  c.options = std::move(options);
  return c;
}

const discord::interaction_option* find_nested_option(const std::vector<discord::interaction_option>& options,
                                               std::string_view name) {
  for (const auto& o : options) {
    if (o.name == name) return &o;
    if (!o.options.empty()) {  // a subcommand: look inside
      if (const auto* inner = find_nested_option(o.options, name)) return inner;
    }
  }
  return nullptr;
}

}  // namespace

std::vector<application_command> command_definitions() {
  auto query = opt(option_type::string, "query", "A search or a link (YouTube, SoundCloud, HTTP)");
  query.max_length = 256;
  auto volume = opt(option_type::integer, "level", "0 to 200 (percent)");
  volume.min_value = 0;
  volume.max_value = 200;
  auto loop = opt(option_type::string, "mode", "off, track or queue");
  loop.choices = {{"off", "off"}, {"track", "track"}, {"queue", "queue"}};
  auto position = opt(option_type::integer, "position", "Position in the queue (1 = next)");
  position.min_value = 1;
  auto page = opt(option_type::integer, "page", "Page number", false);
  page.min_value = 1;

  command_option show = opt(option_type::sub_command, "show", "Show this server's music settings", false);
  command_option set = opt(option_type::sub_command, "set", "Change this server's music settings", false);
  auto dj = opt(option_type::role, "dj_role", "Role allowed to control playback", false);
  auto def_volume = opt(option_type::integer, "default_volume", "Volume for new sessions (0-200)", false);
  def_volume.min_value = 0;
  def_volume.max_value = 200;
  auto max_len = opt(option_type::integer, "max_queue_length", "Longest queue (1-1000)", false);
  max_len.min_value = 1;
  max_len.max_value = 1000;
  auto announce = opt(option_type::channel, "announce_channel", "Where now playing is announced", false);
  set.options = {dj, def_volume, max_len, announce};

  command_option token = opt(option_type::sub_command, "token", "Create a dashboard token (shown once)", false);
  auto label = opt(option_type::string, "label", "A name to recognise the token by", false);
  label.max_length = 64;
  auto ttl_days = opt(option_type::integer, "ttl_days", "Days until it expires (1-365)", false);
  ttl_days.min_value = 1;
  ttl_days.max_value = 365;
  token.options = {label, ttl_days};
  command_option revoke = opt(option_type::sub_command, "revoke", "Revoke a dashboard token", false);
  auto token_id = opt(option_type::string, "id", "The token's id (from /dashboard token)");
  token_id.max_length = 64;
  revoke.options = {token_id};
  auto dashboard = cmd("dashboard", "Web dashboard access for this server", {token, revoke});
  dashboard.default_member_permissions = 0x20;  // Manage Guild (the bot checks it again)

  return {
      cmd("play", "Play a song or add it to the queue", {query}),
      cmd("pause", "Pause playback"),
      cmd("resume", "Resume playback"),
      cmd("skip", "Skip the current song"),
      cmd("stop", "Stop playback (the queue is kept)"),
      cmd("queue", "Show the queue", {page}),
      cmd("nowplaying", "Show the current song"),
      cmd("volume", "Set the volume", {volume}),
      cmd("loop", "Set the loop mode", {loop}),
      cmd("shuffle", "Shuffle the queue"),
      cmd("remove", "Remove a song from the queue", {position}),
      cmd("move", "Move a song in the queue",
          {opt(option_type::integer, "from", "Current position"), opt(option_type::integer, "to", "New position")}),
      cmd("seek", "Jump to a time in the current song",
          {opt(option_type::string, "time", "Like 90, 1:30 or 1:02:03")}),
      cmd("autoplay", "Play related songs when the queue runs out",
          {opt(option_type::boolean, "enabled", "On or off")}),
      cmd("clear", "Remove every song from the queue"),
      cmd("leave", "Stop and leave the voice channel"),
      cmd("settings", "Server music settings", {show, set}),
      dashboard,
  };
}

bool is_dj_command(std::string_view name) {
  static constexpr std::array<std::string_view, 12> dj = {"pause", "resume", "skip", "stop", "volume", "loop",
                                                          "shuffle", "remove", "move", "seek", "clear", "leave"};
  for (const auto d : dj) {
    if (d == name) return true;
  }
  return false;
}

std::optional<std::string> string_option(const discord::interaction& i, std::string_view name) {
  const auto* o = find_nested_option(i.options, name);
  if (o == nullptr) return std::nullopt;
  if (const auto* s = std::get_if<std::string>(&o->value)) return *s;
  return std::nullopt;
}

std::optional<std::int64_t> integer_option(const discord::interaction& i, std::string_view name) {
  const auto* o = find_nested_option(i.options, name);
  if (o == nullptr) return std::nullopt;
  if (const auto* v = std::get_if<std::int64_t>(&o->value)) return *v;
  if (const auto* d = std::get_if<double>(&o->value)) return static_cast<std::int64_t>(*d);
  if (const auto* s = std::get_if<std::string>(&o->value)) {  // snowflakes (roles, channels) arrive as strings
    std::int64_t v = 0;
    const auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
    if (ec == std::errc() && p == s->data() + s->size()) return v;
  }
  return std::nullopt;
}

std::optional<bool> boolean_option(const discord::interaction& i, std::string_view name) {
  const auto* o = find_nested_option(i.options, name);
  if (o == nullptr) return std::nullopt;
  if (const auto* b = std::get_if<bool>(&o->value)) return *b;
  return std::nullopt;
}

std::optional<std::string> subcommand(const discord::interaction& i) {
  for (const auto& o : i.options) {
    if (o.type == static_cast<int>(option_type::sub_command)) return o.name;
  }
  return std::nullopt;
}

std::string track_line(const queue::track& t) {
  std::string line = "**" + t.title + "**";
  if (!t.author.empty()) line += " by " + t.author;
  if (!t.is_stream) line += " (" + format_duration(t.length.count()) + ")";
  return line;
}

std::string queue_button_id(std::uint64_t guild, std::size_t page) {
  return "queue:" + std::to_string(guild) + ":" + std::to_string(page);
}

std::optional<queue_button> parse_queue_button(std::string_view id) {
  constexpr std::string_view prefix = "queue:";
  if (id.size() > discord::max_custom_id_length || id.substr(0, prefix.size()) != prefix) return std::nullopt;
  id.remove_prefix(prefix.size());
  const auto colon = id.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto digits_only = [](std::string_view s) {
    return !s.empty() && s.size() <= 20 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  const auto guild_text = id.substr(0, colon);
  const auto page_text = id.substr(colon + 1);
  if (!digits_only(guild_text) || !digits_only(page_text)) return std::nullopt;
  queue_button out;
  auto [gp, gec] = std::from_chars(guild_text.data(), guild_text.data() + guild_text.size(), out.guild);
  auto [pp, pec] = std::from_chars(page_text.data(), page_text.data() + page_text.size(), out.page);
  if (gec != std::errc() || pec != std::errc() || gp != guild_text.data() + guild_text.size() ||
      pp != page_text.data() + page_text.size() || out.guild == 0 || out.page > max_queue_page) {
    return std::nullopt;
  }
  return out;
}

discord::message_content queue_message(std::uint64_t guild, const queue::queue_page& p) {
  discord::message_content m;
  m.content = "Queue — page " + std::to_string(p.page + 1) + "/" + std::to_string(p.page_count) + ", " +
              std::to_string(p.total) + " tracks\n";
  for (std::size_t n = 0; n < p.items.size(); ++n) {
    m.content += std::to_string(p.first_position + n + 1) + ". " + track_line(p.items[n]) + "\n";
  }
  if (m.content.size() > 2000) {  // Discord's message limit; cut on a UTF-8 boundary
    std::size_t cut = 1997;
    while (cut > 0 && (static_cast<unsigned char>(m.content[cut]) & 0xC0U) == 0x80U) --cut;
    m.content.resize(cut);
    m.content += "...";
  }
  discord::button previous;
  previous.label = "Previous";
  previous.custom_id = queue_button_id(guild, p.page == 0 ? 0 : p.page - 1);
  previous.disabled = p.page == 0;
  discord::button next;
  next.label = "Next";
  next.custom_id = queue_button_id(guild, p.page + 1);
  next.disabled = p.page + 1 >= p.page_count;
  if (previous.disabled && next.disabled) return m;  // one page: no buttons
  discord::action_row row;
  row.components.emplace_back(std::move(previous));
  row.components.emplace_back(std::move(next));
  m.components.push_back(std::move(row));
  return m;
}

std::string format_duration(std::int64_t ms) {
  if (ms < 0) ms = 0;
  const auto total = ms / 1000;
  const auto h = total / 3600;
  const auto m = (total / 60) % 60;
  const auto s = total % 60;
  char buf[32];
  if (h > 0) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(h), static_cast<long long>(m),
                  static_cast<long long>(s));
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(m), static_cast<long long>(s));
  }
  return buf;
}

std::optional<std::int64_t> parse_timestamp(std::string_view text) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  std::int64_t total = 0;
  int parts = 0;
  while (!text.empty()) {
    const auto colon = text.find(':');
    const auto part = text.substr(0, colon);
    std::int64_t v = 0;
    const auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (ec != std::errc() || p != part.data() + part.size() || part.empty() || v < 0) return std::nullopt;
    if (parts > 0 && v >= 60) return std::nullopt;
    total = total * 60 + v;
    if (++parts > 3) return std::nullopt;
    if (colon == std::string_view::npos) break;
    text.remove_prefix(colon + 1);
    if (text.empty()) return std::nullopt;
  }
  return total * 1000;
}

}  // namespace musicbot::bot
