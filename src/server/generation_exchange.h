// GenerationExchange: writes one submitted GenerationSession to its client without a thread
// waiting on the engine. The engine's stream notification (TokenStream::set_notify) posts a wake-up
// onto the connection's strand; the exchange then takes what is ready (never blocking) and writes
// it: SSE events one write at a time (a slow reader holds at most one chunk here, the engine merges
// the rest into one pending delta), or the whole JSON body once every choice finished.
//
//   engine push -> notify -> Responder::post -> drive(): pump / try_collect -> Responder::write/send
//
// Streams that cannot notify (test fakes) are polled every few milliseconds instead. A silent
// stream gets an SSE comment every second, so proxies keep it open. The client leaving
// (kClientGone) cancels the request at once; the drain deadline (kShutdown) ends it with a final
// error event, or a 503 for a non-streaming request.
#pragma once

#include <memory>

#include "server/api_context.h"
#include "server/generation_session.h"

namespace gemma3 {

// Takes over `session` and answers through `responder`; the request's log line is written when the
// response ends. Callable from any thread.
void run_generation_exchange(ApiContext& ctx, std::unique_ptr<GenerationSession> session, bool stream,
                             RequestLog log, ApiContext::Clock::time_point start,
                             std::shared_ptr<Responder> responder);

}  // namespace gemma3
