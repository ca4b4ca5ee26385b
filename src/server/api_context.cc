#include "server/api_context.h"

#include "server/http_server.h"
#include "server/response_builder.h"

namespace gemma3 {

namespace {

bool constant_time_equal(const std::string& a, const std::string& b) {
  // Timing reveals at most the key's length, never how much of it matched.
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

ApiContext::ApiContext(const ServerOptions& options) : options_(options) {}

std::optional<ApiError> ApiContext::check_auth(const HttpRequest& request) const {
  if (options_.api_key.empty()) return std::nullopt;
  const std::string header = request.header("Authorization");
  static const std::string kBearer = "Bearer ";
  if (header.size() <= kBearer.size() || header.compare(0, kBearer.size(), kBearer) != 0) return unauthorized();
  if (!constant_time_equal(header.substr(kBearer.size()), options_.api_key)) return unauthorized();
  return std::nullopt;
}

ApiResult<ServingBackend*> ApiContext::gate(const HttpRequest& request) const {
  if (auto e = check_auth(request)) return *e;
  ServingBackend* b = backend();
  if (!b) return model_loading();
  return b;
}

uint64_t ApiContext::random_seed() {
  std::lock_guard<std::mutex> lock(seed_mu_);
  return seed_rng_();
}

RequestLog ApiContext::begin_log(const HttpRequest& request) const {
  RequestLog log;
  log.method = request.method;
  log.route = request.path;
  return log;
}

void ApiContext::finish(RequestLog& log, int status, Clock::time_point start) {
  log.status = status;
  log.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  metrics_.finish(log, options_.log_requests);
}

HttpResponse ApiContext::error_response(const ApiError& e) {
  HttpResponse r;
  r.status = e.status;
  r.content_type = "application/json";
  r.body = dump_json(e.to_json());
  if (e.retry_after_s) r.headers.emplace_back("Retry-After", std::to_string(*e.retry_after_s));
  return r;
}

HttpResponse ApiContext::json_response(const nlohmann::json& body) {
  HttpResponse r;
  r.status = 200;
  r.content_type = "application/json";
  r.body = dump_json(body);
  return r;
}

void ApiContext::reply_error(Responder& responder, const ApiError& e, RequestLog& log, Clock::time_point start) {
  responder.send(error_response(e));
  finish(log, e.status, start);
}

}  // namespace gemma3
