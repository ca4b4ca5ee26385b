// The Anthropic Messages API request (POST /v1/messages, /v1/messages/count_tokens) -> a
// chat-completions request body, so a message runs on the chat route's path (template, tools,
// grammar, sampling, limits). Pure functions, unit-tested in tests/server.
//
// Mapping (Messages -> chat completions):
//   system "text" or [{type: text, text}]     a system message, first
//   messages[i] {role: user|assistant, content: "text" or blocks}:
//     text blocks                             the message's content (one string, or text parts)
//     tool_use {id, name, input} (assistant)  tool_calls [{id, type: function, function: {name,
//                                             arguments: JSON text of input}}]
//     tool_result {tool_use_id, content, is_error} (user)
//                                             a "tool" message {tool_call_id, name, content} each,
//                                             before the user's text
//   max_tokens (required)                     max_tokens
//   stop_sequences                            stop
//   temperature (0..1), top_p, top_k          the same
//   tools [{name, description, input_schema}] [{type: function, function: {name, description, parameters}}]
//   tool_choice auto / any / tool {name} / none, disable_parallel_tool_use
//                                             auto / required / {type: function, function: {name}} / none,
//                                             parallel_tool_calls false
//   metadata, thinking (disabled), service_tier   checked, otherwise ignored
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "server/api_error.h"

namespace gemma3 {

struct MessagesRequest {
  nlohmann::ordered_json chat;   // the whole chat body, messages included
  std::string model;
  bool stream = false;
};

inline constexpr int32_t kMaxStopSequences = 16;

// POST /v1/messages. Errors are 400s naming the field Anthropic's way ("messages.1.content.0.type").
ApiResult<MessagesRequest> parse_messages_request(const nlohmann::ordered_json& body);

// POST /v1/messages/count_tokens: the same fields without max_tokens; the chat body has no sampling.
ApiResult<MessagesRequest> parse_count_tokens_request(const nlohmann::ordered_json& body);

}  // namespace gemma3
