#pragma once
/// @file
/// Application (slash) command definitions, message components and
/// interaction responses as C++ types, with Discord's rules checked and
/// JSON built with Boost.JSON.

#include "musicbot/discord/gateway_payload.hpp"

#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace musicbot::discord {

/// Application command option types.
enum class option_type : int {
  sub_command = 1,        ///< subcommand
  sub_command_group = 2,  ///< group of subcommands
  string = 3,             ///< text
  integer = 4,            ///< integer
  boolean = 5,            ///< true/false
  user = 6,               ///< a user
  channel = 7,            ///< a channel
  role = 8,               ///< a role
  mentionable = 9,        ///< user or role
  number = 10,            ///< double
  attachment = 11,        ///< file
};

/// One predefined choice of an option.
struct command_choice {
  std::string name;                                     ///< shown to the user (1–100 chars)
  std::variant<std::string, std::int64_t, double> value;  ///< sent back
};

/// An option of a command (or a subcommand).
struct command_option {
  option_type type = option_type::string;   ///< type
  std::string name;                         ///< 1–32 chars, lowercase
  std::string description;                  ///< 1–100 chars
  bool required = false;                    ///< must be given
  std::vector<command_choice> choices;      ///< at most 25; not with autocomplete
  bool autocomplete = false;                ///< ask the bot for suggestions
  std::optional<double> min_value;          ///< integer/number minimum
  std::optional<double> max_value;          ///< integer/number maximum
  std::optional<std::uint32_t> min_length;  ///< string minimum length
  std::optional<std::uint32_t> max_length;  ///< string maximum length
  std::vector<int> channel_types;           ///< channel options: allowed channel types
  std::vector<command_option> options;      ///< subcommand (group) children
};

/// A chat-input (slash) command.
struct application_command {
  std::string name;                                     ///< 1–32 chars, lowercase
  std::string description;                              ///< 1–100 chars
  std::vector<command_option> options;                  ///< at most 25
  std::optional<std::uint64_t> default_member_permissions;  ///< permission bits needed by default
  bool guild_only = true;                               ///< contexts: guild only (no DMs)
  bool nsfw = false;                                    ///< age-restricted
};

/// Checks Discord's rules (name pattern, lengths, ≤ 25 options/choices,
/// required options first, choices XOR autocomplete, nesting depth).
[[nodiscard]] boost::system::result<void> validate(const application_command& command);
/// The JSON for bulk-overwrite (`PUT .../commands`).
[[nodiscard]] boost::json::value to_json(const application_command& command);

/// The longest custom_id Discord accepts.
inline constexpr std::size_t max_custom_id_length = 100;

/// Button styles.
enum class button_style : int {
  primary = 1,    ///< blurple
  secondary = 2,  ///< grey
  success = 3,    ///< green
  danger = 4,     ///< red
  link = 5,       ///< opens `url`
};

/// A button.
struct button {
  button_style style = button_style::secondary;  ///< style
  std::string label;                             ///< text (≤ 80 chars)
  std::string custom_id;                         ///< ≤ 100 chars; not for links
  std::string url;                               ///< link buttons only
  std::optional<std::string> emoji;              ///< unicode emoji
  bool disabled = false;                         ///< greyed out
};

/// One option of a string select menu.
struct select_option {
  std::string label;        ///< shown (≤ 100 chars)
  std::string value;        ///< sent back (≤ 100 chars)
  std::string description;  ///< optional (≤ 100 chars)
  bool is_default = false;  ///< preselected
};

/// A string select menu.
struct select_menu {
  std::string custom_id;               ///< ≤ 100 chars
  std::vector<select_option> options;  ///< 1–25
  std::string placeholder;             ///< hint text
  std::uint32_t min_values = 1;        ///< minimum picks
  std::uint32_t max_values = 1;        ///< maximum picks
  bool disabled = false;               ///< greyed out
};

/// A row of up to 5 buttons or one select menu.
struct action_row {
  std::vector<std::variant<button, select_menu>> components;  ///< the row's components
};

/// Message content for responses, follow-ups and channel messages.
struct message_content {
  std::string content;                 ///< text (≤ 2000 chars)
  std::vector<boost::json::value> embeds;  ///< embed objects, as JSON
  std::vector<action_row> components;  ///< at most 5 rows
  bool ephemeral = false;              ///< only the invoking user sees it (flag 64)
  bool suppress_mentions = true;       ///< `allowed_mentions: {parse: []}`
};

/// Checks components (custom_id ≤ 100, ≤ 5 rows, ≤ 5 buttons per row, select sizes).
[[nodiscard]] boost::system::result<void> validate(const message_content& message);
/// The JSON of a message (also the `data` of a type 4/7 response).
[[nodiscard]] boost::json::value to_json(const message_content& message);

/// Interaction callback types.
enum class callback_type : int {
  pong = 1,                                      ///< answer a ping
  channel_message_with_source = 4,               ///< reply with a message
  deferred_channel_message_with_source = 5,      ///< "thinking…": edit the original later
  deferred_update_message = 6,                   ///< components: acknowledge silently
  update_message = 7,                            ///< components: edit the message
  application_command_autocomplete_result = 8,   ///< autocomplete suggestions
};

/// An interaction callback (`POST /interactions/{id}/{token}/callback`).
struct interaction_response {
  callback_type type = callback_type::channel_message_with_source;  ///< type
  std::optional<message_content> message;      ///< for 4 and 7
  std::vector<command_choice> choices;         ///< for 8 (≤ 25)
  bool ephemeral = false;                      ///< for 5: the eventual reply is ephemeral

  /// A type 4 reply.
  [[nodiscard]] static interaction_response reply(message_content m) {
    return {callback_type::channel_message_with_source, std::move(m), {}, false};
  }
  /// A type 5 deferral.
  [[nodiscard]] static interaction_response defer(bool ephemeral = false) {
    return {callback_type::deferred_channel_message_with_source, std::nullopt, {}, ephemeral};
  }
  /// A type 6 deferral for components.
  [[nodiscard]] static interaction_response defer_update() {
    return {callback_type::deferred_update_message, std::nullopt, {}, false};
  }
  /// A type 7 message update.
  [[nodiscard]] static interaction_response update(message_content m) {
    return {callback_type::update_message, std::move(m), {}, false};
  }
  /// A type 8 autocomplete result.
  [[nodiscard]] static interaction_response autocomplete(std::vector<command_choice> c) {
    return {callback_type::application_command_autocomplete_result, std::nullopt, std::move(c), false};
  }
};

/// Checks the response (message rules, ≤ 25 choices).
[[nodiscard]] boost::system::result<void> validate(const interaction_response& response);
/// The JSON of the callback body.
[[nodiscard]] boost::json::value to_json(const interaction_response& response);

/// The value of option `name` of a command interaction (searches nested subcommands).
[[nodiscard]] const interaction_option* find_option(const std::vector<interaction_option>& options,
                                                    std::string_view name) noexcept;

}  // namespace musicbot::discord
