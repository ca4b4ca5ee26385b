#include "grammar/digit_ranges.h"

#include <vector>

namespace gemma3::grammar {
namespace {

int digit_value(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

// The bytes that write digit values lo..hi (both letter cases for hex digits).
RegexPtr digit_set(int lo, int hi) {
  std::bitset<256> bytes;
  for (int v = lo; v <= hi; ++v) {
    if (v < 10) {
      bytes.set('0' + v);
    } else {
      bytes.set('a' + v - 10);
      bytes.set('A' + v - 10);
    }
  }
  return Regex::byte_set(bytes);
}

bool all_digit(std::string_view s, char d) {
  for (char c : s) {
    if (c != d) return false;
  }
  return true;
}

}  // namespace

// Splits on the first digit: the strings starting with lo[0] above lo's rest, those starting
// strictly between lo[0] and hi[0] (any rest), and those starting with hi[0] below hi's rest. A rest
// that is all zeros (or all max digits) needs no separate branch. Size: O(width * base).
RegexPtr fixed_width_range(std::string_view lo, std::string_view hi, int base) {
  if (lo.empty()) return Regex::empty();
  const int a = digit_value(lo[0]), b = digit_value(hi[0]);
  const std::string_view lo_rest = lo.substr(1), hi_rest = hi.substr(1);
  if (a == b) return Regex::concat({digit_set(a, a), fixed_width_range(lo_rest, hi_rest, base)});
  const char max_digit = base == 10 ? '9' : 'f';
  const bool lo_full = all_digit(lo_rest, '0'), hi_full = all_digit(hi_rest, max_digit);
  const int mid_lo = lo_full ? a : a + 1, mid_hi = hi_full ? b : b - 1;
  std::vector<RegexPtr> options;
  if (!lo_full) {
    options.push_back(Regex::concat({digit_set(a, a), fixed_width_range(lo_rest, std::string(lo_rest.size(), max_digit), base)}));
  }
  if (mid_lo <= mid_hi) {
    const auto width = static_cast<uint32_t>(lo_rest.size());
    options.push_back(Regex::concat({digit_set(mid_lo, mid_hi), Regex::repeat(digit_set(0, base - 1), width, width)}));
  }
  if (!hi_full) {
    options.push_back(Regex::concat({digit_set(b, b), fixed_width_range(std::string(hi_rest.size(), '0'), hi_rest, base)}));
  }
  return Regex::alt(std::move(options));
}

// One fixed-width range per numeral length between lo's and hi's; with no upper bound, every
// length beyond lo's is a nonzero digit and any digits.
RegexPtr decimal_integer_range(const std::string& lo, const std::optional<std::string>& hi) {
  if (hi && compare_decimal(lo, *hi) > 0) return Regex::nothing();
  std::vector<RegexPtr> options;
  const size_t last = hi ? hi->size() : lo.size();
  for (size_t len = lo.size(); len <= last; ++len) {
    std::string low = len == lo.size() ? lo : "1" + std::string(len - 1, '0');
    std::string high = hi && len == hi->size() ? *hi : std::string(len, '9');
    options.push_back(fixed_width_range(low, high, 10));
  }
  if (!hi) {
    options.push_back(Regex::concat({digit_set(1, 9), Regex::repeat(digit_set(0, 9), static_cast<uint32_t>(lo.size()),
                                                                    Regex::kUnbounded)}));
  }
  return Regex::alt(std::move(options));
}

int compare_decimal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  const int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

std::string decimal_plus_one(std::string_view a) {
  std::string s(a);
  for (size_t i = s.size(); i-- > 0;) {
    if (s[i] != '9') {
      ++s[i];
      return s;
    }
    s[i] = '0';
  }
  return "1" + s;
}

std::string decimal_minus_one(std::string_view a) {
  std::string s(a);
  for (size_t i = s.size(); i-- > 0;) {
    if (s[i] != '0') {
      --s[i];
      break;
    }
    s[i] = '9';
  }
  return strip_leading_zeros(s);
}

std::string strip_leading_zeros(std::string_view a) {
  size_t i = 0;
  while (i + 1 < a.size() && a[i] == '0') ++i;
  return a.empty() ? "0" : std::string(a.substr(i));
}

}  // namespace gemma3::grammar
