#include "jinja/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "jinja/error.h"
#include "jinja/pystr.h"

namespace gemma3::jinja {

ListHeap::~ListHeap() = default;
DictHeap::~DictHeap() = default;

const Value* DictHeap::find(const Value& key) const {
  if (key.is_string()) return find(key.str());
  for (const auto& [k, v] : items)
    if (values_equal(k, key)) return &v;
  return nullptr;
}

const Value* DictHeap::find(std::string_view key) const {
  for (const auto& [k, v] : items)
    if (k.is_string() && k.str() == key) return &v;
  return nullptr;
}

std::optional<Value> Object::get_attr(std::string_view) const { return std::nullopt; }

Value Object::call(Interp&, CallArgs&) const { fail("'" + type_name() + "' object is not callable"); }

Value Value::undefined(std::string hint) {
  Value v;
  if (!hint.empty()) v.heap_ = std::make_shared<StrHeap>(Text(std::move(hint)));
  return v;
}

std::string_view Value::undefined_hint() const {
  return heap_ ? std::string_view(static_cast<const StrHeap*>(heap_.get())->text.s) : std::string_view();
}

Value Value::string(Text t) {
  Value v;
  v.kind_ = Kind::String;
  v.heap_ = std::make_shared<StrHeap>(std::move(t));
  return v;
}

Value Value::list(std::vector<Value> items, bool is_tuple) {
  auto h = std::make_shared<ListHeap>();
  for (const auto& item : items) h->depth = std::max(h->depth, item.depth() + 1);
  if (h->depth > kMaxValueDepth) fail("value nested deeper than " + std::to_string(kMaxValueDepth) + " levels");
  h->items = std::move(items);
  h->is_tuple = is_tuple;
  Value v;
  v.kind_ = Kind::List;
  v.heap_ = std::move(h);
  return v;
}

Value Value::dict(std::vector<std::pair<Value, Value>> items) {
  auto h = std::make_shared<DictHeap>();
  for (const auto& item : items) h->depth = std::max(h->depth, item.second.depth() + 1);
  if (h->depth > kMaxValueDepth) fail("value nested deeper than " + std::to_string(kMaxValueDepth) + " levels");
  h->items = std::move(items);
  Value v;
  v.kind_ = Kind::Dict;
  v.heap_ = std::move(h);
  return v;
}

Value Value::object(std::shared_ptr<Object> obj) {
  Value v;
  v.kind_ = Kind::Object;
  v.heap_ = std::move(obj);
  return v;
}

int Value::depth() const {
  if (kind_ == Kind::List) return static_cast<const ListHeap*>(heap_.get())->depth;
  if (kind_ == Kind::Dict) return static_cast<const DictHeap*>(heap_.get())->depth;
  return 0;
}

bool Value::truthy() const {
  switch (kind_) {
    case Kind::Undefined:
    case Kind::None: return false;
    case Kind::Bool:
    case Kind::Int: return i_ != 0;
    case Kind::Float: return f_ != 0.0;
    case Kind::String: return !str().empty();
    case Kind::List: return !items().empty();
    case Kind::Dict: return !dict().items.empty();
    case Kind::Object: return true;
  }
  return false;
}

std::string Value::type_name() const {
  switch (kind_) {
    case Kind::Undefined: return "Undefined";
    case Kind::None: return "NoneType";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::String: return "str";
    case Kind::List: return is_tuple() ? "tuple" : "list";
    case Kind::Dict: return "dict";
    case Kind::Object: return obj().type_name();
  }
  return "?";
}

bool Value::any_untrusted() const {
  switch (kind_) {
    case Kind::String: return text().any_untrusted();
    case Kind::List:
      for (const auto& v : items())
        if (v.any_untrusted()) return true;
      return false;
    case Kind::Dict:
      for (const auto& [k, v] : dict().items)
        if (k.any_untrusted() || v.any_untrusted()) return true;
      return false;
    default: return false;
  }
}

bool values_equal(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_float() == b.as_float();
    return a.as_int() == b.as_int();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::Undefined:
    case Kind::None: return true;
    case Kind::String: return a.str() == b.str();
    case Kind::List: {
      if (a.is_tuple() != b.is_tuple() || a.items().size() != b.items().size()) return false;
      for (size_t i = 0; i < a.items().size(); ++i)
        if (!values_equal(a.items()[i], b.items()[i])) return false;
      return true;
    }
    case Kind::Dict: {
      if (a.dict().items.size() != b.dict().items.size()) return false;
      for (const auto& [k, v] : a.dict().items) {
        const Value* other = b.dict().find(k);
        if (!other || !values_equal(v, *other)) return false;
      }
      return true;
    }
    case Kind::Object: return &a.obj() == &b.obj();
    default: return false;
  }
}

bool value_less(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_float() < b.as_float();
    return a.as_int() < b.as_int();
  }
  if (a.is_string() && b.is_string()) return a.str() < b.str();   // UTF-8 order = code point order
  if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
    const auto& x = a.items();
    const auto& y = b.items();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (values_equal(x[i], y[i])) continue;
      return value_less(x[i], y[i]);
    }
    return x.size() < y.size();
  }
  fail("'<' not supported between instances of '" + a.type_name() + "' and '" + b.type_name() + "'");
}

std::string float_repr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  // sci: [-]D[.DDD]e(+|-)XX ; split into sign, digits, exponent.
  bool neg = sci[0] == '-';
  size_t epos = sci.find('e');
  std::string mant = sci.substr(neg ? 1 : 0, epos - (neg ? 1 : 0));
  int exp = std::stoi(sci.substr(epos + 1));
  std::string digits;
  for (char c : mant)
    if (c != '.') digits.push_back(c);
  std::string out = neg ? "-" : "";
  if (exp >= -4 && exp < 16) {   // Python's repr uses the exponent form outside [1e-4, 1e16)
    if (exp < 0) {
      out += "0." + std::string(-exp - 1, '0') + digits;
    } else if (static_cast<int>(digits.size()) <= exp + 1) {
      out += digits + std::string(exp + 1 - digits.size(), '0') + ".0";
    } else {
      out += digits.substr(0, exp + 1) + "." + digits.substr(exp + 1);
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) out += "." + digits.substr(1);
  char ebuf[16];
  std::snprintf(ebuf, sizeof ebuf, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
  return out + ebuf;
}

std::string string_repr(std::string_view s) {
  bool has_single = s.find('\'') != std::string_view::npos;
  bool has_double = s.find('"') != std::string_view::npos;
  char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  for (size_t i = 0; i < s.size();) {
    char32_t cp = py::next_cp(s, i);
    char buf[16];
    if (cp == static_cast<char32_t>(quote) || cp == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(cp));
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (py::is_printable(cp)) {
      py::append_utf8(out, cp);
    } else {
      if (cp < 0x100) {
        std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
      } else if (cp < 0x10000) {
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
      } else {
        std::snprintf(buf, sizeof buf, "\\U%08x", static_cast<unsigned>(cp));
      }
      out += buf;
    }
  }
  out.push_back(quote);
  return out;
}

static void repr_into(const Value& v, std::string& out) {
  switch (v.kind()) {
    case Kind::Undefined: out += "Undefined"; return;
    case Kind::None: out += "None"; return;
    case Kind::Bool: out += v.as_bool() ? "True" : "False"; return;
    case Kind::Int: out += std::to_string(v.as_int()); return;
    case Kind::Float: out += float_repr(v.as_float()); return;
    case Kind::String: out += string_repr(v.str()); return;
    case Kind::List: {
      out += v.is_tuple() ? "(" : "[";
      bool first = true;
      for (const auto& item : v.items()) {
        if (!first) out += ", ";
        first = false;
        repr_into(item, out);
      }
      if (v.is_tuple() && v.items().size() == 1) out += ",";
      out += v.is_tuple() ? ")" : "]";
      return;
    }
    case Kind::Dict: {
      out += "{";
      bool first = true;
      for (const auto& [k, val] : v.dict().items) {
        if (!first) out += ", ";
        first = false;
        repr_into(k, out);
        out += ": ";
        repr_into(val, out);
      }
      out += "}";
      return;
    }
    case Kind::Object: out += v.obj().repr(); return;
  }
}

std::string repr(const Value& v) {
  std::string out;
  repr_into(v, out);
  return out;
}

Text to_text(const Value& v) {
  switch (v.kind()) {
    case Kind::Undefined: return Text();
    case Kind::String: return v.text();
    case Kind::List:
    case Kind::Dict: return Text(repr(v), v.any_untrusted());
    default: return Text(repr(v));
  }
}

std::string to_str(const Value& v) {
  if (v.is_string()) return std::string(v.str());
  return to_text(v).s;
}

}  // namespace gemma3::jinja
