// How JSON values are written as grammar symbols, for one grammar and one ValueSyntax: the
// punctuation and literal lexemes (each with the whitespace JSON allows before it, bounded by
// max_whitespace_run), string values from a regex over their encoded characters, object keys, and
// the shared rules for "any JSON value" / "any object". Lexemes are created once and reused.
//
// Whitespace policy (kJson): every token lexeme starts with [ \t\n\r]{0,N}; a document may end with
// one more run (json_document_rule). kFunctionGemma has no whitespace.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "grammar/ecma_regex.h"
#include "grammar/front_ends.h"
#include "grammar/grammar_ir.h"

namespace gemma3::grammar {

class JsonSyntax {
 public:
  JsonSyntax(Grammar& g, const SchemaOptions& options);

  bool is_json() const { return syntax_.kind == ValueSyntax::Kind::kJson; }
  // Encoding of a string's characters: JSON escapes in kJson, raw text in kFunctionGemma.
  CharEncoder char_encoder() const;
  RegexPtr any_char() const;

  // A lexeme for a fixed token: '{', ',', "true", "null", a number text regex, ...
  Symbol token(std::string_view text);
  Symbol token_regex(const std::string& cache_key, const RegexPtr& body);
  // A rule deriving string values whose characters (already encoded) match `content`.
  uint32_t string_rule(const RegexPtr& content);
  // The key of a listed property, with its ':' (kJson: the name written with any escapes).
  Symbol key(std::string_view name);
  // Keys whose encoded characters match `content`, with ':'.
  Symbol key_regex(const RegexPtr& content);
  // Any JSON value / any object / any array (shared rules, built on first use).
  uint32_t any_value_rule();
  uint32_t any_object_rule();
  uint32_t any_array_rule();
  // `value_rule` followed by optional trailing whitespace: a whole document.
  uint32_t document_rule(uint32_t value_rule);

  // The encoded characters of a literal string value (every way of writing each character).
  RegexPtr encoded_literal(std::string_view utf8) const;

 private:
  RegexPtr ws() const;
  RegexPtr string_body(const RegexPtr& content) const;

  Grammar& g_;
  ValueSyntax syntax_;
  uint32_t max_ws_;
  std::map<std::string, uint32_t> lexeme_cache_;
  std::optional<uint32_t> any_value_, any_object_, any_array_, any_string_;
};

}  // namespace gemma3::grammar
