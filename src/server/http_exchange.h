// The contract between the HTTP transport (http_connection.cc) and the code that answers requests
// (route handlers): a parsed request, a response to send whole, and a Responder through which a
// handler answers, at once or later, with one body or a stream of chunks (SSE).
//
// No Asio or Beast here: a handler knows nothing of sockets, so an API family (server/openai_routes,
// and later ones in their own folders) is written against this header and the Router alone.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gemma3 {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;    // "GET", "POST", ... as sent (HEAD is routed to GET handlers)
  std::string target;    // as sent: path and query
  std::string path;      // percent-decoded, without the query
  std::string query;     // after '?', undecoded
  HttpHeaders headers;   // in arrival order
  std::string body;
  std::string route_rest;   // for a prefix route: the path after the prefix, else empty
  std::chrono::steady_clock::time_point received = std::chrono::steady_clock::now();

  // The first value of a header (case-insensitive name), or "" when absent.
  std::string header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type;   // empty: no Content-Type header
  std::string body;
  HttpHeaders headers;        // extra headers (Retry-After, Allow, ETag, ...)
};

// Why an exchange ended before its response did.
enum class AbortReason {
  kClientGone,   // the peer closed the connection or a write failed / timed out
  kShutdown,     // the server's drain deadline passed: answer now (503 / a final SSE error event)
};

// One request's answering side. Every method is thread-safe: calls are posted onto the
// connection's serial executor, so a handler may answer from a worker thread or from an engine
// notification. Exactly one of send() or begin_stream()...end_stream() per request; later calls
// are ignored.
class Responder {
 public:
  virtual ~Responder() = default;

  // A complete response (Content-Length set by the transport; HEAD requests get no body).
  virtual void send(HttpResponse response) = 0;

  // A chunked response: `head` supplies status, Content-Type and headers (its body is ignored).
  virtual void begin_stream(HttpResponse head) = 0;
  // Queues bytes as one chunk. `on_written(ok)` runs on the serial executor once the bytes reached
  // the socket (ok) or could not (client gone); the transport writes one chunk at a time, so a
  // caller that waits for on_written never holds more than one chunk in memory per client.
  virtual void write(std::string bytes, std::function<void(bool ok)> on_written) = 0;
  virtual void end_stream() = 0;

  // Runs `fn` on the serial executor (after `delay`, when given). Used to serialise a handler's
  // own state with its write completions and abort notice.
  virtual void post(std::function<void()> fn) = 0;
  virtual void post_after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;

  // `fn` runs once, on the serial executor, if the exchange is aborted before the response ended.
  // On kShutdown the handler should finish its response promptly (it is still writable); on
  // kClientGone nothing more can be written. Set it before the first post/write.
  virtual void on_abort(std::function<void(AbortReason)> fn) = 0;
};

// A route handler: reads the request, answers through the responder (now or later).
using HttpHandler = std::function<void(HttpRequest& request, std::shared_ptr<Responder> responder)>;

}  // namespace gemma3
