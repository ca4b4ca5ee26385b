// The OpenAI API family: POST /v1/chat/completions, POST /v1/completions, GET /v1/models and
// GET /v1/models/{id}. Each generation request runs on the worker pool up to submission:
//   auth -> parse + validate (request_parser) -> template / tokenize (backend)
//   -> expand to one GenerationRequest per choice -> backend.submit -> GenerationSession
// and is then answered by a GenerationExchange (generation_exchange.h), which waits on no thread.
#pragma once

#include "server/api_context.h"
#include "server/router.h"

namespace gemma3 {

void add_openai_routes(Router& router, ApiContext& ctx);

}  // namespace gemma3
