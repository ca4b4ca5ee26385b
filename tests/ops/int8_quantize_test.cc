// quantize_rows_int8 (ops/int8_matmul.h): the AVX-512 path gives the scalar oracle's bytes, scales
// and sums exactly, on random rows of several magnitudes and on the edge values (zeros, exact
// halves that round to even, ±127 boundaries, subnormals, infinities, NaN), whatever the threads.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "ops/cpu_features.h"
#include "ops/int8_matmul.h"
#include "ops_test_util.h"

namespace gemma3 {
namespace {

using test::IsaScope;
using test::ThreadsScope;

struct Quantized {
  std::vector<int8_t> q;
  std::vector<uint32_t> d_bits;  // bit patterns: NaN == NaN here
  std::vector<int32_t> sum, sum_lo;
};

Quantized quantize(const std::vector<float>& x, size_t n_rows, size_t k, Isa isa, int threads) {
  IsaScope scope(isa);
  ThreadsScope th(threads);
  kernels::Int8Buffer buf;
  const kernels::Int8Rows r = kernels::quantize_rows_int8(x.data(), n_rows, k, buf);
  Quantized out;
  out.q.assign(r.q, r.q + n_rows * k);
  for (size_t i = 0; i < n_rows * r.blocks; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &r.d[i], sizeof bits);
    out.d_bits.push_back(bits);
  }
  out.sum.assign(r.sum, r.sum + n_rows * r.blocks);
  out.sum_lo.assign(r.sum_lo, r.sum_lo + n_rows * r.blocks);
  return out;
}

TEST(Int8Quantize, Avx512MatchesTheScalarOracle) {
  if (best_supported_isa() != Isa::kAvx512) GTEST_SKIP() << "no AVX-512 here";
  const size_t k = 640, n_rows = 37;
  std::mt19937 gen(5);
  std::vector<float> x(n_rows * k);
  for (size_t r = 0; r < n_rows; ++r) {
    const float scale = std::ldexp(1.0f, static_cast<int>(r % 30) - 15);
    std::uniform_real_distribution<float> dist(-scale, scale);
    for (size_t j = 0; j < k; ++j) x[r * k + j] = dist(gen);
  }
  // Edge blocks (row 0): all zeros; exact halves after scaling (amax 127 -> id 1: 0.5, 1.5, 2.5 ...
  // round to even); subnormals; +inf; NaN; -inf with finite neighbours; the ±127 extremes.
  float* b = x.data();
  std::fill(b, b + 32, 0.0f);
  b[32] = 127.0f;
  for (int j = 1; j < 32; ++j) b[32 + j] = static_cast<float>(j % 8) + 0.5f - 4.0f;
  for (int j = 0; j < 32; ++j) b[64 + j] = std::numeric_limits<float>::denorm_min() * static_cast<float>(j - 16);
  b[96 + 3] = std::numeric_limits<float>::infinity();
  b[128 + 7] = std::numeric_limits<float>::quiet_NaN();
  b[160 + 31] = -std::numeric_limits<float>::infinity();
  b[192] = -127.0f, b[193] = 127.0f, b[194] = -126.5f, b[195] = 126.5f;
  const Quantized want = quantize(x, n_rows, k, Isa::kScalar, 1);
  for (int threads : {1, 2}) {
    const Quantized got = quantize(x, n_rows, k, Isa::kAvx512, threads);
    EXPECT_EQ(got.q, want.q) << threads;
    EXPECT_EQ(got.d_bits, want.d_bits) << threads;
    EXPECT_EQ(got.sum, want.sum) << threads;
    EXPECT_EQ(got.sum_lo, want.sum_lo) << threads;
  }
  // The edge blocks as the contract states them.
  EXPECT_EQ(want.q[32], 127);
  EXPECT_EQ(want.q[32 + 1], -2);  // -2.5: half to even
  EXPECT_EQ(want.q[32 + 2], -2);  // -1.5
  EXPECT_EQ(want.q[32 + 4], 0);   // 0.5
  EXPECT_EQ(want.q[96 + 3], 0);   // the infinity's block: x·0 is NaN, which becomes 0
  EXPECT_TRUE(std::isnan(std::bit_cast<float>(want.d_bits[4])));  // the NaN's block carries it
}

}  // namespace
}  // namespace gemma3
