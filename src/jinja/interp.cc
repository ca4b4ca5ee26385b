#include "jinja/interp.h"

#include <cmath>

#include "jinja/builtins.h"
#include "jinja/operators.h"
#include "jinja/pystr.h"

namespace gemma3::jinja {
namespace {

// Total nesting of evaluation (expressions inside statements inside macro calls): bounds the C++
// stack a render may use, whatever the template does (each level costs a few hundred bytes).
constexpr int kMaxEvalDepth = 2000;

struct DepthGuard {
  int& depth;
  explicit DepthGuard(int& d) : depth(d) {
    if (++depth > kMaxEvalDepth) {
      --depth;
      limit_error("max_call_depth exceeded (template nests deeper than " + std::to_string(kMaxEvalDepth) +
                  " evaluation levels)");
    }
  }
  ~DepthGuard() { --depth; }
};

}  // namespace

[[noreturn]] void limit_error(std::string what) {
  throw RenderError{std::move(what), RenderError::Source::kLimit, 0};
}

const Value* Scope::find(std::string_view name) const {
  for (const Scope* s = this; s; s = s->parent.get())
    for (const auto& [k, v] : s->vars)
      if (k == name) return &v;
  return nullptr;
}

void Scope::set(const std::string& name, Value v) {
  for (auto& [k, old] : vars) {
    if (k == name) {
      old = std::move(v);
      return;
    }
  }
  vars.emplace_back(name, std::move(v));
}

// A macro, or the body of a {% call %} block given to the macro as `caller`.
struct MacroObj final : Object {
  std::string name;
  const std::vector<std::string>* params;
  std::vector<const Node*> defaults;   // aligned to the last parameters
  const Body* body;
  std::weak_ptr<Scope> scope;          // where it was defined (live)
  Value caller;                        // for a call block's macro call: set per call

  std::string type_name() const override { return "macro"; }
  bool callable() const override { return true; }
  std::string repr() const override { return "<Macro '" + name + "'>"; }

  Value call(Interp& in, CallArgs& args) const override {
    auto defining = scope.lock();
    if (!defining) fail("macro '" + name + "' called after the scope that defined it ended");
    in.enter_call();
    auto frame = std::make_shared<Scope>();
    frame->parent = defining;
    size_t n = params->size();
    if (args.pos.size() > n && !args.pos.empty()) {
      std::vector<Value> extra(args.pos.begin() + n, args.pos.end());
      frame->set("varargs", Value::list(std::move(extra), true));
    } else {
      frame->set("varargs", Value::list({}, true));
    }
    std::vector<std::pair<Value, Value>> extra_kw;
    Value caller_value;
    std::vector<bool> bound(n, false);
    for (size_t i = 0; i < n && i < args.pos.size(); ++i) {
      frame->set((*params)[i], args.pos[i]);
      bound[i] = true;
    }
    for (auto& [k, v] : args.kw) {
      size_t i = 0;
      while (i < n && (*params)[i] != k) ++i;
      if (i < n) {
        if (bound[i]) fail("macro '" + name + "' got multiple values for argument '" + k + "'");
        frame->set(k, v);
        bound[i] = true;
      } else if (k == "caller") {
        caller_value = v;
      } else {
        extra_kw.emplace_back(Value::string(k), v);
      }
    }
    frame->set("kwargs", Value::dict(std::move(extra_kw)));
    if (!caller_value.is_undefined()) frame->set("caller", caller_value);
    size_t first_default = n - defaults.size();
    for (size_t i = 0; i < n; ++i) {
      if (bound[i]) continue;
      if (i >= first_default) {
        // Defaults are evaluated at call time, in the macro's frame (they may use earlier params).
        Value v = in.eval_in(*defaults[i - first_default], frame);
        frame->set((*params)[i], std::move(v));
      } else {
        frame->set((*params)[i], Value::undefined("parameter '" + (*params)[i] + "' was not provided"));
      }
    }
    Text out = in.render_body(*body, frame, {});
    in.leave_call();
    return Value::string(std::move(out));
  }
};

Interp::Interp(const std::map<std::string, Value>& globals, const Limits& limits)
    : globals_(globals), limits_(limits), scope_(std::make_shared<Scope>()) {
  deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(limits.max_time_ms);
}

Interp::~Interp() {
  // namespace() objects may reference each other (or themselves): clear them so the cycle frees.
  for (auto& ns : namespaces_) namespace_clear(*ns);
}

Text Interp::render(const Node& root) {
  Text out;
  out_ = &out;
  exec_body(root.bodies[0]);
  out_ = nullptr;
  return out;
}

void Interp::check_string_size(size_t bytes) const {
  if (bytes > limits_.max_output_bytes)
    limit_error("max_output_bytes exceeded (a string of " + std::to_string(bytes) + " bytes, limit " +
                std::to_string(limits_.max_output_bytes) + ")");
}

void Interp::check_items(size_t n) const {
  if (n > limits_.max_items)
    limit_error("max_items exceeded (a list of " + std::to_string(n) + " items, limit " +
                std::to_string(limits_.max_items) + ")");
}

void Interp::check_time() {
  if (std::chrono::steady_clock::now() > deadline_)
    limit_error("max_time_ms exceeded (the render ran longer than " + std::to_string(limits_.max_time_ms) + " ms)");
}

void Interp::count_iteration() {
  if (++iterations_ > limits_.max_loop_iterations)
    limit_error("max_loop_iterations exceeded (more than " + std::to_string(limits_.max_loop_iterations) +
                " loop iterations)");
  if ((iterations_ & 255) == 0) check_time();
}

void Interp::enter_call() {
  if (++call_depth_ > limits_.max_call_depth) {
    call_depth_ = 0;
    limit_error("max_call_depth exceeded (more than " + std::to_string(limits_.max_call_depth) +
                " nested macro calls)");
  }
  check_time();
}

void Interp::emit(const Text& t) {
  check_string_size(out_->s.size() + t.s.size());
  out_->append(t);
}

Text Interp::render_body(const Body& body, std::shared_ptr<Scope> scope, std::vector<std::pair<std::string, Value>> vars) {
  auto child = std::make_shared<Scope>();
  child->parent = std::move(scope);
  for (auto& [k, v] : vars) child->set(k, std::move(v));
  Text out;
  Text* saved_out = out_;
  auto saved_scope = scope_;
  out_ = &out;
  scope_ = child;
  exec_body(body);
  out_ = saved_out;
  scope_ = saved_scope;
  flow_ = Flow::kNormal;
  return out;
}

Value Interp::eval_in(const Node& n, std::shared_ptr<Scope> scope) {
  auto saved = scope_;
  scope_ = std::move(scope);
  Value v = eval(n);
  scope_ = saved;
  return v;
}

void Interp::exec_body(const Body& body) {
  for (const auto& stmt : body) {
    exec(*stmt);
    if (flow_ != Flow::kNormal) return;
  }
}

Value Interp::lookup(const std::string& name) const {
  if (const Value* v = scope_->find(name)) return *v;
  if (auto it = globals_.find(name); it != globals_.end()) return it->second;
  if (const Value* v = builtin_global(name)) return *v;
  return Value::undefined("'" + name + "' is undefined");
}

CallArgs Interp::eval_args(const Node& n, size_t first) {
  CallArgs a;
  a.pos.reserve(n.args.size() - first);
  for (size_t i = first; i < n.args.size(); ++i) a.pos.push_back(eval(*n.args[i]));
  for (const auto& [k, v] : n.kwargs) a.kw.emplace_back(k, eval(*v));
  return a;
}

void Interp::exec(const Node& n) {
  DepthGuard guard(eval_depth_);
  current_line = n.line;
  switch (n.kind) {
    case NodeKind::Data: out_->append(n.value.str(), false); check_string_size(out_->s.size()); return;
    case NodeKind::Output: emit(to_text(eval(*n.args[0]))); return;
    case NodeKind::If:
      for (size_t i = 0; i < n.args.size(); ++i) {
        if (eval(*n.args[i]).truthy()) {
          exec_body(n.bodies[i]);
          return;
        }
      }
      if (n.flag) exec_body(n.bodies.back());
      return;
    case NodeKind::For: exec_for(n); return;
    case NodeKind::Set: exec_set(n, eval(*n.args[0])); return;
    case NodeKind::SetBlock: {
      Value body = Value::string(render_body(n.bodies[0], scope_, {}));
      if (n.args[0]) {
        const Value* saved = filter_input_;
        filter_input_ = &body;
        Value filtered = eval(*n.args[0]);
        filter_input_ = saved;
        body = filtered;
      }
      exec_set(n, std::move(body));
      return;
    }
    case NodeKind::Macro: {
      auto m = std::make_shared<MacroObj>();
      m->name = n.name;
      m->params = &n.names;
      for (const auto& d : n.args) m->defaults.push_back(d.get());
      m->body = &n.bodies[0];
      m->scope = scope_;
      scope_->set(n.name, Value::object(std::move(m)));
      return;
    }
    case NodeKind::CallBlock: {
      const Node& call = *n.args[0];
      auto caller = std::make_shared<MacroObj>();
      caller->name = "caller";
      caller->params = &n.names;
      for (size_t i = 1; i < n.args.size(); ++i) caller->defaults.push_back(n.args[i].get());
      caller->body = &n.bodies[0];
      caller->scope = scope_;
      Value callee = eval(*call.args[0]);
      CallArgs a = eval_args(call, 1);
      a.kw.emplace_back("caller", Value::object(caller));
      emit(to_text(this->call(callee, a)));
      return;
    }
    case NodeKind::FilterBlock: {
      Value body = Value::string(render_body(n.bodies[0], scope_, {}));
      const Value* saved = filter_input_;
      filter_input_ = &body;
      Value filtered = eval(*n.args[0]);
      filter_input_ = saved;
      emit(to_text(filtered));
      return;
    }
    case NodeKind::With: {
      std::vector<std::pair<std::string, Value>> vars;
      for (size_t i = 0; i < n.names.size(); ++i) vars.emplace_back(n.names[i], eval(*n.args[i]));
      emit(render_body(n.bodies[0], scope_, std::move(vars)));
      return;
    }
    case NodeKind::Break: flow_ = Flow::kBreak; return;
    case NodeKind::Continue: flow_ = Flow::kContinue; return;
    case NodeKind::Body: exec_body(n.bodies[0]); return;
    default: fail("internal error: expression used as a statement");
  }
}

// Binds loop / set targets: one name, or unpacking into several.
static void bind_targets(Scope& scope, const Node& n, const Value& v) {
  if (!n.flag) {
    scope.set(n.names[0], v);
    return;
  }
  std::vector<Value> parts = iterate(v);
  if (parts.size() != n.names.size())
    fail(parts.size() < n.names.size()
             ? "not enough values to unpack (expected " + std::to_string(n.names.size()) + ", got " + std::to_string(parts.size()) + ")"
             : "too many values to unpack (expected " + std::to_string(n.names.size()) + ")");
  for (size_t i = 0; i < parts.size(); ++i) scope.set(n.names[i], parts[i]);
}

void Interp::exec_set(const Node& n, Value v) {
  if (n.flag2) {   // {% set ns.attr = v %}
    namespace_set(lookup(n.names[0]), n.names[1], std::move(v));
    return;
  }
  bind_targets(*scope_, n, v);
}

void Interp::exec_for(const Node& n) {
  Value iterable = eval(*n.args[0]);
  auto items = std::make_shared<std::vector<Value>>(iterate(iterable));
  auto outer = scope_;
  if (n.args[1]) {   // {% for x in xs if cond %}: the filter sees the targets, not `loop`
    std::vector<Value> kept;
    for (auto& item : *items) {
      count_iteration();
      auto probe = std::make_shared<Scope>();
      probe->parent = outer;
      bind_targets(*probe, n, item);
      scope_ = probe;
      bool keep = eval(*n.args[1]).truthy();
      scope_ = outer;
      if (keep) kept.push_back(std::move(item));
    }
    *items = std::move(kept);
  }
  if (items->empty()) {
    exec_body(n.bodies[1]);
    return;
  }
  // loop.depth counts recursive-loop levels, and recursive loops are not supported: always 1.
  auto loop_state = make_loop_state(items, 1);
  for (size_t i = 0; i < items->size(); ++i) {
    count_iteration();
    auto frame = std::make_shared<Scope>();
    frame->parent = outer;
    bind_targets(*frame, n, (*items)[i]);
    frame->set("loop", make_loop(loop_state, i));
    scope_ = frame;
    exec_body(n.bodies[0]);
    scope_ = outer;
    if (flow_ == Flow::kBreak) {
      flow_ = Flow::kNormal;
      break;
    }
    flow_ = Flow::kNormal;
  }
}

Value Interp::eval(const Node& n) {
  DepthGuard guard(eval_depth_);
  current_line = n.line;
  switch (n.kind) {
    case NodeKind::Const: return n.value;
    case NodeKind::Name: return lookup(n.name);
    case NodeKind::ListLit: {
      std::vector<Value> items;
      items.reserve(n.args.size());
      for (const auto& a : n.args) items.push_back(eval(*a));
      return Value::list(std::move(items), n.flag);
    }
    case NodeKind::DictLit: {
      std::vector<std::pair<Value, Value>> items;
      for (size_t i = 0; i + 1 < n.args.size(); i += 2) {
        Value k = eval(*n.args[i]);
        Value v = eval(*n.args[i + 1]);
        bool replaced = false;
        for (auto& [ek, ev] : items) {
          if (values_equal(ek, k)) {
            ev = v;
            replaced = true;
            break;
          }
        }
        if (!replaced) items.emplace_back(std::move(k), std::move(v));
      }
      return Value::dict(std::move(items));
    }
    case NodeKind::GetAttr: return get_attr(eval(*n.args[0]), n.name);
    case NodeKind::GetItem: {
      Value obj = eval(*n.args[0]);
      return get_item(obj, eval(*n.args[1]));
    }
    case NodeKind::Slice: {
      Value obj = eval(*n.args[0]);
      Value start = n.args[1] ? eval(*n.args[1]) : Value::none();
      Value stop = n.args[2] ? eval(*n.args[2]) : Value::none();
      Value step = n.args[3] ? eval(*n.args[3]) : Value::none();
      return slice_value(obj, start, stop, step);
    }
    case NodeKind::Call: return eval_call(n);
    case NodeKind::Filter: {
      Value input = n.args[0] ? eval(*n.args[0]) : *filter_input_;
      CallArgs a = eval_args(n, 1);
      current_line = n.line;
      return apply_filter(*this, n.name, input, a);
    }
    case NodeKind::Test: {
      Value v = eval(*n.args[0]);
      CallArgs a = eval_args(n, 1);
      current_line = n.line;
      return Value::boolean(apply_test(*this, n.name, v, a) != n.flag);
    }
    case NodeKind::Unary: {
      Value v = eval(*n.args[0]);
      if (n.name == "not") return Value::boolean(!v.truthy());
      return unary_op(n.name, v);
    }
    case NodeKind::Binary: {
      if (n.name == "and") {
        Value a = eval(*n.args[0]);
        return a.truthy() ? eval(*n.args[1]) : a;
      }
      if (n.name == "or") {
        Value a = eval(*n.args[0]);
        return a.truthy() ? a : eval(*n.args[1]);
      }
      Value a = eval(*n.args[0]);
      Value b = eval(*n.args[1]);
      current_line = n.line;
      return binary_op(*this, n.name, a, b);
    }
    case NodeKind::Compare: {
      Value left = eval(*n.args[0]);
      for (size_t i = 0; i < n.names.size(); ++i) {
        Value right = eval(*n.args[i + 1]);
        current_line = n.line;
        if (!compare_op(n.names[i], left, right)) return Value::boolean(false);
        left = std::move(right);
      }
      return Value::boolean(true);
    }
    case NodeKind::CondExpr:
      if (eval(*n.args[0]).truthy()) return eval(*n.args[1]);
      return n.args[2] ? eval(*n.args[2]) : Value::undefined();
    default: fail("internal error: statement used as an expression");
  }
}

Value Interp::eval_call(const Node& n) {
  const Node& callee = *n.args[0];
  if (callee.kind == NodeKind::GetAttr) {
    Value obj = eval(*callee.args[0]);
    if (obj.is_string() || obj.is_list() || obj.is_dict()) {
      if (has_method(obj, callee.name) || is_unsafe_method(obj, callee.name)) {
        CallArgs a = eval_args(n, 1);
        current_line = n.line;
        return *call_method(*this, obj, callee.name, a);
      }
    }
    Value fn = get_attr(obj, callee.name);
    CallArgs a = eval_args(n, 1);
    current_line = n.line;
    return call(fn, a);
  }
  Value fn = eval(callee);
  CallArgs a = eval_args(n, 1);
  current_line = n.line;
  return call(fn, a);
}

Value Interp::call(const Value& callee, CallArgs& args) {
  if (callee.is_object() && callee.obj().callable()) return callee.obj().call(*this, args);
  if (callee.is_undefined()) {
    std::string_view hint = callee.undefined_hint();
    fail(hint.empty() ? std::string("'Undefined' object is not callable") : std::string(hint));
  }
  fail("'" + callee.type_name() + "' object is not callable");
}

Value Interp::filter(std::string_view name, const Value& input, CallArgs& args) {
  return apply_filter(*this, name, input, args);
}

bool Interp::test(std::string_view name, const Value& v, CallArgs& args) { return apply_test(*this, name, v, args); }

[[noreturn]] static void undefined_used(const Value& v) {
  std::string_view hint = v.undefined_hint();
  fail(hint.empty() ? std::string("undefined value used") : std::string(hint));
}

static std::string object_desc(const Value& v) {
  if (v.is_none()) return "'None'";
  return "'" + v.type_name() + " object'";
}

Value Interp::get_attr(const Value& obj, std::string_view name) {
  switch (obj.kind()) {
    case Kind::Undefined: undefined_used(obj);
    case Kind::Dict:
      if (has_method(obj, name)) return bound_method(obj, name);
      if (const Value* v = obj.dict().find(name)) return *v;
      break;
    case Kind::String:
    case Kind::List:
      if (has_method(obj, name)) return bound_method(obj, name);
      break;
    case Kind::Object:
      if (auto v = obj.obj().get_attr(name)) return *v;
      break;
    default: break;
  }
  if (is_unsafe_method(obj, name))
    return Value::undefined("access to attribute '" + std::string(name) + "' of '" + obj.type_name() + "' object is unsafe.");
  return Value::undefined(object_desc(obj) + " has no attribute '" + std::string(name) + "'");
}

Value Interp::get_item(const Value& obj, const Value& key) {
  switch (obj.kind()) {
    case Kind::Undefined: undefined_used(obj);
    case Kind::Dict:
      if (const Value* v = obj.dict().find(key)) return *v;
      break;
    case Kind::List:
      if (key.is_int() || key.is_bool()) {
        int64_t i = key.as_int();
        int64_t n = static_cast<int64_t>(obj.items().size());
        if (i < 0) i += n;
        if (i >= 0 && i < n) return obj.items()[i];
        return Value::undefined(object_desc(obj) + " has no element " + std::to_string(key.as_int()));
      }
      break;
    case Kind::String:
      if (key.is_int() || key.is_bool()) {
        Value r = slice_value(obj, key, Value::none(), Value::none(), true);
        if (!r.is_undefined()) return r;
        return Value::undefined(object_desc(obj) + " has no element " + std::to_string(key.as_int()));
      }
      break;
    default: break;
  }
  if (key.is_string()) return get_attr(obj, key.str());
  return Value::undefined(object_desc(obj) + " has no element " + repr(key));
}

}  // namespace gemma3::jinja
