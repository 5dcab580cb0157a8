#pragma once
// The bot's slash commands: their definitions (registered with Discord) and
// helpers to read an interaction's options.

#include <musicbot/discord/commands.hpp>
#include <musicbot/discord/gateway_payload.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace musicbot::bot {

// Every command the bot registers (/play, /pause, ... /settings).
std::vector<discord::application_command> command_definitions();

// Commands that change playback for everyone, so the DJ policy applies.
bool is_dj_command(std::string_view name);

// Typed access to the (top-level or subcommand) options of an interaction.
std::optional<std::string> string_option(const discord::interaction& i, std::string_view name);
std::optional<std::int64_t> integer_option(const discord::interaction& i, std::string_view name);
std::optional<bool> boolean_option(const discord::interaction& i, std::string_view name);
// The first subcommand's name, for commands like /settings show|set.
std::optional<std::string> subcommand(const discord::interaction& i);

// "3:25" / "1:02:03" for display.
std::string format_duration(std::int64_t ms);
// Parses "90", "1:30" or "1:02:03" into milliseconds.
std::optional<std::int64_t> parse_timestamp(std::string_view text);

}  // namespace musicbot::bot
