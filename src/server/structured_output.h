// Structured outputs on the API: what a request asks its output to be (response_format and the
// guided_* extensions) -> a compiled grammar, cached so a repeated constraint costs nothing.
//
// Accepted, at most one per request:
//   response_format {"type": "text"}                                    no constraint
//   response_format {"type": "json_object"}                             any JSON object
//   response_format {"type": "json_schema", "json_schema": {"name", "schema", "strict"}}
//   guided_json    a JSON schema (vLLM's name)
//   guided_regex   an ECMAScript regular expression the whole output matches (vLLM's name)
//   guided_choice  an array of strings; the output is exactly one of them (vLLM's name)
//   guided_grammar a GBNF grammar, llama.cpp's format (root rule "root"); `grammar` is an alias
// Errors are 400s naming the field, e.g. param "response_format.json_schema.schema" with
// "schema /properties/a: keyword 'uniqueItems' is not supported".
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/api_error.h"

namespace gemma3 {

namespace grammar {
class CompiledGrammar;
class TokenTable;
}  // namespace grammar

struct ConstraintSpec {
  enum class Kind { kNone, kJsonObject, kJsonSchema, kRegex, kChoice, kGrammar };
  Kind kind = Kind::kNone;
  nlohmann::ordered_json schema;       // kJsonSchema; ordered: properties are written in the schema's order
  std::string text;                    // kRegex: the pattern; kGrammar: the GBNF text
  std::vector<std::string> choices;    // kChoice
  std::string param;                   // the request field errors blame

  // The same key for the same constraint, whatever the request's formatting.
  std::string cache_key() const;
};

// Reads response_format and the guided_* fields of a chat or completion request body, parsed as
// ordered_json so that a schema keeps its property order.
ApiResult<ConstraintSpec> parse_constraint_spec(const nlohmann::ordered_json& body);

// Compiles constraints for one tokenizer, keeping the most recently used `capacity` grammars.
// Thread-safe; a compile runs outside the lock, so one slow schema never blocks other requests.
class ConstraintCompiler {
 public:
  ConstraintCompiler(std::shared_ptr<const grammar::TokenTable> tokens, size_t capacity = 256);
  ~ConstraintCompiler();

  // Null for kNone. Errors are 400s blaming spec.param.
  ApiResult<std::shared_ptr<const grammar::CompiledGrammar>> compile(const ConstraintSpec& spec);

  const std::shared_ptr<const grammar::TokenTable>& tokens() const { return tokens_; }
  int64_t hits() const;
  int64_t misses() const;

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const grammar::CompiledGrammar>>;
  std::shared_ptr<const grammar::TokenTable> tokens_;
  size_t capacity_;
  mutable std::mutex mutex_;
  std::list<Entry> lru_;   // most recent first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  int64_t hits_ = 0, misses_ = 0;
};

}  // namespace gemma3
