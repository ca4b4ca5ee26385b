// The streaming parsers behind each format's make_parser (see ToolCallParser in tool_format.h).
#pragma once

#include <memory>

#include "toolcall/tool_format.h"

namespace gemma3::toolcall {

// Everything is content (tool_choice none).
std::unique_ptr<ToolCallParser> make_passthrough_parser();
// <start_function_call>call:NAME{...}<end_function_call>, any number, anywhere in the text.
std::unique_ptr<ToolCallParser> make_functiongemma_parser(const ToolRequest& request);
// The whole reply is a call ({"name", "arguments"}) or a list of calls when it starts with '{' or '['
// at its very first byte (where the json format's lazy grammar can trigger); otherwise all content.
std::unique_ptr<ToolCallParser> make_json_call_parser(const ToolRequest& request);

// The length of the longest suffix of `text` that is a proper prefix of `marker`: text that may still
// become the marker and must be held back.
size_t marker_prefix_suffix(std::string_view text, std::string_view marker);

}  // namespace gemma3::toolcall
