// MatmulPrecision::kInt8Activations (`--matmul-int8`): every ISA against an independent
// implementation of the arithmetic stated in ops/int8_matmul.h (bit for bit), the determinism
// contract within the mode, its distance from the exact matmul, and the types it leaves exact.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <tuple>
#include <vector>

#include "ops/matmul.h"
#include "ops/parallel.h"
#include "ops_test_util.h"

namespace gemma3 {
namespace {

using test::IsaScope;
using test::random_floats;
using test::random_weights;
using test::TestWeights;

using test::PrecisionScope;
using test::ThreadsScope;

// The stated arithmetic, written from the block layouts of ops/dtype.h: x blocks quantized with
// d = amax/127 and round-half-even, the integer dot product of each block with the weight block's
// signed values, and acc = fma(d_w·d_x, isum, acc) over the blocks in order.
std::vector<float> int8_reference(const std::vector<float>& x, size_t n_rows, const TestWeights& w) {
  const size_t blocks = w.cols / 32, rb = dtype_row_bytes(w.dtype, w.cols);
  std::vector<float> y(n_rows * w.rows);
  for (size_t r = 0; r < n_rows; ++r) {
    for (size_t o = 0; o < w.rows; ++o) {
      float acc = 0.0f;
      for (size_t b = 0; b < blocks; ++b) {
        const float* xb = &x[r * w.cols + b * 32];
        float amax = 0.0f;
        for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(xb[i]));
        const float dx = amax / 127.0f, id = dx != 0.0f ? 1.0f / dx : 0.0f;
        const uint8_t* block = w.blocks.data() + o * rb + b * dtype_block_bytes(w.dtype);
        uint16_t h;
        std::memcpy(&h, block, 2);
        int32_t isum = 0;
        for (int i = 0; i < 32; ++i) {
          const int xq = static_cast<int>(std::nearbyint(xb[i] * id));
          const int wq = w.dtype == DType::kQ8_0 ? static_cast<int8_t>(block[2 + i])
                         : i < 16                ? (block[2 + i] & 15) - 8
                                                 : (block[2 + i - 16] >> 4) - 8;
          isum += xq * wq;
        }
        acc = std::fma(f16_to_f32(h) * dx, static_cast<float>(isum), acc);
      }
      y[r * w.rows + o] = acc;
    }
  }
  return y;
}

class Int8Matmul : public ::testing::TestWithParam<std::tuple<Isa, DType>> {
 protected:
  DType dtype() const { return std::get<1>(GetParam()); }
  IsaScope isa_{std::get<0>(GetParam())};
  PrecisionScope precision_{MatmulPrecision::kInt8Activations};
};

TEST_P(Int8Matmul, BitIdenticalToTheStatedArithmetic) {
  uint32_t seed = 1;
  // Shapes: one block and 33; one panel lane, a full panel, a partial second one; one x row, a
  // full 8-row tile plus a remainder.
  for (size_t cols : {size_t{32}, size_t{1056}}) {
    for (size_t rows : {size_t{1}, size_t{16}, size_t{37}}) {
      for (size_t n_rows : {size_t{1}, size_t{11}}) {
        TestWeights w = random_weights(dtype(), rows, cols, seed++);
        auto x = random_floats(n_rows * cols, seed++, -3.0f, 3.0f);
        std::vector<float> y(n_rows * rows);
        matmul(x.data(), n_rows, w.view(), y.data());
        const auto want = int8_reference(x, n_rows, w);
        for (size_t i = 0; i < y.size(); ++i)
          ASSERT_EQ(y[i], want[i]) << "cols=" << cols << " rows=" << rows << " n_rows=" << n_rows << " i=" << i;
      }
    }
  }
}

TEST_P(Int8Matmul, BatchAndThreadInvariant) {
  const size_t cols = 640, rows = 203, n = 150;  // 150 rows: several 8-row tiles and a remainder
  TestWeights w = random_weights(dtype(), rows, cols, 7);
  auto x = random_floats(n * cols, 8, -2.0f, 2.0f);
  std::vector<float> single(n * rows);
  {
    ThreadsScope t(1);
    for (size_t r = 0; r < n; ++r) matmul(&x[r * cols], 1, w.view(), &single[r * rows]);
  }
  ThreadsScope t(2);
  for (size_t n_rows : {size_t{2}, size_t{9}, n}) {
    std::vector<float> y(n_rows * rows);
    matmul(x.data(), n_rows, w.view(), y.data());
    for (size_t i = 0; i < y.size(); ++i) ASSERT_EQ(y[i], single[i]) << "n_rows=" << n_rows << " i=" << i;
  }
}

TEST_P(Int8Matmul, CloseToTheExactMatmul) {
  // Rounding x to 8 bits per block: each product moves by at most |w|·d_x/2, so the error is a
  // small fraction of the output scale (measured ~0.3% of max|y| for uniform x; bound 2%).
  const size_t cols = 1024, rows = 64, n = 4;
  TestWeights w = random_weights(dtype(), rows, cols, 11);
  auto x = random_floats(n * cols, 12, -1.0f, 1.0f);
  std::vector<float> y(n * rows), exact(n * rows);
  matmul(x.data(), n, w.view(), y.data());
  {
    PrecisionScope p(MatmulPrecision::kExact);
    matmul(x.data(), n, w.view(), exact.data());
  }
  float max_y = 0, max_err = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    max_y = std::max(max_y, std::fabs(exact[i]));
    max_err = std::max(max_err, std::fabs(y[i] - exact[i]));
  }
  EXPECT_GT(max_err, 0.0f) << "the mode must actually quantize";
  EXPECT_LT(max_err, 0.02f * max_y);
}

TEST_P(Int8Matmul, NonFiniteInputReachesTheOutput) {
  const size_t cols = 64, rows = 20;
  TestWeights w = random_weights(dtype(), rows, cols, 21);
  auto x = random_floats(2 * cols, 22);
  x[cols + 40] = std::numeric_limits<float>::quiet_NaN();  // row 1, block 1
  std::vector<float> y(2 * rows);
  matmul(x.data(), 2, w.view(), y.data());
  for (size_t o = 0; o < rows; ++o) {
    EXPECT_TRUE(std::isfinite(y[o])) << o;
    EXPECT_TRUE(std::isnan(y[rows + o])) << o;
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, Int8Matmul,
                         ::testing::Combine(::testing::ValuesIn(test::supported_isas()),
                                            ::testing::Values(DType::kQ8_0, DType::kQ4_0)),
                         [](const auto& info) {
                           return std::string(isa_name(std::get<0>(info.param))) + "_" +
                                  dtype_name(std::get<1>(info.param));
                         });

TEST(Int8MatmulOtherTypes, StayExact) {
  // bf16/f16/f32 weights (and a k that is not whole blocks) take the exact kernels in this mode.
  for (DType dtype : {DType::kBF16, DType::kF16, DType::kF32}) {
    for (size_t cols : {size_t{64}, size_t{50}}) {
      TestWeights w = random_weights(dtype, 33, cols, 31);
      auto x = random_floats(5 * cols, 32);
      std::vector<float> y(5 * 33), exact(5 * 33);
      {
        PrecisionScope p(MatmulPrecision::kInt8Activations);
        matmul(x.data(), 5, w.view(), y.data());
      }
      matmul(x.data(), 5, w.view(), exact.data());
      EXPECT_EQ(y, exact) << dtype_name(dtype) << " cols=" << cols;
    }
  }
}

}  // namespace
}  // namespace gemma3
