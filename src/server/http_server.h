// HttpServer: the OpenAI-compatible HTTP front end. It wires three parts together:
//   HttpTransport (http_transport.h): connections, HTTP/1.1, deadlines and limits, on a few I/O
//     threads (Boost.Asio + Beast), so idle and slow clients cost memory, not threads;
//   Router (router.h): (method, path) -> handler; API families add their routes in their own files
//     (openai_routes.h today) before start();
//   ApiContext (api_context.h): auth, the backend, metrics, request logs, and THE place where an
//     ApiError becomes an HTTP response.
// The core routes live here: GET /health (503 while loading or draining), GET /metrics, and the
// chat page (web/, with ETag revalidation). Transport errors (malformed HTTP, 404, 405, 413, 431,
// too many connections) get the OpenAI error body too.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "server/backend.h"
#include "server/responses/response_store.h"
#include "server/router.h"
#include "util/result.h"

namespace gemma3 {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                              // 0: any free port (see HttpServer::port)
  std::string api_key;                          // empty: no authentication
  size_t max_body_bytes = 8u << 20;             // larger bodies get 413
  int io_threads = 0;                           // 0: min(4, cores): every socket read and write
  int worker_threads = 0;                       // 0: min(4, cores): request parsing, templates, tokenizing
  size_t max_connections = 10000;               // beyond: 503 and close
  std::chrono::milliseconds header_timeout{10000};      // a request's headers, from its first byte
  std::chrono::milliseconds body_timeout{30000};        // its body, after the headers
  std::chrono::milliseconds keep_alive_timeout{5000};   // idle between requests (above undici's 4 s)
  std::chrono::milliseconds write_timeout{30000};       // a client that stops reading for this long is dropped
  int32_t default_max_tokens = 4096;            // chat without max_tokens: min(remaining context, this)
  std::string system_fingerprint = "fp_gemma3";
  bool log_requests = true;                     // one stderr line per request
  std::string replica_name;                     // non-empty: sent as X-Gemma3-Replica on every response
  ResponseStoreLimits responses;                // stored /v1/responses (count, bytes, age)
};

class HttpServer {
 public:
  explicit HttpServer(ServerOptions options);
  ~HttpServer();   // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The route table, for API families to add theirs before start() (the OpenAI routes and the
  // core routes are already there).
  Router& router();

  // Binds and starts serving on background threads; returns once the socket listens, so /health
  // answers (503) while the model is still loading. Error names host:port.
  Status start();
  // Graceful stop (SIGTERM): stops accepting, closes idle connections, lets requests in flight
  // finish until `deadline`, then ends the rest (a final SSE error event, or 503) and stops.
  // Returns whether everything finished in time.
  bool shutdown(std::chrono::milliseconds deadline);
  // Immediate stop: closes every connection (their requests are cancelled), joins the threads.
  // Idempotent.
  void stop();
  int port() const;   // the bound port (after start)
  size_t open_connections() const;

  // Makes the API available. `backend` must stay alive until stop() returns. Thread-safe.
  void set_backend(ServingBackend* backend);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Writing to a socket the client closed raises SIGPIPE; a server must ignore it (cmd_serve and the
// tests call this once before start()).
void ignore_sigpipe();

}  // namespace gemma3
