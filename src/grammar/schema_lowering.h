// Internal to the JSON Schema front end (json_schema*.cc, schema_*.cc): the state of lowering one
// schema document into a grammar. Each schema becomes a rule; the per-kind lowerings live in their
// own files (objects, arrays, strings, numbers, literal values, allOf merging, oneOf disjointness).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "grammar/front_ends.h"
#include "grammar/grammar_ir.h"
#include "grammar/json_syntax.h"
#include "grammar/number_ranges.h"
#include "util/result.h"

namespace gemma3::grammar {

using OJson = nlohmann::ordered_json;

// A JSON pointer token for an object key (~ as ~0, / as ~1).
std::string pointer_token(const std::string& key);
// The exact value a schema number denotes: integers as written, floats by their shortest text (the
// double a validator compares with).
Decimal schema_number(const OJson& v);

// JSON Schema equality of two values (numbers by value, objects regardless of key order).
bool schema_values_equal(const OJson& a, const OJson& b);

// JSON Schema keywords that only annotate (never change validity).
bool is_annotation_keyword(const std::string& key);
// The type names a "type" value lists (a string or an array of strings; others ignored).
std::set<std::string> type_names(const OJson& t);
// Whether `schema` (an object) has any keyword besides annotations and those in `except`.
bool has_validation_keywords(const OJson& schema, std::initializer_list<const char*> except = {});

class SchemaLowering {
 public:
  SchemaLowering(Grammar& g, const OJson& root, const SchemaOptions& options);

  // The rule deriving the values valid against `schema`, found at JSON pointer `ptr` of the root.
  Result<uint32_t> lower(const OJson& schema, const std::string& ptr, int depth);
  JsonSyntax& syntax() { return syntax_; }
  const SchemaOptions& options() const { return options_; }
  Grammar& grammar() { return g_; }

  // An error naming the schema location: "schema /properties/a: <message>".
  static Error error(const std::string& ptr, const std::string& message);
  // A new rule; fails when the grammar would exceed max_rules.
  Result<uint32_t> new_rule(const std::string& name);
  // Rule deriving `unit` repeated min..max times (max Regex::kUnbounded: any number).
  Result<uint32_t> repeat_rule(const std::vector<Symbol>& unit, uint32_t min, uint32_t max);
  // A bound keyword (minItems, maxLength, ...) as a count within max_repeat; absent: nullopt.
  Result<std::optional<uint32_t>> count_keyword(const OJson& schema, const char* key, const std::string& ptr);

  // The schema a "$ref" names (local references only: "#", "#/a/b" with ~0 ~1 and %-escapes, and
  // the root's own $id); also returns its pointer.
  Result<std::pair<const OJson*, std::string>> resolve_ref(const std::string& ref, const std::string& ptr);
  // Follows top-level "$ref"s of `schema` (no sibling keywords) to a schema without one.
  Result<OJson> resolve_top(const OJson& schema, const std::string& ptr, int depth);
  // allOf: one schema equivalent to both (error naming the keyword that cannot be combined).
  Result<OJson> merge(const OJson& a, const OJson& b, const std::string& ptr, int depth);

  // Per kind (schema is an object; types already chosen).
  Result<uint32_t> lower_object(const OJson& s, const std::string& ptr, int depth);
  Result<uint32_t> lower_array(const OJson& s, const std::string& ptr, int depth);
  Result<uint32_t> lower_string(const OJson& s, const std::string& ptr);
  Result<uint32_t> lower_number(const OJson& s, const std::string& ptr, bool integer);
  // enum / const: the listed values that satisfy the rest of `s`.
  Result<uint32_t> lower_enum(const OJson& s, const std::string& ptr, int depth);
  // The rule deriving exactly the JSON texts equal to `value` (JSON Schema equality).
  Result<uint32_t> value_rule(const OJson& value);
  // oneOf is exact as a union only when no value matches two branches; error if not provable.
  Status check_disjoint(const std::vector<OJson>& branches, const std::string& ptr, int depth);
  // `not` (schema_not.cc): the schema with its `not` turned into an allOf part, when the negation is
  // a form lowered exactly; nullopt to refuse the keyword.
  Result<std::optional<OJson>> rewrite_not(const OJson& schema, const std::string& ptr, int depth);
  // A schema accepting exactly the values `s` rejects, within `context` (the types of the schema
  // holding the `not`); nullopt when that is not a form this front end has.
  Result<std::optional<OJson>> negate_schema(const OJson& s, const std::set<std::string>& context, const std::string& ptr, int depth);
  // `key` (dependencies, dependentRequired or dependentSchemas) turned into allOf parts, one anyOf
  // per entry (schema_not.cc).
  Result<OJson> rewrite_dependencies(const OJson& schema, const std::string& key, const std::string& ptr);
  // oneOf branches made disjoint (each of `branches`, the oneOf's schemas already merged with the
  // holder's other keywords, and the negations of the other `originals`, as written), when every
  // original negates (schema_not.cc); nullopt otherwise. `schema` holds the oneOf (its types bound
  // the negations).
  Result<std::optional<std::vector<OJson>>> exclusive_branches(const std::vector<OJson>& branches, const OJson& originals,
                                                              const OJson& schema, const std::string& ptr, int depth);
  // Whether `value` is valid against `schema` for the keywords literal values are checked with;
  // error for a keyword this check cannot decide.
  Result<bool> satisfies(const OJson& value, const OJson& schema, const std::string& ptr, int depth);

 private:
  Result<uint32_t> lower_types(const OJson& s, const std::string& ptr, int depth);

  Grammar& g_;
  const OJson& root_;
  SchemaOptions options_;
  JsonSyntax syntax_;
  std::map<std::string, uint32_t> ref_rules_;   // pointer -> rule (recursive references)
  // Draft 6 on: 1.0 is an integer; drafts 3 and 4 (by the root's $schema): only 1 is.
  bool integer_zero_fraction_ = true;
};

// The ECMAScript pattern (matched whole) of a `format` that ajv-formats checks in full mode, written
// to accept the same strings (string_formats.cc says where it is a documented subset); nullopt for a
// format that asserts nothing about strings (unknown formats are annotations); error for a format
// ajv-formats checks that is not supported here.
struct FormatPattern {
  std::string pattern;
  bool ignore_case = false;   // the /i flag (ASCII letters)
};
Result<std::optional<FormatPattern>> format_pattern(const std::string& format);

}  // namespace gemma3::grammar
