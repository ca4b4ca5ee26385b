// The OpenAI Responses API: POST /v1/responses, GET and DELETE /v1/responses/{id}.
// A POST is parsed and translated (responses_request.h), continued from its stored predecessor
// when it names one (response_store.h), and run through the chat route (chat_relay.h); the answer
// is written by responses_writer.h and, with `store` (the default), kept for GET and continuations.
#pragma once

#include "server/api_context.h"
#include "server/responses/response_store.h"
#include "server/router.h"

namespace gemma3 {

// Registers the routes; the store lives as long as the router's handlers.
void add_responses_routes(Router& router, ApiContext& ctx, const ResponseStoreLimits& limits);

}  // namespace gemma3
