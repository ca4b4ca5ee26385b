// JSON Schema -> grammar: entry points, keyword bookkeeping, $ref, and the dispatch of one schema
// to applicators (allOf / anyOf / oneOf), literal values (enum / const) and per-type lowerings.
#include <algorithm>
#include <charconv>
#include <set>

#include "grammar/schema_lowering.h"

namespace gemma3::grammar {
namespace {

const std::set<std::string>& annotation_keywords() {
  static const std::set<std::string> kKeys = {
      "$schema", "$id", "id", "$comment", "title", "description", "examples", "example", "default",
      "deprecated", "readOnly", "writeOnly", "contentMediaType", "contentEncoding", "contentSchema",
      "$anchor", "$dynamicAnchor", "$recursiveAnchor", "$vocabulary", "definitions", "$defs",
      "discriminator", "xml", "externalDocs", "markdownDescription", "enumDescriptions",
      "markdownEnumDescriptions", "errorMessage", "strict", "name"};
  return kKeys;
}

// Keywords that change validity and are not enforced: refused by name (unless trivially true).
const std::set<std::string>& refused_keywords() {
  static const std::set<std::string> kKeys = {
      "not", "if", "then", "else", "contains", "minContains", "maxContains", "dependencies",
      "dependentRequired", "dependentSchemas", "propertyNames", "unevaluatedProperties",
      "unevaluatedItems", "$dynamicRef", "$recursiveRef"};
  return kKeys;
}

// Keywords this front end enforces.
const std::set<std::string>& handled_keywords() {
  static const std::set<std::string> kKeys = {
      "type", "enum", "const", "properties", "required", "additionalProperties", "patternProperties",
      "minProperties", "maxProperties", "items", "prefixItems", "additionalItems", "minItems", "maxItems",
      "uniqueItems", "anyOf", "oneOf", "allOf", "$ref", "minLength", "maxLength", "pattern", "format",
      "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "nullable"};
  return kKeys;
}

bool true_schema(const OJson& v) { return (v.is_boolean() && v.get<bool>()) || (v.is_object() && v.empty()); }

// Whether a refused keyword, with this value in this schema, changes nothing (so it can pass).
bool refused_keyword_is_inert(const std::string& key, const OJson& value, const OJson& schema) {
  if (key == "not") return value.is_boolean() && !value.get<bool>();   // not false: everything
  if (key == "if") return !schema.contains("then") && !schema.contains("else");
  if (key == "then" || key == "else") return !schema.contains("if");
  if (key == "minContains" || key == "maxContains") return !schema.contains("contains");
  if (key == "dependencies" || key == "dependentRequired" || key == "dependentSchemas") {
    return value.is_object() && value.empty();
  }
  if (key == "propertyNames" || key == "unevaluatedProperties" || key == "unevaluatedItems") return true_schema(value);
  return false;
}

std::string percent_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<uint8_t>(s[i + 1])) &&
        std::isxdigit(static_cast<uint8_t>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

constexpr const char* kTypes[] = {"null", "boolean", "object", "array", "string", "number", "integer"};

}  // namespace

std::string pointer_token(const std::string& key) {
  std::string out;
  for (char c : key) out += c == '~' ? "~0" : (c == '/' ? "~1" : std::string(1, c));
  return out;
}

Decimal schema_number(const OJson& v) {
  if (v.is_number_integer()) {
    return *parse_decimal(v.is_number_unsigned() ? std::to_string(v.get<uint64_t>()) : std::to_string(v.get<int64_t>()));
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.get<double>());
  auto d = parse_decimal(std::string_view(buf, static_cast<size_t>(end - buf)));
  return d ? *d : exact_decimal(v.get<double>());
}

bool is_annotation_keyword(const std::string& key) {
  return annotation_keywords().count(key) > 0 || key.rfind("x-", 0) == 0 ||
         (handled_keywords().count(key) == 0 && refused_keywords().count(key) == 0);
}

bool has_validation_keywords(const OJson& schema, std::initializer_list<const char*> except) {
  if (!schema.is_object()) return schema.is_boolean() && !schema.get<bool>();
  for (const auto& item : schema.items()) {
    const std::string& key = item.key();  // not a structured binding: clang 14 cannot capture one
    if (is_annotation_keyword(key)) continue;
    if (std::any_of(except.begin(), except.end(), [&](const char* e) { return key == e; })) continue;
    return true;
  }
  return false;
}

SchemaLowering::SchemaLowering(Grammar& g, const OJson& root, const SchemaOptions& options)
    : g_(g), root_(root), options_(options), syntax_(g, options) {
  if (root.is_object() && root.contains("$schema") && root["$schema"].is_string()) {
    const std::string draft = root["$schema"].get<std::string>();
    integer_zero_fraction_ = draft.find("draft-04") == std::string::npos && draft.find("draft-03") == std::string::npos;
  }
}

Error SchemaLowering::error(const std::string& ptr, const std::string& message) {
  return make_error("schema " + (ptr.empty() ? std::string("/") : ptr) + ": " + message);
}

Result<uint32_t> SchemaLowering::new_rule(const std::string& name) {
  if (g_.rules.size() >= options_.limits.max_rules) {
    return make_error("schema needs more than max_rules=" + std::to_string(options_.limits.max_rules) + " grammar rules");
  }
  return g_.add_rule(name);
}

Result<std::optional<uint32_t>> SchemaLowering::count_keyword(const OJson& s, const char* key, const std::string& ptr) {
  auto it = s.find(key);
  if (it == s.end()) return std::optional<uint32_t>();
  if (!it->is_number() || it->get<double>() < 0 || it->get<double>() != static_cast<double>(static_cast<uint64_t>(it->get<double>()))) {
    return error(ptr, std::string("keyword '") + key + "' must be a non-negative integer");
  }
  if (it->get<double>() > options_.limits.max_repeat) {
    return error(ptr, std::string("keyword '") + key + "' exceeds the limit max_repeat=" + std::to_string(options_.limits.max_repeat));
  }
  return std::optional<uint32_t>(static_cast<uint32_t>(it->get<double>()));
}

Result<std::pair<const OJson*, std::string>> SchemaLowering::resolve_ref(const std::string& ref, const std::string& ptr) {
  std::string fragment = ref;
  const size_t hash = ref.find('#');
  if (hash == std::string::npos) {
    fragment = "";
  } else {
    fragment = ref.substr(hash + 1);
  }
  const std::string base = hash == std::string::npos ? ref : ref.substr(0, hash);
  if (!base.empty()) {
    const auto id = root_.is_object() ? root_.find("$id") : root_.end();
    if (!root_.is_object() || id == root_.end() || !id->is_string() || id->get<std::string>() != base) {
      return error(ptr, "$ref '" + ref + "' is not a local reference (only '#...' and the root's $id are supported)");
    }
  }
  fragment = percent_decode(fragment);
  if (!fragment.empty() && fragment[0] != '/') {
    return error(ptr, "$ref '" + ref + "': anchors are not supported, only JSON pointers");
  }
  const OJson* node = &root_;
  std::string canonical;
  size_t pos = 0;
  while (pos < fragment.size()) {
    const size_t next = fragment.find('/', pos + 1);
    std::string token = fragment.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
    pos = next == std::string::npos ? fragment.size() : next;
    std::string key;
    for (size_t i = 0; i < token.size(); ++i) {
      if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
        key += token[i + 1] == '0' ? '~' : '/';
        ++i;
      } else {
        key += token[i];
      }
    }
    if (node->is_object() && node->contains(key)) {
      node = &(*node)[key];
    } else if (node->is_array() && !key.empty() && std::all_of(key.begin(), key.end(), ::isdigit) &&
               std::stoull(key) < node->size()) {
      node = &(*node)[std::stoull(key)];
    } else {
      return error(ptr, "$ref '" + ref + "' points to nothing");
    }
    canonical += "/" + pointer_token(key);
  }
  return std::make_pair(node, canonical);
}

Result<OJson> SchemaLowering::resolve_top(const OJson& schema, const std::string& ptr, int depth) {
  OJson s = schema;
  for (int hops = 0; s.is_object() && s.contains("$ref"); ++hops) {
    if (hops > options_.limits.max_depth || depth + hops > options_.limits.max_depth) {
      return error(ptr, "$ref chain deeper than max_depth=" + std::to_string(options_.limits.max_depth));
    }
    if (!s["$ref"].is_string()) return error(ptr, "'$ref' must be a string");
    auto target = resolve_ref(s["$ref"].get<std::string>(), ptr);
    if (!target) return std::move(target).take_error();
    OJson rest = s;
    rest.erase("$ref");
    if (has_validation_keywords(rest)) {
      auto merged = merge(*target->first, rest, ptr, depth + hops + 1);
      if (!merged) return merged;
      s = std::move(*merged);
    } else {
      s = *target->first;
    }
  }
  return s;
}

Result<uint32_t> SchemaLowering::lower(const OJson& schema, const std::string& ptr, int depth) {
  if (depth > options_.limits.max_depth) {
    return error(ptr, "schema nested deeper than max_depth=" + std::to_string(options_.limits.max_depth));
  }
  if (schema.is_boolean()) {
    if (schema.get<bool>()) return syntax_.any_value_rule();
    return new_rule("false");   // no alternatives: derives nothing
  }
  if (!schema.is_object()) return error(ptr, "a schema must be an object or a boolean");
  if (schema.contains("not") && !refused_keyword_is_inert("not", schema["not"], schema)) {
    auto rewritten = rewrite_not(schema, ptr, depth);
    if (!rewritten) return std::move(rewritten).take_error();
    if (*rewritten) return lower(**rewritten, ptr, depth + 1);
  }
  for (const char* key : {"dependencies", "dependentRequired", "dependentSchemas"}) {
    if (schema.contains(key) && !refused_keyword_is_inert(key, schema[key], schema)) {
      auto rewritten = rewrite_dependencies(schema, key, ptr);
      if (!rewritten) return std::move(rewritten).take_error();
      return lower(*rewritten, ptr, depth + 1);
    }
  }
  for (const auto& [key, value] : schema.items()) {
    if (refused_keywords().count(key) && !refused_keyword_is_inert(key, value, schema)) {
      return error(ptr, "keyword '" + key + "' is not supported");
    }
  }
  if (schema.contains("$ref")) {
    OJson rest = schema;
    rest.erase("$ref");
    if (!schema["$ref"].is_string()) return error(ptr, "'$ref' must be a string");
    if (has_validation_keywords(rest)) {
      auto merged = resolve_top(schema, ptr, depth);
      if (!merged) return std::move(merged).take_error();
      return lower(*merged, ptr, depth + 1);
    }
    auto target = resolve_ref(schema["$ref"].get<std::string>(), ptr);
    if (!target) return std::move(target).take_error();
    auto cached = ref_rules_.find(target->second);
    if (cached != ref_rules_.end()) return cached->second;
    // A rule for the target first, so a recursive reference finds it while it is being lowered.
    auto rule = new_rule("ref " + target->second);
    if (!rule) return rule;
    ref_rules_.emplace(target->second, *rule);
    auto body = lower(*target->first, target->second, depth + 1);
    if (!body) return body;
    g_.rules[*rule].alternatives.push_back({Symbol::rule(*body)});
    return *rule;
  }
  if (schema.contains("allOf")) {
    const OJson& all = schema["allOf"];
    if (!all.is_array()) return error(ptr, "'allOf' must be an array");
    OJson merged = schema;
    merged.erase("allOf");
    for (size_t i = 0; i < all.size(); ++i) {
      auto m = merge(merged, all[i], ptr + "/allOf/" + std::to_string(i), depth + 1);
      if (!m) return std::move(m).take_error();
      merged = std::move(*m);
    }
    return lower(merged, ptr, depth + 1);
  }
  for (const char* key : {"anyOf", "oneOf"}) {
    if (!schema.contains(key)) continue;
    const OJson& branches = schema[key];
    if (!branches.is_array() || branches.empty()) return error(ptr, std::string("'") + key + "' must be a non-empty array");
    OJson rest = schema;
    rest.erase(key);
    const bool combine = has_validation_keywords(rest);
    std::vector<OJson> merged;
    for (size_t i = 0; i < branches.size(); ++i) {
      const std::string bptr = ptr + "/" + key + "/" + std::to_string(i);
      if (!combine) {
        merged.push_back(branches[i]);
        continue;
      }
      auto m = merge(rest, branches[i], bptr, depth + 1);
      if (!m) return std::move(m).take_error();
      merged.push_back(std::move(*m));
    }
    if (std::string(key) == "oneOf") {
      auto disjoint = check_disjoint(merged, ptr, depth + 1);
      if (!disjoint) {
        // Not provably disjoint: made so when every branch negates, else refused as before.
        auto exclusive = exclusive_branches(merged, branches, schema, ptr, depth + 1);
        if (!exclusive) return std::move(exclusive).take_error();
        if (!*exclusive) return std::move(disjoint).take_error();
        merged = std::move(**exclusive);
      }
    }
    auto rule = new_rule(key);
    if (!rule) return rule;
    for (size_t i = 0; i < merged.size(); ++i) {
      const std::string bptr = ptr + "/" + key + "/" + std::to_string(i);
      auto branch = lower(merged[i], bptr, depth + 1);
      if (!branch) return branch;
      g_.rules[*rule].alternatives.push_back({Symbol::rule(*branch)});
    }
    return *rule;
  }
  if (schema.contains("enum") || schema.contains("const")) return lower_enum(schema, ptr, depth);
  return lower_types(schema, ptr, depth);
}

Result<uint32_t> SchemaLowering::lower_types(const OJson& s, const std::string& ptr, int depth) {
  std::set<std::string> types;
  if (s.contains("type")) {
    const OJson& t = s["type"];
    if (t.is_string()) {
      types.insert(t.get<std::string>());
    } else if (t.is_array()) {
      for (const auto& x : t) {
        if (!x.is_string()) return error(ptr, "'type' must be a string or an array of strings");
        types.insert(x.get<std::string>());
      }
    } else {
      return error(ptr, "'type' must be a string or an array of strings");
    }
    for (const auto& name : types) {
      if (std::none_of(std::begin(kTypes), std::end(kTypes), [&](const char* k) { return name == k; })) {
        return error(ptr, "unknown type '" + name + "'");
      }
    }
    auto nullable = s.find("nullable");
    if (nullable != s.end() && nullable->is_boolean() && nullable->get<bool>()) types.insert("null");
  } else {
    types.insert(std::begin(kTypes), std::end(kTypes));
  }
  if (types.count("number")) types.erase("integer");
  auto rule = new_rule(ptr.empty() ? "root" : ptr);
  if (!rule) return rule;
  for (const char* name : kTypes) {
    if (!types.count(name)) continue;
    const std::string type = name;
    Result<uint32_t> part = uint32_t{0};
    if (type == "null" || type == "boolean") {
      auto r = new_rule(type);
      if (!r) return r;
      if (type == "null") {
        g_.rules[*r].alternatives.push_back({syntax_.token("null")});
      } else {
        g_.rules[*r].alternatives.push_back({syntax_.token("true")});
        g_.rules[*r].alternatives.push_back({syntax_.token("false")});
      }
      part = *r;
    } else if (type == "object") {
      part = lower_object(s, ptr, depth);
    } else if (type == "array") {
      part = lower_array(s, ptr, depth);
    } else if (type == "string") {
      part = lower_string(s, ptr);
    } else {
      part = lower_number(s, ptr, type == "integer");
    }
    if (!part) return part;
    g_.rules[*rule].alternatives.push_back({Symbol::rule(*part)});
  }
  return *rule;
}

// Which rules derive at least one string (fixpoint); a schema no value satisfies is an error.
static bool derives_something(const Grammar& g, uint32_t start) {
  std::vector<bool> productive(g.rules.size(), false);
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t r = 0; r < g.rules.size(); ++r) {
      if (productive[r]) continue;
      for (const auto& seq : g.rules[r].alternatives) {
        if (std::all_of(seq.begin(), seq.end(), [&](const Symbol& s) {
              return s.kind != Symbol::Kind::kRule || productive[s.index];
            })) {
          productive[r] = changed = true;
          break;
        }
      }
    }
  }
  return productive[start];
}

static Result<uint32_t> add_rule_ordered(Grammar& g, const OJson& schema, const SchemaOptions& options) {
  const size_t size = schema.dump().size();
  if (size > options.limits.max_schema_bytes) {
    return make_error("schema is " + std::to_string(size) + " bytes, above the limit max_schema_bytes=" +
                      std::to_string(options.limits.max_schema_bytes));
  }
  SchemaLowering lowering(g, schema, options);
  auto rule = lowering.lower(schema, "", 0);
  if (!rule) return rule;
  if (!derives_something(g, *rule)) return make_error("schema /: no JSON value satisfies the schema");
  return rule;
}

Result<uint32_t> add_json_schema_rule(Grammar& g, const nlohmann::ordered_json& schema, const SchemaOptions& options) {
  return add_rule_ordered(g, schema, options);
}

Result<uint32_t> add_json_schema_rule(Grammar& g, const nlohmann::json& schema, const SchemaOptions& options) {
  return add_rule_ordered(g, OJson(schema), options);
}

Result<Grammar> json_schema_grammar(const nlohmann::ordered_json& schema, const SchemaOptions& options) {
  Grammar g;
  auto rule = add_rule_ordered(g, schema, options);
  if (!rule) return std::move(rule).take_error();
  JsonSyntax syntax(g, options);
  g.start = syntax.document_rule(*rule);
  return g;
}

Result<Grammar> json_schema_grammar(const nlohmann::json& schema, const SchemaOptions& options) {
  return json_schema_grammar(OJson(schema), options);
}

Grammar json_object_grammar(const SchemaOptions& options) {
  Grammar g;
  JsonSyntax syntax(g, options);
  g.start = syntax.document_rule(syntax.any_object_rule());
  return g;
}

}  // namespace gemma3::grammar
