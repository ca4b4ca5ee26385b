// The grammar front ends: what a request can ask the output to be, lowered to the grammar IR
// (grammar/grammar_ir.h). Each returns an error naming the problem (for a schema: the keyword and
// its JSON pointer, e.g. "schema /properties/age: keyword 'uniqueItems' is not supported"); a
// keyword that changes validity and is not enforced is an error, never silently ignored.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "grammar/grammar_ir.h"
#include "util/result.h"

namespace gemma3::grammar {

// Bounds against hostile input (a schema or pattern arrives in a request). Exceeding one is an
// error naming the limit, reached in bounded time.
struct FrontEndLimits {
  size_t max_schema_bytes = 1 << 20;     // serialized schema size
  int max_depth = 64;                    // nesting of schemas / regex groups
  size_t max_rules = 20000;              // grammar rules produced
  size_t max_regex_nodes = 200000;       // total regex nodes produced
  uint32_t max_repeat = 10000;           // a {n,m} bound, minItems/maxItems, minLength/maxLength
};

// How JSON values are written. kJson: standard JSON. kFunctionGemma: FunctionGemma's call syntax,
// where objects are {key:value,...} with bare keys, strings are <escape>text<escape> (the escape
// marker a special token when `escape_token` >= 0, else the literal text "<escape>"), numbers,
// booleans and null bare, lists [a,b].
struct ValueSyntax {
  enum class Kind { kJson, kFunctionGemma };
  Kind kind = Kind::kJson;
  int32_t escape_token = -1;   // kFunctionGemma only
};

struct SchemaOptions {
  FrontEndLimits limits;
  ValueSyntax syntax;
  // Whitespace allowed between JSON tokens: the forms json.dumps writes (", " and ": "), compact,
  // and indented output are accepted; a run is at most this many bytes, so a model cannot loop on
  // whitespace forever.
  uint32_t max_whitespace_run = 24;
};

// Adds to `g` a rule deriving exactly the JSON texts (in `options.syntax`) of values valid against
// `schema` (properties in the schema's order), and returns its index. Several schemas can share one
// grammar (tool calls: one rule per tool's parameters).
Result<uint32_t> add_json_schema_rule(Grammar& g, const nlohmann::json& schema, const SchemaOptions& options);
// The same with the key order kept: nlohmann::json sorts object keys, so callers that parse the
// schema with nlohmann::ordered_json get properties in the order the schema lists them.
Result<uint32_t> add_json_schema_rule(Grammar& g, const nlohmann::ordered_json& schema, const SchemaOptions& options);

// A grammar whose start rule is one value valid against `schema`.
Result<Grammar> json_schema_grammar(const nlohmann::json& schema, const SchemaOptions& options = {});
Result<Grammar> json_schema_grammar(const nlohmann::ordered_json& schema, const SchemaOptions& options = {});
// Any JSON object (response_format json_object).
Grammar json_object_grammar(const SchemaOptions& options = {});
// The whole output matches the ECMAScript regular expression `pattern` (anchored at both ends).
Result<Grammar> regex_grammar(std::string_view pattern, const FrontEndLimits& limits = {});
// The whole output is exactly one of `choices` (non-empty strings).
Result<Grammar> choice_grammar(const std::vector<std::string>& choices);
// llama.cpp's GBNF grammar text (root rule "root").
Result<Grammar> gbnf_grammar(std::string_view text, const FrontEndLimits& limits = {});

}  // namespace gemma3::grammar
