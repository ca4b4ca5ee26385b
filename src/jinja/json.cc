// JSON in (value_from_json: request data -> Values) and out (tojson: Python's json.dumps with
// ensure_ascii=False, as transformers installs it).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "jinja/builtins.h"
#include "jinja/template.h"

namespace gemma3::jinja {
namespace {

template <typename Json>
Value from_json(const Json& j, bool untrusted, int depth) {
  using T = nlohmann::json::value_t;
  switch (j.type()) {
    case T::null: return Value::none();
    case T::boolean: return Value::boolean(j.template get<bool>());
    case T::number_integer: return Value::integer(j.template get<int64_t>());
    case T::number_unsigned: {
      uint64_t u = j.template get<uint64_t>();
      if (u <= static_cast<uint64_t>(INT64_MAX)) return Value::integer(static_cast<int64_t>(u));
      return Value::floating(static_cast<double>(u));
    }
    case T::number_float: return Value::floating(j.template get<double>());
    case T::string: return Value::string(j.template get<std::string>(), untrusted);
    case T::array: {
      if (depth >= kMaxValueDepth) return Value::undefined("JSON nested too deeply");
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& e : j) items.push_back(from_json(e, untrusted, depth + 1));
      return Value::list(std::move(items));
    }
    case T::object: {
      if (depth >= kMaxValueDepth) return Value::undefined("JSON nested too deeply");
      std::vector<std::pair<Value, Value>> items;
      items.reserve(j.size());
      for (auto it = j.begin(); it != j.end(); ++it)
        items.emplace_back(Value::string(it.key(), untrusted), from_json(it.value(), untrusted, depth + 1));
      return Value::dict(std::move(items));
    }
    default: return Value::none();   // binary / discarded: not produced by JSON text
  }
}

void quote(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

std::string float_json(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
  return float_repr(d);
}

struct Dumper {
  Interp& in;
  std::optional<std::string> indent;   // nullopt: single line
  std::string item_sep, key_sep;
  bool sort_keys;
  std::string out;

  void newline(int level) {
    out.push_back('\n');
    for (int i = 0; i < level; ++i) out += *indent;
  }

  std::string key_string(const Value& k) {
    switch (k.kind()) {
      case Kind::String: return std::string(k.str());
      case Kind::Bool: return k.as_bool() ? "true" : "false";
      case Kind::None: return "null";
      case Kind::Int: return std::to_string(k.as_int());
      case Kind::Float: return float_json(k.as_float());
      default: fail("keys must be str, int, float, bool or None, not " + k.type_name());
    }
  }

  void dump(const Value& v, int level) {
    in.check_string_size(out.size());
    switch (v.kind()) {
      case Kind::None: out += "null"; return;
      case Kind::Bool: out += v.as_bool() ? "true" : "false"; return;
      case Kind::Int: out += std::to_string(v.as_int()); return;
      case Kind::Float: out += float_json(v.as_float()); return;
      case Kind::String: quote(out, v.str()); return;
      case Kind::List: {
        if (v.items().empty()) {
          out += "[]";
          return;
        }
        out.push_back('[');
        bool first = true;
        for (const auto& item : v.items()) {
          if (!first) out += item_sep;
          first = false;
          if (indent) newline(level + 1);
          dump(item, level + 1);
        }
        if (indent) newline(level);
        out.push_back(']');
        return;
      }
      case Kind::Dict: {
        if (v.dict().items.empty()) {
          out += "{}";
          return;
        }
        std::vector<const std::pair<Value, Value>*> entries;
        for (const auto& e : v.dict().items) entries.push_back(&e);
        if (sort_keys)
          std::stable_sort(entries.begin(), entries.end(), [](auto* a, auto* b) { return value_less(a->first, b->first); });
        out.push_back('{');
        bool first = true;
        for (const auto* e : entries) {
          if (!first) out += item_sep;
          first = false;
          if (indent) newline(level + 1);
          quote(out, key_string(e->first));
          out += key_sep;
          dump(e->second, level + 1);
        }
        if (indent) newline(level);
        out.push_back('}');
        return;
      }
      default: fail("Object of type " + v.type_name() + " is not JSON serializable");
    }
  }
};

}  // namespace

Value value_from_json(const nlohmann::json& j, bool untrusted) { return from_json(j, untrusted, 0); }
Value value_from_json(const nlohmann::ordered_json& j, bool untrusted) { return from_json(j, untrusted, 0); }

std::string to_json(Interp& in, const Value& v, const Value& indent, const Value& separators, bool sort_keys) {
  Dumper d{in, std::nullopt, ", ", ": ", sort_keys, {}};
  if (indent.is_int() || indent.is_bool()) {
    int64_t n = std::clamp<int64_t>(indent.as_int(), 0, 1 << 16);
    d.indent = std::string(static_cast<size_t>(n), ' ');
  } else if (indent.is_string()) {
    d.indent = std::string(indent.str());
  } else if (!indent.is_none()) {
    fail("tojson indent must be an int, a str or None, not " + indent.type_name());
  }
  if (d.indent) d.item_sep = ",";
  if (!separators.is_none()) {
    if (!separators.is_list() || separators.items().size() != 2 || !separators.items()[0].is_string() ||
        !separators.items()[1].is_string())
      fail("tojson separators must be a pair of strings");
    d.item_sep = std::string(separators.items()[0].str());
    d.key_sep = std::string(separators.items()[1].str());
  }
  d.dump(v, 0);
  in.check_string_size(d.out.size());
  return std::move(d.out);
}

}  // namespace gemma3::jinja
