// Python methods templates call on str, list and dict values. Provenance: results made of pieces
// of the input (strip, split, partition, replace, join, center, ...) keep byte-level provenance;
// case changes keep it when the byte length is unchanged, else the whole result is untrusted when
// any input byte was.
#include <algorithm>
#include <array>

#include "jinja/builtins.h"
#include "jinja/pystr.h"

namespace gemma3::jinja {
namespace {

constexpr std::array kStrMethods = {
    "strip", "lstrip", "rstrip", "split", "rsplit", "startswith", "endswith", "upper", "lower", "title",
    "capitalize", "replace", "find", "rfind", "index", "rindex", "count", "format", "join", "splitlines",
    "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower", "isnumeric", "isdecimal", "zfill",
    "center", "ljust", "rjust", "partition", "rpartition", "casefold", "swapcase", "removeprefix",
    "removesuffix", "encode"};
constexpr std::array kListMethods = {"index", "count", "copy"};
constexpr std::array kDictMethods = {"items", "keys", "values", "get", "copy"};
constexpr std::array kUnsafeList = {"append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear"};
constexpr std::array kUnsafeDict = {"clear", "pop", "popitem", "setdefault", "update"};

template <size_t N>
bool in(const std::array<const char*, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

const Value& need_str(const std::optional<Value>& v, std::string_view fn) {
  if (!v || !v->is_string())
    fail(std::string(fn) + "() argument must be str, not " + (v ? v->type_name() : std::string("nothing")));
  return *v;
}

// Case mapping with the provenance rule above.
Value recase(const Value& self, std::string mapped) {
  const Text& t = self.text();
  if (mapped.size() == t.s.size()) {
    Text out;
    out.s = std::move(mapped);
    out.untrusted = t.untrusted;
    return Value::string(std::move(out));
  }
  return Value::string(std::move(mapped), t.any_untrusted());
}

// Code point index of byte offset `b` in s.
int64_t cp_index(std::string_view s, size_t b) { return static_cast<int64_t>(py::length(s.substr(0, b))); }

// Byte range of s[start:end] (Python indices by code point, None = omitted).
std::pair<size_t, size_t> sub_range(std::string_view s, const std::optional<Value>& start, const std::optional<Value>& end) {
  bool has_start = start && !start->is_none(), has_end = end && !end->is_none();
  if (!has_start && !has_end) return {0, s.size()};
  auto offs = py::cp_offsets(s);
  int64_t n = static_cast<int64_t>(offs.size()) - 1;
  auto norm = [&](const std::optional<Value>& v, int64_t dflt) {
    if (!v || v->is_none()) return dflt;
    if (!v->is_int() && !v->is_bool()) fail("slice indices must be integers or None");
    int64_t i = v->as_int();
    if (i < 0) i += n;
    return std::clamp<int64_t>(i, 0, n);
  };
  int64_t b = norm(start, 0), e = norm(end, n);
  if (e < b) e = b;
  return {offs[b], offs[e]};
}

std::vector<std::string_view> affixes(const Value& v, std::string_view fn) {
  std::vector<std::string_view> out;
  if (v.is_string()) {
    out.push_back(v.str());
  } else if (v.is_list() && v.is_tuple()) {
    for (const auto& item : v.items()) out.push_back(need_str(item, fn).str());
  } else {
    fail(std::string(fn) + " first arg must be str or a tuple of str, not " + v.type_name());
  }
  return out;
}

Value split(const Value& self, const std::optional<Value>& sep_v, const std::optional<Value>& max_v, bool from_right) {
  const Text& t = self.text();
  std::string_view s = t.s;
  int64_t maxsplit = max_v && !max_v->is_none() ? max_v->as_int() : -1;
  std::vector<std::pair<size_t, size_t>> parts;
  if (!sep_v || sep_v->is_none()) {
    // Runs of whitespace separate; empty strings never appear.
    auto is_ws_at = [&](size_t i, size_t& next) { next = i; return py::is_space(py::next_cp(s, next)); };
    if (!from_right) {
      size_t i = 0, next;
      while (true) {
        while (i < s.size() && is_ws_at(i, next)) i = next;
        if (i >= s.size()) break;
        if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
          auto r = py::strip_range(s.substr(i), nullptr, false, true);
          parts.emplace_back(i, i + r.second);
          break;
        }
        size_t b = i;
        while (i < s.size() && !is_ws_at(i, next)) i = next;
        parts.emplace_back(b, i);
      }
    } else {
      auto offs = py::cp_offsets(s);
      int64_t k = static_cast<int64_t>(offs.size()) - 1;   // code point index, scanning left
      auto ws = [&](int64_t c) { size_t j = offs[c]; return py::is_space(py::next_cp(s, j)); };
      while (true) {
        while (k > 0 && ws(k - 1)) --k;
        if (k == 0) break;
        if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
          auto r = py::strip_range(s.substr(0, offs[k]), nullptr, true, false);
          parts.emplace_back(r.first, offs[k]);
          break;
        }
        int64_t e = k;
        while (k > 0 && !ws(k - 1)) --k;
        parts.emplace_back(offs[k], offs[e]);
      }
      std::reverse(parts.begin(), parts.end());
    }
  } else {
    std::string_view sep = need_str(sep_v, "split").str();
    if (sep.empty()) fail("empty separator");
    if (!from_right) {
      size_t b = 0;
      while (true) {
        size_t f = maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit ? std::string_view::npos : s.find(sep, b);
        if (f == std::string_view::npos) {
          parts.emplace_back(b, s.size());
          break;
        }
        parts.emplace_back(b, f);
        b = f + sep.size();
      }
    } else {
      size_t e = s.size();
      while (true) {
        size_t f = std::string_view::npos;
        if (!(maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) && e >= sep.size())
          f = s.rfind(sep, e - sep.size());
        if (f == std::string_view::npos) {
          parts.emplace_back(0, e);
          break;
        }
        parts.emplace_back(f + sep.size(), e);
        e = f;
      }
      std::reverse(parts.begin(), parts.end());
    }
  }
  std::vector<Value> out;
  out.reserve(parts.size());
  for (auto [b, e] : parts) out.push_back(Value::string(t.slice(b, e)));
  return Value::list(std::move(out));
}

Value splitlines(const Value& self, bool keepends) {
  const Text& t = self.text();
  std::string_view s = t.s;
  std::vector<Value> out;
  size_t b = 0, i = 0;
  while (i < s.size()) {
    size_t j = i;
    char32_t cp = py::next_cp(s, j);
    bool brk = cp == '\n' || cp == '\r' || cp == 0x0B || cp == 0x0C || cp == 0x1C || cp == 0x1D || cp == 0x1E ||
               cp == 0x85 || cp == 0x2028 || cp == 0x2029;
    if (!brk) {
      i = j;
      continue;
    }
    if (cp == '\r' && j < s.size() && s[j] == '\n') ++j;
    out.push_back(Value::string(t.slice(b, keepends ? j : i)));
    b = i = j;
  }
  if (b < s.size()) out.push_back(Value::string(t.slice(b, s.size())));
  return Value::list(std::move(out));
}

Value replace(Interp& in, const Value& self, const Value& old_v, const Value& new_v, int64_t count) {
  const Text& t = self.text();
  std::string_view s = t.s, old = old_v.str();
  Text out;
  size_t b = 0;
  int64_t done = 0;
  if (old.empty()) {   // Python inserts `new` between every character (and at both ends)
    for (size_t i = 0; i <= s.size() && (count < 0 || done < count);) {
      out.append_slice(t, b, i);
      out.append(new_v.text());
      in.check_string_size(out.s.size());
      ++done;
      b = i;
      if (i == s.size()) break;
      py::next_cp(s, i);
    }
    out.append_slice(t, b, s.size());
    return Value::string(std::move(out));
  }
  while (count < 0 || done < count) {
    size_t f = s.find(old, b);
    if (f == std::string_view::npos) break;
    out.append_slice(t, b, f);
    out.append(new_v.text());
    in.check_string_size(out.s.size());
    b = f + old.size();
    ++done;
  }
  out.append_slice(t, b, s.size());
  in.check_string_size(out.s.size());
  return Value::string(std::move(out));
}

// s.center/ljust/rjust(width, fill): padding is written with the fill character's provenance.
Value pad(Interp& in, const Value& self, const std::optional<Value>& width_v, const std::optional<Value>& fill_v, int align) {
  if (!width_v || !(width_v->is_int() || width_v->is_bool())) fail("pad width must be an integer");
  int64_t width = width_v->as_int();
  Text fill(" ");
  if (fill_v) {
    if (!fill_v->is_string() || py::length(fill_v->str()) != 1) fail("The fill character must be exactly one character long");
    fill = fill_v->text();
  }
  int64_t len = static_cast<int64_t>(py::length(self.str()));
  if (width <= len) return self;
  int64_t total = width - len;
  in.check_string_size(self.str().size() + static_cast<size_t>(total) * fill.s.size());
  // Python's center puts the extra space on the right unless the length and width are both odd.
  int64_t left = align < 0 ? 0 : align > 0 ? total : total / 2 + (total & width & 1);
  Text out;
  for (int64_t i = 0; i < left; ++i) out.append(fill);
  out.append(self.text());
  for (int64_t i = left; i < total; ++i) out.append(fill);
  return Value::string(std::move(out));
}

Value partition(const Value& self, const Value& sep_v, bool from_right) {
  const Text& t = self.text();
  std::string_view s = t.s, sep = sep_v.str();
  if (sep.empty()) fail("empty separator");
  size_t f = from_right ? s.rfind(sep) : s.find(sep);
  std::vector<Value> out;
  if (f == std::string_view::npos) {
    Value empty = Value::string("");
    out = from_right ? std::vector<Value>{empty, empty, self} : std::vector<Value>{self, empty, empty};
  } else {
    out = {Value::string(t.slice(0, f)), Value::string(t.slice(f, f + sep.size())),
           Value::string(t.slice(f + sep.size(), s.size()))};
  }
  return Value::list(std::move(out), true);
}

bool all_cps(std::string_view s, bool (*pred)(char32_t)) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size();)
    if (!pred(py::next_cp(s, i))) return false;
  return true;
}

Value str_method(Interp& in, const Value& self, std::string_view name, CallArgs& a) {
  const Text& t = self.text();
  std::string_view s = t.s;
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    auto args = bind_args(a, {"chars"}, name);
    std::string_view chars;
    const std::string_view* cp = nullptr;
    if (args[0] && !args[0]->is_none()) {
      chars = need_str(args[0], name).str();
      cp = &chars;
    }
    auto [b, e] = py::strip_range(s, cp, name != "rstrip", name != "lstrip");
    return Value::string(t.slice(b, e));
  }
  if (name == "split" || name == "rsplit") {
    auto args = bind_args(a, {"sep", "maxsplit"}, name);
    return split(self, args[0], args[1], name == "rsplit");
  }
  if (name == "startswith" || name == "endswith") {
    auto args = bind_args(a, {"prefix", "start", "end"}, name);
    if (!args[0]) fail(std::string(name) + "() takes at least 1 argument (0 given)");
    auto [b, e] = sub_range(s, args[1], args[2]);
    std::string_view sub = s.substr(b, e - b);
    for (std::string_view x : affixes(*args[0], name)) {
      if (name == "startswith" ? sub.substr(0, x.size()) == x
                               : sub.size() >= x.size() && sub.substr(sub.size() - x.size()) == x)
        return Value::boolean(true);
    }
    return Value::boolean(false);
  }
  if (name == "upper" || name == "lower" || name == "title" || name == "capitalize" || name == "casefold" ||
      name == "swapcase") {
    bind_args(a, {}, name);
    if (name == "upper") return recase(self, py::upper(s));
    if (name == "lower" || name == "casefold") return recase(self, py::lower(s));
    if (name == "title") return recase(self, py::title(s));
    if (name == "capitalize") return recase(self, py::capitalize(s));
    std::string out;
    for (size_t i = 0; i < s.size();) {
      char32_t cp = py::next_cp(s, i);
      py::append_utf8(out, py::is_upper(cp) ? py::to_lower_cp(cp) : py::to_upper_cp(cp));
    }
    return recase(self, std::move(out));
  }
  if (name == "replace") {
    auto args = bind_args(a, {"old", "new", "count"}, name);
    const Value& old_v = need_str(args[0], name);
    const Value& new_v = need_str(args[1], name);
    int64_t count = args[2] && !args[2]->is_none() ? args[2]->as_int() : -1;
    return replace(in, self, old_v, new_v, count);
  }
  if (name == "find" || name == "rfind" || name == "index" || name == "rindex" || name == "count") {
    auto args = bind_args(a, {"sub", "start", "end"}, name);
    std::string_view sub = need_str(args[0], name).str();
    auto [b, e] = sub_range(s, args[1], args[2]);
    std::string_view hay = s.substr(b, e - b);
    if (name == "count") {
      if (sub.empty()) return Value::integer(static_cast<int64_t>(py::length(hay)) + 1);
      int64_t n = 0;
      for (size_t f = hay.find(sub); f != std::string_view::npos; f = hay.find(sub, f + sub.size())) ++n;
      return Value::integer(n);
    }
    size_t f = name[0] == 'r' ? hay.rfind(sub) : hay.find(sub);
    if (f == std::string_view::npos) {
      if (name == "index" || name == "rindex") fail("substring not found");
      return Value::integer(-1);
    }
    return Value::integer(cp_index(s, b + f));
  }
  if (name == "format") return Value::string(brace_format(in, self, a));
  if (name == "join") {
    auto args = bind_args(a, {"iterable"}, name);
    if (!args[0]) fail("join() takes exactly one argument (0 given)");
    std::vector<Value> items = iterate(*args[0]);
    Text out;
    for (size_t i = 0; i < items.size(); ++i) {
      if (!items[i].is_string())
        fail("sequence item " + std::to_string(i) + ": expected str instance, " + items[i].type_name() + " found");
      if (i) out.append(t);
      out.append(items[i].text());
      in.check_string_size(out.s.size());
    }
    return Value::string(std::move(out));
  }
  if (name == "splitlines") {
    auto args = bind_args(a, {"keepends"}, name);
    return splitlines(self, args[0] && args[0]->truthy());
  }
  if (name == "isdigit" || name == "isnumeric" || name == "isdecimal") {
    bind_args(a, {}, name);
    return Value::boolean(all_cps(s, py::is_digit));
  }
  if (name == "isalpha") return Value::boolean(all_cps(s, py::is_alpha));
  if (name == "isalnum") return Value::boolean(all_cps(s, [](char32_t c) { return py::is_alpha(c) || py::is_digit(c); }));
  if (name == "isspace") return Value::boolean(all_cps(s, py::is_space));
  if (name == "isupper" || name == "islower") {
    bool any_cased = false, ok = true;
    for (size_t i = 0; i < s.size();) {
      char32_t cp = py::next_cp(s, i);
      if (py::is_upper(cp)) {
        any_cased = true;
        if (name == "islower") ok = false;
      } else if (py::is_lower(cp)) {
        any_cased = true;
        if (name == "isupper") ok = false;
      }
    }
    return Value::boolean(any_cased && ok);
  }
  if (name == "center" || name == "ljust" || name == "rjust") {
    auto args = bind_args(a, {"width", "fillchar"}, name);
    return pad(in, self, args[0], args[1], name == "center" ? 0 : name == "ljust" ? -1 : 1);
  }
  if (name == "zfill") {
    auto args = bind_args(a, {"width"}, name);
    if (!args[0] || !args[0]->is_int()) fail("zfill() argument must be an integer");
    int64_t len = static_cast<int64_t>(py::length(s));
    if (args[0]->as_int() <= len) return self;
    int64_t zeros = args[0]->as_int() - len;
    in.check_string_size(s.size() + static_cast<size_t>(zeros));
    size_t sign = !s.empty() && (s[0] == '+' || s[0] == '-') ? 1 : 0;
    Text out = t.slice(0, sign);
    out.append(std::string(static_cast<size_t>(zeros), '0'), false);
    out.append_slice(t, sign, s.size());
    return Value::string(std::move(out));
  }
  if (name == "partition" || name == "rpartition") {
    auto args = bind_args(a, {"sep"}, name);
    return partition(self, need_str(args[0], name), name == "rpartition");
  }
  if (name == "removeprefix" || name == "removesuffix") {
    auto args = bind_args(a, {"affix"}, name);
    std::string_view x = need_str(args[0], name).str();
    if (name == "removeprefix" && s.substr(0, x.size()) == x) return Value::string(t.slice(x.size(), s.size()));
    if (name == "removesuffix" && !x.empty() && s.size() >= x.size() && s.substr(s.size() - x.size()) == x)
      return Value::string(t.slice(0, s.size() - x.size()));
    return self;
  }
  fail("'str' object has no attribute '" + std::string(name) + "'");
}

}  // namespace

bool has_method(const Value& self, std::string_view name) {
  if (self.is_string()) return in(kStrMethods, name) && name != "encode";
  if (self.is_list()) return in(kListMethods, name);
  if (self.is_dict()) return in(kDictMethods, name);
  return false;
}

bool is_unsafe_method(const Value& self, std::string_view name) {
  if (!name.empty() && name[0] == '_') return self.is_string() || self.is_list() || self.is_dict();
  if (self.is_list()) return in(kUnsafeList, name);
  if (self.is_dict()) return in(kUnsafeDict, name);
  return false;
}

std::optional<Value> call_method(Interp& in, const Value& self, std::string_view name, CallArgs& a) {
  if (is_unsafe_method(self, name))
    fail("access to attribute '" + std::string(name) + "' of '" + self.type_name() + "' object is unsafe.");
  if (!has_method(self, name)) return std::nullopt;
  if (self.is_string()) return str_method(in, self, name, a);
  if (self.is_list()) {
    if (name == "copy") return Value::list(self.items(), self.is_tuple());
    auto args = bind_args(a, {"value"}, name);
    if (!args[0]) fail(std::string(name) + "() takes exactly one argument (0 given)");
    int64_t n = 0;
    for (size_t i = 0; i < self.items().size(); ++i) {
      if (!values_equal(self.items()[i], *args[0])) continue;
      if (name == "index") return Value::integer(static_cast<int64_t>(i));
      ++n;
    }
    if (name == "index") fail(repr(*args[0]) + " is not in list");
    return Value::integer(n);
  }
  // dict
  if (name == "get") {
    auto args = bind_args(a, {"key", "default"}, name);
    if (!args[0]) fail("get expected at least 1 argument, got 0");
    const Value* v = self.dict().find(*args[0]);
    return v ? *v : args[1] ? *args[1] : Value::none();
  }
  bind_args(a, {}, name);
  if (name == "copy") return Value::dict(self.dict().items);
  std::vector<Value> out;
  out.reserve(self.dict().items.size());
  for (const auto& [k, v] : self.dict().items) {
    if (name == "items") {
      out.push_back(Value::list({k, v}, true));
    } else {
      out.push_back(name == "keys" ? k : v);
    }
  }
  return Value::list(std::move(out));
}

}  // namespace gemma3::jinja
