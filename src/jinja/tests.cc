// Jinja's built-in tests (`x is defined`, `n is divisibleby 3`, ...), Jinja 3.1 semantics.
#include <functional>
#include <map>

#include "jinja/builtins.h"
#include "jinja/operators.h"
#include "jinja/pystr.h"

namespace gemma3::jinja {
namespace {

using TestFn = bool (*)(Interp&, const Value&, CallArgs&);

const Value& one_arg(CallArgs& a, std::string_view test) {
  if (a.pos.size() != 1 || !a.kw.empty()) fail("test '" + std::string(test) + "' takes exactly one argument");
  return a.pos[0];
}

void no_args(CallArgs& a, std::string_view test) {
  if (!a.pos.empty() || !a.kw.empty()) fail("test '" + std::string(test) + "' takes no arguments");
}


#define G3_SIMPLE_TEST(fname, expr)                      \
  bool fname(Interp&, const Value& v, CallArgs& a) {     \
    no_args(a, #fname);                                  \
    return (expr);                                       \
  }

G3_SIMPLE_TEST(t_defined, !v.is_undefined())
G3_SIMPLE_TEST(t_undefined, v.is_undefined())
G3_SIMPLE_TEST(t_none, v.is_none())
G3_SIMPLE_TEST(t_boolean, v.is_bool())
G3_SIMPLE_TEST(t_false, v.is_bool() && !v.as_bool())
G3_SIMPLE_TEST(t_true, v.is_bool() && v.as_bool())
G3_SIMPLE_TEST(t_integer, v.is_int())
G3_SIMPLE_TEST(t_float, v.is_float())
G3_SIMPLE_TEST(t_number, v.is_number())
G3_SIMPLE_TEST(t_string, v.is_string())
G3_SIMPLE_TEST(t_mapping, v.is_dict())
G3_SIMPLE_TEST(t_iterable, v.is_undefined() || v.is_string() || v.is_list() || v.is_dict())
G3_SIMPLE_TEST(t_sequence, v.is_string() || v.is_list() || v.is_dict())
G3_SIMPLE_TEST(t_callable, v.is_undefined() || (v.is_object() && v.obj().callable()))   // Undefined has __call__
G3_SIMPLE_TEST(t_escaped, false)
#undef G3_SIMPLE_TEST

// value % 2 == 1 etc. with Python's %, so floats work too (2.5 is neither odd nor even).
Value py_mod(Interp& in, const Value& v, const Value& m, std::string_view test) {
  if (!v.is_number() || !m.is_number()) fail("test '" + std::string(test) + "' needs numbers, got " + v.type_name());
  return binary_op(in, "%", v, m);
}
bool t_odd(Interp& in, const Value& v, CallArgs& a) {
  no_args(a, "odd");
  return values_equal(py_mod(in, v, Value::integer(2), "odd"), Value::integer(1));
}
bool t_even(Interp& in, const Value& v, CallArgs& a) {
  no_args(a, "even");
  return values_equal(py_mod(in, v, Value::integer(2), "even"), Value::integer(0));
}
bool t_divisibleby(Interp& in, const Value& v, CallArgs& a) {
  return values_equal(py_mod(in, v, one_arg(a, "divisibleby"), "divisibleby"), Value::integer(0));
}
// str(value).islower() / .isupper(): at least one cased character, and no cased one of the other case.
bool t_lower(Interp& in, const Value& v, CallArgs& a) {
  no_args(a, "lower");
  CallArgs none;
  return call_method(in, Value::string(to_text(v)), "islower", none)->as_bool();
}
bool t_upper(Interp& in, const Value& v, CallArgs& a) {
  no_args(a, "upper");
  CallArgs none;
  return call_method(in, Value::string(to_text(v)), "isupper", none)->as_bool();
}
bool t_eq(Interp&, const Value& v, CallArgs& a) { return compare_op("==", v, one_arg(a, "eq")); }
bool t_ne(Interp&, const Value& v, CallArgs& a) { return compare_op("!=", v, one_arg(a, "ne")); }
bool t_lt(Interp&, const Value& v, CallArgs& a) { return compare_op("<", v, one_arg(a, "lt")); }
bool t_le(Interp&, const Value& v, CallArgs& a) { return compare_op("<=", v, one_arg(a, "le")); }
bool t_gt(Interp&, const Value& v, CallArgs& a) { return compare_op(">", v, one_arg(a, "gt")); }
bool t_ge(Interp&, const Value& v, CallArgs& a) { return compare_op(">=", v, one_arg(a, "ge")); }
bool t_in(Interp&, const Value& v, CallArgs& a) { return contains(one_arg(a, "in"), v); }
// sameas: Python identity. Singletons (None, True, False) compare by value; containers by storage.
bool t_sameas(Interp&, const Value& v, CallArgs& a) {
  const Value& o = one_arg(a, "sameas");
  if (v.kind() != o.kind()) return false;
  switch (v.kind()) {
    case Kind::None:
    case Kind::Undefined: return true;
    case Kind::Bool: return v.as_bool() == o.as_bool();
    case Kind::Int: return v.as_int() == o.as_int() && v.as_int() >= -5 && v.as_int() <= 256;
    case Kind::String: return &v.text() == &o.text();
    case Kind::List: return &v.items() == &o.items();
    case Kind::Dict: return &v.dict() == &o.dict();
    case Kind::Object: return &v.obj() == &o.obj();
    default: return false;
  }
}

const std::map<std::string, TestFn, std::less<>>& table() {
  static const std::map<std::string, TestFn, std::less<>> t = {
      {"defined", t_defined}, {"undefined", t_undefined}, {"none", t_none},       {"boolean", t_boolean},
      {"false", t_false},     {"true", t_true},           {"integer", t_integer}, {"float", t_float},
      {"number", t_number},   {"string", t_string},       {"mapping", t_mapping}, {"iterable", t_iterable},
      {"sequence", t_sequence}, {"callable", t_callable}, {"escaped", t_escaped}, {"odd", t_odd},
      {"even", t_even},       {"divisibleby", t_divisibleby}, {"lower", t_lower}, {"upper", t_upper},
      {"eq", t_eq},           {"equalto", t_eq},          {"==", t_eq},           {"ne", t_ne},
      {"!=", t_ne},           {"lt", t_lt},               {"lessthan", t_lt},     {"<", t_lt},
      {"le", t_le},           {"<=", t_le},               {"gt", t_gt},           {"greaterthan", t_gt},
      {">", t_gt},            {"ge", t_ge},               {">=", t_ge},           {"in", t_in},
      {"sameas", t_sameas},   {"filter", nullptr},        {"test", nullptr},
  };
  return t;
}

}  // namespace

bool test_exists(std::string_view name) { return table().count(name) > 0; }

bool apply_test(Interp& in, std::string_view name, const Value& v, CallArgs& args) {
  auto it = table().find(name);
  if (it == table().end()) fail("no test named '" + std::string(name) + "'");
  if (!it->second) {   // `x is filter` / `x is test`: does a filter/test of that name exist?
    no_args(args, name);
    if (!v.is_string()) return false;
    return name == "filter" ? filter_exists(v.str()) : test_exists(v.str());
  }
  return it->second(in, v, args);
}

}  // namespace gemma3::jinja
