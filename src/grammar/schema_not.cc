// `not`: the forms whose negation is itself a schema this front end lowers exactly, rewritten into
// an allOf part of the schema that holds them. Anything else stays refused by name.
//
//   not {not S}            S
//   not true, not {}       false
//   not {type: T}          the other types (integer is inside number: "not integer" while numbers
//                          stay allowed would need non-integer numbers, refused)
//   not {enum/const: V}    V only null and both booleans: the other types
//   not {required: [k..]}  objects where some k is absent (properties k: false)
//   not {anyOf: [A..]}     allOf of the negations; not {allOf: [A..]}: anyOf of them
//
// oneOf whose branches are not provably disjoint: S with oneOf [B1..Bk] is anyOf over i of (S and Bi
// and not Bj for every j != i), exact whenever every branch negates (the branch as written, without
// S's other keywords); the rewritten branches are disjoint.
//
// dependencies / dependentRequired / dependentSchemas: {k: D} holds when k is absent or D holds
// with k present, so each entry becomes the allOf part anyOf [{properties: {k: false}}, {required:
// [k, ...D]}] (array form) or anyOf [{properties: {k: false}}, {required: [k], allOf: [D]}] (schema
// form); the first branch also takes every non-object, as the keyword does.
//
// A keyword applies only to values of its type (required to objects), so its negation keeps the
// other types: not {required: [k]} rejects every string. Every rule below follows that.
#include <set>

#include "grammar/schema_lowering.h"

namespace gemma3::grammar {
namespace {

constexpr const char* kAllTypes[] = {"null", "boolean", "object", "array", "string", "number", "integer"};

// The types of the schema holding `not` (all when it has no "type"), with nullable folded in.
std::set<std::string> context_types(const OJson& schema) {
  if (!schema.contains("type")) return {std::begin(kAllTypes), std::end(kAllTypes)};
  std::set<std::string> t = type_names(schema["type"]);
  if (schema.value("nullable", false) == true) t.insert("null");
  if (t.count("number")) t.insert("integer");
  return t;
}

// Every type but `excluded`; nullopt when that leaves "numbers that are not integers" inside the
// context's types (no schema keyword says that).
std::optional<OJson> other_types(const std::set<std::string>& excluded, const std::set<std::string>& context) {
  const bool no_number = excluded.count("number") > 0;
  const bool no_integer = no_number || excluded.count("integer") > 0;
  if (no_integer && !no_number && context.count("number")) return std::nullopt;
  OJson out = OJson::array();
  for (const char* t : kAllTypes) {
    const std::string name = t;
    if (excluded.count(name) || (name == "integer" && no_integer) || (name == "number" && no_integer)) continue;
    out.push_back(name);
  }
  if (out.empty()) return OJson(false);
  return OJson{{"type", out}};
}

}  // namespace

Result<std::optional<OJson>> SchemaLowering::negate_schema(const OJson& in, const std::set<std::string>& context,
                                                    const std::string& ptr, int depth) {
  if (depth > options_.limits.max_depth) return error(ptr, "'not' nested deeper than max_depth=" + std::to_string(options_.limits.max_depth));
  auto resolved = resolve_top(in, ptr, depth);
  if (!resolved) return std::move(resolved).take_error();
  const OJson& s = *resolved;
  if (s.is_boolean()) return std::optional<OJson>(OJson(!s.get<bool>()));
  if (!s.is_object()) return error(ptr, "a schema must be an object or a boolean");
  std::vector<std::string> keys;
  for (const auto& item : s.items()) {
    if (!is_annotation_keyword(item.key())) keys.push_back(item.key());
  }
  if (keys.empty()) return std::optional<OJson>(OJson(false));
  if (keys.size() != 1) return std::optional<OJson>();
  const std::string& key = keys[0];
  const OJson& v = s[key];
  if (key == "not") return std::optional<OJson>(v);
  if (key == "type") {
    if (!v.is_string() && !v.is_array()) return error(ptr, "'type' must be a string or an array of strings");
    return other_types(type_names(v), context);
  }
  if (key == "enum" || key == "const") {
    const OJson values = key == "const" ? OJson::array({v}) : v;
    if (!values.is_array()) return error(ptr, "'enum' must be an array");
    bool has_null = false, has_true = false, has_false = false;
    for (const auto& x : values) {
      if (x.is_null()) has_null = true;
      else if (x.is_boolean()) (x.get<bool>() ? has_true : has_false) = true;
      else return std::optional<OJson>();
    }
    if (has_true != has_false) return std::optional<OJson>();   // one boolean left: not a type
    std::set<std::string> excluded;
    if (has_null) excluded.insert("null");
    if (has_true) excluded.insert("boolean");
    return other_types(excluded, context);
  }
  if (key == "required") {
    if (!v.is_array()) return error(ptr, "'required' must be an array of strings");
    OJson absent = OJson::array();
    for (const auto& name : v) {
      if (!name.is_string()) return error(ptr, "'required' must be an array of strings");
      absent.push_back(OJson{{"properties", OJson{{name.get<std::string>(), false}}}});
    }
    if (absent.empty()) return std::optional<OJson>(OJson(false));   // required [] holds for every value
    OJson out = {{"type", "object"}};
    if (absent.size() == 1) out["properties"] = absent[0]["properties"];
    else out["anyOf"] = absent;
    return std::optional<OJson>(out);
  }
  if (key == "anyOf" || key == "allOf") {
    if (!v.is_array() || v.empty()) return error(ptr, "'" + key + "' must be a non-empty array");
    OJson parts = OJson::array();
    for (size_t i = 0; i < v.size(); ++i) {
      auto n = negate_schema(v[i], context, ptr + "/" + key + "/" + std::to_string(i), depth + 1);
      if (!n) return n;
      if (!*n) return std::optional<OJson>();
      parts.push_back(std::move(**n));
    }
    return std::optional<OJson>(OJson{{key == "anyOf" ? "allOf" : "anyOf", parts}});
  }
  return std::optional<OJson>();
}

Result<std::optional<std::vector<OJson>>> SchemaLowering::exclusive_branches(const std::vector<OJson>& branches,
                                                                              const OJson& originals, const OJson& schema,
                                                                              const std::string& ptr, int depth) {
  using Out = std::optional<std::vector<OJson>>;
  const std::set<std::string> context = context_types(schema);
  std::vector<OJson> negations;
  for (size_t j = 0; j < originals.size(); ++j) {
    auto n = negate_schema(originals[j], context, ptr + "/oneOf/" + std::to_string(j), depth + 1);
    if (!n) return std::move(n).take_error();
    if (!*n) return Out();
    negations.push_back(std::move(**n));
  }
  std::vector<OJson> out;
  for (size_t i = 0; i < branches.size(); ++i) {
    OJson parts = OJson::array({branches[i]});
    for (size_t j = 0; j < branches.size(); ++j) {
      if (j != i) parts.push_back(negations[j]);
    }
    out.push_back(OJson{{"allOf", std::move(parts)}});
  }
  return Out(std::move(out));
}

Result<OJson> SchemaLowering::rewrite_dependencies(const OJson& schema, const std::string& key, const std::string& ptr) {
  const OJson& deps = schema[key];
  if (!deps.is_object()) return error(ptr, "'" + key + "' must be an object");
  OJson out = schema;
  out.erase(key);
  if (!out.contains("allOf")) out["allOf"] = OJson::array();
  if (!out["allOf"].is_array()) return error(ptr, "'allOf' must be an array");
  for (const auto& [name, dep] : deps.items()) {
    OJson present = {{"required", OJson::array({name})}};
    if (dep.is_array() && key != "dependentSchemas") {
      for (const auto& other : dep) {
        if (!other.is_string()) return error(ptr, "'" + key + "' lists must hold strings");
        present["required"].push_back(other);
      }
    } else if ((dep.is_object() || dep.is_boolean()) && key != "dependentRequired") {
      present["allOf"] = OJson::array({dep});
    } else {
      return error(ptr, "'" + key + "/" + name + "' must be " + (key == "dependentRequired" ? "an array of strings" : "a schema"));
    }
    out["allOf"].push_back(OJson{{"anyOf", OJson::array({OJson{{"properties", OJson{{name, false}}}}, present})}});
  }
  return out;
}

Result<std::optional<OJson>> SchemaLowering::rewrite_not(const OJson& schema, const std::string& ptr, int depth) {
  auto negation = negate_schema(schema["not"], context_types(schema), ptr + "/not", depth + 1);
  if (!negation || !*negation) return negation;
  OJson out = schema;
  out.erase("not");
  // nullable adds null to "type" only at the end; fold it in so the negation can remove null.
  if (out.contains("type") && out.value("nullable", false) == true) {
    std::set<std::string> t = type_names(out["type"]);
    t.insert("null");
    out["type"] = OJson(std::vector<std::string>(t.begin(), t.end()));
    out.erase("nullable");
  }
  if (!out.contains("allOf")) out["allOf"] = OJson::array();
  if (!out["allOf"].is_array()) return error(ptr, "'allOf' must be an array");
  out["allOf"].push_back(std::move(**negation));
  return std::optional<OJson>(std::move(out));
}

}  // namespace gemma3::grammar
