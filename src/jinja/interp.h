// Interp: one render of a template. Walks the syntax tree, keeps the scopes, the output buffers
// (with provenance) and the Limits counters. Created per render, so it needs no locking; the tree
// and the input values it reads are immutable and shared.
//
// Scoping follows Jinja: {% if %} shares its scope; each for-loop iteration, macro call, {% with %}
// and call block gets a fresh child scope (assignments inside do not leak out; namespace() is how
// templates carry state out of loops); macros see the scope they were defined in, live.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jinja/ast.h"
#include "jinja/error.h"
#include "jinja/template.h"
#include "jinja/value.h"

namespace gemma3::jinja {

struct Scope {
  std::vector<std::pair<std::string, Value>> vars;
  std::shared_ptr<Scope> parent;
  const Value* find(std::string_view name) const;
  void set(const std::string& name, Value v);
};

class Interp {
 public:
  Interp(const std::map<std::string, Value>& globals, const Limits& limits);
  ~Interp();

  // Renders the template's root node.
  Text render(const Node& root);

  // ---- services for filters, tests, methods and globals
  Value call(const Value& callee, CallArgs& args);
  Value filter(std::string_view name, const Value& input, CallArgs& args);
  bool test(std::string_view name, const Value& v, CallArgs& args);
  Value get_attr(const Value& obj, std::string_view name);
  Value get_item(const Value& obj, const Value& key);
  // Evaluates `n` with `scope` as the current scope.
  Value eval_in(const Node& n, std::shared_ptr<Scope> scope);
  // Renders `body` in a fresh child of `scope` with `vars` set, returning its output.
  Text render_body(const Body& body, std::shared_ptr<Scope> scope, std::vector<std::pair<std::string, Value>> vars);

  // Limit checks (each throws a RenderError of kind kLimit naming the limit).
  void check_string_size(size_t bytes) const;
  void check_items(size_t n) const;
  void count_iteration();
  void enter_call();
  void leave_call() { --call_depth_; }
  const Limits& limits() const { return limits_; }
  // Registers a namespace() object so the end of the render can break reference cycles.
  void track(std::shared_ptr<Object> ns) { namespaces_.push_back(std::move(ns)); }

 private:
  void exec_body(const Body& body);
  void exec(const Node& n);
  Value eval(const Node& n);
  Value eval_call(const Node& n);
  void exec_for(const Node& n);
  void exec_set(const Node& n, Value v);
  Value lookup(const std::string& name) const;
  CallArgs eval_args(const Node& n, size_t first);
  void emit(const Text& t);
  void check_time();

  const std::map<std::string, Value>& globals_;
  Limits limits_;
  std::shared_ptr<Scope> scope_;
  Text* out_ = nullptr;
  int call_depth_ = 0;
  int eval_depth_ = 0;
  int64_t iterations_ = 0;
  std::chrono::steady_clock::time_point deadline_;
  const Value* filter_input_ = nullptr;   // the body value inside {% filter %} / block set
  std::vector<std::shared_ptr<Object>> namespaces_;

  // Loop control, set by {% break %} / {% continue %} and consumed by the innermost for.
  enum class Flow { kNormal, kBreak, kContinue };
  Flow flow_ = Flow::kNormal;

 public:
  int current_line = 0;   // line of the node being evaluated, for error messages
};

// Interp's error for a limit: "<limit> exceeded (<detail>)".
[[noreturn]] void limit_error(std::string what);

}  // namespace gemma3::jinja
