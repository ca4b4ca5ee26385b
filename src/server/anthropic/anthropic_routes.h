// The Anthropic Messages API: POST /v1/messages and POST /v1/messages/count_tokens. A message is
// parsed and translated (messages_request.h), run through the chat route (chat_relay.h) and
// written by messages_writer.h; every error is written in Anthropic's shape (anthropic_error.h).
// x-api-key is accepted like the bearer token.
#pragma once

#include "server/api_context.h"
#include "server/router.h"

namespace gemma3 {

void add_anthropic_routes(Router& router, ApiContext& ctx);

}  // namespace gemma3
