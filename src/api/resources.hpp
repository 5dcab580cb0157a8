#pragma once
// Files embedded at build time (generated resources.cpp, see
// embed_resources.cmake): the dashboard's static files and the OpenAPI
// document.

#include <span>
#include <string_view>

namespace musicbot::api::detail {

struct embedded_file {
  std::string_view name;  // file name in src/api/web/, e.g. "app.js"
  std::string_view data;  // its bytes
};

// Every file of src/api/web/ (empty when the folder was missing or empty).
[[nodiscard]] std::span<const embedded_file> dashboard_files() noexcept;

// src/api/openapi.json.
[[nodiscard]] std::string_view openapi_document() noexcept;

}  // namespace musicbot::api::detail
