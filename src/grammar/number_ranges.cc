#include "grammar/number_ranges.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

#include "grammar/digit_ranges.h"
#include "grammar/regex_nullable.h"

namespace gemma3::grammar {
namespace {

RegexPtr digits(char lo, char hi) {
  std::bitset<256> bytes;
  for (char c = lo; c <= hi; ++c) bytes.set(static_cast<uint8_t>(c));
  return Regex::byte_set(bytes);
}

RegexPtr any_digits() { return Regex::star(digits('0', '9')); }

// Fraction digit strings F (possibly empty; value 0.F) against the rest of each bound's fraction
// digits (absent: that side is already decided). Consumes one digit per level, so the depth is the
// bounds' length.
RegexPtr fraction_range(std::optional<std::string_view> lo, std::optional<std::string_view> hi, bool lo_strict,
                        bool hi_strict) {
  if (lo && lo->empty() && !lo_strict) lo.reset();   // equal so far and nothing left: F >= lo already
  if (!lo && !hi) return any_digits();
  if (lo && lo->empty() && !hi) return Regex::concat({any_digits(), digits('1', '9'), any_digits()});
  if (hi && hi->empty()) {
    if (hi_strict || lo) return Regex::nothing();   // F would have to exceed an exhausted lo strictly too
    return Regex::star(Regex::byte('0'));
  }
  std::vector<RegexPtr> options;
  const bool lo_ok = !lo, hi_ok = true;   // F ending here: value 0.<prefix>, hi has digits left so it is smaller
  if (lo_ok && hi_ok) options.push_back(Regex::empty());
  const int ld = lo ? (lo->empty() ? 0 : (*lo)[0] - '0') : -1;
  const int hd = hi ? (*hi)[0] - '0' : 10;
  auto rest = [](std::optional<std::string_view> s) -> std::optional<std::string_view> {
    return s->empty() ? *s : s->substr(1);
  };
  if (ld + 1 <= hd - 1) options.push_back(Regex::concat({digits('0' + ld + 1, '0' + hd - 1), any_digits()}));
  if (lo && hi && ld == hd) {
    options.push_back(Regex::concat({Regex::byte('0' + ld), fraction_range(rest(lo), rest(hi), lo_strict, hi_strict)}));
  } else {
    if (lo) options.push_back(Regex::concat({Regex::byte('0' + ld), fraction_range(rest(lo), std::nullopt, lo_strict, false)}));
    if (hi) options.push_back(Regex::concat({Regex::byte('0' + hd), fraction_range(std::nullopt, rest(hi), false, hi_strict)}));
  }
  return Regex::alt(std::move(options));
}

// "" when F may be empty, else "." F with F non-empty.
RegexPtr fraction_part(const RegexPtr& f) {
  return Regex::alt({regex_nullable(f) ? Regex::empty() : Regex::nothing(),
                     Regex::concat({Regex::byte('.'), regex_without_empty(f)})});
}

// Non-negative decimal numerals in [lo, hi] (lo.value >= 0).
RegexPtr non_negative_range(const NumberBound& lo, const std::optional<NumberBound>& hi) {
  const std::string& a = lo.value.int_part;
  const std::string_view b = lo.value.frac;
  if (!hi) {
    return Regex::alt({Regex::concat({Regex::literal(a), fraction_part(fraction_range(b, std::nullopt, lo.strict, false))}),
                       Regex::concat({decimal_integer_range(decimal_plus_one(a), std::nullopt), fraction_part(any_digits())})});
  }
  if (compare(lo.value, hi->value) > 0) return Regex::nothing();
  const std::string& c = hi->value.int_part;
  const std::string_view d = hi->value.frac;
  if (a == c) return Regex::concat({Regex::literal(a), fraction_part(fraction_range(b, d, lo.strict, hi->strict))});
  std::vector<RegexPtr> options;
  options.push_back(Regex::concat({Regex::literal(a), fraction_part(fraction_range(b, std::nullopt, lo.strict, false))}));
  const std::string a1 = decimal_plus_one(a);
  if (compare_decimal(a1, c) < 0) {
    options.push_back(Regex::concat({decimal_integer_range(a1, decimal_minus_one(c)), fraction_part(any_digits())}));
  }
  options.push_back(Regex::concat({Regex::literal(c), fraction_part(fraction_range(std::nullopt, d, false, hi->strict))}));
  return Regex::alt(std::move(options));
}

const Decimal kZero{};

// Decimal digits of a non-negative big integer, times a small factor (in place).
void multiply(std::string& digits_msb_first, int factor) {
  int carry = 0;
  for (size_t i = digits_msb_first.size(); i-- > 0;) {
    const int v = (digits_msb_first[i] - '0') * factor + carry;
    digits_msb_first[i] = static_cast<char>('0' + v % 10);
    carry = v / 10;
  }
  while (carry > 0) {
    digits_msb_first.insert(digits_msb_first.begin(), static_cast<char>('0' + carry % 10));
    carry /= 10;
  }
}

Decimal exact_decimal_long(long double v) {
  Decimal d;
  d.negative = v < 0;
  v = std::fabs(v);
  if (v == 0) return kZero;
  int e = 0;
  const long double f = std::frexp(v, &e);
  auto mantissa = static_cast<unsigned long long>(std::ldexp(f, 64));
  int exp2 = e - 64;
  while (mantissa % 2 == 0) mantissa /= 2, ++exp2;
  std::string n = std::to_string(mantissa);
  if (exp2 >= 0) {
    for (int i = 0; i < exp2; ++i) multiply(n, 2);
    d.int_part = n;
    return d;
  }
  const auto k = static_cast<size_t>(-exp2);   // m / 2^k = m * 5^k / 10^k
  for (size_t i = 0; i < k; ++i) multiply(n, 5);
  if (n.size() <= k) n.insert(0, k - n.size() + 1, '0');
  d.int_part = strip_leading_zeros(n.substr(0, n.size() - k));
  d.frac = n.substr(n.size() - k);
  while (!d.frac.empty() && d.frac.back() == '0') d.frac.pop_back();
  return d;
}

}  // namespace

const RegexPtr& json_number_regex() {
  static const RegexPtr kNumber = Regex::concat({
      Regex::optional(Regex::byte('-')),
      Regex::alt({Regex::byte('0'), Regex::concat({digits('1', '9'), any_digits()})}),
      Regex::optional(Regex::concat({Regex::byte('.'), Regex::plus(digits('0', '9'))})),
      Regex::optional(Regex::concat({Regex::byte_set(digits('e', 'e')->bytes | digits('E', 'E')->bytes),
                                     Regex::optional(Regex::byte_set(digits('+', '+')->bytes | digits('-', '-')->bytes)),
                                     Regex::plus(digits('0', '9'))})),
  });
  return kNumber;
}

Result<Decimal> parse_decimal(std::string_view text) {
  size_t i = 0;
  Decimal d;
  if (i < text.size() && text[i] == '-') d.negative = true, ++i;
  std::string all;
  size_t int_len = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') all += text[i++], ++int_len;
  if (int_len == 0) return make_error("malformed number '" + std::string(text) + "'");
  if (i < text.size() && text[i] == '.') {
    ++i;
    const size_t before = all.size();
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') all += text[i++];
    if (all.size() == before) return make_error("malformed number '" + std::string(text) + "'");
  }
  long exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool neg = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) neg = text[i++] == '-';
    if (i >= text.size()) return make_error("malformed number '" + std::string(text) + "'");
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      exponent = exponent * 10 + (text[i++] - '0');
      if (exponent > 100000) return make_error("number exponent too large in '" + std::string(text) + "'");
    }
    if (neg) exponent = -exponent;
  }
  if (i != text.size()) return make_error("malformed number '" + std::string(text) + "'");
  long point = static_cast<long>(int_len) + exponent;   // digits before the point
  if (point < 0) all.insert(0, static_cast<size_t>(-point), '0'), point = 0;
  if (point > static_cast<long>(all.size())) all.append(static_cast<size_t>(point) - all.size(), '0');
  d.int_part = strip_leading_zeros(all.substr(0, static_cast<size_t>(point)));
  d.frac = all.substr(static_cast<size_t>(point));
  while (!d.frac.empty() && d.frac.back() == '0') d.frac.pop_back();
  if (d.is_zero()) d.negative = false;
  return d;
}

int compare(const Decimal& a, const Decimal& b) {
  if (a.negative != b.negative) return a.negative ? -1 : 1;
  int c = compare_decimal(a.int_part, b.int_part);
  if (c == 0) {
    const int f = a.frac.compare(b.frac);   // no trailing zeros: lexicographic is numeric
    c = f < 0 ? -1 : (f > 0 ? 1 : 0);
  }
  return a.negative ? -c : c;
}

Decimal negate(const Decimal& d) {
  Decimal r = d;
  r.negative = !d.is_zero() && !d.negative;
  return r;
}

Decimal exact_decimal(double v) { return exact_decimal_long(v); }

NumberBound double_bound(double bound, bool strict, bool upper) {
  if (!strict || !std::isfinite(bound)) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, bound);
    auto d = parse_decimal(std::string_view(buf, static_cast<size_t>(end - buf)));
    return {d ? *d : exact_decimal(bound), strict};
  }
  const double neighbour = std::nextafter(bound, upper ? -INFINITY : INFINITY);
  if (!std::isfinite(neighbour)) return {exact_decimal(bound), true};
  const long double mid = (static_cast<long double>(bound) + neighbour) / 2;   // exact in 64-bit mantissa
  uint64_t bits = 0;
  std::memcpy(&bits, &neighbour, sizeof bits);
  // A text exactly at the midpoint rounds to the even one of the two doubles.
  const bool tie_goes_to_neighbour = (bits & 1) == 0;
  return {exact_decimal_long(mid), !tie_goes_to_neighbour};
}

RegexPtr decimal_range_regex(const std::optional<NumberBound>& lo, const std::optional<NumberBound>& hi) {
  std::vector<RegexPtr> options;
  // x >= 0 written without a sign.
  if (!hi || compare(hi->value, kZero) >= 0) {
    NumberBound plo = (lo && compare(lo->value, kZero) >= 0) ? *lo : NumberBound{kZero, false};
    options.push_back(non_negative_range(plo, hi));
  }
  // "-" y with y = -x >= 0 (y = 0: "-0", equal to zero).
  if (!lo || compare(lo->value, kZero) < 0 || (lo->value.is_zero() && !lo->strict)) {
    NumberBound ylo = (hi && compare(hi->value, kZero) <= 0) ? NumberBound{negate(hi->value), hi->strict}
                                                            : NumberBound{kZero, false};
    std::optional<NumberBound> yhi;
    if (lo) yhi = NumberBound{negate(lo->value), lo->strict};
    options.push_back(Regex::concat({Regex::byte('-'), non_negative_range(ylo, yhi)}));
  }
  return Regex::alt(std::move(options));
}

RegexPtr integer_range_regex(const std::optional<Decimal>& lo, const std::optional<Decimal>& hi, bool zero_fraction) {
  std::vector<RegexPtr> options;
  const RegexPtr fraction_of_zeros = Regex::optional(Regex::concat({Regex::byte('.'), Regex::plus(Regex::byte('0'))}));
  if (!hi || !hi->negative) {
    const std::string from = (lo && !lo->negative) ? lo->int_part : "0";
    std::optional<std::string> to;
    if (hi) to = hi->int_part;
    options.push_back(decimal_integer_range(from, to));
  }
  if (!lo || lo->negative || lo->is_zero()) {
    const std::string from = (hi && (hi->negative || hi->is_zero())) ? hi->int_part : "0";
    std::optional<std::string> to;
    if (lo) to = lo->int_part;
    options.push_back(Regex::concat({Regex::byte('-'), decimal_integer_range(from, to)}));
  }
  return Regex::concat({Regex::alt(std::move(options)), zero_fraction ? fraction_of_zeros : Regex::empty()});
}

}  // namespace gemma3::grammar
