#pragma once
/// @file
/// Everything of musicbot::queue: tracks, the per-guild queue, guild
/// settings and their rules, and input validation.

#include <musicbot/queue/error.hpp>
#include <musicbot/queue/guild_settings.hpp>
#include <musicbot/queue/loop_mode.hpp>
#include <musicbot/queue/music_queue.hpp>
#include <musicbot/queue/track.hpp>
#include <musicbot/queue/validation.hpp>
