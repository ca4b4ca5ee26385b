// Jinja's built-in filters (3.1 semantics) plus Hugging Face's tojson. Filters that Jinja
// implements as generators (map, select, batch, ...) return lists here: templates consume them
// with |list, |join or a for loop, where the two are indistinguishable.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>

#include "jinja/builtins.h"
#include "jinja/operators.h"
#include "jinja/pystr.h"

namespace gemma3::jinja {
namespace {

using FilterFn = Value (*)(Interp&, const Value&, CallArgs&);

// ---- helpers

[[noreturn]] void undefined_error(const Value& v) {
  std::string_view hint = v.undefined_hint();
  fail(hint.empty() ? std::string("undefined value used") : std::string(hint));
}

Value str_value(const Value& v) { return v.is_string() ? v : Value::string(to_text(v)); }

// Jinja's attribute getter: "a.b.0" walks items/attributes (subscript semantics, then attribute).
Value get_path(Interp& in, const Value& item, const Value& attribute) {
  if (attribute.is_int()) return in.get_item(item, attribute);
  std::string_view path = attribute.str();
  Value cur = item;
  size_t b = 0;
  while (true) {
    size_t e = path.find('.', b);
    std::string_view part = path.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b);
    bool digits = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    cur = digits ? in.get_item(cur, Value::integer(std::atoll(std::string(part).c_str())))
                 : in.get_item(cur, Value::string(std::string(part)));
    if (e == std::string_view::npos) return cur;
    b = e + 1;
  }
}

// Sort key with Jinja's default case-insensitivity for strings.
Value fold_case(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value::string(py::lower(v.str()));
  return v;
}

// Sorting that surfaces Python's TypeError for unorderable items instead of UB.
void stable_sort(std::vector<std::pair<Value, Value>>& keyed, bool reverse) {
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    return reverse ? value_less(b.first, a.first) : value_less(a.first, b.first);
  });
}

int64_t int_param(const std::optional<Value>& v, int64_t dflt, std::string_view what) {
  if (!v) return dflt;
  if (v->is_int() || v->is_bool()) return v->as_int();
  if (v->is_float()) return static_cast<int64_t>(v->as_float());
  fail(std::string(what) + " must be an integer, not " + v->type_name());
}

// Python float(str): leading/trailing whitespace, underscores between digits, inf/nan.
std::optional<double> parse_float(std::string_view s) {
  auto [b, e] = py::strip_range(s, nullptr, true, true);
  std::string t;
  for (size_t i = b; i < e; ++i)
    if (s[i] != '_') t.push_back(s[i]);
  if (t.empty()) return std::nullopt;
  char* end = nullptr;
  double d = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size()) return std::nullopt;
  std::string lower = py::lower(t);
  if (lower.find("x") != std::string::npos || lower.find("p") != std::string::npos) return std::nullopt;   // no hex floats
  return d;
}

std::optional<int64_t> parse_int(std::string_view s, int base) {
  auto [b, e] = py::strip_range(s, nullptr, true, true);
  std::string t;
  for (size_t i = b; i < e; ++i)
    if (s[i] != '_') t.push_back(s[i]);
  if (t.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(t.c_str(), &end, base);
  if (end != t.c_str() + t.size() || errno == ERANGE) return std::nullopt;
  return v;
}

// ---- filters

Value f_abs(Interp&, const Value& v, CallArgs& a) {
  bind_args(a, {}, "abs");
  if (v.is_float()) return Value::floating(std::fabs(v.as_float()));
  if (v.is_int() || v.is_bool()) return unary_op(v.as_int() < 0 ? "-" : "+", v);
  fail("bad operand type for abs(): '" + v.type_name() + "'");
}

Value f_attr(Interp& in, const Value& v, CallArgs& a) {
  auto args = bind_args(a, {"name"}, "attr");
  if (!args[0] || !args[0]->is_string()) fail("attr filter needs an attribute name");
  // Python attributes only: a dict's items are not attributes (unlike `d.key`).
  if (v.is_dict() && !has_method(v, args[0]->str())) return Value::undefined("'dict object' has no attribute '" + std::string(args[0]->str()) + "'");
  return in.get_attr(v, args[0]->str());
}

Value f_batch(Interp&, const Value& v, CallArgs& a) {
  auto args = bind_args(a, {"linecount", "fill_with"}, "batch");
  int64_t n = int_param(args[0], 0, "batch linecount");
  if (n <= 0) fail("batch linecount must be positive");
  std::vector<Value> out, cur;
  for (auto& item : iterate(v)) {
    cur.push_back(item);
    if (static_cast<int64_t>(cur.size()) == n) out.push_back(Value::list(std::exchange(cur, {})));
  }
  if (!cur.empty()) {
    if (args[1] && !args[1]->is_none())
      while (static_cast<int64_t>(cur.size()) < n) cur.push_back(*args[1]);
    out.push_back(Value::list(std::move(cur)));
  }
  return Value::list(std::move(out));
}

Value f_capitalize(Interp&, const Value& v, CallArgs& a) {
  bind_args(a, {}, "capitalize");
  Text t = to_text(v);
  std::string s = py::capitalize(t.s);
  return s.size() == t.s.size() ? Value::string(Text{std::move(s), t.untrusted}) : Value::string(std::move(s), t.any_untrusted());
}

Value f_center(Interp& in, const Value& v, CallArgs& a) {
  auto args = bind_args(a, {"width"}, "center");
  CallArgs m;
  m.pos.push_back(args[0] ? *args[0] : Value::integer(80));
  return *call_method(in, str_value(v), "center", m);
}

Value f_length(Interp&, const Value& v, CallArgs& a) {
  bind_args(a, {}, "length");
  return Value::integer(length_of(v));
}

Value f_default(Interp&, const Value& v, CallArgs& a) {
  auto args = bind_args(a, {"default_value", "boolean"}, "default");
  bool use_default = v.is_undefined() || (args[1] && args[1]->truthy() && !v.truthy());
  if (!use_default) return v;
  return args[0] ? *args[0] : Value::string("");
}

Value f_dictsort(Interp&, const Value& v, CallArgs& a) {
  auto args = bind_args(a, {"case_sensitive", "by", "reverse"}, "dictsort");
  if (!v.is_dict()) fail("dictsort filter needs a dict, got " + v.type_name());
  bool cs = args[0] && args[0]->truthy();
  bool by_value = args[1] && args[1]->is_string() && args[1]->str() == "value";
  if (args[1] && !(args[1]->is_string() && (args[1]->str() == "key" || args[1]->str() == "value")))
    fail("You can only sort by either \"key\" or \"value\"");
  std::vector<std::pair<Value, Value>> keyed;
  for (const auto& [k, val] : v.dict().items)
    keyed.emplace_back(fold_case(by_value ? val : k, cs), Value::list({k, val}, true));
  stable_sort(keyed, args[2] && args[2]->truthy());
  std::vector<Value> out;
  for (auto& [k, item] : keyed) out.push_back(std::move(item));
  return Value::list(std::move(out));
}

Value f_escape(Interp&, const Value& v, CallArgs& a) {
  bind_args(a, {}, "escape");
  Text t = to_text(v);
  std::string out;
  for (char c : t.s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return Value::string(std::move(out), t.any_untrusted());
}

Value f_first(Interp&, const Value& v, CallArgs& a) {
  bind_args(a, {}, "first");
  if (v.is_list()) return v.items().empty() ? Value::undefined("No first item, sequence was empty.") : v.items()[0];
  auto items = iterate(v);
  return items.empty() ? Value::undefined("No first item, sequence was empty.") : items[0];
}

Value f_last(Interp&, const Value& v, CallArgs& a) {
  bind_args(a, {}, "last");
  if (v.is_list()) return v.items().empty() ? Value::undefined("No last item, sequence was empty.") : v.items().back();
  auto items = iterate(v);
  return items.empty() ? Value::undefined("No last item, sequence was empty.") : items.back();
}

Value f_float(Interp&, const Value& v, CallArgs& a) {
  auto args = bind_args(a, {"default"}, "float");
  Value dflt = args[0] ? *args[0] : Value::floating(0.0);
  if (v.is_undefined()) undefined_error(v);   // float(Undefined) raises in Jinja
  if (v.is_float()) return v;
  if (v.is_int() || v.is_bool()) return Value::floating(static_cast<double>(v.as_int()));
  if (v.is_string()) {
    if (auto d = parse_float(v.str())) return Value::floating(*d);
  }
  return dflt;
}

Value f_format(Interp& in, const Value& v, CallArgs& a) {
  if (!a.kw.empty() && !a.pos.empty()) fail("can't handle positional and keyword arguments at the same time");
  Value args;
  if (!a.kw.empty()) {
    std::vector<std::pair<Value, Value>> kw;
    for (auto& [k, val] : a.kw) kw.emplace_back(Value::string(k), val);
    args = Value::dict(std::move(kw));
  } else {
    args = Value::list(a.pos, true);
  }
  return Value::string(percent_format(in, str_value(v), args));
}

Value f_indent(Interp& in, const Value& v, CallArgs& a) {
  auto args = bind_args(a, {"width", "first", "blank"}, "indent");
  Text indention;
  if (args[0] && args[0]->is_string()) {
    indention = args[0]->text();
  } else {
    int64_t w = int_param(args[0], 4, "indent width");
    in.check_string_size(static_cast<size_t>(std::max<int64_t>(w, 0)));
    indention = Text(std::string(static_cast<size_t>(std::max<int64_t>(w, 0)), ' '));
  }
  bool first = args[1] && args[1]->truthy(), blank = args[2] && args[2]->truthy();
  if (!v.is_string()) fail("the indent filter needs a string, not " + v.type_name());
  Text s = v.text();
  s.append("\n", false);   // Jinja's quirk: a trailing newline is added before splitlines
  CallArgs none;
  Value lines_v = *call_method(in, Value::string(s), "splitlines", none);
  const auto& lines = lines_v.items();
  Text out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) {
      out.append("\n", false);
      if (blank || !lines[i].str().empty()) out.append(indention);
    }
    out.append(lines[i].text());
    in.check_string_size(out.s.size());
  }
  if (first) {
    Text prefixed = indention;
    prefixed.append(out);
    return Value::string(std::move(prefixed));
  }
  return Value::string(std::move(out));
}

Value f_int(Interp&, const Value& v, CallArgs& a) {
  auto args = bind_args(a, {"default", "base"}, "int");
  Value dflt = args[0] ? *args[0] : Value::integer(0);
  int base = static_cast<int>(int_param(args[1], 10, "int base"));
  if (v.is_undefined()) undefined_error(v);   // int(Undefined) raises in Jinja
  if (v.is_int()) return v;
  if (v.is_bool()) return Value::integer(v.as_int());
  if (v.is_float()) {
    double d = v.as_float();
    if (!std::isfinite(d) || std::fabs(d) >= 9.2e18) return dflt;
    return Value::integer(static_cast<int64_t>(d));
  }
  if (v.is_string()) {
    if (auto i = parse_int(v.str(), base)) return Value::integer(*i);
    if (auto d = parse_float(v.str()); d && std::isfinite(*d) && std::fabs(*d) < 9.2e18)
      return Value::integer(static_cast<int64_t>(*d));
  }
  return dflt;
}

Value f_items(Interp& in, const Value& v, CallArgs& a) {
  bind_args(a, {}, "items");
  if (v.is_undefined()) return Value::list({});
  if (!v.is_dict()) fail("Can only get item pairs from a mapping.");
  CallArgs none;
  return *call_method(in, v, "items", none);
}

Value f_join(Interp& in, const Value& v, CallArgs& a) {
  auto args = bind_args(a, {"d", "attribute"}, "join");
  Text sep = args[0] ? to_text(*args[0]) : Text();
  Text out;
  bool first = true;
  for (auto& item : iterate(v)) {
    if (!first) out.append(sep);
    first = false;
    out.append(to_text(args[1] && !args[1]->is_none() ? get_path(in, item, *args[1]) : item));
    in.check_string_size(out.s.size());
  }
  return Value::string(std::move(out));
}

Value f_list(Interp& in, const Value& v, CallArgs& a) {
  bind_args(a, {}, "list");
  auto items = iterate(v);
  in.check_items(items.size());
  return Value::list(std::move(items));
}

Value f_lower(Interp&, const Value& v, CallArgs& a) {
  bind_args(a, {}, "lower");
  Text t = to_text(v);
  std::string s = py::lower(t.s);
  return s.size() == t.s.size() ? Value::string(Text{std::move(s), t.untrusted}) : Value::string(std::move(s), t.any_untrusted());
}

Value f_upper(Interp&, const Value& v, CallArgs& a) {
  bind_args(a, {}, "upper");
  Text t = to_text(v);
  std::string s = py::upper(t.s);
  return s.size() == t.s.size() ? Value::string(Text{std::move(s), t.untrusted}) : Value::string(std::move(s), t.any_untrusted());
}

// Jinja's title: words begin after whitespace or one of -({[<.
Value f_title(Interp&, const Value& v, CallArgs& a) {
  bind_args(a, {}, "title");
  Text t = to_text(v);
  std::string out;
  bool word_start = true;
  for (size_t i = 0; i < t.s.size();) {
    char32_t cp = py::next_cp(t.s, i);
    bool sep = py::is_space(cp) || cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<';
    py::append_utf8(out, sep ? cp : word_start ? py::to_upper_cp(cp) : py::to_lower_cp(cp));
    word_start = sep;
  }
  return out.size() == t.s.size() ? Value::string(Text{std::move(out), t.untrusted})
                                  : Value::string(std::move(out), t.any_untrusted());
}

// map(attribute=..., default=...) or map('filter', args...).
Value f_map(Interp& in, const Value& v, CallArgs& a) {
  std::vector<Value> out;
  std::optional<Value> attribute, dflt;
  for (auto& [k, val] : a.kw) {
    if (k == "attribute") attribute = val;
    else if (k == "default") dflt = val;
  }
  auto items = iterate(v);
  if (attribute) {
    for (auto& item : items) {
      Value r = get_path(in, item, *attribute);
      if (r.is_undefined() && dflt) r = *dflt;
      out.push_back(std::move(r));
    }
    return Value::list(std::move(out));
  }
  if (a.pos.empty() || !a.pos[0].is_string()) fail("map requires a filter name or attribute=");
  std::string name(a.pos[0].str());
  CallArgs rest;
  rest.pos.assign(a.pos.begin() + 1, a.pos.end());
  rest.kw = a.kw;
  for (auto& item : items) {
    in.count_iteration();
    CallArgs copy = rest;
    out.push_back(apply_filter(in, name, item, copy));
  }
  return Value::list(std::move(out));
}

// select/reject(test, args...) and selectattr/rejectattr(attribute, test, args...).
Value select_impl(Interp& in, const Value& v, CallArgs& a, bool with_attr, bool keep_if) {
  size_t k = 0;
  std::optional<Value> attribute;
  if (with_attr) {
    if (a.pos.empty()) fail("selectattr/rejectattr need an attribute name");
    attribute = a.pos[k++];
  }
  std::optional<std::string> test;
  if (k < a.pos.size()) {
    if (!a.pos[k].is_string()) fail("the test name must be a string");
    test = std::string(a.pos[k++].str());
  }
  CallArgs rest;
  rest.pos.assign(a.pos.begin() + k, a.pos.end());
  rest.kw = a.kw;
  std::vector<Value> out;
  for (auto& item : iterate(v)) {
    in.count_iteration();
    Value probe = attribute ? get_path(in, item, *attribute) : item;
    bool ok;
    if (test) {
      CallArgs copy = rest;
      ok = apply_test(in, *test, probe, copy);
    } else {
      ok = probe.truthy();
    }
    if (ok == keep_if) out.push_back(item);
  }
  return Value::list(std::move(out));
}

Value f_select(Interp& in, const Value& v, CallArgs& a) { return select_impl(in, v, a, false, true); }
Value f_reject(Interp& in, const Value& v, CallArgs& a) { return select_impl(in, v, a, false, false); }
Value f_selectattr(Interp& in, const Value& v, CallArgs& a) { return select_impl(in, v, a, true, true); }
Value f_rejectattr(Interp& in, const Value& v, CallArgs& a) { return select_impl(in, v, a, true, false); }

Value f_replace(Interp& in, const Value& v, CallArgs& a) {
  auto args = bind_args(a, {"old", "new", "count"}, "replace");
  CallArgs m;
  m.pos.push_back(args[0] ? str_value(*args[0]) : Value::string(""));
  m.pos.push_back(args[1] ? str_value(*args[1]) : Value::string(""));
  if (args[2] && !args[2]->is_none()) m.pos.push_back(*args[2]);
  return *call_method(in, str_value(v), "replace", m);
}

Value f_reverse(Interp&, const Value& v, CallArgs& a) {
  bind_args(a, {}, "reverse");
  if (v.is_string()) return slice_value(v, Value::none(), Value::none(), Value::integer(-1));
  auto items = iterate(v);
  std::reverse(items.begin(), items.end());
  return Value::list(std::move(items));
}

// round(value, precision=0, method='common'|'ceil'|'floor'): Python's round() for 'common'
// (exact decimal rounding, ties to even; an int stays an int).
Value f_round(Interp&, const Value& v, CallArgs& a) {
  auto args = bind_args(a, {"precision", "method"}, "round");
  int64_t precision = int_param(args[0], 0, "round precision");
  std::string method = args[1] && args[1]->is_string() ? std::string(args[1]->str()) : "common";
  if (method != "common" && method != "ceil" && method != "floor") fail("method must be common, ceil or floor");
  if (!v.is_number()) fail("type " + v.type_name() + " doesn't define __round__ method");
  if (method == "common" && (v.is_int() || v.is_bool()) && precision >= 0) return Value::integer(v.as_int());
  double d = v.as_float();
  if (!std::isfinite(d)) return Value::floating(d);
  if (method != "common") {
    double scale = std::pow(10.0, static_cast<double>(precision));
    return Value::floating((method == "ceil" ? std::ceil(d * scale) : std::floor(d * scale)) / scale);
  }
  if (precision < 0 || precision > 300) {
    double scale = std::pow(10.0, static_cast<double>(-precision));
    return Value::floating(std::nearbyint(d / scale) * scale);
  }
  char buf[400];
  std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(precision), d);
  return Value::floating(std::strtod(buf, nullptr));
}

Value f_safe(Interp&, const Value& v, CallArgs& a) {
  bind_args(a, {}, "safe");
  return str_value(v);
}

Value f_string(Interp&, const Value& v, CallArgs& a) {
  bind_args(a, {}, "string");
  return str_value(v);
}

// Python-style key for sort/unique/min/max: attribute path(s), case folded.
Value sort_key(Interp& in, const Value& item, const std::optional<Value>& attribute, bool cs) {
  if (!attribute || attribute->is_none()) return fold_case(item, cs);
  if (attribute->is_string() && attribute->str().find(',') != std::string_view::npos) {
    std::vector<Value> parts;
    std::string_view all = attribute->str();
    size_t b = 0;
    while (true) {
      size_t e = all.find(',', b);
      std::string_view p = all.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b);
      parts.push_back(fold_case(get_path(in, item, Value::string(std::string(p))), cs));
      if (e == std::string_view::npos) break;
      b = e + 1;
    }
    return Value::list(std::move(parts));
  }
  return fold_case(get_path(in, item, *attribute), cs);
}

Value f_sort(Interp& in, const Value& v, CallArgs& a) {
  auto args = bind_args(a, {"reverse", "case_sensitive", "attribute"}, "sort");
  bool cs = args[1] && args[1]->truthy();
  std::vector<std::pair<Value, Value>> keyed;
  for (auto& item : iterate(v)) keyed.emplace_back(sort_key(in, item, args[2], cs), item);
  stable_sort(keyed, args[0] && args[0]->truthy());
  std::vector<Value> out;
  for (auto& [k, item] : keyed) out.push_back(std::move(item));
  return Value::list(std::move(out));
}

Value f_unique(Interp& in, const Value& v, CallArgs& a) {
  auto args = bind_args(a, {"case_sensitive", "attribute"}, "unique");
  bool cs = args[0] && args[0]->truthy();
  std::vector<Value> seen, out;
  for (auto& item : iterate(v)) {
    Value key = sort_key(in, item, args[1], cs);
    if (std::any_of(seen.begin(), seen.end(), [&](const Value& s) { return values_equal(s, key); })) continue;
    seen.push_back(key);
    out.push_back(item);
  }
  return Value::list(std::move(out));
}

Value min_max(Interp& in, const Value& v, CallArgs& a, bool want_max) {
  auto args = bind_args(a, {"case_sensitive", "attribute"}, want_max ? "max" : "min");
  bool cs = args[0] && args[0]->truthy();
  std::optional<std::pair<Value, Value>> best;
  for (auto& item : iterate(v)) {
    Value key = sort_key(in, item, args[1], cs);
    if (!best || (want_max ? value_less(best->first, key) : value_less(key, best->first))) best.emplace(key, item);
  }
  if (!best) return Value::undefined(std::string("No aggregated item, sequence was empty."));
  return best->second;
}

Value f_max(Interp& in, const Value& v, CallArgs& a) { return min_max(in, v, a, true); }
Value f_min(Interp& in, const Value& v, CallArgs& a) { return min_max(in, v, a, false); }

Value f_slice(Interp&, const Value& v, CallArgs& a) {
  auto args = bind_args(a, {"slices", "fill_with"}, "slice");
  int64_t slices = int_param(args[0], 0, "slice count");
  if (slices <= 0 || slices > 100000) fail("slice count must be between 1 and 100000");
  auto seq = iterate(v);
  int64_t len = static_cast<int64_t>(seq.size()), per = len / slices, extra = len % slices, offset = 0;
  std::vector<Value> out;
  for (int64_t i = 0; i < slices; ++i) {
    int64_t start = offset + i * per;
    if (i < extra) ++offset;
    int64_t end = offset + (i + 1) * per;
    std::vector<Value> part(seq.begin() + start, seq.begin() + end);
    if (args[1] && !args[1]->is_none() && i >= extra) part.push_back(*args[1]);
    out.push_back(Value::list(std::move(part)));
  }
  return Value::list(std::move(out));
}

Value f_sum(Interp& in, const Value& v, CallArgs& a) {
  auto args = bind_args(a, {"attribute", "start"}, "sum");
  Value total = args[1] ? *args[1] : Value::integer(0);
  for (auto& item : iterate(v))
    total = binary_op(in, "+", total, args[0] && !args[0]->is_none() ? get_path(in, item, *args[0]) : item);
  return total;
}

Value f_tojson(Interp& in, const Value& v, CallArgs& a) {
  auto args = bind_args(a, {"ensure_ascii", "indent", "separators", "sort_keys"}, "tojson");
  if (args[0] && args[0]->truthy()) fail("tojson(ensure_ascii=True) is not supported");
  std::string s = to_json(in, v, args[1].value_or(Value::none()), args[2].value_or(Value::none()),
                          args[3] && args[3]->truthy());
  // Conservative provenance: the whole encoding is untrusted when any string inside is.
  return Value::string(std::move(s), v.any_untrusted());
}

Value f_trim(Interp& in, const Value& v, CallArgs& a) {
  auto args = bind_args(a, {"chars"}, "trim");
  CallArgs m;
  if (args[0]) m.pos.push_back(*args[0]);
  return *call_method(in, str_value(v), "strip", m);
}

Value f_truncate(Interp& in, const Value& v, CallArgs& a) {
  auto args = bind_args(a, {"length", "killwords", "end", "leeway"}, "truncate");
  int64_t length = int_param(args[0], 255, "truncate length");
  bool killwords = args[1] && args[1]->truthy();
  Value end = args[2] ? str_value(*args[2]) : Value::string("...");
  int64_t leeway = args[3] && !args[3]->is_none() ? int_param(args[3], 5, "leeway") : 5;
  if (!v.is_string()) {   // Jinja takes len() of the value as it is
    if (length_of(v) <= length + leeway) return v;
    fail("the truncate filter needs a string, not " + v.type_name());
  }
  const Value& s = v;
  int64_t n = static_cast<int64_t>(py::length(s.str()));
  int64_t end_len = static_cast<int64_t>(py::length(end.str()));
  if (length < end_len) fail("expected length >= " + std::to_string(end_len) + ", got " + std::to_string(length));
  if (leeway < 0) fail("expected leeway >= 0, got " + std::to_string(leeway));
  if (n <= length + leeway) return s;
  Value head = slice_value(s, Value::none(), Value::integer(length - end_len), Value::none());
  if (!killwords) {
    CallArgs m;
    m.pos = {Value::string(" "), Value::integer(1)};
    head = call_method(in, head, "rsplit", m)->items()[0];
  }
  return binary_op(in, "+", head, end);
}

Value f_wordcount(Interp&, const Value& v, CallArgs& a) {
  bind_args(a, {}, "wordcount");
  std::string s = to_str(v);
  int64_t n = 0;
  bool in_word = false;
  for (size_t i = 0; i < s.size();) {
    char32_t cp = py::next_cp(s, i);
    bool w = py::is_alpha(cp) || py::is_digit(cp) || cp == '_';
    if (w && !in_word) ++n;
    in_word = w;
  }
  return Value::integer(n);
}

Value f_pprint(Interp&, const Value& v, CallArgs& a) {
  bind_args(a, {}, "pprint");
  return Value::string(repr(v), v.any_untrusted());
}

const std::map<std::string, FilterFn, std::less<>>& table() {
  static const std::map<std::string, FilterFn, std::less<>> t = {
      {"abs", f_abs},           {"attr", f_attr},         {"batch", f_batch},       {"capitalize", f_capitalize},
      {"center", f_center},     {"count", f_length},      {"d", f_default},         {"default", f_default},
      {"dictsort", f_dictsort}, {"e", f_escape},          {"escape", f_escape},     {"forceescape", f_escape},
      {"first", f_first},       {"float", f_float},       {"format", f_format},     {"indent", f_indent},
      {"int", f_int},           {"items", f_items},       {"join", f_join},         {"last", f_last},
      {"length", f_length},     {"list", f_list},         {"lower", f_lower},       {"map", f_map},
      {"max", f_max},           {"min", f_min},           {"pprint", f_pprint},     {"reject", f_reject},
      {"rejectattr", f_rejectattr}, {"replace", f_replace}, {"reverse", f_reverse}, {"round", f_round},
      {"safe", f_safe},         {"select", f_select},     {"selectattr", f_selectattr}, {"slice", f_slice},
      {"sort", f_sort},         {"string", f_string},     {"sum", f_sum},           {"title", f_title},
      {"tojson", f_tojson},     {"trim", f_trim},         {"truncate", f_truncate}, {"unique", f_unique},
      {"upper", f_upper},       {"wordcount", f_wordcount},
  };
  return t;
}

}  // namespace

bool filter_exists(std::string_view name) { return table().count(name) > 0; }

Value apply_filter(Interp& in, std::string_view name, const Value& input, CallArgs& args) {
  auto it = table().find(name);
  if (it == table().end()) fail("no filter named '" + std::string(name) + "'");
  return it->second(in, input, args);
}

}  // namespace gemma3::jinja
