#pragma once
// Internal to the discord component: walking simdjson on-demand objects and
// arrays for the component's parsers, so that each parser only states what
// it does with its own fields. Single forward pass, no allocation. The
// walks are always inlined, so each parser compiles to the loop it would
// have written by hand (measured: out-of-line walks made the gateway parser
// several percent slower).
#include "musicbot/discord/error.hpp"

#include <boost/system/error_code.hpp>
#include <simdjson.h>

#include <type_traits>
#include <utility>

namespace musicbot::discord::detail {

/// What a field visitor that may end the walk early returns: an error (the
/// walk stops and returns it), `stop()` (the walk ends without error; the
/// rest of the object is skipped by the parent's iteration), or `{}` (next
/// field). Visitors that always read every field just return an error_code.
struct field_step {
  field_step() = default;
  field_step(boost::system::error_code e) noexcept : ec(e) {}  // implicit: an error is a step
  static field_step stop() noexcept {
    field_step s;
    s.done = true;
    return s;
  }
  boost::system::error_code ec;
  bool done = false;
};

/// Calls `fn(simdjson::ondemand::raw_json_string key, simdjson::ondemand::value& v)`
/// for each field of `obj` in document order. A key or value that cannot be
/// read is error::invalid_json; the first error `fn` returns ends the walk
/// and is returned. `fn` returns an error_code, or a field_step to stop early.
template <class Fn>
[[gnu::always_inline]] inline boost::system::error_code for_each_field(simdjson::ondemand::object obj, Fn&& fn) {
  using result_t = std::invoke_result_t<Fn&, simdjson::ondemand::raw_json_string, simdjson::ondemand::value&>;
  for (auto field : obj) {
    simdjson::ondemand::raw_json_string key;
    simdjson::ondemand::value v;
    if (field.key().get(key) || field.value().get(v)) return make_error_code(error::invalid_json);
    if constexpr (std::is_same_v<result_t, field_step>) {
      const field_step step = fn(key, v);
      if (step.ec) return step.ec;
      if (step.done) break;
    } else {
      if (const boost::system::error_code ec = fn(key, v)) return ec;
    }
  }
  return {};
}

/// for_each_field() over `v`, which must be an object (else error::invalid_payload).
template <class Fn>
[[gnu::always_inline]] inline boost::system::error_code for_each_field_of(simdjson::ondemand::value& v, Fn&& fn) {
  simdjson::ondemand::object obj;
  if (v.get_object().get(obj)) return make_error_code(error::invalid_payload);
  return for_each_field(obj, fn);
}

/// Calls `fn(simdjson::ondemand::object o) -> error_code` for each element of
/// `v`, which must be an array of objects (else error::invalid_payload); the
/// first error `fn` returns ends the walk and is returned.
template <class Fn>
[[gnu::always_inline]] inline boost::system::error_code for_each_object(simdjson::ondemand::value& v, Fn&& fn) {
  simdjson::ondemand::array arr;
  if (v.get_array().get(arr)) return make_error_code(error::invalid_payload);
  for (auto el : arr) {
    simdjson::ondemand::object o;
    if (el.get_object().get(o)) return make_error_code(error::invalid_payload);
    if (const boost::system::error_code ec = fn(o)) return ec;
  }
  return {};
}

}  // namespace musicbot::discord::detail
