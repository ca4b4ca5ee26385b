// ChatRelay: how the Responses and Messages APIs share the chat route's whole request path.
// Their handlers translate a request into a chat-completions body and hand it to the
// /v1/chat/completions handler itself (found in the Router), with a Responder that translates
// the answer back: the chat.completion JSON, or the chat.completion.chunk SSE stream, becomes a
// ChatOutcome / ChatStreamPieces (chat_outcome.h) that the API's writer turns into its own shapes.
// So templates, tools, structured outputs, sampling, batching, cancellation, limits, 429s, metrics
// and the event-driven exchange are exactly the chat route's, and stay so as it grows.
//
//   API handler: parse + translate -> relay_chat(chat body, adapter)
//     -> chat handler (worker thread): validate, template, submit, GenerationExchange
//     -> RelayResponder: send / write  -> ChatOutputReader -> adapter -> the real Responder
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/api_context.h"
#include "server/api_error.h"
#include "server/chat_outcome.h"
#include "server/router.h"

namespace gemma3 {

// The chat route's output, read back. Pure; unit-tested.
// A whole chat.completion (choice 0) -> outcome; nullopt when it is not one.
std::optional<ChatOutcome> outcome_from_chat_completion(const nlohmann::json& completion);
// An OpenAI error body {"error": {...}} with its HTTP status -> ApiError.
ApiError api_error_from_response(int status, const std::string& body);

// Reads a chat SSE stream (any split into writes) event by event.
class ChatStreamReader {
 public:
  struct Event {
    enum class Kind { kPiece, kDone, kError } kind = Kind::kPiece;
    ChatStreamPiece piece;   // kPiece
    ChatOutcome finish;      // kDone: finish reason and usage (text and calls are in the pieces)
    ApiError error;          // kError: the stream ended early (server shutting down)
  };
  void feed(std::string_view bytes, std::vector<Event>& out);

 private:
  void event(const std::string& data, std::vector<Event>& out);
  std::string buffer_;
  ChatOutcome finish_;
};

// What an API writes, given the chat route's output.
class RelayAdapter {
 public:
  virtual ~RelayAdapter() = default;
  // stream: false. The finished outcome -> the API's response (200).
  virtual HttpResponse whole(const ChatOutcome& outcome) = 0;
  // Any error before or instead of an answer -> the API's error response.
  virtual HttpResponse error(const ApiError& error) = 0;
  // stream: true. The SSE bytes for the start, one piece, the end, an early end (error), and an
  // idle keep-alive.
  virtual std::string stream_begin() = 0;
  virtual std::string stream_piece(const ChatStreamPiece& piece) = 0;
  virtual std::string stream_finish(const ChatOutcome& usage) = 0;
  virtual std::string stream_error(const ApiError& error) = 0;
  virtual std::string stream_keep_alive() { return ": keep-alive\n\n"; }
};

// Runs `chat_body` through the router's POST /v1/chat/completions handler as if `original` had
// been sent there (same headers, so the same auth; an x-api-key header is also taken as the bearer
// token), answering through `responder` in the adapter's shapes. Call on a worker thread (the API
// route is registered RouteExec::kWorker, as the chat route is).
void relay_chat(const Router& router, const HttpRequest& original, const nlohmann::ordered_json& chat_body,
                std::shared_ptr<RelayAdapter> adapter, std::shared_ptr<Responder> responder);

// The request's credentials as ApiContext::check_auth reads them, with x-api-key (Anthropic's
// header) taken as the bearer token when there is no Authorization header.
HttpRequest with_bearer_from_api_key(const HttpRequest& request);

}  // namespace gemma3
