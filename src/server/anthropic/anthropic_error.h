// Anthropic's error shape, {"type": "error", "error": {"type", "message"}}, and its status codes,
// for every ApiError the shared request path can raise (one mapping, here):
//   400 invalid_request_error   401 authentication_error   403 permission_error
//   404 not_found_error         413 request_too_large      429 rate_limit_error
//   500 api_error               503 (loading, shutting down) -> 529 overloaded_error
// Other 4xx keep their status with invalid_request_error.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "server/api_error.h"

namespace gemma3 {

struct AnthropicError {
  int status = 500;
  nlohmann::ordered_json body;
};

AnthropicError to_anthropic_error(const ApiError& error);

}  // namespace gemma3
