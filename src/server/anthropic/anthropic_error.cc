#include "server/anthropic/anthropic_error.h"

namespace gemma3 {

AnthropicError to_anthropic_error(const ApiError& error) {
  AnthropicError out;
  out.status = error.status;
  const char* type = "invalid_request_error";
  switch (error.status) {
    case 401: type = "authentication_error"; break;
    case 403: type = "permission_error"; break;
    case 404: type = "not_found_error"; break;
    case 413: type = "request_too_large"; break;
    case 429: type = "rate_limit_error"; break;
    case 503:
    case 529:
      out.status = 529;
      type = "overloaded_error";
      break;
    default:
      if (error.status >= 500) {
        out.status = 500;
        type = "api_error";
      }
  }
  // Anthropic names the field inside the message ("messages.0.content: ..."); ours already names it,
  // so the message is kept as is.
  out.body = {{"type", "error"}, {"error", {{"type", type}, {"message", error.message}}}};
  return out;
}

}  // namespace gemma3
