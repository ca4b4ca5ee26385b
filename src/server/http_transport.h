// HttpTransport: HTTP/1.1 over TCP on Boost.Asio, requests parsed by Boost.Beast. Event-driven: a
// few I/O threads serve every connection, so an idle or slow client costs memory (a socket, a
// small buffer, two timers), never a thread. Each connection reads one request at a time with
// deadlines (first byte of a kept-alive connection, complete headers, complete body), hands it to
// the Router's handler, and writes the answer the handler gives its Responder, whole or chunked.
//
//   accept (max_connections, else 503 + close) -> [idle: keep_alive_timeout]
//     -> headers (header_timeout, max_header_bytes: 431) -> body (body_timeout, max_body_bytes: 413)
//     -> route (404 / 405) -> handler (inline or on the worker pool) -> Responder -> write
//        (write_timeout per write; the peer closing meanwhile aborts the exchange: kClientGone)
//     -> keep-alive: next request, else close
//
// Transport-level errors (malformed HTTP, limits, unknown routes) are answered with the response
// the ErrorHook builds, so their body and logging stay the server's business, not the transport's.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "server/http_exchange.h"
#include "server/router.h"
#include "util/result.h"

namespace gemma3 {

struct TransportOptions {
  std::string host = "127.0.0.1";
  int port = 8080;   // 0: any free port
  int io_threads = 2;
  int worker_threads = 2;
  size_t max_body_bytes = 8u << 20;
  size_t max_header_bytes = 64u << 10;
  size_t max_connections = 10000;
  std::chrono::milliseconds header_timeout{10000};     // from a request's first byte to its last header
  std::chrono::milliseconds body_timeout{30000};       // from the headers to the body's last byte
  std::chrono::milliseconds keep_alive_timeout{5000};  // idle connection between requests
  std::chrono::milliseconds write_timeout{30000};      // one write (a response, an SSE chunk) to drain
  HttpHeaders default_headers;                         // sent on every response
};

// Builds the response for an error the transport detects itself: 400 (malformed HTTP), 404 and
// 405 (`allowed` lists the methods), 413, 431, 500 (a handler threw: `detail` says what), 503 (too
// many connections, or shutting down). `request` holds what was parsed (method and path may be
// empty). Called on I/O threads; must be thread-safe and quick.
using ErrorHook = std::function<HttpResponse(const HttpRequest& request, int status, const std::string& detail)>;

class HttpTransport {
 public:
  HttpTransport(TransportOptions options, const Router& router, ErrorHook on_error);
  ~HttpTransport();   // stop()
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // Binds, listens and starts the threads; returns once connections are accepted.
  Status start();
  int port() const;

  // Graceful: stops accepting, closes idle connections, lets in-flight exchanges finish; at
  // `deadline` aborts the rest with kShutdown (handlers answer 503 / end their stream) and allows
  // them a short grace to write it; then stop(). Returns whether everything finished in time.
  bool drain(std::chrono::milliseconds deadline);
  bool draining() const;
  // Immediate: closes every connection (open exchanges see kClientGone) and joins the threads.
  void stop();

  size_t open_connections() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// Raises this process's open-file limit (RLIMIT_NOFILE) to its hard maximum, so thousands of
// connections fit. Returns the new soft limit.
size_t raise_open_file_limit();

}  // namespace gemma3
