#include "server/http_server.h"

#include <algorithm>
#include <csignal>
#include <thread>

#include "server/anthropic/anthropic_routes.h"
#include "server/api_context.h"
#include "server/http_transport.h"
#include "server/openai_routes.h"
#include "server/responses/responses_routes.h"
#include "server/static_assets.h"

namespace gemma3 {

namespace {

using Clock = ApiContext::Clock;

int default_threads(int requested) {
  if (requested > 0) return requested;
  return static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
}

}  // namespace

void ignore_sigpipe() { std::signal(SIGPIPE, SIG_IGN); }

struct HttpServer::Impl {
  ServerOptions options;
  ApiContext ctx{options};
  Router router;
  std::unique_ptr<HttpTransport> transport;

  explicit Impl(ServerOptions o) : options(std::move(o)) {
    add_openai_routes(router, ctx);
    add_responses_routes(router, ctx, options.responses);
    add_anthropic_routes(router, ctx);
    add_core_routes();
  }

  // /health answers from the I/O thread without touching the engine, so it stays fast under any
  // load; 503 while loading (Retry-After) and while draining (load balancers stop routing here).
  void health(HttpRequest&, Responder& r) {
    HttpResponse res;
    res.content_type = "application/json";
    if (transport && transport->draining()) {
      res.status = 503;
      res.body = R"({"status":"draining"})";
    } else if (ctx.backend()) {
      res.body = R"({"status":"ok"})";
    } else {
      res.status = 503;
      res.body = R"({"status":"loading"})";
      res.headers.emplace_back("Retry-After", "1");
    }
    r.send(std::move(res));
  }

  void metrics(HttpRequest&, Responder& r) {
    HttpResponse res;
    res.content_type = "text/plain; version=0.0.4";
    if (ServingBackend* b = ctx.backend()) res.body = b->metrics_prometheus();
    res.body += ctx.metrics().prometheus();
    if (transport) {
      res.body += "# HELP gemma3_http_connections_open Client connections open (idle ones included).\n"
                  "# TYPE gemma3_http_connections_open gauge\n"
                  "gemma3_http_connections_open " + std::to_string(transport->open_connections()) + "\n";
    }
    r.send(std::move(res));
  }

  // The chat page (web/, embedded at build time). Served without the API key: it holds no secret,
  // and its own requests to /v1/* carry the key the user types into its settings.
  void asset(HttpRequest& req, Responder& r, const StaticAsset& asset) {
    RequestLog log = ctx.begin_log(req);
    HttpResponse res;
    res.headers = static_asset_headers(asset);
    if (etag_matches(req.header("If-None-Match"), asset.etag)) {
      res.status = 304;
    } else {
      res.content_type = std::string(asset.content_type);
      res.body = std::string(asset.body);
    }
    const int status = res.status;
    r.send(std::move(res));
    ctx.finish(log, status, req.received);
  }

  void add_core_routes() {
    router.add("GET", "/health", [this](HttpRequest& q, std::shared_ptr<Responder> r) { health(q, *r); });
    router.add("GET", "/metrics", [this](HttpRequest& q, std::shared_ptr<Responder> r) { metrics(q, *r); });
    for (const StaticAsset& a : static_assets()) {
      auto handler = [this, &a](HttpRequest& q, std::shared_ptr<Responder> r) { asset(q, *r, a); };
      router.add("GET", std::string(a.path), handler);
      if (a.path == "/index.html") router.add("GET", "/", handler);
    }
  }

  // Errors the transport detects itself, in the OpenAI error shape, logged like any request.
  HttpResponse transport_error(const HttpRequest& req, int status, const std::string& detail) {
    ApiError e;
    switch (status) {
      case 404: e = route_not_found(req.method, req.path); break;
      case 405: e = method_not_allowed(req.method, req.path); break;
      case 413: e = payload_too_large(options.max_body_bytes); break;
      case 503:
        e = internal_error("The server is " + detail + "; retry later.");
        e.status = 503;
        e.type = "service_unavailable";
        e.code = detail == "shutting down" ? "shutting_down" : "too_many_connections";
        e.retry_after_s = 1;
        break;
      case 500: e = internal_error("Internal server error: " + detail); break;
      default:
        e = invalid_body(status == 431 ? "The request headers are too large." : "Malformed HTTP request.");
        e.status = status;
        break;
    }
    HttpResponse res = ApiContext::error_response(e);
    if (status == 405) res.headers.emplace_back("Allow", detail);
    // A request rejected before its headers were parsed has no method or path to log.
    RequestLog log;
    log.method = req.method.empty() ? std::string("-") : req.method;
    log.route = req.path.empty() ? std::string("-") : req.path;
    ctx.finish(log, e.status, req.received);
    return res;
  }
};

HttpServer::HttpServer(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpServer::~HttpServer() { stop(); }

Router& HttpServer::router() { return impl_->router; }

Status HttpServer::start() {
  Impl& s = *impl_;
  if (s.transport) return make_error("server: already started");
  TransportOptions t;
  t.host = s.options.host;
  t.port = s.options.port;
  t.io_threads = default_threads(s.options.io_threads);
  t.worker_threads = default_threads(s.options.worker_threads);
  t.max_body_bytes = s.options.max_body_bytes;
  t.max_connections = s.options.max_connections;
  t.header_timeout = s.options.header_timeout;
  t.body_timeout = s.options.body_timeout;
  t.keep_alive_timeout = s.options.keep_alive_timeout;
  t.write_timeout = s.options.write_timeout;
  // Behind a load balancer, names the replica that answered (docs/DEPLOYMENT.md): logs and tests
  // can then tell where a conversation was routed.
  if (!s.options.replica_name.empty()) t.default_headers.emplace_back("X-Gemma3-Replica", s.options.replica_name);
  s.transport = std::make_unique<HttpTransport>(
      t, s.router, [&s](const HttpRequest& q, int status, const std::string& d) { return s.transport_error(q, status, d); });
  if (Status st = s.transport->start(); !st.ok()) {
    s.transport.reset();
    return st;
  }
  return ok_status();
}

bool HttpServer::shutdown(std::chrono::milliseconds deadline) {
  return impl_->transport ? impl_->transport->drain(deadline) : true;
}

void HttpServer::stop() {
  if (impl_->transport) impl_->transport->stop();
}

int HttpServer::port() const { return impl_->transport ? impl_->transport->port() : 0; }

size_t HttpServer::open_connections() const { return impl_->transport ? impl_->transport->open_connections() : 0; }

void HttpServer::set_backend(ServingBackend* backend) { impl_->ctx.set_backend(backend); }

}  // namespace gemma3
