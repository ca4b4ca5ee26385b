// The built-in library: filters (filters.cc), tests (tests.cc), Python methods of str/list/dict
// (methods.cc), globals and the loop / namespace objects (globals.cc), JSON (json.cc). Each entry
// follows Jinja 3.1 / Python 3 behaviour; provenance rules are noted where they are not "whole
// result untrusted if any input is".
#pragma once

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jinja/interp.h"
#include "jinja/value.h"

namespace gemma3::jinja {

// Binds Python-style arguments to `names` (positional first, then keywords). Missing ones are
// nullopt. Fails on too many positional arguments, unknown or repeated keywords.
std::vector<std::optional<Value>> bind_args(const CallArgs& args, std::initializer_list<std::string_view> names,
                                            std::string_view fn);

// Filter `name` applied to `input`; fails on an unknown filter.
Value apply_filter(Interp& in, std::string_view name, const Value& input, CallArgs& args);
bool filter_exists(std::string_view name);
// Test `name` of `v`; fails on an unknown test.
bool apply_test(Interp& in, std::string_view name, const Value& v, CallArgs& args);
bool test_exists(std::string_view name);

// Python method `name` of a str/list/dict value: the result, or nullopt when `self` has no such
// method. Mutating methods (list.append, dict.update, ...) fail with a SecurityError message.
std::optional<Value> call_method(Interp& in, const Value& self, std::string_view name, CallArgs& args);
// Whether `self.name` is a method (for attribute access without a call).
bool has_method(const Value& self, std::string_view name);
// Whether `self.name` is a mutating method the immutable sandbox refuses.
bool is_unsafe_method(const Value& self, std::string_view name);

// Built-in global `name` (range, namespace, dict, raise_exception, strftime_now, cycler, joiner),
// or nullptr.
const Value* builtin_global(std::string_view name);
// The state a for loop's `loop` objects share (the items, loop.changed()'s memory).
struct LoopState;
std::shared_ptr<LoopState> make_loop_state(std::shared_ptr<const std::vector<Value>> items, int depth);
// The `loop` object of iteration `index`.
Value make_loop(const std::shared_ptr<LoopState>& state, size_t index);
// `self.name` for a str/list/dict method, as a callable.
Value bound_method(const Value& self, std::string_view name);
// A namespace object, as namespace(...) builds it.
Value make_namespace(Interp& in, CallArgs& args);
// Sets an attribute of a namespace; fails when `target` is not a namespace.
void namespace_set(const Value& target, const std::string& attr, Value v);
// Drops a namespace's attributes (Interp does this at the end of a render to break cycles).
void namespace_clear(Object& ns);

// tojson as transformers defines it (json.dumps, ensure_ascii=False).
std::string to_json(Interp& in, const Value& v, const Value& indent, const Value& separators, bool sort_keys);

// Python's printf-style formatting: fmt % args.
Text percent_format(Interp& in, const Value& fmt, const Value& args);
// str.format(*args, **kwargs) for the replacement fields templates use.
Text brace_format(Interp& in, const Value& fmt, const CallArgs& args);

// Items a value yields when iterated (list items, dict keys, string characters). Undefined yields
// nothing; other kinds fail ("'int' object is not iterable").
std::vector<Value> iterate(const Value& v);
// len() of a str (code points), list or dict; fails for other kinds.
int64_t length_of(const Value& v);
// Python's `a in b`.
bool contains(const Value& container, const Value& item);

}  // namespace gemma3::jinja
