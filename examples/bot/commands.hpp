#pragma once
// The bot's slash commands: their definitions (registered with Discord) and
// helpers to read an interaction's options.

#include <musicbot/discord/commands.hpp>
#include <musicbot/discord/gateway_payload.hpp>
#include <musicbot/queue/music_queue.hpp>
#include <musicbot/queue/track.hpp>

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

// "**Title** by Author (3:25)" for replies and announcements.
std::string track_line(const queue::track& t);

// /queue pagination buttons. A button's custom_id is "queue:<guild>:<page>"
// (zero-based page; at most 34 characters, Discord allows 100).
inline constexpr std::size_t max_queue_page = 100'000;
std::string queue_button_id(std::uint64_t guild, std::size_t page);
struct queue_button {
  std::uint64_t guild = 0;
  std::size_t page = 0;
};
// Strict: "queue:", a non-zero snowflake, ":", a page <= max_queue_page;
// anything else (other prefixes, signs, spaces, overflow) is nullopt.
std::optional<queue_button> parse_queue_button(std::string_view custom_id);
// The /queue message of `page` with Previous/Next buttons (disabled at the
// ends; their custom_ids always differ, as Discord requires).
discord::message_content queue_message(std::uint64_t guild, const queue::queue_page& page);

// "3:25" / "1:02:03" for display.
std::string format_duration(std::int64_t ms);
// Parses "90", "1:30" or "1:02:03" into milliseconds.
std::optional<std::int64_t> parse_timestamp(std::string_view text);

}  // namespace musicbot::bot
