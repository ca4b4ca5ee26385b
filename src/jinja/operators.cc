#include "jinja/operators.h"

#include <cmath>

#include "jinja/builtins.h"
#include "jinja/error.h"
#include "jinja/interp.h"
#include "jinja/pystr.h"

namespace gemma3::jinja {
namespace {

[[noreturn]] void undefined_error(const Value& v) {
  std::string_view hint = v.undefined_hint();
  fail(hint.empty() ? std::string("undefined value used in an expression") : std::string(hint));
}

[[noreturn]] void unsupported(std::string_view op, const Value& a, const Value& b) {
  fail("unsupported operand type(s) for " + std::string(op) + ": '" + a.type_name() + "' and '" + b.type_name() + "'");
}

bool is_intlike(const Value& v) { return v.is_int() || v.is_bool(); }

// a OP b on int64, failing on overflow (Python ints are unbounded; ours stop at 64 bits).
template <typename F>
int64_t checked(F op, int64_t a, int64_t b) {
  int64_t r;
  if (op(a, b, &r)) fail("integer overflow (the result does not fit in 64 bits)");
  return r;
}
bool add(int64_t a, int64_t b, int64_t* r) { return __builtin_add_overflow(a, b, r); }
bool sub(int64_t a, int64_t b, int64_t* r) { return __builtin_sub_overflow(a, b, r); }
bool mul(int64_t a, int64_t b, int64_t* r) { return __builtin_mul_overflow(a, b, r); }

Value repeat(Interp& in, const Value& seq, int64_t n) {
  if (n < 0) n = 0;
  if (seq.is_string()) {
    const Text& t = seq.text();
    if (n == 0 || t.s.empty()) return Value::string("");
    in.check_string_size(t.s.size() * static_cast<size_t>(std::min<int64_t>(n, INT32_MAX)));
    Text out;
    out.s.reserve(t.s.size() * static_cast<size_t>(n));
    if (!t.any_untrusted()) {
      for (int64_t i = 0; i < n; ++i) out.s += t.s;
    } else {
      for (int64_t i = 0; i < n; ++i) out.append(t);
    }
    return Value::string(std::move(out));
  }
  const auto& items = seq.items();
  if (n > 0 && !items.empty()) in.check_items(items.size() * static_cast<size_t>(std::min<int64_t>(n, INT32_MAX)));
  std::vector<Value> out;
  for (int64_t i = 0; i < n && !items.empty(); ++i) out.insert(out.end(), items.begin(), items.end());
  return Value::list(std::move(out), seq.is_tuple());
}

double py_fmod(double a, double b) {
  double m = std::fmod(a, b);
  if (m != 0 && ((m < 0) != (b < 0))) m += b;
  return m;
}

Value arith(Interp& in, std::string_view op, const Value& a, const Value& b) {
  if (a.is_undefined()) undefined_error(a);
  if (b.is_undefined()) undefined_error(b);
  if (a.is_number() && b.is_number()) {
    bool ints = is_intlike(a) && is_intlike(b);
    int64_t x = ints ? a.as_int() : 0, y = ints ? b.as_int() : 0;
    double p = a.as_float(), q = b.as_float();
    if (op == "+") return ints ? Value::integer(checked(add, x, y)) : Value::floating(p + q);
    if (op == "-") return ints ? Value::integer(checked(sub, x, y)) : Value::floating(p - q);
    if (op == "*") return ints ? Value::integer(checked(mul, x, y)) : Value::floating(p * q);
    if (op == "/") {
      if (q == 0) fail("division by zero");
      return Value::floating(p / q);
    }
    if (op == "//" || op == "%") {
      if (ints) {
        if (y == 0) fail("integer division or modulo by zero");
        if (x == INT64_MIN && y == -1) fail("integer overflow (the result does not fit in 64 bits)");
        int64_t quo = x / y, rem = x % y;
        if (rem != 0 && ((rem < 0) != (y < 0))) {
          quo -= 1;
          rem += y;
        }
        return Value::integer(op == "//" ? quo : rem);
      }
      if (q == 0) fail("float division by zero");
      if (op == "%") return Value::floating(py_fmod(p, q));
      return Value::floating(std::floor(p / q));
    }
    if (op == "**") {
      if (ints && y >= 0) {
        int64_t result = 1, base = x;
        for (int64_t e = y; e > 0; e >>= 1) {
          if (e & 1) result = checked(mul, result, base);
          if (e > 1) base = checked(mul, base, base);
        }
        return Value::integer(result);
      }
      if (p == 0 && q < 0) fail("zero to a negative power");
      return Value::floating(std::pow(p, q));
    }
  }
  if (op == "+") {
    if (a.is_string() && b.is_string()) {
      in.check_string_size(a.str().size() + b.str().size());
      Text t = a.text();
      t.append(b.text());
      return Value::string(std::move(t));
    }
    if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
      in.check_items(a.items().size() + b.items().size());
      std::vector<Value> items = a.items();
      items.insert(items.end(), b.items().begin(), b.items().end());
      return Value::list(std::move(items), a.is_tuple());
    }
  }
  if (op == "*") {
    if ((a.is_string() || a.is_list()) && is_intlike(b)) return repeat(in, a, b.as_int());
    if ((b.is_string() || b.is_list()) && is_intlike(a)) return repeat(in, b, a.as_int());
  }
  unsupported(op, a, b);
}

}  // namespace

Value unary_op(std::string_view op, const Value& v) {
  if (v.is_undefined()) undefined_error(v);
  if (v.is_float()) return Value::floating(op == "-" ? -v.as_float() : v.as_float());
  if (is_intlike(v)) {
    if (op == "+") return Value::integer(v.as_int());
    if (v.as_int() == INT64_MIN) fail("integer overflow (the result does not fit in 64 bits)");
    return Value::integer(-v.as_int());
  }
  fail("bad operand type for unary " + std::string(op) + ": '" + v.type_name() + "'");
}

Value binary_op(Interp& in, std::string_view op, const Value& a, const Value& b) {
  if (op == "~") {
    Text t = to_text(a);
    Text u = to_text(b);
    in.check_string_size(t.s.size() + u.s.size());
    t.append(u);
    return Value::string(std::move(t));
  }
  if (op == "%" && a.is_string()) return Value::string(percent_format(in, a, b));
  return arith(in, op, a, b);
}

bool compare_op(std::string_view op, const Value& a, const Value& b) {
  if (op == "==") return values_equal(a, b);
  if (op == "!=") return !values_equal(a, b);
  if (op == "in") return contains(b, a);
  if (op == "notin") return !contains(b, a);
  if (a.is_undefined()) undefined_error(a);
  if (b.is_undefined()) undefined_error(b);
  if (op == "<") return value_less(a, b);
  if (op == ">") return value_less(b, a);
  if (op == "<=") return value_less(a, b) || values_equal(a, b);
  if (op == ">=") return value_less(b, a) || values_equal(a, b);
  fail("unknown comparison " + std::string(op));
}

Value slice_value(const Value& obj, const Value& start_v, const Value& stop_v, const Value& step_v, bool single_index) {
  if (obj.is_undefined()) undefined_error(obj);
  if (!obj.is_string() && !obj.is_list()) fail("'" + obj.type_name() + "' object is not subscriptable");
  auto as_index = [](const Value& v) -> std::optional<int64_t> {
    if (v.is_none()) return std::nullopt;
    if (!is_intlike(v)) fail("slice indices must be integers or None");
    return v.as_int();
  };
  std::vector<size_t> offs;
  int64_t n;
  if (obj.is_string()) {
    if (py::is_ascii(obj.str())) {
      n = static_cast<int64_t>(obj.str().size());
    } else {
      offs = py::cp_offsets(obj.str());
      n = static_cast<int64_t>(offs.size()) - 1;
    }
  } else {
    n = static_cast<int64_t>(obj.items().size());
  }
  auto off = [&](int64_t i) { return offs.empty() ? static_cast<size_t>(i) : offs[i]; };
  if (single_index) {
    int64_t i = start_v.as_int();
    if (i < 0) i += n;
    if (i < 0 || i >= n) return Value::undefined();
    return Value::string(obj.text().slice(off(i), off(i + 1)));
  }
  int64_t step = as_index(step_v).value_or(1);
  if (step == 0) fail("slice step cannot be zero");
  auto start_o = as_index(start_v), stop_o = as_index(stop_v);
  int64_t start, stop;
  auto clamp = [&](int64_t i, int64_t lo, int64_t hi) {
    if (i < 0) i += n;
    return i < lo ? lo : i > hi ? hi : i;
  };
  if (step > 0) {
    start = start_o ? clamp(*start_o, 0, n) : 0;
    stop = stop_o ? clamp(*stop_o, 0, n) : n;
  } else {
    start = start_o ? clamp(*start_o, -1, n - 1) : n - 1;
    stop = stop_o ? clamp(*stop_o, -1, n - 1) : -1;
  }
  if (obj.is_string()) {
    if (step == 1) return Value::string(obj.text().slice(off(start), off(std::max(start, stop))));
    Text out;
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.append_slice(obj.text(), off(i), off(i + 1));
    return Value::string(std::move(out));
  }
  std::vector<Value> items;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) items.push_back(obj.items()[i]);
  return Value::list(std::move(items), obj.is_tuple());
}

}  // namespace gemma3::jinja
