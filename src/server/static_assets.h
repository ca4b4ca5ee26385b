// The chat page's files (web/), compiled into the binary at build time by web/embed.cmake, and the
// HTTP details of serving them: Content-Type, caching and the security headers. No file is read
// and nothing is fetched at run time.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gemma3 {

// One embedded file, as the generated web_assets.cc lays it out (plain data, constant-initialised).
struct EmbeddedFile {
  const char* path;            // "/chat.js"
  const unsigned char* data;
  size_t size;
  const char* etag;            // strong ETag, quotes included: "\"9ed0fa28...\""
};

struct StaticAsset {
  std::string_view path;           // the URL path it is served at
  std::string_view content_type;   // with "; charset=utf-8" for text
  std::string_view body;
  std::string_view etag;
};

// Every embedded file; "/" is served as "/index.html". Built once, on first use (thread-safe).
const std::vector<StaticAsset>& static_assets();

// The asset for a URL path ("/" means "/index.html"), or nullptr.
const StaticAsset* find_static_asset(std::string_view path);

// Content-Type by extension; application/octet-stream for anything unknown.
std::string_view content_type_for(std::string_view path);

// Whether an If-None-Match header value ("*", one ETag or a comma list, W/ prefixes allowed)
// names `etag`, so a 304 Not Modified may answer.
bool etag_matches(std::string_view if_none_match, std::string_view etag);

// Headers for a 200 or 304 of `asset`: ETag, Cache-Control (no-cache: always revalidate, so a new
// binary's page is never stale while an unchanged one costs a bodiless 304), nosniff, and for the
// HTML a Content-Security-Policy that allows only this origin's own scripts, styles and API, so
// even a renderer bug could not run script that came from a model's reply.
std::vector<std::pair<std::string, std::string>> static_asset_headers(const StaticAsset& asset);

}  // namespace gemma3
