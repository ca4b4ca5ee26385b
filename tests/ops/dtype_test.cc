#include "ops/dtype.h"

#include <gtest/gtest.h>
#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "ops/cpu_features.h"
#include "ops_test_util.h"

namespace gemma3 {
namespace {

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

TEST(DType, SizesAndNames) {
  EXPECT_EQ(dtype_size(DType::kBF16), 2u);
  EXPECT_EQ(dtype_size(DType::kF16), 2u);
  EXPECT_EQ(dtype_size(DType::kF32), 4u);
  EXPECT_STREQ(dtype_name(DType::kBF16), "bf16");
  EXPECT_STREQ(dtype_name(DType::kF16), "f16");
  EXPECT_STREQ(dtype_name(DType::kF32), "f32");
}

TEST(DType, Bf16WideningIsExactShift) {
  EXPECT_EQ(bf16_to_f32(0x3f80), 1.0f);
  EXPECT_EQ(bf16_to_f32(0xc000), -2.0f);
  EXPECT_EQ(bits(bf16_to_f32(0x8000)), 0x80000000u);
  EXPECT_TRUE(std::isinf(bf16_to_f32(0x7f80)));
  EXPECT_TRUE(std::isnan(bf16_to_f32(0x7fc0)));
}

TEST(DType, Bf16RoundsToNearestEven) {
  // 1 + 2⁻⁸ is halfway between bf16 1.0 (even) and 1 + 2⁻⁷ (odd): ties go to 1.0.
  EXPECT_EQ(f32_to_bf16(from_bits(0x3f808000)), 0x3f80);
  // Halfway above an odd mantissa rounds up to even.
  EXPECT_EQ(f32_to_bf16(from_bits(0x3f818000)), 0x3f82);
  // Just above halfway rounds up, just below rounds down.
  EXPECT_EQ(f32_to_bf16(from_bits(0x3f808001)), 0x3f81);
  EXPECT_EQ(f32_to_bf16(from_bits(0x3f807fff)), 0x3f80);
  // sqrt(640) = 25.298 -> 25.25 in bf16 (the Gemma embedding scale).
  EXPECT_EQ(bf16_to_f32(f32_to_bf16(std::sqrt(640.0f))), 25.25f);
  // Largest finite f32 overflows to inf; inf stays inf.
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::max()), 0x7f80);
  EXPECT_EQ(f32_to_bf16(-std::numeric_limits<float>::infinity()), 0xff80);
}

TEST(DType, Bf16NanStaysNan) {
  // A NaN whose payload sits only in the low 16 bits must not truncate to inf.
  for (uint32_t u : {0x7f800001u, 0xff800001u, 0x7fc00000u, 0x7fffffffu}) {
    const uint16_t b = f32_to_bf16(from_bits(u));
    EXPECT_TRUE(std::isnan(bf16_to_f32(b))) << std::hex << u;
    EXPECT_EQ(b >> 15, u >> 31);
  }
}

TEST(DType, Bf16RoundTripOfEveryValue) {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    const float f = bf16_to_f32(static_cast<uint16_t>(b));
    if (std::isnan(f)) continue;
    EXPECT_EQ(f32_to_bf16(f), b);
  }
}

TEST(DType, F16WideningOfEveryValue) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = f16_to_f32(static_cast<uint16_t>(h));
    const uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    const double sign = (h & 0x8000) ? -1.0 : 1.0;
    if (exp == 31) {
      EXPECT_EQ(std::isnan(f), mant != 0) << h;
      continue;
    }
    const double expect = exp == 0 ? sign * mant * std::ldexp(1.0, -24)
                                   : sign * (1024 + mant) * std::ldexp(1.0, int(exp) - 25);
    EXPECT_EQ(f, static_cast<float>(expect)) << h;
    EXPECT_EQ(f32_to_f16(f), h) << h;  // round trip
  }
}

TEST(DType, F16Rounding) {
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7bff);
  EXPECT_EQ(f32_to_f16(65519.0f), 0x7bff);
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7c00);  // tie to even = inf
  EXPECT_EQ(f32_to_f16(1e10f), 0x7c00);
  EXPECT_EQ(f32_to_f16(-1e10f), 0xfc00);
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -25)), 0x0000);         // tie to even (0)
  EXPECT_EQ(f32_to_f16(std::ldexp(1.5f, -25)), 0x0001);         // above half
  EXPECT_EQ(f32_to_f16(std::ldexp(3.0f, -25)), 0x0002);         // 1.5 ulp -> 2 (even)
  EXPECT_EQ(f32_to_f16(std::ldexp(1023.5f, -24)), 0x0400);      // rounds up into the normals
  EXPECT_EQ(f32_to_f16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);  // tie to even
  EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(std::nanf("")))));
}

// Cross-check against the F16C instruction (round to nearest even) on random bit patterns.
__attribute__((target("f16c"))) uint16_t hardware_f32_to_f16(float f) {
  return static_cast<uint16_t>(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT));
}

TEST(DType, F16NarrowingMatchesF16c) {
  if (best_supported_isa() == Isa::kScalar) GTEST_SKIP() << "no F16C";
  std::mt19937 gen(7);
  for (int i = 0; i < 2000000; ++i) {
    // Bias exponents toward the f16 range so normals, subnormals and overflow are all covered.
    uint32_t u = gen();
    u = (u & 0x807fffffu) | ((100u + (u >> 23) % 60u) << 23);
    const float f = from_bits(u);
    ASSERT_EQ(f32_to_f16(f), hardware_f32_to_f16(f)) << std::hex << u;
  }
}

TEST(DType, RowToF32) {
  for (DType dtype : {DType::kBF16, DType::kF16, DType::kF32}) {
    test::TestWeights w = test::random_weights(dtype, 5, 17, 3);
    std::vector<float> row(17);
    row_to_f32(w.view(), 3, row.data());
    for (size_t i = 0; i < 17; ++i) EXPECT_EQ(row[i], w.full[3 * 17 + i]) << dtype_name(dtype);
  }
}

}  // namespace
}  // namespace gemma3

namespace gemma3 {
namespace {

// GGML's quantizers, worked by hand on one block.
TEST(DType, QuantizeQ8_0MatchesGgmlReference) {
  float x[32];
  for (int i = 0; i < 32; ++i) x[i] = (i - 10) * 0.25f;  // amax 5.25 at i = 31
  BlockQ8_0 b;
  quantize_row_q8_0(x, 32, &b);
  const float d = 5.25f / 127.0f;
  EXPECT_EQ(b.d, f32_to_f16(d));
  for (int i = 0; i < 32; ++i) EXPECT_EQ(b.qs[i], static_cast<int8_t>(std::roundf(x[i] / d))) << i;
  EXPECT_EQ(b.qs[31], 127);
  float back[32];
  row_to_f32(WeightView{DType::kQ8_0, &b, 1, 32}, 0, back);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(back[i], f16_to_f32(b.d) * b.qs[i]);
  EXPECT_EQ(dtype_row_bytes(DType::kQ8_0, 64), 68u);
}

TEST(DType, QuantizeQ4_0MatchesGgmlReference) {
  float x[32];
  for (int i = 0; i < 32; ++i) x[i] = (i % 2 ? 1.0f : -1.0f) * i * 0.125f;  // extreme: +3.875 at 31
  BlockQ4_0 b;
  quantize_row_q4_0(x, 32, &b);
  const float d = 3.875f / -8.0f;  // the extreme value, sign kept, maps to -8 (so d < 0 here)
  EXPECT_EQ(b.d, f32_to_f16(d));
  float back[32];
  row_to_f32(WeightView{DType::kQ4_0, &b, 1, 32}, 0, back);
  for (int i = 0; i < 32; ++i) {
    const int q = std::min(15, static_cast<int>(static_cast<int8_t>(x[i] / d + 8.5f)));
    EXPECT_EQ(back[i], f16_to_f32(b.d) * static_cast<float>(q - 8)) << i;
  }
  EXPECT_EQ(back[31], -8 * f16_to_f32(b.d));
  EXPECT_EQ(b.qs[0] & 0x0f, 8);                 // x[0] = 0 -> 8 (low nibble of byte 0)
  EXPECT_EQ(dtype_row_bytes(DType::kQ4_0, 64), 36u);
  // All zeros: scale 0, every value 0 (no division by zero).
  float zeros[32] = {};
  quantize_row_q4_0(zeros, 32, &b);
  row_to_f32(WeightView{DType::kQ4_0, &b, 1, 32}, 0, back);
  for (float v : back) EXPECT_EQ(v, 0.0f);
}

}  // namespace
}  // namespace gemma3
