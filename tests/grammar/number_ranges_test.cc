// Numeric range regexes against brute force: every integer / decimal text in a window is accepted
// exactly when the plain comparison (integers, or exact hundredths) says it is inside the bounds;
// exclusive double bounds against strtod, the rounding ajv's comparison sees.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>

#include "grammar/number_ranges.h"
#include "ir_recognizer.h"

namespace gemma3::grammar {
namespace {

bool matches(const RegexPtr& r, const std::string& text) {
  std::vector<int> in(text.begin(), text.end());
  std::vector<bool> starts(in.size() + 1, false);
  starts[0] = true;
  return testing::IrRecognizer::match_bitmap(*r, in, starts)[in.size()];
}

Decimal dec(const std::string& s) {
  auto d = parse_decimal(s);
  EXPECT_TRUE(d.ok()) << s;
  return *d;
}

TEST(NumberRanges, ParseAndExactDecimal) {
  EXPECT_EQ(dec("1.50e2").int_part, "150");
  EXPECT_EQ(dec("1.5e-3").frac, "0015");
  EXPECT_EQ(dec("-0.0").negative, false);
  EXPECT_FALSE(parse_decimal("1.").ok());
  EXPECT_FALSE(parse_decimal("1e999999").ok());
  EXPECT_EQ(exact_decimal(0.1).frac, "1000000000000000055511151231257827021181583404541015625");
  EXPECT_EQ(exact_decimal(1e20).int_part, "100000000000000000000");
  EXPECT_EQ(compare(dec("-2"), dec("-10")), 1);
  EXPECT_EQ(compare(dec("0.25"), dec("0.250")), 0);
}

TEST(NumberRanges, IntegersMatchBruteForce) {
  const std::vector<std::optional<long>> bounds = {std::nullopt, -1000, -100, -99, -10, -1, 0, 1, 9, 10, 101, 999};
  auto as_dec = [](std::optional<long> v) -> std::optional<Decimal> {
    if (!v) return std::nullopt;
    return dec(std::to_string(*v));
  };
  for (auto lo : bounds) {
    for (auto hi : bounds) {
      const RegexPtr r = integer_range_regex(as_dec(lo), as_dec(hi));
      for (long n = -1100; n <= 1100; n += (n > -120 && n < 120) ? 1 : 13) {
        const bool inside = (!lo || n >= *lo) && (!hi || n <= *hi);
        ASSERT_EQ(matches(r, std::to_string(n)), inside) << n << " in [" << (lo ? *lo : -99999) << ", " << (hi ? *hi : 99999) << "]";
        if (n % 13 == 0) ASSERT_EQ(matches(r, std::to_string(n) + ".00"), inside) << n;
      }
      const bool zero_inside = (!lo || 0 >= *lo) && (!hi || 0 <= *hi);
      ASSERT_EQ(matches(r, "-0"), zero_inside);
      ASSERT_FALSE(matches(r, "007"));
      ASSERT_FALSE(matches(r, "1.5"));
    }
  }
}

// Decimal text of k hundredths, with `extra_zeros` trailing fraction zeros.
std::string hundredths(long k, int extra_zeros) {
  const bool neg = k < 0;
  const long a = std::labs(k);
  std::string s = (neg ? "-" : "") + std::to_string(a / 100);
  std::string frac = std::to_string(100 + a % 100).substr(1);
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  frac += std::string(static_cast<size_t>(extra_zeros), '0');
  if (!frac.empty()) s += "." + frac;
  return s;
}

TEST(NumberRanges, DecimalsMatchBruteForce) {
  // Bounds in hundredths.
  const std::vector<std::optional<long>> bounds = {std::nullopt, -150, -25, -1, 0, 5, 100, 125, 1050};
  for (auto lo : bounds) {
    for (auto hi : bounds) {
      for (int strict = 0; strict < 4; ++strict) {
        const bool lo_strict = strict & 1, hi_strict = strict & 2;
        std::optional<NumberBound> lb, hb;
        if (lo) lb = NumberBound{dec(hundredths(*lo, 0)), lo_strict};
        if (hi) hb = NumberBound{dec(hundredths(*hi, 0)), hi_strict};
        const RegexPtr r = decimal_range_regex(lb, hb);
        for (long k = -1200; k <= 1200; k += (k > -160 && k < 160) ? 1 : 17) {
          const bool inside = (!lo || (lo_strict ? k > *lo : k >= *lo)) && (!hi || (hi_strict ? k < *hi : k <= *hi));
          ASSERT_EQ(matches(r, hundredths(k, k % 3 == 0 ? 1 : 0)), inside)
              << hundredths(k, 0) << " lo=" << (lo ? *lo : 0) << " hi=" << (hi ? *hi : 0) << " strict=" << strict;
        }
        // One more digit than any bound: 0.005 lies strictly between 0 and 0.01.
        const bool half_inside = (!lo || *lo <= 0) && (!hi || *hi >= 1);   // 0.5 hundredths vs integer bounds
        ASSERT_EQ(matches(r, "0.005"), half_inside) << strict;
        ASSERT_FALSE(matches(r, "1e2"));
        ASSERT_FALSE(matches(r, ".5"));
      }
    }
  }
}

TEST(NumberRanges, ExclusiveDoubleBoundsFollowRounding) {
  const std::vector<std::string> near_tenth = {"0.1", "0.09999999999999999", "0.099999999999999999", "0.0999999999999999972",
                                               "0.09999999999999999861", "0.1000000000000000001", "0.10000000000000002", "0.0999"};
  for (bool upper : {true, false}) {
    const NumberBound b = double_bound(0.1, true, upper);
    const RegexPtr r = upper ? decimal_range_regex(std::nullopt, b) : decimal_range_regex(b, std::nullopt);
    for (const std::string& text : near_tenth) {
      const double x = std::strtod(text.c_str(), nullptr);
      const bool valid = upper ? x < 0.1 : x > 0.1;
      EXPECT_EQ(matches(r, text), valid) << text << (upper ? " < 0.1" : " > 0.1");
    }
  }
  // Integer-valued bound: 5 - 1e-17 rounds to 5, so it is not below 5 for ajv.
  const RegexPtr below5 = decimal_range_regex(std::nullopt, double_bound(5, true, true));
  EXPECT_TRUE(matches(below5, "4.999999999999999"));
  EXPECT_FALSE(matches(below5, "4.99999999999999999"));
  EXPECT_FALSE(matches(below5, "5"));
}

}  // namespace
}  // namespace gemma3::grammar
