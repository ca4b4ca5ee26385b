// JSON numbers as regexes, and exact regexes for the numbers inside bounds (JSON Schema's
// minimum / maximum / exclusiveMinimum / exclusiveMaximum), as decimal text of any size.
//
// The validator we must agree with (ajv) compares IEEE doubles: an instance is parsed to the
// nearest double first. An inclusive bound therefore lowers to "decimal value <= the bound's
// shortest decimal" (rounding is monotonic, so nothing accepted is invalid, and every double's
// shortest text that is valid is accepted). An exclusive bound lowers to the exact midpoint between
// the bound and its neighbouring double, inclusive or not by the round-half-to-even rule, so a long
// decimal that rounds onto the bound is refused too.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "grammar/grammar_ir.h"
#include "util/result.h"

namespace gemma3::grammar {

// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
const RegexPtr& json_number_regex();

// An exact decimal: sign, integer digits (canonical), fraction digits (no trailing zeros).
struct Decimal {
  bool negative = false;
  std::string int_part = "0";
  std::string frac;
  bool is_zero() const { return int_part == "0" && frac.empty(); }
  bool is_integer() const { return frac.empty(); }
};

// Parses JSON number text (exponents shifted in). Error for malformed text or exponents beyond
// +-100000.
Result<Decimal> parse_decimal(std::string_view text);
int compare(const Decimal& a, const Decimal& b);
Decimal negate(const Decimal& d);
// The exact decimal value of a finite double.
Decimal exact_decimal(double v);

struct NumberBound {
  Decimal value;
  bool strict = false;   // exclusive
};

// Exact decimal numerals (sign, integer part, optional fraction; no exponent) whose value lies
// within the bounds (absent: unbounded). Includes "-0" forms when zero is inside.
RegexPtr decimal_range_regex(const std::optional<NumberBound>& lo, const std::optional<NumberBound>& hi);
// Integer-valued numerals (no exponent) in [lo, hi] (inclusive integer bounds), with an optional
// ".0..." fraction when `zero_fraction` (draft 6 on counts 1.0 an integer; draft 4 does not).
RegexPtr integer_range_regex(const std::optional<Decimal>& lo, const std::optional<Decimal>& hi, bool zero_fraction = true);

// The bound a double-valued schema bound means for decimal text under ajv's double comparison (see
// the header comment): `upper` says which side the allowed values lie on.
NumberBound double_bound(double bound, bool strict, bool upper);

}  // namespace gemma3::grammar
