#pragma once
/// @file
/// Everything of musicbot::store: the repository interfaces and both backends.

#include <musicbot/store/error.hpp>
#include <musicbot/store/postgres_store.hpp>
#include <musicbot/store/records.hpp>
#include <musicbot/store/repository.hpp>
#include <musicbot/store/sqlite_store.hpp>
