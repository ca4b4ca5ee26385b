// The grammars that make tool calls well-formed, built on the JSON Schema front end
// (grammar/front_ends.h): the call's frame (markers, the function's name) is fixed text, the
// arguments are the front end's rule for that tool's parameters schema.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "engine/engine.h"
#include "grammar/grammar_ir.h"
#include "toolcall/tool_request.h"
#include "util/result.h"

namespace gemma3::grammar {
class TokenTable;
}

namespace gemma3::toolcall {

// How the calls are framed. A marker id >= 0 is a special token (Symbol::token); -1 writes the
// marker as text.
struct CallFrame {
  enum class Kind { kFunctionGemma, kJson } kind = Kind::kJson;
  int32_t start_call = -1, end_call = -1, escape = -1;   // kFunctionGemma's markers
};

// One call (of the named function for tool_choice named, else of any tool), or with
// request.parallel one or more in a row (FunctionGemma: back to back; json: a list `[c, c]`).
//   FunctionGemma: <start_function_call>call:NAME{args}<end_function_call>
//   json:          {"name": "NAME", "arguments": ARGS}   (json.dumps' spacing; ARGS the front end's)
// Error (param-style "tools[i].function.parameters: ...") when the front end refuses a schema.
Result<grammar::Grammar> build_call_grammar(const ToolRequest& request, const CallFrame& frame);

// Compiles the call grammar and fills in the constraint for the request's tool_choice (see
// ToolFormat::constraint). `triggers_for` picks the lazy grammar's trigger tokens from the tokens
// the compiled grammar allows as a first token.
Result<OutputConstraint> build_call_constraint(const ToolRequest& request, const CallFrame& frame,
                                               std::shared_ptr<const grammar::TokenTable> tokens,
                                               std::vector<int32_t> end_ids,
                                               const std::function<bool(int32_t id, const grammar::TokenTable&)>& is_trigger,
                                               bool trigger_at_start_only);

}  // namespace gemma3::toolcall
