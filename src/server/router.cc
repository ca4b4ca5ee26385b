#include "server/router.h"

#include <algorithm>

namespace gemma3 {

void Router::add(std::string method, std::string path, HttpHandler handler, RouteExec exec) {
  routes_.push_back({std::move(method), std::move(path), false, std::move(handler), exec});
}

void Router::add_prefix(std::string method, std::string prefix, HttpHandler handler, RouteExec exec) {
  routes_.push_back({std::move(method), std::move(prefix), true, std::move(handler), exec});
}

Router::Match Router::match(const std::string& method, const std::string& path) const {
  const std::string& wanted = method == "HEAD" ? std::string("GET") : method;
  // The best path match first (exact, then the longest prefix); methods only among equals, so a
  // prefix route never answers a path an exact route owns.
  const Route* best = nullptr;
  auto better = [&](const Route& r) {
    if (!best) return true;
    if (best->prefix != r.prefix) return !r.prefix;
    return r.path.size() > best->path.size();
  };
  for (const Route& r : routes_) {
    const bool hit = r.prefix ? path.size() > r.path.size() && path.compare(0, r.path.size(), r.path) == 0
                              : path == r.path;
    if (hit && better(r)) best = &r;
  }
  Match m;
  if (!best) return m;
  std::vector<std::string> methods;
  for (const Route& r : routes_) {
    if (r.prefix != best->prefix || r.path != best->path) continue;
    if (r.method == wanted) {
      m.route = &r;
      if (r.prefix) m.rest = path.substr(r.path.size());
      return m;
    }
    if (std::find(methods.begin(), methods.end(), r.method) == methods.end()) methods.push_back(r.method);
  }
  for (const std::string& name : methods) m.allowed += (m.allowed.empty() ? "" : ", ") + name;
  return m;
}

}  // namespace gemma3

namespace gemma3 {

std::string HttpRequest::header(std::string_view name) const {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && std::equal(key.begin(), key.end(), name.begin(),
                                                [&](char a, char b) { return lower(a) == lower(b); })) {
      return value;
    }
  }
  return "";
}

}  // namespace gemma3
