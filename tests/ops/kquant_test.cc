// The legacy and K-quant block types in matmul: on every ISA, the result is bit-identical to the
// same matmul over the rows widened to f32 (the exact widening is checked against NumPy's
// dequantization by the gguf_dequant_blocks test), in the exact mode and, for Q2_K / Q3_K, in the
// int8 mode too (the others run integer dot products there: int8_matmul_test.cc); and the
// legacy reference quantizers round-trip within half a step.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <tuple>
#include <vector>

#include "ops/int8_matmul.h"
#include "ops/kquant.h"
#include "ops/matmul.h"
#include "ops/parallel.h"
#include "ops_test_util.h"

namespace gemma3 {
namespace {

// Random valid blocks: random bytes, f16 scale fields set to values in [1e-3, 0.05).
std::vector<uint8_t> random_blocks(DType t, size_t rows, size_t cols, uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<uint8_t> data(rows * dtype_row_bytes(t, cols));
  for (auto& b : data) b = static_cast<uint8_t>(gen());
  std::vector<size_t> f16_at;
  switch (t) {
    case DType::kQ4_1: case DType::kQ5_1: case DType::kQ4_K: case DType::kQ5_K: f16_at = {0, 2}; break;
    case DType::kQ5_0: f16_at = {0}; break;
    case DType::kQ2_K: f16_at = {80, 82}; break;
    case DType::kQ3_K: f16_at = {108}; break;
    default: f16_at = {208}; break;  // Q6_K
  }
  std::uniform_real_distribution<float> scale(1e-3f, 0.05f);
  const size_t bb = dtype_block_bytes(t);
  for (size_t b = 0; b < data.size() / bb; ++b) {
    for (size_t off : f16_at) {
      const uint16_t h = f32_to_f16(scale(gen));
      std::memcpy(&data[b * bb + off], &h, 2);
    }
  }
  return data;
}

class KquantMatmul : public ::testing::TestWithParam<std::tuple<Isa, DType>> {
 protected:
  DType dtype() const { return std::get<1>(GetParam()); }
  test::IsaScope isa_{std::get<0>(GetParam())};
};

TEST_P(KquantMatmul, EqualsTheF32MatmulOfTheWidenedRows) {
  const size_t cols = 512, rows = 37;
  const auto blocks = random_blocks(dtype(), rows, cols, 5);
  const WeightView w{dtype(), blocks.data(), rows, cols};
  std::vector<float> widened(rows * cols);
  for (size_t r = 0; r < rows; ++r) row_to_f32(w, r, widened.data() + r * cols);
  const WeightView f{DType::kF32, widened.data(), rows, cols};
  test::ThreadsScope threads(2);
  for (MatmulPrecision p : {MatmulPrecision::kExact, MatmulPrecision::kInt8Activations}) {
    // (The types the int8 mode covers are checked in that mode by int8_matmul_test.cc.)
    if (p == MatmulPrecision::kInt8Activations && kernels::int8_supports(dtype())) continue;
    test::PrecisionScope precision(p);
    for (size_t n_rows : {size_t{1}, size_t{7}, size_t{130}}) {
      auto x = test::random_floats(n_rows * cols, 6);
      std::vector<float> y(n_rows * rows), want(n_rows * rows);
      matmul(x.data(), n_rows, w, y.data());
      matmul(x.data(), n_rows, f, want.data());
      for (size_t i = 0; i < y.size(); ++i) ASSERT_EQ(y[i], want[i]) << "n_rows=" << n_rows << " i=" << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, KquantMatmul,
                         ::testing::Combine(::testing::ValuesIn(test::supported_isas()),
                                            ::testing::Values(DType::kQ4_1, DType::kQ5_0, DType::kQ5_1, DType::kQ2_K,
                                                              DType::kQ3_K, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K)),
                         [](const auto& info) {
                           return std::string(isa_name(std::get<0>(info.param))) + "_" +
                                  dtype_name(std::get<1>(info.param));
                         });

TEST(KquantQuantize, LegacyRoundTripWithinHalfAStep) {
  const size_t n = 256;
  auto x = test::random_floats(n, 9, -2.0f, 3.0f);
  for (DType t : {DType::kQ4_1, DType::kQ5_0, DType::kQ5_1}) {
    ASSERT_TRUE(kquant_can_quantize(t));
    std::vector<uint8_t> q(dtype_row_bytes(t, n));
    encode_row_from_f32(x.data(), n, t, q.data());
    std::vector<float> back(n);
    row_to_f32({t, q.data(), 1, n}, 0, back.data());
    const float levels = t == DType::kQ4_1 ? 15.0f : t == DType::kQ5_1 ? 31.0f : 16.0f;
    for (size_t b = 0; b < n / 32; ++b) {
      float lo = x[b * 32], hi = lo, amax = 0;
      for (size_t i = 0; i < 32; ++i) {
        lo = std::min(lo, x[b * 32 + i]);
        hi = std::max(hi, x[b * 32 + i]);
        amax = std::max(amax, std::fabs(x[b * 32 + i]));
      }
      const float step = t == DType::kQ5_0 ? amax / levels : (hi - lo) / levels;
      for (size_t i = 0; i < 32; ++i)
        EXPECT_NEAR(back[b * 32 + i], x[b * 32 + i], 0.5f * step * 1.01f + 2e-3f * amax) << dtype_name(t) << " " << b * 32 + i;
    }
  }
  EXPECT_FALSE(kquant_can_quantize(DType::kQ2_K));
}

TEST(KquantTypes, Geometry) {
  EXPECT_EQ(dtype_block_elems(DType::kQ4_K), 256u);
  EXPECT_EQ(dtype_row_bytes(DType::kQ6_K, 512), 420u);
  EXPECT_EQ(dtype_row_bytes(DType::kQ5_0, 64), 44u);
  EXPECT_TRUE(dtype_is_quantized(DType::kQ3_K));
  EXPECT_STREQ(dtype_name(DType::kQ5_K), "q5_k");
}

}  // namespace
}  // namespace gemma3
