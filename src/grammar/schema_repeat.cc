// Repetition of a symbol sequence by grammar rules, in O(log n) rules for large bounds: counts are
// written in binary (a rule for 2^i copies is two rules for 2^(i-1)), and "at most d" is an
// unambiguous choice of bits, like a digit range, so the parser never sees two derivations of one
// count.
#include "grammar/schema_lowering.h"

namespace gemma3::grammar {

Result<uint32_t> SchemaLowering::repeat_rule(const std::vector<Symbol>& unit, uint32_t min, uint32_t max) {
  auto rule = new_rule("repeat");
  if (!rule) return rule;
  // powers[i] derives 2^i copies.
  std::vector<uint32_t> powers;
  auto power = [&](size_t i) -> Result<uint32_t> {
    while (powers.size() <= i) {
      auto r = new_rule("repeat 2^" + std::to_string(powers.size()));
      if (!r) return r;
      if (powers.empty()) {
        g_.rules[*r].alternatives.push_back(unit);
      } else {
        g_.rules[*r].alternatives.push_back({Symbol::rule(powers.back()), Symbol::rule(powers.back())});
      }
      powers.push_back(*r);
    }
    return powers[i];
  };
  std::vector<Symbol> required;
  if (min <= 4) {
    for (uint32_t i = 0; i < min; ++i) required.insert(required.end(), unit.begin(), unit.end());
  } else {
    for (size_t bit = 0; (uint64_t{1} << bit) <= min; ++bit) {
      if (!(min >> bit & 1)) continue;
      auto p = power(bit);
      if (!p) return p;
      required.push_back(Symbol::rule(*p));
    }
  }
  if (max == Regex::kUnbounded) {
    auto star = new_rule("repeat*");
    if (!star) return star;
    std::vector<Symbol> more = unit;
    more.push_back(Symbol::rule(*star));
    g_.rules[*star].alternatives = {{}, more};
    required.push_back(Symbol::rule(*star));
    g_.rules[*rule].alternatives.push_back(required);
    return *rule;
  }
  if (max < min) return *rule;   // derives nothing
  const uint32_t extra = max - min;
  if (extra <= 4) {
    // A chain: opt_k derives 0..k copies.
    for (uint32_t k = 0; k <= extra; ++k) {
      std::vector<Symbol> seq = required;
      for (uint32_t i = 0; i < k; ++i) seq.insert(seq.end(), unit.begin(), unit.end());
      g_.rules[*rule].alternatives.push_back(seq);
    }
    return *rule;
  }
  // 0..extra copies: either exactly `extra`, or agree with extra's bits above some 1 bit i, take
  // 0 there, and anything below (an optional 2^j for every j < i).
  std::vector<uint32_t> optional;   // optional[j] derives "" or 2^j copies
  auto opt = [&](size_t j) -> Result<uint32_t> {
    while (optional.size() <= j) {
      auto p = power(optional.size());
      if (!p) return p;
      auto r = new_rule("repeat 0|2^" + std::to_string(optional.size()));
      if (!r) return r;
      g_.rules[*r].alternatives = {{}, {Symbol::rule(*p)}};
      optional.push_back(*r);
    }
    return optional[j];
  };
  int top = 31;
  while (!(extra >> top & 1)) --top;
  for (int i = top; i >= -1; --i) {
    if (i >= 0 && !(extra >> i & 1)) continue;
    std::vector<Symbol> seq = required;
    for (int j = top; j > i; --j) {
      if (!(extra >> j & 1)) continue;
      auto p = power(static_cast<size_t>(j));
      if (!p) return p;
      seq.push_back(Symbol::rule(*p));
    }
    // i == -1: exactly `extra`; else bit i is 0 and the bits below are free.
    for (int j = 0; j < i; ++j) {
      auto o = opt(static_cast<size_t>(j));
      if (!o) return o;
      seq.push_back(Symbol::rule(*o));
    }
    g_.rules[*rule].alternatives.push_back(seq);
  }
  return *rule;
}

}  // namespace gemma3::grammar
