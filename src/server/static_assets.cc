#include "server/static_assets.h"

#include <cctype>

namespace gemma3 {

// Defined in the generated web_assets.cc (web/embed.cmake).
extern const EmbeddedFile kEmbeddedWebFiles[];
extern const size_t kEmbeddedWebFileCount;

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

constexpr const char* kPageCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

}  // namespace

std::string_view content_type_for(std::string_view path) {
  if (ends_with(path, ".html")) return "text/html; charset=utf-8";
  if (ends_with(path, ".css")) return "text/css; charset=utf-8";
  if (ends_with(path, ".js")) return "text/javascript; charset=utf-8";
  if (ends_with(path, ".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

const std::vector<StaticAsset>& static_assets() {
  static const std::vector<StaticAsset> assets = [] {
    std::vector<StaticAsset> out;
    out.reserve(kEmbeddedWebFileCount);
    for (size_t i = 0; i < kEmbeddedWebFileCount; ++i) {
      const EmbeddedFile& f = kEmbeddedWebFiles[i];
      out.push_back({f.path, content_type_for(f.path),
                     std::string_view(reinterpret_cast<const char*>(f.data), f.size), f.etag});
    }
    return out;
  }();
  return assets;
}

const StaticAsset* find_static_asset(std::string_view path) {
  if (path == "/") path = "/index.html";
  for (const StaticAsset& a : static_assets()) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  std::string_view rest = if_none_match;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view tag = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (tag == "*") return true;
    // If-None-Match compares weakly (RFC 9110 13.1.2): a W/ prefix still matches.
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == etag) return true;
  }
  return false;
}

std::vector<std::pair<std::string, std::string>> static_asset_headers(const StaticAsset& asset) {
  std::vector<std::pair<std::string, std::string>> h = {
      {"ETag", std::string(asset.etag)},
      {"Cache-Control", "no-cache"},
      {"X-Content-Type-Options", "nosniff"},
  };
  if (ends_with(asset.path, ".html")) {
    h.emplace_back("Content-Security-Policy", kPageCsp);
    h.emplace_back("Referrer-Policy", "no-referrer");
    h.emplace_back("X-Frame-Options", "DENY");
  }
  return h;
}

}  // namespace gemma3
