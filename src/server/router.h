// Router: which handler answers a (method, path). Routes are exact paths or prefixes
// ("/v1/models/" answers "/v1/models/{id}", the rest in HttpRequest::route_rest); an exact route
// wins over a prefix, a longer prefix over a shorter one. A path some route knows, asked with a
// method none of its routes takes, is a 405 with the allowed methods; an unknown path is a 404.
// HEAD is answered by the GET route (the transport drops the body).
//
// Each API family registers its routes from its own file (server/openai_routes.cc, ...), so adding
// one never edits the transport. Build the table before HttpServer::start(); it is read-only
// (and so thread-safe) after that.
#pragma once

#include <string>
#include <vector>

#include "server/http_exchange.h"

namespace gemma3 {

// Where a handler runs. kInline: on the connection's I/O thread, for handlers that answer in
// microseconds (health, metrics, static files). kWorker: on the small worker pool, for CPU work
// per request (JSON parse, chat template, tokenize) that must not delay other connections' I/O.
// Neither may block waiting for the engine: that is what Responder::post and stream notifications
// are for.
enum class RouteExec { kInline, kWorker };

struct Route {
  std::string method;
  std::string path;     // exact path, or the prefix when `prefix`
  bool prefix = false;
  HttpHandler handler;
  RouteExec exec = RouteExec::kInline;
};

class Router {
 public:
  void add(std::string method, std::string path, HttpHandler handler, RouteExec exec = RouteExec::kInline);
  void add_prefix(std::string method, std::string prefix, HttpHandler handler, RouteExec exec = RouteExec::kInline);

  struct Match {
    const Route* route = nullptr;   // null: see `allowed`
    std::string allowed;            // route == null and the path is known: "GET" or "GET, POST" (405)
    std::string rest;               // prefix routes: the path after the prefix
  };
  Match match(const std::string& method, const std::string& path) const;

 private:
  std::vector<Route> routes_;
};

}  // namespace gemma3
