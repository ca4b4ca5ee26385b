// The OpenAI Responses API request (POST /v1/responses) -> a chat-completions request body, so a
// response runs on the chat route's path (template, tools, structured outputs, sampling, limits)
// and only its shapes differ. Pure functions: no I/O, unit-tested in tests/server.
//
// Mapping (Responses -> chat completions):
//   input "text"                            one user message
//   input items: message (role user / system / developer / assistant; content a string or
//     input_text / output_text parts)       the same message, text parts as chat text parts
//   function_call {call_id, name, arguments} a tool_calls entry of the assistant message before it
//                                            (a new assistant message when there is none)
//   function_call_output {call_id, output}   a "tool" message {tool_call_id, name, content}
//   instructions                             a system message, first (never stored: OpenAI does not
//                                            carry instructions over to a continuation)
//   tools [{type: function, name, description, parameters, strict}]
//                                            [{type: function, function: {...}}]
//   tool_choice {type: function, name}       {type: function, function: {name}}; strings as given
//   text.format json_schema {name, schema, strict} / json_object
//                                            response_format json_schema {json_schema: {...}} / json_object
//   max_output_tokens                        max_tokens
//   temperature, top_p, parallel_tool_calls, model, and the sampling extensions the chat route
//   accepts (seed, top_k, min_p, penalties, stop, logit_bias)    copied; the chat parser checks them
// Fields without a meaning here (reasoning, truncation "auto", include, service_tier, prompt_cache_key)
// are ignored as OpenAI ignores them for models that lack them; background and conversation are refused.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "server/api_error.h"

namespace gemma3 {

struct ResponsesRequest {
  nlohmann::ordered_json chat;             // the chat body without "messages" (see chat_body_for)
  nlohmann::ordered_json input_messages;   // this request's input as chat messages (what a store keeps)
  std::optional<std::string> instructions;
  std::optional<std::string> previous_response_id;
  bool store = true;
  bool stream = false;
  // The request's own fields as a response object repeats them (instructions, max_output_tokens,
  // metadata, parallel_tool_calls, temperature, text, tool_choice, tools, top_p, user, store, ...).
  nlohmann::ordered_json echo;
};

inline constexpr size_t kMaxMetadataKeys = 16;
inline constexpr size_t kMaxMetadataValueBytes = 512;

// Errors are 400s whose `param` names the Responses field ("input[2].content[0].type").
ApiResult<ResponsesRequest> parse_responses_request(const nlohmann::ordered_json& body);

// The chat body for a request that continues `history` (the chat messages of the stored
// conversation, empty without previous_response_id): instructions first, the history, then the input.
nlohmann::ordered_json chat_body_for(const ResponsesRequest& request, const nlohmann::ordered_json& history);

}  // namespace gemma3
