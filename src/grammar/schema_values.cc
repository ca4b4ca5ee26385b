// enum / const: each listed value that also satisfies the rest of the schema, written in every
// form JSON Schema equality accepts (strings with any escapes, 1 == 1.0 == -0 ... for numbers as
// plain decimals; objects with their keys in the listed order).
#include <charconv>
#include <cmath>

#include "grammar/codepoint_set.h"
#include "grammar/ecma_regex.h"
#include "grammar/number_ranges.h"
#include "grammar/schema_lowering.h"

namespace gemma3::grammar {
namespace {

bool json_type_is(const OJson& v, const std::string& type) {
  if (type == "null") return v.is_null();
  if (type == "boolean") return v.is_boolean();
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "number") return v.is_number();
  if (type == "integer") return v.is_number() && std::isfinite(v.get<double>()) && v.get<double>() == std::floor(v.get<double>());
  return false;
}

// JSON Schema equality: numbers by value, objects regardless of key order.
bool json_equal(const OJson& a, const OJson& b) {
  if (a.is_number() && b.is_number()) return compare(schema_number(a), schema_number(b)) == 0;
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!json_equal(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (const auto& [k, v] : a.items()) {
      if (!b.contains(k) || !json_equal(v, b[k])) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace

bool schema_values_equal(const OJson& a, const OJson& b) { return json_equal(a, b); }

Result<uint32_t> SchemaLowering::value_rule(const OJson& v) {
  auto rule = new_rule("value");
  if (!rule) return rule;
  std::vector<Symbol> seq;
  if (v.is_null()) {
    seq.push_back(syntax_.token("null"));
  } else if (v.is_boolean()) {
    seq.push_back(syntax_.token(v.get<bool>() ? "true" : "false"));
  } else if (v.is_number()) {
    if (!std::isfinite(v.get<double>())) return error("", "enum/const number is not finite");
    const Decimal d = schema_number(v);
    const NumberBound b{d, false};
    seq.push_back(syntax_.token_regex("value " + v.dump(), decimal_range_regex(b, b)));
  } else if (v.is_string()) {
    seq.push_back(Symbol::rule(syntax_.string_rule(syntax_.encoded_literal(v.get<std::string>()))));
  } else if (v.is_array()) {
    seq.push_back(syntax_.token("["));
    for (size_t i = 0; i < v.size(); ++i) {
      if (i > 0) seq.push_back(syntax_.token(","));
      auto item = value_rule(v[i]);
      if (!item) return item;
      seq.push_back(Symbol::rule(*item));
    }
    seq.push_back(syntax_.token("]"));
  } else {
    seq.push_back(syntax_.token("{"));
    bool first = true;
    for (const auto& [key, item] : v.items()) {
      if (!first) seq.push_back(syntax_.token(","));
      first = false;
      auto r = value_rule(item);
      if (!r) return r;
      seq.push_back(syntax_.key(key));
      seq.push_back(Symbol::rule(*r));
    }
    seq.push_back(syntax_.token("}"));
  }
  g_.rules[*rule].alternatives.push_back(std::move(seq));
  return *rule;
}

Result<uint32_t> SchemaLowering::lower_enum(const OJson& s, const std::string& ptr, int depth) {
  std::vector<OJson> candidates;
  if (s.contains("enum")) {
    if (!s["enum"].is_array()) return error(ptr, "'enum' must be an array");
    for (const auto& v : s["enum"]) candidates.push_back(v);
  }
  if (s.contains("const")) {
    if (s.contains("enum")) {
      const bool listed = std::any_of(candidates.begin(), candidates.end(), [&](const OJson& v) { return json_equal(v, s["const"]); });
      candidates.clear();
      if (listed) candidates.push_back(s["const"]);
    } else {
      candidates.push_back(s["const"]);
    }
  }
  OJson rest = s;
  rest.erase("enum");
  rest.erase("const");
  auto rule = new_rule(ptr + " enum");
  if (!rule) return rule;
  for (const OJson& v : candidates) {
    auto ok = satisfies(v, rest, ptr, depth);
    if (!ok) return std::move(ok).take_error();
    if (!*ok) continue;
    auto r = value_rule(v);
    if (!r) return r;
    g_.rules[*rule].alternatives.push_back({Symbol::rule(*r)});
  }
  return *rule;
}

Result<bool> SchemaLowering::satisfies(const OJson& v, const OJson& schema, const std::string& ptr, int depth) {
  if (depth > options_.limits.max_depth) return error(ptr, "schema nested deeper than max_depth");
  if (schema.is_boolean()) return schema.get<bool>();
  if (!schema.is_object()) return error(ptr, "a schema must be an object or a boolean");
  auto resolved = resolve_top(schema, ptr, depth);
  if (!resolved) return std::move(resolved).take_error();
  const OJson& s = *resolved;
  if (s.is_boolean()) return s.get<bool>();
  for (const auto& [key, rule] : s.items()) {
    if (is_annotation_keyword(key)) continue;
    if (key == "type") {
      std::vector<std::string> types;
      if (rule.is_string()) types.push_back(rule.get<std::string>());
      else if (rule.is_array()) for (const auto& t : rule) if (t.is_string()) types.push_back(t.get<std::string>());
      if (s.value("nullable", false)) types.push_back("null");
      if (std::none_of(types.begin(), types.end(), [&](const std::string& t) { return json_type_is(v, t); })) return false;
    } else if (key == "nullable") {
    } else if (key == "enum" || key == "const") {
      const bool is_enum = key == "enum";
      if (is_enum && !rule.is_array()) return error(ptr, "'enum' must be an array");
      bool found = false;
      if (is_enum) {
        for (const auto& x : rule) found = found || json_equal(x, v);
      } else {
        found = json_equal(rule, v);
      }
      if (!found) return false;
    } else if (key == "minLength" || key == "maxLength" || key == "pattern" || key == "format") {
      if (!v.is_string()) continue;
      const std::vector<uint32_t> text = decode_utf8(v.get<std::string>());
      if (key == "minLength" && rule.is_number() && text.size() < rule.get<double>()) return false;
      if (key == "maxLength" && rule.is_number() && text.size() > rule.get<double>()) return false;
      if (key == "pattern" || key == "format") {
        if (!rule.is_string()) return error(ptr, "'" + key + "' must be a string");
        FormatPattern pattern{rule.get<std::string>(), false};
        if (key == "format") {
          auto p = format_pattern(rule.get<std::string>());
          if (!p) return error(ptr, p.error());
          if (!*p) continue;
          pattern = **p;
        }
        auto parsed = parse_ecma_regex(pattern.pattern, options_.limits, pattern.ignore_case);
        if (!parsed) return error(ptr, "keyword '" + key + "': " + parsed.error());
        auto node = resolve_anchors(*parsed, key == "pattern" ? Anchoring::kSearch : Anchoring::kFullMatch);
        if (!node) return error(ptr, "keyword '" + key + "': " + node.error());
        if (!regex_full_match(*node, text)) return false;
      }
    } else if (key == "minimum" || key == "maximum" || key == "exclusiveMinimum" || key == "exclusiveMaximum") {
      if (!v.is_number() || !rule.is_number()) continue;
      const double x = v.get<double>(), b = rule.get<double>();
      if ((key == "minimum" && x < b) || (key == "maximum" && x > b) || (key == "exclusiveMinimum" && x <= b) ||
          (key == "exclusiveMaximum" && x >= b)) {
        return false;
      }
    } else if (key == "multipleOf") {
      if (!v.is_number()) continue;
      if (!rule.is_number() || rule.get<double>() <= 0) return error(ptr, "keyword 'multipleOf' must be a positive number");
      const double q = v.get<double>() / rule.get<double>();
      if (!std::isfinite(q) || q != std::floor(q)) return false;
    } else if (key == "minItems" || key == "maxItems") {
      if (!v.is_array()) continue;
      if (key == "minItems" && v.size() < rule.get<double>()) return false;
      if (key == "maxItems" && v.size() > rule.get<double>()) return false;
    } else if (key == "minProperties" || key == "maxProperties") {
      if (!v.is_object()) continue;
      if (key == "minProperties" && v.size() < rule.get<double>()) return false;
      if (key == "maxProperties" && v.size() > rule.get<double>()) return false;
    } else if (key == "required") {
      if (!v.is_object()) continue;
      for (const auto& r : rule) {
        if (r.is_string() && !v.contains(r.get<std::string>())) return false;
      }
    } else if (key == "properties" || key == "additionalProperties") {
      if (!v.is_object()) continue;
      if (key == "additionalProperties" && s.contains("patternProperties")) {
        return error(ptr, "keyword 'patternProperties' alongside enum/const is not supported");
      }
      for (const auto& [k, item] : v.items()) {
        const bool listed = s.contains("properties") && s["properties"].contains(k);
        if (key == "properties" && listed) {
          auto ok = satisfies(item, s["properties"][k], ptr + "/properties", depth + 1);
          if (!ok || !*ok) return ok;
        } else if (key == "additionalProperties" && !listed) {
          auto ok = satisfies(item, rule, ptr + "/additionalProperties", depth + 1);
          if (!ok || !*ok) return ok;
        }
      }
    } else if (key == "items" && rule.is_object()) {
      if (!v.is_array()) continue;
      for (const auto& item : v) {
        auto ok = satisfies(item, rule, ptr + "/items", depth + 1);
        if (!ok || !*ok) return ok;
      }
    } else if (key == "anyOf" || key == "oneOf" || key == "allOf") {
      if (!rule.is_array()) return error(ptr, "'" + key + "' must be an array");
      int matches = 0;
      for (const auto& branch : rule) {
        auto ok = satisfies(v, branch, ptr + "/" + key, depth + 1);
        if (!ok) return ok;
        matches += *ok ? 1 : 0;
      }
      if (key == "anyOf" && matches == 0) return false;
      if (key == "oneOf" && matches != 1) return false;
      if (key == "allOf" && matches != static_cast<int>(rule.size())) return false;
    } else if (key == "uniqueItems") {
      if (!v.is_array() || !rule.is_boolean() || !rule.get<bool>()) continue;
      for (size_t i = 0; i < v.size(); ++i) {
        for (size_t j = 0; j < i; ++j) {
          if (json_equal(v[i], v[j])) return false;
        }
      }
    } else {
      return error(ptr, "keyword '" + key + "' alongside enum/const is not supported");
    }
  }
  return true;
}

}  // namespace gemma3::grammar
