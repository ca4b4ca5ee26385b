// The legacy and K-quant block types: the legacy reference quantizers round-trip within half a
// step, and the types' geometry (their matmul: kquant_matmul_test.cc).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "ops/kquant.h"
#include "ops/matmul.h"
#include "ops_test_util.h"

namespace gemma3 {
namespace {

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
