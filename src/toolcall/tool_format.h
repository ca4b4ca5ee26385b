// Tool-call formats: how a checkpoint writes function calls, how we read them back, and which
// grammar makes every call well-formed. One format per model family, chosen from the checkpoint's
// chat template (choose_tool_format):
//
//   functiongemma  <start_function_call>call:NAME{key:<escape>text<escape>,n:3}<end_function_call>,
//                  several in a row for parallel calls (FunctionGemma's own syntax; its template
//                  renders the tools, the calls and the results).
//   json           {"name": NAME, "arguments": {...}}, or a list of them for parallel calls, as the
//                  whole reply; the tools are described in the prompt (see docs/TOOL_CALLING.md)
//                  because the template has no tool syntax (Gemma 3's own).
//
// The server: parse_tool_request -> format.prepare_chat (before templating) -> format.constraint
// (OutputConstraint on the GenerationRequest) + visible_special_ids -> format.make_parser, fed the
// output text as it is decoded -> OpenAI tool_calls. Formats are immutable and thread-safe; a parser
// belongs to one request.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "toolcall/tool_request.h"
#include "util/result.h"

namespace gemma3 {
class Tokenizer;
namespace grammar {
class TokenTable;
}
}  // namespace gemma3

namespace gemma3::toolcall {

struct ParsedCall {
  std::string name;
  std::string arguments_json;   // a compact JSON object text, keys in the order the model wrote them
};

struct ParserEvent {
  enum class Kind { kContent, kToolCall } kind = Kind::kContent;
  std::string content;   // kContent
  ParsedCall call;       // kToolCall
};

// A streaming reader of the model's output text (as the engine decodes it, with the format's markers
// kept visible). Content events carry text that is certainly not part of a call: anything that may
// still become a call marker is held back until it is decided. A call is reported once complete.
// Text between call markers never becomes content: a call that does not parse, or names a function
// that is not in the request, is dropped (it cannot happen while the grammar constrains the output).
// Linear time in the text; memory bounded by the longest call.
class ToolCallParser {
 public:
  virtual ~ToolCallParser() = default;
  virtual void feed(std::string_view text, std::vector<ParserEvent>& out) = 0;
  // End of output. A half-written call is dropped whatever `truncated` says (never a partial call,
  // never its raw text as content); held-back text that is not a call is released as content.
  virtual void finish(bool truncated, std::vector<ParserEvent>& out) = 0;
};

class ToolFormat {
 public:
  virtual ~ToolFormat() = default;
  virtual std::string name() const = 0;

  // Before templating, on what the template will see (ChatInput's messages and tools). Native
  // formats leave both to the template; the json format describes the tools in the system prompt,
  // rewrites assistant tool_calls and tool messages into plain alternating user/assistant text, and
  // sets `tools` to null (the template has no tool syntax). No-op when the request has no tools.
  virtual void prepare_chat(nlohmann::ordered_json& messages, nlohmann::ordered_json& tools, const ToolRequest& request) const = 0;

  // The output constraint for the request's tool_choice: none -> no grammar; required / named -> a
  // grammar from the first token (one call, or several when parallel, to one of the tools (the named
  // one), arguments valid against its parameters schema); auto -> the same grammar, lazy, started by
  // the format's trigger tokens. Error (naming the tool) when a parameters schema is not supported by
  // the grammar engine. `eos_ids`: the checkpoint's end ids; the constraint's end_ids add the format's
  // own stops.
  virtual Result<OutputConstraint> constraint(const ToolRequest& request,
                                              std::shared_ptr<const grammar::TokenTable> tokens,
                                              const std::vector<int32_t>& eos_ids) const = 0;

  // Special tokens whose text the engine must keep in the output so the parser sees them.
  virtual std::vector<int32_t> visible_special_ids() const = 0;

  // A parser for one request's output. With tool_choice none it passes all text through as content.
  virtual std::unique_ptr<ToolCallParser> make_parser(const ToolRequest& request) const = 0;
};

// The functiongemma format with its seven markers' token ids (fg_syntax.h's kFgMarkers order; -1: the
// marker is text) and the json format, as choose_tool_format makes them.
std::shared_ptr<const ToolFormat> functiongemma_format(const std::array<int32_t, 7>& marker_ids);
std::shared_ptr<const ToolFormat> json_format();

// The names choose_tool_format accepts as `forced`.
std::vector<std::string> tool_format_names();

// FunctionGemma's markers in the template text => functiongemma (markers as single tokens when the
// vocabulary has them, as FunctionGemma's does at ids 46-52, else as text); otherwise json. `forced`
// (serve --tool-format NAME) picks one by name; an unknown name is an error listing the names.
Result<std::shared_ptr<const ToolFormat>> choose_tool_format(const std::string& template_source,
                                                             const Tokenizer& tokenizer,
                                                             const std::string& forced = "");

}  // namespace gemma3::toolcall
