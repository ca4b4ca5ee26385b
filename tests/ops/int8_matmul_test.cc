// MatmulPrecision::kInt8Activations (`--matmul-int8`): every ISA and every weight type the mode
// covers (Q8_0, Q4_0, the legacy Q4_1 / Q5_0 / Q5_1, the K-quants Q4_K / Q5_K / Q6_K) against an
// independent implementation of the arithmetic stated in ops/int8_matmul.h (bit for bit), the
// determinism contract within the mode, its distance from the exact matmul, and the types it
// leaves exact.
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

// One 32-element weight block as the stated arithmetic sees it, read from the block layouts of
// ops/dtype.h and ops/kquant.h (written here again, apart from the kernels' unpacking): signed
// levels q (level − offset), the scale d_w, the min m_w, and a scale per 16 elements (Q6_K).
struct RefBlock {
  int q[32];
  float d, m = 0.0f;
  int sc[2] = {1, 1};
  bool has_min = false;
};

float f16_at(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return f16_to_f32(h);
}

RefBlock ref_block(DType t, const uint8_t* row, size_t b) {
  RefBlock r;
  auto nibble = [](const uint8_t* qs, int i) { return i < 16 ? qs[i] & 15 : qs[i - 16] >> 4; };
  auto bit = [](const uint8_t* qh, int i) { return (qh[i / 8] >> (i % 8)) & 1; };
  switch (t) {
    case DType::kQ8_0: {
      const uint8_t* p = row + 34 * b;
      r.d = f16_at(p);
      for (int i = 0; i < 32; ++i) r.q[i] = static_cast<int8_t>(p[2 + i]);
      break;
    }
    case DType::kQ4_0:
    case DType::kQ4_1: {
      const bool min = t == DType::kQ4_1;
      const uint8_t* p = row + (min ? 20 : 18) * b;
      r.d = f16_at(p);
      if (min) r.m = f16_at(p + 2), r.has_min = true;
      for (int i = 0; i < 32; ++i) r.q[i] = nibble(p + (min ? 4 : 2), i) - (min ? 0 : 8);
      break;
    }
    case DType::kQ5_0:
    case DType::kQ5_1: {
      const bool min = t == DType::kQ5_1;
      const uint8_t* p = row + (min ? 24 : 22) * b;
      r.d = f16_at(p);
      if (min) r.m = f16_at(p + 2), r.has_min = true;
      const uint8_t* qh = p + (min ? 4 : 2);
      for (int i = 0; i < 32; ++i) r.q[i] = (nibble(qh + 4, i) | bit(qh, i) << 4) - (min ? 0 : 16);
      break;
    }
    case DType::kQ4_K:
    case DType::kQ5_K: {
      const bool five = t == DType::kQ5_K;
      const uint8_t* p = row + (five ? 176 : 144) * (b / 8);
      const int j = static_cast<int>(b % 8);
      const uint8_t* sc = p + 4;  // 6-bit scale j and min j: bytes j, j + 4 for j < 4; else split
      const int s = j < 4 ? sc[j] & 63 : (sc[j + 4] & 15) | (sc[j - 4] >> 6) << 4;
      const int m = j < 4 ? sc[j + 4] & 63 : (sc[j + 4] >> 4) | (sc[j] >> 6) << 4;
      r.d = f16_at(p) * static_cast<float>(s);
      r.m = -(f16_at(p + 2) * static_cast<float>(m));
      r.has_min = true;
      const uint8_t* qs = p + (five ? 48 : 16) + 32 * (j / 2);
      for (int l = 0; l < 32; ++l)
        r.q[l] = (j % 2 == 0 ? qs[l] & 15 : qs[l] >> 4) + (five && (p[16 + l] >> j) & 1 ? 16 : 0);
      break;
    }
    case DType::kQ6_K: {
      const uint8_t* p = row + 210 * (b / 8);
      for (int l = 0; l < 32; ++l) {
        const int e = 32 * static_cast<int>(b % 8) + l, h = e / 128, s = e % 128 / 32;
        const uint8_t lq = p[64 * h + 32 * (s % 2) + l];
        r.q[l] = ((s < 2 ? lq & 15 : lq >> 4) | ((p[128 + 32 * h + l] >> (2 * s)) & 3) << 4) - 32;
      }
      r.sc[0] = static_cast<int8_t>(p[192 + 2 * (b % 8)]);
      r.sc[1] = static_cast<int8_t>(p[192 + 2 * (b % 8) + 1]);
      r.d = f16_at(p + 208);
      break;
    }
    default:
      ADD_FAILURE() << "no reference for " << dtype_name(t);
  }
  return r;
}

// The stated arithmetic (ops/int8_matmul.h): x blocks quantized with d = amax/127 and
// round-half-even, the integer dot products of each half block with the weight levels, and
// acc = fma(d_w·d_x, isum, acc) (then fma(m_w·d_x, Σ xq, acc) for the types with a min) over the
// blocks in order.
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
        const RefBlock wb = ref_block(w.dtype, w.blocks.data() + o * rb, b);
        int32_t half[2] = {0, 0}, xsum = 0;
        for (int i = 0; i < 32; ++i) {
          const int xq = static_cast<int>(std::nearbyint(xb[i] * id));
          half[i / 16] += xq * wb.q[i];
          xsum += xq;
        }
        acc = std::fma(wb.d * dx, static_cast<float>(wb.sc[0] * half[0] + wb.sc[1] * half[1]), acc);
        if (wb.has_min) acc = std::fma(wb.m * dx, static_cast<float>(xsum), acc);
      }
      y[r * w.rows + o] = acc;
    }
  }
  return y;
}

bool k_type(DType t) { return dtype_block_elems(t) == 256; }

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
  // (K-quants: one super-block and five.)
  for (size_t cols : k_type(dtype()) ? std::vector<size_t>{256, 1280} : std::vector<size_t>{32, 1056}) {
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
  const size_t cols = k_type(dtype()) ? 768 : 640, rows = 203, n = 150;  // 150 rows: 8-row tiles and a remainder
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
  const size_t cols = k_type(dtype()) ? 256 : 64, rows = 20;
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
                                            ::testing::Values(DType::kQ8_0, DType::kQ4_0, DType::kQ4_1, DType::kQ5_0,
                                                              DType::kQ5_1, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K)),
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
