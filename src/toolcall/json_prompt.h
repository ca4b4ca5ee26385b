// The json format's prompt side: templates without tool syntax (Gemma 3's own: alternating user /
// model turns, text only) get the tools described in the system prompt and the tool history written
// as plain text. The exact text is documented in docs/TOOL_CALLING.md; keep the two in step.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "toolcall/tool_request.h"

namespace gemma3::toolcall {

// The system-prompt text that describes the tools and how to call them, for tool_choice auto,
// required or named (none: empty, the tools are not mentioned).
std::string describe_tools_for_json(const ToolRequest& request);

// The text an assistant message's tool_calls become: the JSON the model would have written for them
// (one object, or a list when there are several). `tool_calls` is the OpenAI array (arguments a JSON
// string, or an object).
std::string tool_calls_as_json_text(const nlohmann::ordered_json& tool_calls);

// Rewrites `messages` (validated OpenAI messages) in place: the tool description joins the first
// system/developer message (or becomes one), assistant tool_calls become text, tool messages become
// user messages ("Function NAME returned:\n..."), and neighbouring messages of the same role are
// merged with a blank line, so the roles alternate as Gemma 3's template requires.
void rewrite_messages_for_json(nlohmann::ordered_json& messages, const std::string& tools_description);

}  // namespace gemma3::toolcall
