// Exact regexes for ranges of numerals: fixed-width digit strings in base 10 or 16 (hex digits in
// either case, for \uXXXX escapes) and canonical decimal integers (no leading zeros) of any size.
// Bounds are digit strings, so they can exceed 64 bits.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "grammar/grammar_ir.h"

namespace gemma3::grammar {

// Strings of lo.size() digits d with lo <= d <= hi (lexicographic = numeric at fixed width).
// lo and hi: same length, lowercase digits of `base` (10 or 16), lo <= hi.
RegexPtr fixed_width_range(std::string_view lo, std::string_view hi, int base);

// Canonical decimal numerals (no sign, no leading zeros, "0" for zero) of the integers in [lo, hi];
// hi absent: no upper bound. lo, hi: canonical decimal strings.
RegexPtr decimal_integer_range(const std::string& lo, const std::optional<std::string>& hi);

// Arithmetic on canonical non-negative decimal strings.
int compare_decimal(std::string_view a, std::string_view b);   // -1, 0, 1
std::string decimal_plus_one(std::string_view a);
std::string decimal_minus_one(std::string_view a);             // a > 0
std::string strip_leading_zeros(std::string_view a);           // "" -> "0"

}  // namespace gemma3::grammar
