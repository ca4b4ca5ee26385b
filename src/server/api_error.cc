#include "server/api_error.h"

namespace gemma3 {

namespace {

ApiError make(int status, std::string type, std::string message, std::optional<std::string> param = std::nullopt,
              std::optional<std::string> code = std::nullopt) {
  ApiError e;
  e.status = status;
  e.type = std::move(type);
  e.message = std::move(message);
  e.param = std::move(param);
  e.code = std::move(code);
  return e;
}

}  // namespace

nlohmann::json ApiError::to_json() const {
  nlohmann::json error = {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}};
  if (param) error["param"] = *param;
  if (code) error["code"] = *code;
  return {{"error", std::move(error)}};
}

ApiError invalid_field(std::string param, std::string message) {
  return make(400, "invalid_request_error", std::move(message), std::move(param));
}

ApiError invalid_body(std::string message) { return make(400, "invalid_request_error", std::move(message)); }

ApiError context_length_exceeded(std::string param, int64_t prompt_tokens, int64_t max_tokens, int64_t context) {
  std::string message = "This model's maximum context length is " + std::to_string(context) + " tokens. However, you requested " +
                        std::to_string(prompt_tokens + max_tokens) + " tokens (" + std::to_string(prompt_tokens) +
                        " in the prompt, " + std::to_string(max_tokens) +
                        " for the completion). Please reduce the prompt or the completion length.";
  return make(400, "invalid_request_error", std::move(message), std::move(param), "context_length_exceeded");
}

ApiError unauthorized() {
  return make(401, "authentication_error", "Incorrect or missing API key: send it as 'Authorization: Bearer KEY'.",
              std::nullopt, "invalid_api_key");
}

ApiError route_not_found(const std::string& method, const std::string& path) {
  return make(404, "invalid_request_error", "Unknown request URL: " + method + " " + path + ".", std::nullopt,
              "unknown_url");
}

ApiError model_not_found(const std::string& model) {
  return make(404, "invalid_request_error", "The model '" + model + "' does not exist.", "model", "model_not_found");
}

ApiError method_not_allowed(const std::string& method, const std::string& path) {
  return make(405, "invalid_request_error", "Method " + method + " is not allowed on " + path + ".", std::nullopt,
              "method_not_allowed");
}

ApiError payload_too_large(size_t limit_bytes) {
  return make(413, "invalid_request_error",
              "The request body exceeds the limit of " + std::to_string(limit_bytes) + " bytes.", std::nullopt,
              "payload_too_large");
}

ApiError model_loading() {
  ApiError e = make(503, "service_unavailable", "The model is still loading; retry shortly.", std::nullopt,
                    "model_loading");
  e.retry_after_s = 1;
  return e;
}

ApiError internal_error(std::string message) { return make(500, "internal_error", std::move(message)); }

ApiError from_submit_error(const SubmitError& error) {
  switch (error.kind) {
    case SubmitErrorKind::kQueueFull: {
      ApiError e = make(429, "rate_limit_error", "The server is busy (" + error.message + "); retry shortly.",
                        std::nullopt, "queue_full");
      e.retry_after_s = 1;
      return e;
    }
    case SubmitErrorKind::kInvalid:
      return make(400, "invalid_request_error", error.message);
    case SubmitErrorKind::kShuttingDown: {
      ApiError e = make(503, "service_unavailable", "The server is shutting down: " + error.message, std::nullopt,
                        "shutting_down");
      e.retry_after_s = 1;
      return e;
    }
  }
  return internal_error("unknown submit error: " + error.message);
}

}  // namespace gemma3
