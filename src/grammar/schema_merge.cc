// allOf: two schemas merged into one that accepts exactly the values both accept, keyword by
// keyword (bounds tightened, types and enums intersected, object members combined with each
// side's additionalProperties); a pair of keywords that cannot be combined is an error naming it.
// oneOf: proof that no value matches two branches (then it is the union, like anyOf).
#include <algorithm>
#include <set>

#include "grammar/schema_lowering.h"

namespace gemma3::grammar {
namespace {

bool is_true_schema(const OJson& s) { return (s.is_boolean() && s.get<bool>()) || (s.is_object() && s.empty()); }
bool is_false_schema(const OJson& s) { return s.is_boolean() && !s.get<bool>(); }

OJson both(const OJson& a, const OJson& b) {
  if (is_true_schema(a)) return b;
  if (is_true_schema(b)) return a;
  if (is_false_schema(a) || is_false_schema(b)) return false;
  if (a == b) return a;
  return OJson{{"allOf", OJson::array({a, b})}};
}

// Type intersection, where integer is inside number.
OJson intersect_types(const OJson& a, const OJson& b) {
  const std::set<std::string> x = type_names(a), y = type_names(b);
  OJson out = OJson::array();
  for (const auto& t : x) {
    if (y.count(t) || (t == "integer" && y.count("number"))) out.push_back(t);
    else if (t == "number" && y.count("integer")) out.push_back("integer");
  }
  return out;
}

const std::set<std::string>& object_keywords() {
  static const std::set<std::string> kKeys = {"properties", "additionalProperties", "patternProperties"};
  return kKeys;
}

}  // namespace

Result<OJson> SchemaLowering::merge(const OJson& a_in, const OJson& b_in, const std::string& ptr, int depth) {
  if (depth > options_.limits.max_depth) return error(ptr, "allOf nested deeper than max_depth=" + std::to_string(options_.limits.max_depth));
  auto ra = resolve_top(a_in, ptr, depth);
  if (!ra) return ra;
  auto rb = resolve_top(b_in, ptr, depth);
  if (!rb) return rb;
  const OJson& a = *ra;
  const OJson& b = *rb;
  if (is_true_schema(a)) return b;
  if (is_true_schema(b)) return a;
  if (is_false_schema(a) || is_false_schema(b)) return OJson(false);
  if (!a.is_object() || !b.is_object()) return error(ptr, "a schema must be an object or a boolean");
  OJson out = a;
  if (b.contains("allOf")) {
    // Nested allOf: merge its parts one by one.
    OJson rest = b;
    rest.erase("allOf");
    auto m = merge(out, rest, ptr, depth + 1);
    if (!m) return m;
    out = std::move(*m);
    if (!b["allOf"].is_array()) return error(ptr, "'allOf' must be an array");
    for (const auto& part : b["allOf"]) {
      auto p = merge(out, part, ptr + "/allOf", depth + 1);
      if (!p) return p;
      out = std::move(*p);
    }
    return out;
  }
  for (const auto& [key, vb] : b.items()) {
    if (object_keywords().count(key)) continue;
    if (!out.contains(key)) {
      out[key] = vb;
      continue;
    }
    const OJson va = out[key];
    if (va == vb || is_annotation_keyword(key)) continue;
    if (key == "type") {
      out[key] = intersect_types(va, vb);
      if (out[key].empty()) return OJson(false);
    } else if (key == "required") {
      OJson r = va;
      for (const auto& x : vb) {
        if (std::find(r.begin(), r.end(), x) == r.end()) r.push_back(x);
      }
      out[key] = r;
    } else if ((key == "minLength" || key == "minItems" || key == "minProperties") && va.is_number() && vb.is_number()) {
      out[key] = std::max(va.get<double>(), vb.get<double>()) == va.get<double>() ? va : vb;
    } else if ((key == "maxLength" || key == "maxItems" || key == "maxProperties") && va.is_number() && vb.is_number()) {
      out[key] = std::min(va.get<double>(), vb.get<double>()) == va.get<double>() ? va : vb;
    } else if ((key == "minimum" || key == "exclusiveMinimum") && va.is_number() && vb.is_number()) {
      out[key] = va.get<double>() >= vb.get<double>() ? va : vb;
    } else if ((key == "maximum" || key == "exclusiveMaximum") && va.is_number() && vb.is_number()) {
      out[key] = va.get<double>() <= vb.get<double>() ? va : vb;
    } else if (key == "enum" && va.is_array() && vb.is_array()) {
      OJson kept = OJson::array();
      for (const auto& x : va) {
        if (std::any_of(vb.begin(), vb.end(), [&](const OJson& y) { return schema_values_equal(x, y); })) kept.push_back(x);
      }
      out[key] = kept;
    } else if (key == "const") {
      if (!schema_values_equal(va, vb)) return OJson(false);
    } else if (key == "uniqueItems") {
      out[key] = va.is_boolean() && vb.is_boolean() && (va.get<bool>() || vb.get<bool>());
    } else if (key == "nullable") {
      out[key] = va.is_boolean() && vb.is_boolean() && va.get<bool>() && vb.get<bool>();
    } else if ((key == "items" || key == "additionalItems") && !va.is_array() && !vb.is_array()) {
      out[key] = both(va, vb);
    } else if (key == "anyOf" && va.is_array() && vb.is_array()) {
      if (va.size() * vb.size() > 64) return error(ptr, "allOf of two anyOf with more than 64 combinations is not supported");
      OJson product = OJson::array();
      for (const auto& x : va) {
        for (const auto& y : vb) product.push_back(both(x, y));
      }
      out[key] = product;
    } else {
      return error(ptr, "allOf: keyword '" + key + "' differs between the schemas and cannot be combined");
    }
  }
  // Object members: a key listed by one side only must also satisfy the other side's
  // additionalProperties (true when absent).
  const bool a_obj = std::any_of(object_keywords().begin(), object_keywords().end(), [&](const std::string& k) { return a.contains(k); });
  const bool b_obj = std::any_of(object_keywords().begin(), object_keywords().end(), [&](const std::string& k) { return b.contains(k); });
  if (b_obj && !a_obj) {
    for (const auto& k : object_keywords()) {
      if (b.contains(k)) out[k] = b[k];
    }
  } else if (a_obj && b_obj) {
    if ((a.contains("patternProperties") || b.contains("patternProperties")) && a.value("patternProperties", OJson()) != b.value("patternProperties", OJson())) {
      return error(ptr, "allOf: keyword 'patternProperties' cannot be combined");
    }
    const OJson empty = OJson::object();
    const OJson& pa = a.contains("properties") ? a["properties"] : empty;
    const OJson& pb = b.contains("properties") ? b["properties"] : empty;
    const OJson ap_a = a.contains("additionalProperties") ? a["additionalProperties"] : OJson(true);
    const OJson ap_b = b.contains("additionalProperties") ? b["additionalProperties"] : OJson(true);
    if (!pa.is_object() || !pb.is_object()) return error(ptr, "'properties' must be an object");
    OJson props = OJson::object();
    for (const auto& [k, v] : pa.items()) props[k] = both(v, pb.contains(k) ? pb[k] : ap_b);
    for (const auto& [k, v] : pb.items()) {
      if (!pa.contains(k)) props[k] = both(ap_a, v);
    }
    out["properties"] = props;
    out["additionalProperties"] = both(ap_a, ap_b);
  }
  return out;
}

namespace {

// Bits: null, boolean, object, array, string, number.
unsigned type_mask_of_value(const OJson& v) {
  if (v.is_null()) return 1;
  if (v.is_boolean()) return 2;
  if (v.is_object()) return 4;
  if (v.is_array()) return 8;
  if (v.is_string()) return 16;
  return 32;
}

}  // namespace

Status SchemaLowering::check_disjoint(const std::vector<OJson>& branches, const std::string& ptr, int depth) {
  // What can be said of each branch cheaply: its possible types and, if listed, its values.
  struct Facts {
    unsigned types = 63;
    std::optional<std::vector<OJson>> values;
    OJson schema;
  };
  std::vector<Facts> facts;
  for (const auto& branch : branches) {
    auto r = resolve_top(branch, ptr, depth);
    if (!r) return std::move(r).take_error();
    Facts f;
    f.schema = *r;
    if (r->is_boolean()) {
      f.types = r->get<bool>() ? 63 : 0;
    } else if (r->is_object()) {
      if (r->contains("type")) {
        f.types = 0;
        for (const auto& t : type_names((*r)["type"])) {
          f.types |= t == "null" ? 1 : t == "boolean" ? 2 : t == "object" ? 4 : t == "array" ? 8 : t == "string" ? 16 : 32;
        }
        if (r->value("nullable", false)) f.types |= 1;
      }
      if (r->contains("const")) f.values = std::vector<OJson>{(*r)["const"]};
      else if (r->contains("enum") && (*r)["enum"].is_array()) f.values = std::vector<OJson>((*r)["enum"].begin(), (*r)["enum"].end());
      if (f.values) {
        unsigned m = 0;
        for (const auto& v : *f.values) m |= type_mask_of_value(v);
        f.types &= m;
      }
    }
    facts.push_back(std::move(f));
  }
  // A property both require, whose listed values differ (a discriminator), or a key one requires
  // that the other forbids.
  auto listed_values = [&](const OJson& s, const std::string& k) -> std::optional<std::vector<OJson>> {
    if (!s.is_object() || !s.contains("properties") || !s["properties"].contains(k)) return std::nullopt;
    auto p = resolve_top(s["properties"][k], ptr, depth);
    if (!p || !p->is_object()) return std::nullopt;
    if (p->contains("const")) return std::vector<OJson>{(*p)["const"]};
    if (p->contains("enum") && (*p)["enum"].is_array()) return std::vector<OJson>((*p)["enum"].begin(), (*p)["enum"].end());
    return std::nullopt;
  };
  auto requires_key = [](const OJson& s, const std::string& k) {
    if (!s.is_object() || !s.contains("required") || !s["required"].is_array()) return false;
    return std::find(s["required"].begin(), s["required"].end(), OJson(k)) != s["required"].end();
  };
  auto forbids_key = [](const OJson& s, const std::string& k) {
    return s.is_object() && s.contains("additionalProperties") && is_false_schema(s["additionalProperties"]) &&
           !s.contains("patternProperties") && !(s.contains("properties") && s["properties"].contains(k));
  };
  auto values_disjoint = [](const std::vector<OJson>& x, const std::vector<OJson>& y) {
    for (const auto& a : x) {
      for (const auto& b : y) {
        if (schema_values_equal(a, b)) return false;
      }
    }
    return true;
  };
  auto objects_disjoint = [&](const OJson& a, const OJson& b) {
    if (!a.is_object() || !b.is_object() || !a.contains("required") || !a["required"].is_array()) return false;
    for (const auto& k : a["required"]) {
      if (!k.is_string()) continue;
      const std::string key = k.get<std::string>();
      if (forbids_key(b, key)) return true;
      if (!requires_key(b, key)) continue;
      auto va = listed_values(a, key), vb = listed_values(b, key);
      if (va && vb && values_disjoint(*va, *vb)) return true;
    }
    return false;
  };
  for (size_t i = 0; i < facts.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      const Facts &x = facts[i], &y = facts[j];
      if ((x.types & y.types) == 0) continue;
      if (x.values && y.values && values_disjoint(*x.values, *y.values)) continue;
      if ((x.types & y.types) == 4 && (objects_disjoint(x.schema, y.schema) || objects_disjoint(y.schema, x.schema))) continue;
      return error(ptr, "keyword 'oneOf': branches " + std::to_string(j) + " and " + std::to_string(i) +
                            " may both match a value (only provably disjoint branches are supported)");
    }
  }
  return ok_status();
}

std::set<std::string> type_names(const OJson& t) {
  std::set<std::string> out;
  if (t.is_string()) out.insert(t.get<std::string>());
  if (t.is_array()) {
    for (const auto& x : t) {
      if (x.is_string()) out.insert(x.get<std::string>());
    }
  }
  return out;
}

}  // namespace gemma3::grammar
