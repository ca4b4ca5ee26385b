// Global functions (range, namespace, dict, raise_exception, strftime_now, cycler, joiner), the
// loop and namespace objects, bound methods, and the iteration/len/in protocol.
#include <cmath>
#include <ctime>
#include <functional>
#include <map>
#include <memory>

#include "jinja/builtins.h"
#include "jinja/pystr.h"

namespace gemma3::jinja {
namespace {

using Fn = std::function<Value(Interp&, CallArgs&)>;

struct BuiltinFn final : Object {
  std::string name;
  Fn fn;
  BuiltinFn(std::string n, Fn f) : name(std::move(n)), fn(std::move(f)) {}
  std::string type_name() const override { return "builtin_function_or_method"; }
  bool callable() const override { return true; }
  std::string repr() const override { return "<built-in function " + name + ">"; }
  Value call(Interp& in, CallArgs& args) const override { return fn(in, args); }
};

Value function(std::string name, Fn fn) { return Value::object(std::make_shared<BuiltinFn>(std::move(name), std::move(fn))); }

struct BoundMethod final : Object {
  Value self;
  std::string name;
  std::string type_name() const override { return "builtin_function_or_method"; }
  bool callable() const override { return true; }
  std::string repr() const override {
    return "<built-in method " + name + " of " + self.type_name() + " object>";
  }
  Value call(Interp& in, CallArgs& args) const override { return *call_method(in, self, name, args); }
};

// namespace(): the one mutable object; created per render.
struct NamespaceObj final : Object {
  mutable std::vector<std::pair<std::string, Value>> attrs;
  std::string type_name() const override { return "Namespace"; }
  std::optional<Value> get_attr(std::string_view name) const override {
    for (const auto& [k, v] : attrs)
      if (k == name) return v;
    return std::nullopt;
  }
  // Contents are not printed: a namespace may contain itself.
  std::string repr() const override { return "<Namespace>"; }
};

struct Cycler final : Object, std::enable_shared_from_this<Cycler> {
  std::vector<Value> items;
  mutable size_t pos = 0;
  std::string type_name() const override { return "Cycler"; }
  std::optional<Value> get_attr(std::string_view name) const override {
    if (name == "current") return items[pos];
    if (name == "next") {
      auto self = shared_from_this();   // the bound function keeps the cycler alive
      return function("next", [self](Interp&, CallArgs&) {
        Value v = self->items[self->pos];
        self->pos = (self->pos + 1) % self->items.size();
        return v;
      });
    }
    if (name == "reset") {
      auto self = shared_from_this();
      return function("reset", [self](Interp&, CallArgs&) {
        self->pos = 0;
        return Value::none();
      });
    }
    return std::nullopt;
  }
};

struct Joiner final : Object {
  Value sep;
  mutable bool used = false;
  std::string type_name() const override { return "Joiner"; }
  bool callable() const override { return true; }
  Value call(Interp&, CallArgs&) const override {
    if (!used) {
      used = true;
      return Value::string("");
    }
    return sep;
  }
};

int64_t int_arg(const Value& v, std::string_view fn) {
  if (v.is_int() || v.is_bool()) return v.as_int();
  fail("'" + v.type_name() + "' object cannot be interpreted as an integer (in " + std::string(fn) + ")");
}

Value range_fn(Interp& in, CallArgs& a) {
  if (!a.kw.empty()) fail("range() takes no keyword arguments");
  if (a.pos.empty() || a.pos.size() > 3) fail("range expected 1 to 3 arguments, got " + std::to_string(a.pos.size()));
  int64_t start = 0, stop, step = 1;
  if (a.pos.size() == 1) {
    stop = int_arg(a.pos[0], "range");
  } else {
    start = int_arg(a.pos[0], "range");
    stop = int_arg(a.pos[1], "range");
    if (a.pos.size() == 3) step = int_arg(a.pos[2], "range");
  }
  if (step == 0) fail("range() arg 3 must not be zero");
  // The length computed in long double: the bounds may be anywhere in int64.
  long double span = step > 0 ? (long double)stop - start : (long double)start - stop;
  long double len = span <= 0 ? 0 : std::ceil(span / (step > 0 ? step : -(long double)step));
  // The sandbox's safe_range refuses more than MAX_RANGE (100,000) items.
  if (len > 100000) fail("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
  std::vector<Value> items;
  items.reserve(static_cast<size_t>(len));
  for (int64_t i = 0; i < static_cast<int64_t>(len); ++i) items.push_back(Value::integer(start + i * step));
  (void)in;
  return Value::list(std::move(items));
}

Value dict_fn(Interp&, CallArgs& a) {
  std::vector<std::pair<Value, Value>> items;
  auto put = [&](Value k, Value v) {
    for (auto& [ek, ev] : items)
      if (values_equal(ek, k)) {
        ev = std::move(v);
        return;
      }
    items.emplace_back(std::move(k), std::move(v));
  };
  if (a.pos.size() > 1) fail("dict expected at most 1 argument, got " + std::to_string(a.pos.size()));
  if (!a.pos.empty()) {
    const Value& src = a.pos[0];
    if (src.is_dict()) {
      for (const auto& [k, v] : src.dict().items) put(k, v);
    } else {
      for (const Value& pair : iterate(src)) {
        auto kv = iterate(pair);
        if (kv.size() != 2) fail("dictionary update sequence element has length " + std::to_string(kv.size()) + "; 2 is required");
        put(kv[0], kv[1]);
      }
    }
  }
  for (auto& [k, v] : a.kw) put(Value::string(k), v);
  return Value::dict(std::move(items));
}

Value strftime_now(Interp&, CallArgs& a) {
  auto args = bind_args(a, {"format"}, "strftime_now");
  if (!args[0] || !args[0]->is_string()) fail("strftime_now() expects a format string");
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  std::string fmt(args[0]->str());
  std::string out(256 + fmt.size() * 8, '\0');
  size_t n = fmt.empty() ? 0 : std::strftime(out.data(), out.size(), fmt.c_str(), &tm);
  out.resize(n);
  return Value::string(std::move(out), args[0]->text().any_untrusted());
}

const std::map<std::string, Value, std::less<>>& globals_table() {
  static const auto* table = new std::map<std::string, Value, std::less<>>{
      {"range", function("range", range_fn)},
      {"dict", function("dict", dict_fn)},
      {"namespace", function("namespace", make_namespace)},
      {"raise_exception", function("raise_exception",
                                   [](Interp&, CallArgs& a) -> Value {
                                     auto args = bind_args(a, {"message"}, "raise_exception");
                                     throw RenderError{args[0] ? to_str(*args[0]) : std::string(),
                                                       RenderError::Source::kRaiseException, 0};
                                   })},
      {"strftime_now", function("strftime_now", strftime_now)},
      {"cycler", function("cycler",
                          [](Interp&, CallArgs& a) {
                            if (a.pos.empty()) fail("cycler() needs at least one item");
                            auto c = std::make_shared<Cycler>();
                            c->items = a.pos;
                            return Value::object(c);
                          })},
      {"joiner", function("joiner", [](Interp&, CallArgs& a) {
         auto args = bind_args(a, {"sep"}, "joiner");
         auto j = std::make_shared<Joiner>();
         j->sep = args[0] ? *args[0] : Value::string(", ");
         return Value::object(j);
       })},
  };
  return *table;
}

}  // namespace

struct LoopState {
  std::shared_ptr<const std::vector<Value>> items;
  int depth = 1;
  Value last_changed;   // loop.changed()'s memory (per render: a loop state lives in one render)
  bool changed_called = false;
};

namespace {

struct LoopObj final : Object {
  std::shared_ptr<LoopState> state;
  size_t index;
  std::string type_name() const override { return "LoopContext"; }
  std::string repr() const override {
    return "<LoopContext " + std::to_string(index + 1) + "/" + std::to_string(state->items->size()) + ">";
  }
  std::optional<Value> get_attr(std::string_view name) const override {
    const auto& items = *state->items;
    int64_t n = static_cast<int64_t>(items.size()), i = static_cast<int64_t>(index);
    if (name == "index") return Value::integer(i + 1);
    if (name == "index0") return Value::integer(i);
    if (name == "revindex") return Value::integer(n - i);
    if (name == "revindex0") return Value::integer(n - i - 1);
    if (name == "first") return Value::boolean(i == 0);
    if (name == "last") return Value::boolean(i == n - 1);
    if (name == "length") return Value::integer(n);
    if (name == "depth") return Value::integer(state->depth);
    if (name == "depth0") return Value::integer(state->depth - 1);
    if (name == "previtem") return i > 0 ? items[i - 1] : Value::undefined("there is no previous item");
    if (name == "nextitem") return i + 1 < n ? items[i + 1] : Value::undefined("there is no next item");
    if (name == "cycle") {
      size_t idx = index;
      return function("cycle", [idx](Interp&, CallArgs& a) {
        if (a.pos.empty()) fail("no items for cycling given");
        return a.pos[idx % a.pos.size()];
      });
    }
    if (name == "changed") {
      auto st = state;
      return function("changed", [st](Interp&, CallArgs& a) {
        Value now = Value::list(a.pos);
        if (st->changed_called && values_equal(now, st->last_changed)) return Value::boolean(false);
        st->changed_called = true;
        st->last_changed = now;
        return Value::boolean(true);
      });
    }
    return std::nullopt;
  }
};

}  // namespace

std::shared_ptr<LoopState> make_loop_state(std::shared_ptr<const std::vector<Value>> items, int depth) {
  auto st = std::make_shared<LoopState>();
  st->items = std::move(items);
  st->depth = depth;
  return st;
}

Value make_loop(const std::shared_ptr<LoopState>& state, size_t index) {
  auto obj = std::make_shared<LoopObj>();
  obj->state = state;
  obj->index = index;
  return Value::object(std::move(obj));
}

Value bound_method(const Value& self, std::string_view name) {
  auto m = std::make_shared<BoundMethod>();
  m->self = self;
  m->name = std::string(name);
  return Value::object(std::move(m));
}

Value make_namespace(Interp& in, CallArgs& a) {
  auto ns = std::make_shared<NamespaceObj>();
  if (a.pos.size() > 1) fail("namespace() takes at most one positional argument");
  auto set = [&](const std::string& k, const Value& v) {
    for (auto& [ek, ev] : ns->attrs)
      if (ek == k) {
        ev = v;
        return;
      }
    ns->attrs.emplace_back(k, v);
  };
  if (!a.pos.empty()) {
    if (!a.pos[0].is_dict()) fail("namespace() expects a dict as its positional argument");
    for (const auto& [k, v] : a.pos[0].dict().items) set(to_str(k), v);
  }
  for (auto& [k, v] : a.kw) set(k, v);
  in.track(ns);
  return Value::object(std::move(ns));
}

void namespace_set(const Value& target, const std::string& attr, Value v) {
  auto* ns = target.is_object() ? dynamic_cast<const NamespaceObj*>(&target.obj()) : nullptr;
  if (!ns) fail("cannot assign attribute on non-namespace object");
  for (auto& [k, old] : ns->attrs) {
    if (k == attr) {
      old = std::move(v);
      return;
    }
  }
  ns->attrs.emplace_back(attr, std::move(v));
}

void namespace_clear(Object& ns) {
  if (auto* n = dynamic_cast<NamespaceObj*>(&ns)) {
    auto attrs = std::move(n->attrs);
    n->attrs.clear();
  }
}

const Value* builtin_global(std::string_view name) {
  const auto& table = globals_table();
  auto it = table.find(name);
  return it == table.end() ? nullptr : &it->second;
}

std::vector<std::optional<Value>> bind_args(const CallArgs& args, std::initializer_list<std::string_view> names,
                                            std::string_view fn) {
  std::vector<std::optional<Value>> out(names.size());
  if (args.pos.size() > names.size())
    fail(std::string(fn) + "() takes at most " + std::to_string(names.size()) + " arguments (" +
         std::to_string(args.pos.size()) + " given)");
  for (size_t i = 0; i < args.pos.size(); ++i) out[i] = args.pos[i];
  for (const auto& [k, v] : args.kw) {
    size_t i = 0;
    for (auto n : names) {
      if (n == k) break;
      ++i;
    }
    if (i == names.size()) fail(std::string(fn) + "() got an unexpected keyword argument '" + k + "'");
    if (out[i]) fail(std::string(fn) + "() got multiple values for argument '" + k + "'");
    out[i] = v;
  }
  return out;
}

std::vector<Value> iterate(const Value& v) {
  switch (v.kind()) {
    case Kind::Undefined: return {};
    case Kind::List: return v.items();
    case Kind::Dict: {
      std::vector<Value> keys;
      keys.reserve(v.dict().items.size());
      for (const auto& [k, val] : v.dict().items) keys.push_back(k);
      return keys;
    }
    case Kind::String: {
      std::vector<Value> chars;
      std::string_view s = v.str();
      for (size_t i = 0; i < s.size();) {
        size_t b = i;
        py::next_cp(s, i);
        chars.push_back(Value::string(v.text().slice(b, i)));
      }
      return chars;
    }
    default: fail("'" + v.type_name() + "' object is not iterable");
  }
}

int64_t length_of(const Value& v) {
  switch (v.kind()) {
    case Kind::Undefined: return 0;
    case Kind::String: return static_cast<int64_t>(py::length(v.str()));
    case Kind::List: return static_cast<int64_t>(v.items().size());
    case Kind::Dict: return static_cast<int64_t>(v.dict().items.size());
    default: fail("object of type '" + v.type_name() + "' has no len()");
  }
}

bool contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Kind::Undefined: return false;
    case Kind::String:
      if (!item.is_string()) fail("'in <string>' requires string as left operand, not " + item.type_name());
      return container.str().find(item.str()) != std::string_view::npos;
    case Kind::List:
      for (const auto& v : container.items())
        if (values_equal(v, item)) return true;
      return false;
    case Kind::Dict:
      if (item.is_list() && !item.is_tuple()) fail("unhashable type: 'list'");
      if (item.is_dict()) fail("unhashable type: 'dict'");
      return container.dict().find(item) != nullptr;
    default: fail("argument of type '" + container.type_name() + "' is not iterable");
  }
}

}  // namespace gemma3::jinja
