// FunctionGemma's value syntax, read and written as text:
//   object  {key:value,key:value}     keys bare (no ':' ',' '{' '}' '[' ']' '<'), or between <escape>s
//   list    [value,value]
//   string  <escape>any text, taken verbatim<escape>
//   other   JSON numbers, true, false, null, written bare
// A call is `call:NAME{...}` (the text between <start_function_call> and <end_function_call>).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "toolcall/tool_format.h"
#include "util/result.h"

namespace gemma3::toolcall {

inline constexpr std::string_view kFgStartCall = "<start_function_call>";
inline constexpr std::string_view kFgEndCall = "<end_function_call>";
inline constexpr std::string_view kFgEscape = "<escape>";
inline constexpr std::string_view kFgStartResponse = "<start_function_response>";
// FunctionGemma's seven markers, in the order of their ids (46-52) in FunctionGemma's tokenizer.
inline constexpr std::string_view kFgMarkers[7] = {
    "<start_function_declaration>", "<end_function_declaration>", "<start_function_call>", "<end_function_call>",
    "<start_function_response>",    "<end_function_response>",    "<escape>"};

inline constexpr int kFgMaxDepth = 64;   // nesting of objects and lists in one call's arguments

// Parses a call body `call:NAME{...}` (exactly that: nothing before or after). The arguments become a
// compact JSON object text: strings re-escaped for JSON (invalid UTF-8 replaced by U+FFFD), numbers
// kept as written, keys in the model's order. Error on bad syntax, duplicate keys or nesting beyond
// kFgMaxDepth.
Result<ParsedCall> parse_functiongemma_call(std::string_view body);

// Writes a JSON value in FunctionGemma's syntax (the inverse of the parser, for tests and prompts).
// Keys are written bare; a key that cannot be bare is written between <escape>s.
std::string to_functiongemma_text(const nlohmann::ordered_json& value);

}  // namespace gemma3::toolcall
