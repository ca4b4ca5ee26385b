// ApiError: every way an API request can fail, as the HTTP status and the OpenAI error object
// {"error": {"message", "type", "param", "code"}}. Handlers never pick a status themselves: they
// build an ApiError with one of the factories below, and the HTTP layer writes it. That keeps the
// request-failure -> status mapping in this one file.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include <nlohmann/json.hpp>

#include "engine/engine.h"

namespace gemma3 {

struct ApiError {
  int status = 500;
  std::string type;                    // "invalid_request_error", "authentication_error", ...
  std::string message;
  std::optional<std::string> param;    // the offending request field, e.g. "messages[2].content"
  std::optional<std::string> code;     // "context_length_exceeded", "model_not_found", ...
  std::optional<int> retry_after_s;    // sent as Retry-After (429, 503)

  nlohmann::json to_json() const;      // {"error": {...}}, absent param/code as null
};

// 400: a field has the wrong type or value. `param` names the field.
ApiError invalid_field(std::string param, std::string message);
// 400: the body is not a JSON object (bad JSON, bad UTF-8, not an object).
ApiError invalid_body(std::string message);
// 400: prompt + max tokens exceed the model's context.
ApiError context_length_exceeded(std::string param, int64_t prompt_tokens, int64_t max_tokens, int64_t context);
ApiError unauthorized();                                  // 401 invalid_api_key
ApiError route_not_found(const std::string& method, const std::string& path);   // 404
ApiError model_not_found(const std::string& model);       // 404 model_not_found
ApiError method_not_allowed(const std::string& method, const std::string& path);  // 405
ApiError payload_too_large(size_t limit_bytes);           // 413
ApiError model_loading();                                 // 503 while the model loads
ApiError internal_error(std::string message);             // 500: a fault of ours, never of the request
// The engine refused a submission: queue full -> 429 (Retry-After), invalid -> 400,
// shutting down -> 503.
ApiError from_submit_error(const SubmitError& error);

// ApiResult<T>: a value or the ApiError to answer with.
template <typename T>
class [[nodiscard]] ApiResult {
 public:
  ApiResult(T value) : state_(std::move(value)) {}          // NOLINT: implicit by design
  ApiResult(ApiError error) : state_(std::move(error)) {}   // NOLINT: implicit by design
  bool ok() const { return state_.index() == 0; }
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const ApiError& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, ApiError> state_;
};

}  // namespace gemma3
