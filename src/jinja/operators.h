// Python's operators on Values: arithmetic (+ - * / // % **), Jinja's ~, comparisons, `in`,
// unary minus/plus and slicing. Errors are Python's TypeError/ZeroDivisionError texts; ints that
// would overflow int64 fail instead of silently wrapping.
//
// Provenance: `~` and `+` on strings keep byte-level provenance; `*` repeats it; `%` follows
// percent_format; slicing keeps it.
#pragma once

#include <string_view>

#include "jinja/value.h"

namespace gemma3::jinja {

class Interp;

Value unary_op(std::string_view op, const Value& v);
Value binary_op(Interp& in, std::string_view op, const Value& a, const Value& b);
// ==, !=, <, >, <=, >=, in, notin.
bool compare_op(std::string_view op, const Value& a, const Value& b);
// obj[start:stop:step] on a str (by code point) or list; None means omitted. With single_index,
// obj[start] of a string: one character, or Undefined when out of range.
Value slice_value(const Value& obj, const Value& start, const Value& stop, const Value& step,
                  bool single_index = false);

}  // namespace gemma3::jinja
