// Numbers and integers: bounds as exact decimal ranges (number_ranges.h), multipleOf for integers.
#include <charconv>
#include <cmath>

#include "grammar/digit_ranges.h"
#include "grammar/number_ranges.h"
#include "grammar/schema_lowering.h"

namespace gemma3::grammar {
namespace {

Decimal add_one(const Decimal& d) {   // d integer
  Decimal r = d;
  if (!d.negative) {
    r.int_part = decimal_plus_one(d.int_part);
  } else {
    r.int_part = decimal_minus_one(d.int_part);
    if (r.int_part == "0") r.negative = false;
  }
  return r;
}

Decimal truncate(const Decimal& d) {
  Decimal r = d;
  r.frac.clear();
  if (r.int_part == "0") r.negative = false;
  return r;
}

// The least integer >= d and the greatest <= d.
Decimal ceil_decimal(const Decimal& d) {
  if (d.is_integer()) return d;
  return d.negative ? truncate(d) : add_one(truncate(d));
}
Decimal floor_decimal(const Decimal& d) {
  if (d.is_integer()) return d;
  return d.negative ? negate(add_one(negate(truncate(d)))) : truncate(d);
}

std::string describe(const std::optional<NumberBound>& b) {
  if (!b) return "_";
  return std::string(b->strict ? "x" : "i") + (b->value.negative ? "-" : "") + b->value.int_part + "." + b->value.frac;
}

}  // namespace

Result<uint32_t> SchemaLowering::lower_number(const OJson& s, const std::string& ptr, bool integer) {
  std::optional<NumberBound> lo, hi;
  auto tighten = [](std::optional<NumberBound>& cur, const NumberBound& b, bool upper) {
    if (!cur) {
      cur = b;
      return;
    }
    const int c = compare(b.value, cur->value);
    if ((upper ? c < 0 : c > 0) || (c == 0 && b.strict)) cur = b;
  };
  for (const char* key : {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}) {
    if (!s.contains(key)) continue;
    const OJson& v = s[key];
    const std::string k = key;
    const bool upper = k == "maximum" || k == "exclusiveMaximum";
    const bool exclusive_key = k.rfind("exclusive", 0) == 0;
    if (exclusive_key && v.is_boolean()) continue;   // draft 4: modifies minimum / maximum below
    if (!v.is_number()) return error(ptr, "keyword '" + k + "' must be a number");
    if (!std::isfinite(v.get<double>())) return error(ptr, "keyword '" + k + "' must be finite");
    // Draft 4's boolean exclusiveMinimum / exclusiveMaximum make minimum / maximum strict.
    bool strict = exclusive_key;
    if (!exclusive_key) {
      const char* flag = upper ? "exclusiveMaximum" : "exclusiveMinimum";
      strict = s.contains(flag) && s[flag].is_boolean() && s[flag].get<bool>();
    }
    const NumberBound b = strict ? double_bound(v.get<double>(), true, upper) : NumberBound{schema_number(v), false};
    tighten(upper ? hi : lo, b, upper);
  }
  RegexPtr regex;
  std::string key;
  if (s.contains("multipleOf")) {
    const OJson& m = s["multipleOf"];
    if (!m.is_number() || m.get<double>() <= 0) return error(ptr, "keyword 'multipleOf' must be a positive number");
    const Decimal k = schema_number(m);
    if (!k.is_integer()) {
      return error(ptr, "keyword 'multipleOf' with a fractional value is not supported (validators divide in floating point)");
    }
    integer = true;
    if (k.int_part != "1") {
      // Small ranges only: the multiples are listed.
      if (!lo || !hi) return error(ptr, "keyword 'multipleOf' is supported only between minimum and maximum (at most 1000 multiples)");
      const Decimal lo_i = lo->strict ? add_one(floor_decimal(lo->value)) : ceil_decimal(lo->value);
      const Decimal hi_i = hi->strict ? negate(add_one(negate(ceil_decimal(hi->value)))) : floor_decimal(hi->value);
      auto to_long = [](const Decimal& d, long long& out) {
        if (d.int_part.size() > 15) return false;
        out = std::stoll(d.int_part) * (d.negative ? -1 : 1);
        return true;
      };
      long long a = 0, b = 0, step = 0;
      if (k.int_part.size() > 15 || !to_long(lo_i, a) || !to_long(hi_i, b)) {
        return error(ptr, "keyword 'multipleOf' is supported only for bounds below 10^15");
      }
      step = std::stoll(k.int_part);
      long long first = a % step == 0 ? a : (a >= 0 ? a + (step - a % step) : a - a % step);
      if (b >= first && (b - first) / step >= 1000) {
        return error(ptr, "keyword 'multipleOf' is supported only between minimum and maximum (at most 1000 multiples)");
      }
      std::vector<RegexPtr> options;
      for (long long v = first; v <= b; v += step) {
        options.push_back(Regex::literal(std::to_string(v)));
        if (v == 0) options.push_back(Regex::literal("-0"));
      }
      regex = Regex::concat({Regex::alt(std::move(options)),
                             integer_zero_fraction_ ? Regex::optional(Regex::concat({Regex::byte('.'), Regex::plus(Regex::byte('0'))}))
                                                    : Regex::empty()});
      key = "multiple " + k.int_part + (integer_zero_fraction_ ? "" : "/4") + describe(lo) + describe(hi);
    }
  }
  if (!regex) {
    if (integer) {
      std::optional<Decimal> lo_i, hi_i;
      if (lo) lo_i = lo->strict ? add_one(floor_decimal(lo->value)) : ceil_decimal(lo->value);
      if (hi) hi_i = hi->strict ? negate(add_one(negate(ceil_decimal(hi->value)))) : floor_decimal(hi->value);
      regex = integer_range_regex(lo_i, hi_i, integer_zero_fraction_);
    } else if (!lo && !hi) {
      regex = json_number_regex();
    } else {
      regex = decimal_range_regex(lo, hi);
    }
    key = std::string(integer ? (integer_zero_fraction_ ? "integer " : "integer4 ") : "number ") + describe(lo) + describe(hi);
  }
  auto rule = new_rule(integer ? "integer" : "number");
  if (!rule) return rule;
  g_.rules[*rule].alternatives.push_back({syntax_.token_regex(key, regex)});
  return *rule;
}

}  // namespace gemma3::grammar
