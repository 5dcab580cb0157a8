#pragma once
// How the bot's cached values travel through the shared (Redis) cache layer.
// Decoding is strict: anything malformed or outside the guild_settings rules
// is nullopt (the cache then loads from the store), never an exception.

#include <musicbot/queue/guild_settings.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace musicbot::bot {

std::string encode_settings(const queue::guild_settings& settings);
std::optional<queue::guild_settings> decode_settings(std::string_view json);

}  // namespace musicbot::bot
