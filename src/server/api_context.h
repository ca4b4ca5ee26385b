// ApiContext: what every API route needs from the server, whatever its family (OpenAI chat and
// completions today; others register their own routes against the same context): the options,
// the backend once loaded (auth and "still loading" checked by gate()), the HTTP metrics and the
// request log, and THE place where an ApiError becomes an HTTP response (error_response).
//
// Thread-safe: routes call it from I/O and worker threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "server/api_error.h"
#include "server/backend.h"
#include "server/http_exchange.h"
#include "server/http_metrics.h"

namespace gemma3 {

struct ServerOptions;

class ApiContext {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ApiContext(const ServerOptions& options);

  const ServerOptions& options() const { return options_; }
  HttpMetrics& metrics() { return metrics_; }

  void set_backend(ServingBackend* backend) { backend_.store(backend, std::memory_order_release); }
  ServingBackend* backend() const { return backend_.load(std::memory_order_acquire); }

  // nullopt when the request may proceed: no API key configured, or "Authorization: Bearer KEY".
  std::optional<ApiError> check_auth(const HttpRequest& request) const;
  // The backend, or the error to answer with (auth first, then "still loading").
  ApiResult<ServingBackend*> gate(const HttpRequest& request) const;

  uint64_t random_seed();

  RequestLog begin_log(const HttpRequest& request) const;
  // Counts the request (and prints its log line when logging is on).
  void finish(RequestLog& log, int status, Clock::time_point start);

  static HttpResponse error_response(const ApiError& e);
  static HttpResponse json_response(const nlohmann::json& body);
  // error_response + finish, sent through `responder`.
  void reply_error(Responder& responder, const ApiError& e, RequestLog& log, Clock::time_point start);

 private:
  const ServerOptions& options_;
  std::atomic<ServingBackend*> backend_{nullptr};
  HttpMetrics metrics_;
  std::mutex seed_mu_;
  std::mt19937_64 seed_rng_{std::random_device{}()};
};

}  // namespace gemma3
