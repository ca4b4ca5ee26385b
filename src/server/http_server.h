// HttpServer: the OpenAI-compatible HTTP front end on cpp-httplib. It only maps requests to
// GenerationSessions and sessions to responses:
//   route -> auth -> parse + validate (request_parser) -> template / tokenize (backend)
//   -> expand to one GenerationRequest per choice -> backend.submit -> GenerationSession
//   -> JSON body, or SSE chunks pulled by httplib's chunked content provider.
// Every failure is an ApiError, written by one function (write_error in the .cc).
//
// Routes: POST /v1/chat/completions, POST /v1/completions, GET /v1/models, GET /v1/models/{id},
// GET /health (503 until set_backend), GET /metrics. Known paths answer 405 to other methods.
//
// Threads: httplib's pool (`http_threads`) serves connections; a streaming request holds its
// thread for the whole stream, so size the pool above the expected concurrent streams.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "server/backend.h"
#include "util/result.h"

namespace gemma3 {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                              // 0: any free port (see HttpServer::port)
  std::string api_key;                          // empty: no authentication
  size_t max_body_bytes = 8u << 20;             // larger bodies get 413
  int http_threads = 128;
  int32_t default_max_tokens = 4096;            // chat without max_tokens: min(remaining context, this)
  std::string system_fingerprint = "fp_gemma3";
  bool log_requests = true;                     // one stderr line per request
  std::string replica_name;                     // non-empty: sent as X-Gemma3-Replica on every response
};

class HttpServer {
 public:
  explicit HttpServer(ServerOptions options);
  ~HttpServer();   // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving on a background thread; returns once the socket listens, so
  // /health answers (503) while the model is still loading. Error names host:port.
  Status start();
  // Stops accepting, ends open streams, joins the threads. Idempotent.
  void stop();
  int port() const;   // the bound port (after start)

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
