// The tool part of an OpenAI chat request (`tools`, `tool_choice`, `parallel_tool_calls`), validated
// into plain data that the tool-call formats (toolcall/tool_format.h) work from.
//
// Validation errors carry the request field they are about (`param`, as OpenAI's error object
// names it) and a message that says what was expected; the server answers them with a 400.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace gemma3::toolcall {

struct Tool {
  std::string name, description;
  nlohmann::ordered_json parameters;   // a JSON Schema for the arguments object ({"type": "object"} when absent)
  bool strict = false;
};

struct ToolChoice {
  enum class Kind { kNone, kAuto, kRequired, kNamed } kind = Kind::kAuto;
  std::string name;   // kNamed: the function to call
};

struct ToolRequest {
  std::vector<Tool> tools;
  ToolChoice choice;
  bool parallel = true;
  nlohmann::ordered_json tools_json;   // the request's `tools` array as given (what the template renders), or null

  bool empty() const { return tools.empty(); }
  const Tool* find(std::string_view name) const;
};

struct FieldError {
  std::string param, message;
};

// Reads `tools`, `tool_choice` and `parallel_tool_calls` from an OpenAI chat request body. Absent (or
// null) tools: an empty request with choice none. Errors: tools not a non-empty array; a tool that is
// not {"type": "function", "function": {...}}; a function without a name, or a name outside
// [A-Za-z0-9_-]{1,64}; duplicate names; a description that is not a string; parameters that are not
// a JSON Schema object for an object (its "type", when present, must be "object"); strict not a
// boolean; tool_choice not one of "none"/"auto"/"required"/{"type": "function", "function":
// {"name": ...}}, naming an unknown function, or given without tools; parallel_tool_calls not a
// boolean. Whether the grammar engine supports a parameters schema is checked where the constraint
// is built (ToolFormat::constraint), which names the tool.
std::variant<ToolRequest, FieldError> parse_tool_request(const nlohmann::ordered_json& body);

// True when `name` is a valid function name ([A-Za-z0-9_-]{1,64}, as OpenAI requires).
bool is_valid_function_name(std::string_view name);

}  // namespace gemma3::toolcall
