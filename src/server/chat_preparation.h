// What a chat request becomes before it is submitted, beyond its common fields (request_parser):
// the prompt its chat template renders (with tools and chat_template_kwargs), and what constrains
// and reads its output: a response_format / guided_* grammar (server/structured_output.h), or the
// tool-call format's grammar, visible markers and parser (toolcall/tool_format.h).
//
//   body -> tools (parse_tool_request) -> ToolFormat::prepare_chat -> ChatTemplate (backend)
//        -> constraint: tool grammar (tool_choice required/named; lazy for auto) or response_format
//        -> GenerationExtras, applied to every GenerationRequest of the request and its session.
//
// The one path for every API that speaks chat: /v1/chat/completions, and the Responses and
// Messages APIs, which translate their bodies into a chat-completions body first.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "server/api_error.h"
#include "server/backend.h"

namespace gemma3 {

namespace toolcall {
class ToolCallParser;
}

struct GenerationExtras {
  OutputConstraint constraint;
  std::vector<int32_t> visible_special_ids;
  // Set when the request has tools: one parser per choice (content vs calls).
  std::function<std::unique_ptr<toolcall::ToolCallParser>()> make_tool_parser;
};

struct PreparedChat {
  std::vector<int32_t> prompt;
  GenerationExtras extras;
};

// `body` is the request parsed as JSON, `ordered` the same text parsed as ordered_json: templates
// see the request's key order (tools | tojson) and a schema writes properties in its own order.
ApiResult<PreparedChat> prepare_chat(ServingBackend& backend, const nlohmann::json& body,
                                     const nlohmann::ordered_json& ordered);

// /v1/completions: only a response_format / guided_* constraint (no template, no tools).
ApiResult<GenerationExtras> prepare_completion_extras(ServingBackend& backend, const nlohmann::ordered_json& ordered);

// Copies the extras onto each engine request of a request.
void apply_extras(const GenerationExtras& extras, std::vector<GenerationRequest>& requests);

}  // namespace gemma3
