#include "musicbot/discord/gateway_payload.hpp"

#include "musicbot/discord/error.hpp"
#include "musicbot/discord/zlib_stream.hpp"

#include "json_fields.hpp"

#include <simdjson.h>

#include <charconv>
#include <cstring>
#include <type_traits>
#include <utility>

namespace musicbot::discord {

namespace od = simdjson::ondemand;
static_assert(json_padding >= simdjson::SIMDJSON_PADDING, "inflater padding must satisfy simdjson");

std::optional<snowflake> parse_snowflake(std::string_view text) noexcept {
  // Hot path (several ids per event): up to 19 digits cannot overflow, so
  // the loop needs no checks; 20 digits take the checked path.
  if (text.empty() || text.size() > 20) return std::nullopt;
  snowflake v = 0;
  if (text.size() <= 19) {
    for (char c : text) {
      const auto digit = static_cast<unsigned>(static_cast<unsigned char>(c)) - unsigned{'0'};
      if (digit > 9) return std::nullopt;
      v = v * 10 + digit;
    }
    return v;
  }
  const auto* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || p != end) return std::nullopt;
  return v;
}

namespace {

// Field readers: false means "present with the wrong type".
bool read_snowflake(od::value v, snowflake& out) {
  od::json_type type{};
  if (v.type().get(type)) return false;
  if (type == od::json_type::string) {
    std::string_view text;
    if (v.get_string().get(text)) return false;
    auto id = parse_snowflake(text);
    if (!id) return false;
    out = *id;
    return true;
  }
  if (type == od::json_type::number) return !v.get_uint64().get(out);
  return false;
}

bool read_opt_snowflake(od::value v, std::optional<snowflake>& out) {
  bool null = false;
  if (v.is_null().get(null)) return false;
  if (null) {
    out.reset();
    return true;
  }
  snowflake id = 0;
  if (!read_snowflake(v, id)) return false;
  out = id;
  return true;
}

bool read_string(od::value v, std::string& out) {
  std::string_view text;
  if (v.get_string().get(text)) return false;
  out.assign(text);
  return true;
}

bool read_bool(od::value v, bool& out) { return !v.get_bool().get(out); }

// Permission bitfields are strings of decimal digits.
bool read_bitfield(od::value v, std::uint64_t& out) {
  std::string_view text;
  if (v.get_string().get(text)) return !v.get_uint64().get(out);
  auto n = parse_snowflake(text);
  if (!n) return false;
  out = *n;
  return true;
}

template <class Int>
bool read_int(od::value v, Int& out) {
  std::int64_t n = 0;
  if (v.get_int64().get(n) || !std::in_range<Int>(n)) return false;  // no silent wrap-around
  out = static_cast<Int>(n);
  return true;
}

using ec_t = boost::system::error_code;

#define MB_REQUIRE(expr)                                  \
  do {                                                    \
    if (!(expr)) return make_error_code(error::invalid_payload); \
  } while (false)

// Returns the error of `expr` (an error_code), if any.
#define MB_TRY(expr)                                \
  do {                                              \
    if (const ec_t mb_ec_ = (expr)) return mb_ec_; \
  } while (false)

using detail::field_step;
using detail::for_each_field;
using detail::for_each_field_of;
using detail::for_each_object;

ec_t parse_voice_state(od::object obj, voice_state& vs) {
  bool has_user = false;
  auto field = [&](od::raw_json_string key, od::value& v) -> ec_t {
    if (key == "guild_id") MB_REQUIRE(read_opt_snowflake(v, vs.guild_id));
    else if (key == "channel_id") MB_REQUIRE(read_opt_snowflake(v, vs.channel_id));
    else if (key == "user_id") { MB_REQUIRE(read_snowflake(v, vs.user_id)); has_user = true; }
    else if (key == "session_id") MB_REQUIRE(read_string(v, vs.session_id));
    else if (key == "deaf") MB_REQUIRE(read_bool(v, vs.deaf));
    else if (key == "mute") MB_REQUIRE(read_bool(v, vs.mute));
    else if (key == "self_deaf") MB_REQUIRE(read_bool(v, vs.self_deaf));
    else if (key == "self_mute") MB_REQUIRE(read_bool(v, vs.self_mute));
    else if (key == "self_video") MB_REQUIRE(read_bool(v, vs.self_video));
    else if (key == "suppress") MB_REQUIRE(read_bool(v, vs.suppress));
    return {};
  };
  MB_TRY(for_each_field(obj, field));
  MB_REQUIRE(has_user);
  return {};
}

// READY `shard`: exactly two unsigned 32-bit numbers.
bool read_shard(od::value& v, std::optional<std::array<std::uint32_t, 2>>& out) {
  od::array arr;
  if (v.get_array().get(arr)) return false;
  std::array<std::uint32_t, 2> shard{};
  std::size_t i = 0;
  for (auto el : arr) {
    std::uint64_t n = 0;
    if (i >= 2 || el.get_uint64().get(n) || n > UINT32_MAX) return false;
    shard[i++] = static_cast<std::uint32_t>(n);
  }
  if (i != 2) return false;
  out = shard;
  return true;
}

ec_t parse_ready(od::object obj, ready_event& r) {
  auto field = [&](od::raw_json_string key, od::value& v) -> ec_t {
    if (key == "v") MB_REQUIRE(read_int(v, r.api_version));
    else if (key == "session_id") MB_REQUIRE(read_string(v, r.session_id));
    else if (key == "resume_gateway_url") MB_REQUIRE(read_string(v, r.resume_gateway_url));
    else if (key == "user") {
      return for_each_field_of(v, [&](od::raw_json_string uk, od::value& uv) -> ec_t {
        if (uk == "id") MB_REQUIRE(read_snowflake(uv, r.user_id));
        else if (uk == "username") MB_REQUIRE(read_string(uv, r.username));
        return {};
      });
    } else if (key == "application") {
      return for_each_field_of(v, [&](od::raw_json_string ak, od::value& av) -> ec_t {
        if (ak == "id") MB_REQUIRE(read_snowflake(av, r.application_id));
        return {};
      });
    } else if (key == "shard") MB_REQUIRE(read_shard(v, r.shard));
    else if (key == "guilds") {
      return for_each_object(v, [&](od::object g) {
        return for_each_field(g, [&](od::raw_json_string gk, od::value& gv) -> ec_t {
          if (gk == "id") {
            snowflake id = 0;
            MB_REQUIRE(read_snowflake(gv, id));
            r.guild_ids.push_back(id);
          }
          return {};
        });
      });
    }
    return {};
  };
  MB_TRY(for_each_field(obj, field));
  MB_REQUIRE(!r.session_id.empty() && !r.resume_gateway_url.empty());
  return {};
}

ec_t parse_guild_create(od::object obj, guild_create_event& g) {
  bool has_id = false;
  auto field = [&](od::raw_json_string key, od::value& v) -> ec_t {
    if (key == "id") { MB_REQUIRE(read_snowflake(v, g.id)); has_id = true; }
    else if (key == "name") MB_REQUIRE(read_string(v, g.name));
    else if (key == "unavailable") MB_REQUIRE(read_bool(v, g.unavailable));
    else if (key == "member_count") {
      std::uint64_t n = 0;
      MB_REQUIRE(!v.get_uint64().get(n));
      g.member_count = n;
    } else if (key == "voice_states") {
      return for_each_object(v, [&](od::object vo) {
        voice_state vs;
        MB_TRY(parse_voice_state(vo, vs));
        g.voice_states.push_back(std::move(vs));
        return ec_t{};
      });
    }
    return {};
  };
  MB_TRY(for_each_field(obj, field));
  MB_REQUIRE(has_id);
  for (auto& vs : g.voice_states)
    if (!vs.guild_id) vs.guild_id = g.id;
  return {};
}

ec_t parse_guild_delete(od::object obj, guild_delete_event& g) {
  bool has_id = false;
  auto field = [&](od::raw_json_string key, od::value& v) -> ec_t {
    if (key == "id") { MB_REQUIRE(read_snowflake(v, g.id)); has_id = true; }
    else if (key == "unavailable") MB_REQUIRE(read_bool(v, g.unavailable));
    return {};
  };
  MB_TRY(for_each_field(obj, field));
  MB_REQUIRE(has_id);
  return {};
}

ec_t parse_voice_server(od::object obj, voice_server_update_event& e) {
  bool has_guild = false;
  bool has_token = false;
  auto field = [&](od::raw_json_string key, od::value& v) -> ec_t {
    if (key == "token") { MB_REQUIRE(read_string(v, e.token)); has_token = true; }
    else if (key == "guild_id") { MB_REQUIRE(read_snowflake(v, e.guild_id)); has_guild = true; }
    else if (key == "endpoint") {
      bool null = false;
      MB_REQUIRE(!v.is_null().get(null));
      if (null) e.endpoint.reset();
      else {
        std::string ep;
        MB_REQUIRE(read_string(v, ep));
        e.endpoint = std::move(ep);
      }
    }
    return {};
  };
  MB_TRY(for_each_field(obj, field));
  MB_REQUIRE(has_guild && has_token);
  return {};
}

// An option's `value`: a string, boolean, integer or other number; any other
// JSON type (null, object, array) leaves it as it was.
bool read_option_value(od::value& v, decltype(interaction_option::value)& out) {
  od::json_type type{};
  if (v.type().get(type)) return false;
  if (type == od::json_type::string) {
    std::string s;
    if (!read_string(v, s)) return false;
    out = std::move(s);
  } else if (type == od::json_type::boolean) {
    bool b = false;
    if (!read_bool(v, b)) return false;
    out = b;
  } else if (type == od::json_type::number) {
    od::number_type nt{};
    if (v.get_number_type().get(nt)) return false;
    if (nt == od::number_type::signed_integer || nt == od::number_type::unsigned_integer) {
      std::int64_t n = 0;
      if (v.get_int64().get(n)) return false;
      out = n;
    } else {
      double d = 0;
      if (v.get_double().get(d)) return false;
      out = d;
    }
  }
  return true;
}

constexpr int max_option_depth = 3;  // subcommand group > subcommand > option

// `v`: an array of options (objects), nested `depth` levels deep.
ec_t parse_options(od::value& v, std::vector<interaction_option>& out, int depth) {
  MB_REQUIRE(depth <= max_option_depth);
  return for_each_object(v, [&](od::object o) {
    interaction_option opt;
    auto field = [&](od::raw_json_string key, od::value& ov) -> ec_t {
      if (key == "name") MB_REQUIRE(read_string(ov, opt.name));
      else if (key == "type") MB_REQUIRE(read_int(ov, opt.type));
      else if (key == "focused") MB_REQUIRE(read_bool(ov, opt.focused));
      else if (key == "value") MB_REQUIRE(read_option_value(ov, opt.value));
      else if (key == "options") return parse_options(ov, opt.options, depth + 1);
      return {};
    };
    MB_TRY(for_each_field(o, field));
    out.push_back(std::move(opt));
    return ec_t{};
  });
}

// `v`: a user object; only its id is read, the rest is skipped by the
// parent's iteration.
ec_t parse_user_id(od::value& v, snowflake& id) {
  return for_each_field_of(v, [&](od::raw_json_string key, od::value& uv) -> field_step {
    if (key != "id") return {};
    MB_REQUIRE(read_snowflake(uv, id));
    return field_step::stop();
  });
}

// `data` of an interaction.
ec_t parse_interaction_data(od::value& v, interaction& in) {
  return for_each_field_of(v, [&](od::raw_json_string key, od::value& dv) -> ec_t {
    if (key == "name") MB_REQUIRE(read_string(dv, in.command_name));
    else if (key == "custom_id") MB_REQUIRE(read_string(dv, in.custom_id));
    else if (key == "component_type") MB_REQUIRE(read_int(dv, in.component_type));
    else if (key == "id") {  // a command's id; dropped for components once the type is known
      snowflake id = 0;
      MB_REQUIRE(read_snowflake(dv, id));
      in.command_id = id;
    } else if (key == "options") return parse_options(dv, in.options, 1);
    else if (key == "values") {
      od::array arr;
      MB_REQUIRE(!dv.get_array().get(arr));
      for (auto el : arr) {
        std::string_view s;
        MB_REQUIRE(!el.get_string().get(s));
        in.values.emplace_back(s);
      }
    }
    return {};
  });
}

ec_t parse_interaction(od::object obj, interaction& in) {
  bool has_id = false;
  bool has_token = false;
  auto field = [&](od::raw_json_string key, od::value& v) -> ec_t {
    if (key == "id") { MB_REQUIRE(read_snowflake(v, in.id)); has_id = true; }
    else if (key == "application_id") MB_REQUIRE(read_snowflake(v, in.application_id));
    else if (key == "type") {
      int t = 0;
      MB_REQUIRE(read_int(v, t));
      in.type = static_cast<interaction_type>(t);
    } else if (key == "token") { MB_REQUIRE(read_string(v, in.token)); has_token = true; }
    else if (key == "guild_id") MB_REQUIRE(read_opt_snowflake(v, in.guild_id));
    else if (key == "channel_id") MB_REQUIRE(read_opt_snowflake(v, in.channel_id));
    else if (key == "locale") MB_REQUIRE(read_string(v, in.locale));
    else if (key == "app_permissions") MB_REQUIRE(read_bitfield(v, in.app_permissions));
    else if (key == "user") return parse_user_id(v, in.user_id);
    else if (key == "member") {
      // user and permissions; then the rest of the member is skipped
      bool has_user = false;
      bool has_permissions = false;
      return for_each_field_of(v, [&](od::raw_json_string mk, od::value& mv) -> field_step {
        if (mk == "user") {
          MB_TRY(parse_user_id(mv, in.user_id));
          has_user = true;
        } else if (mk == "permissions") {
          MB_REQUIRE(read_bitfield(mv, in.member_permissions));
          has_permissions = true;
        }
        return has_user && has_permissions ? field_step::stop() : field_step{};
      });
    } else if (key == "message") {
      // Only the id is used; the rest of the message is skipped.
      return for_each_field_of(v, [&](od::raw_json_string mk, od::value& mv) -> field_step {
        if (mk != "id") return {};
        snowflake id = 0;
        MB_REQUIRE(read_snowflake(mv, id));
        in.message_id = id;
        return field_step::stop();
      });
    } else if (key == "data") return parse_interaction_data(v, in);
    return {};
  };
  MB_TRY(for_each_field(obj, field));
  MB_REQUIRE(has_id && has_token);
  // `data.id` names a command; a component's `data` has none (whatever the
  // order of `type` and `data` in the object).
  if (in.type == interaction_type::message_component) in.command_id.reset();
  return {};
}

#undef MB_TRY
#undef MB_REQUIRE

// Raw JSON text of any value (objects, arrays and scalars alike).
bool raw_json_of(od::value v, std::string_view& out) {
  od::json_type type{};
  if (v.type().get(type)) return false;
  if (type == od::json_type::object) {
    od::object o;
    return !v.get_object().get(o) && !o.raw_json().get(out);
  }
  if (type == od::json_type::array) {
    od::array a;
    return !v.get_array().get(a) && !a.raw_json().get(out);
  }
  out = v.raw_json_token();
  while (!out.empty() && (out.back() == ' ' || out.back() == '\n' || out.back() == '\r' || out.back() == '\t'))
    out.remove_suffix(1);
  return true;
}

}  // namespace

// Typed events of earlier messages, kept so their heap buffers (strings,
// vectors) are reused by the next event of the same type instead of being
// freed and allocated again per message.
struct event_spares {
  ready_event ready;
  guild_create_event guild_create;
  voice_state voice;
  voice_server_update_event voice_server;
  interaction command;

  template <class T>
  T& slot() {
    if constexpr (std::is_same_v<T, ready_event>) return ready;
    else if constexpr (std::is_same_v<T, guild_create_event>) return guild_create;
    else if constexpr (std::is_same_v<T, voice_state>) return voice;
    else if constexpr (std::is_same_v<T, voice_server_update_event>) return voice_server;
    else return command;
  }

  // Moves a typed event out of `ev` into its slot; `ev` becomes monostate.
  void stash(gateway_event& ev) {
    std::visit(
        [this](auto& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, ready_event> || std::is_same_v<T, guild_create_event> ||
                        std::is_same_v<T, voice_state> || std::is_same_v<T, voice_server_update_event> ||
                        std::is_same_v<T, interaction>) {
            slot<T>() = std::move(e);
          }
        },
        ev);
    ev = std::monostate{};
  }

  // Makes `ev` a cleared T that reuses the slot's buffers.
  template <class T>
  T& take(gateway_event& ev) {
    T& e = ev.emplace<T>(std::move(slot<T>()));
    clear(e);
    return e;
  }

  static void clear(ready_event& r) {
    r.api_version = 0;
    r.user_id = 0;
    r.username.clear();
    r.application_id = 0;
    r.session_id.clear();
    r.resume_gateway_url.clear();
    r.shard.reset();
    r.guild_ids.clear();
  }
  static void clear(guild_create_event& g) {
    g.id = 0;
    g.name.clear();
    g.unavailable = false;
    g.member_count.reset();
    g.voice_states.clear();
  }
  static void clear(voice_state& v) {
    std::string session = std::move(v.session_id);
    v = voice_state{};
    session.clear();
    v.session_id = std::move(session);
  }
  static void clear(voice_server_update_event& e) {
    e.token.clear();
    e.guild_id = 0;
    e.endpoint.reset();
  }
  static void clear(interaction& in) {
    in.id = 0;
    in.application_id = 0;
    in.type = interaction_type::ping;
    in.token.clear();
    in.guild_id.reset();
    in.channel_id.reset();
    in.user_id = 0;
    in.locale.clear();
    in.member_permissions = 0;
    in.app_permissions = 0;
    in.command_id.reset();
    in.command_name.clear();
    in.options.clear();
    in.custom_id.clear();
    in.component_type = 0;
    in.values.clear();
    in.message_id.reset();
  }
};

struct gateway_parser::impl {
  explicit impl(std::size_t max) : parser(max) {}
  od::parser parser;
  std::string padded;  // copy when the caller's buffer has no padding
  event_spares spares;
};

gateway_parser::gateway_parser(std::size_t max_size) : impl_(std::make_unique<impl>(max_size)) {}
gateway_parser::~gateway_parser() = default;
gateway_parser::gateway_parser(gateway_parser&&) noexcept = default;
gateway_parser& gateway_parser::operator=(gateway_parser&&) noexcept = default;

boost::system::result<gateway_payload> gateway_parser::parse(std::string_view json, std::size_t readable) {
  gateway_payload out;
  if (auto ec = parse_into(json, out, readable)) return ec;
  return out;
}

namespace {

// True when `d` of this op/t has a typed model parse_typed_d() fills.
bool has_typed_model(int op, std::string_view t) noexcept {
  if (op == static_cast<int>(opcode::hello) || op == static_cast<int>(opcode::invalid_session)) return true;
  if (op != static_cast<int>(opcode::dispatch)) return false;
  return t == "INTERACTION_CREATE" || t == "VOICE_STATE_UPDATE" || t == "VOICE_SERVER_UPDATE" ||
         t == "GUILD_CREATE" || t == "GUILD_DELETE" || t == "READY";
}

std::string_view trim_right(std::string_view s) noexcept {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

ec_t parse_typed_d(od::value dv, gateway_payload& out, event_spares& spares) {
  const auto op = static_cast<opcode>(out.op);
  if (op == opcode::hello) {
    hello_event h;
    std::uint64_t ms = 0;
    bool found = false;
    auto field = [&](od::raw_json_string key, od::value& v) -> ec_t {
      if (key == "heartbeat_interval") {
        // Discord sends about 41 s; an hour bounds what a shard will wait
        // between heartbeats (and keeps the count well inside milliseconds).
        if (v.get_uint64().get(ms) || ms == 0 || ms > 3'600'000) return make_error_code(error::invalid_payload);
        found = true;
      }
      return {};
    };
    if (const ec_t ec = for_each_field_of(dv, field)) return ec;
    if (!found) return make_error_code(error::invalid_payload);
    h.heartbeat_interval = std::chrono::milliseconds(static_cast<std::int64_t>(ms));
    out.event = h;
    return {};
  }
  if (op == opcode::invalid_session) {
    bool resumable = false;
    if (dv.get_bool().get(resumable)) return make_error_code(error::invalid_payload);
    out.event = invalid_session_event{resumable};
    return {};
  }
  if (op != opcode::dispatch) return {};

  const std::string_view t = out.t;
  auto with_object = [&](auto&& fn) -> ec_t {
    od::object obj;
    if (dv.get_object().get(obj)) return make_error_code(error::invalid_payload);
    return fn(obj);
  };
  if (t == "READY") {
    auto& r = spares.take<ready_event>(out.event);
    return with_object([&](od::object o) { return parse_ready(o, r); });
  }
  if (t == "RESUMED") {
    out.event = resumed_event{};
    return {};
  }
  if (t == "GUILD_CREATE") {
    auto& g = spares.take<guild_create_event>(out.event);
    return with_object([&](od::object o) { return parse_guild_create(o, g); });
  }
  if (t == "GUILD_DELETE") {
    guild_delete_event g;
    auto ec = with_object([&](od::object o) { return parse_guild_delete(o, g); });
    if (!ec) out.event = g;
    return ec;
  }
  if (t == "VOICE_STATE_UPDATE") {
    auto& vs = spares.take<voice_state>(out.event);
    return with_object([&](od::object o) { return parse_voice_state(o, vs); });
  }
  if (t == "VOICE_SERVER_UPDATE") {
    auto& e = spares.take<voice_server_update_event>(out.event);
    return with_object([&](od::object o) { return parse_voice_server(o, e); });
  }
  if (t == "INTERACTION_CREATE") {
    auto& in = spares.take<interaction>(out.event);
    return with_object([&](od::object o) { return parse_interaction(o, in); });
  }
  return {};
}

}  // namespace

boost::system::error_code gateway_parser::parse_into(std::string_view json, gateway_payload& out,
                                                     std::size_t readable) {
  out.op = -1;
  out.s.reset();
  out.t.clear();
  out.d.clear();
  impl_->spares.stash(out.event);
  out.typed_error.clear();

  if (readable < json.size() + simdjson::SIMDJSON_PADDING) {
    impl_->padded.assign(json.data(), json.size());
    impl_->padded.append(simdjson::SIMDJSON_PADDING, '\0');
    json = std::string_view(impl_->padded.data(), json.size());
    readable = impl_->padded.size();
  }

  od::document doc;
  if (impl_->parser.iterate(json, readable).get(doc)) return make_error_code(error::invalid_json);
  // Attempt 0 walks once: when `op` (and `t`) precede `d`, as Discord sends
  // them, `d` is parsed into its typed model on the spot and its raw text is
  // taken from the input positions around it. Attempt 1 (other key orders,
  // or a `d` that does not match its model) is the general path: raw `d`
  // first, then a second walk over the same index for the typed model.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool single = attempt == 0;
    if (!single) {
      out.op = -1;
      out.s.reset();
      out.t.clear();
      impl_->spares.stash(out.event);
      // A new document over the same input, not doc.rewind(): after an error
      // inside `d` simdjson has abandoned `doc`, and rewinding it would
      // dereference its released parser.
      if (impl_->parser.iterate(json, readable).get(doc)) return make_error_code(error::invalid_json);
    }
    od::object obj;
    if (doc.get_object().get(obj)) return make_error_code(error::invalid_payload);
    std::string_view d_raw;
    bool has_d = false;
    bool typed_done = false;
    bool retry = false;
    // Once per message field, so forced inline into the walk: GCC otherwise
    // leaves this large visitor out of line (measured slower on small events).
    auto field = [&](od::raw_json_string key, od::value& v) __attribute__((always_inline)) -> field_step {
      if (key == "op") {
        std::int64_t op = 0;
        if (v.get_int64().get(op) || op < 0 || op > 1000) return make_error_code(error::invalid_payload);
        out.op = static_cast<int>(op);
      } else if (key == "s") {
        bool null = false;
        if (v.is_null().get(null)) return make_error_code(error::invalid_payload);
        if (!null) {
          std::int64_t s = 0;
          if (v.get_int64().get(s)) return make_error_code(error::invalid_payload);
          out.s = s;
        }
      } else if (key == "t") {
        bool null = false;
        if (v.is_null().get(null)) return make_error_code(error::invalid_payload);
        if (!null) {
          std::string_view t;
          if (v.get_string().get(t)) return make_error_code(error::invalid_payload);
          out.t.assign(t);
        }
      } else if (key == "d") {
        if (single && !has_d && has_typed_model(out.op, out.t)) {
          const char* begin = v.raw_json_token().data();
          if (out.op == static_cast<int>(opcode::dispatch)) out.event = raw_dispatch{};
          const char* after = nullptr;
          if (parse_typed_d(v, out, impl_->spares) || doc.current_location().get(after) || after < begin) {
            retry = true;
            return field_step::stop();
          }
          d_raw = trim_right(std::string_view(begin, static_cast<std::size_t>(after - begin)));
          typed_done = true;
        } else if (!raw_json_of(v, d_raw)) {
          return make_error_code(error::invalid_json);
        }
        has_d = true;
      }
      return {};
    };
    if (const ec_t ec = for_each_field(obj, field)) return ec;
    if (retry) continue;
    if (out.op < 0) return make_error_code(error::invalid_payload);
    if (has_d) out.d.assign(d_raw);
    if (typed_done) return {};

    switch (static_cast<opcode>(out.op)) {
      case opcode::heartbeat: out.event = heartbeat_request{}; return {};
      case opcode::heartbeat_ack: out.event = heartbeat_ack_event{}; return {};
      case opcode::reconnect: out.event = reconnect_event{}; return {};
      case opcode::dispatch: out.event = raw_dispatch{}; break;
      case opcode::hello:
      case opcode::invalid_session: break;
      default: return {};  // unmodelled opcode: std::monostate, raw d kept
    }
    if (!has_d) {
      if (out.op == static_cast<int>(opcode::dispatch)) return {};
      return make_error_code(error::invalid_payload);
    }
    // Second walk over the same index (no new stage 1): the typed model of
    // `d`, now that `op` and `t` are known whatever the key order was.
    ec_t ec;
    od::object again;
    od::value dv;
    if (doc.rewind(), doc.get_object().get(again) || again.find_field_unordered("d").get(dv)) {
      ec = make_error_code(error::invalid_json);
    } else {
      ec = parse_typed_d(dv, out, impl_->spares);
    }
    if (ec) {
      impl_->spares.stash(out.event);  // drop the partial typed event
      if (out.op != static_cast<int>(opcode::dispatch)) return ec;
      out.event = raw_dispatch{};  // lose nothing: deliver raw and say why
      out.typed_error = ec;
    }
    return {};
  }
  return make_error_code(error::invalid_json);  // not reached: attempt 1 always returns
}

}  // namespace musicbot::discord
