// matmul on the legacy and K-quant block types, exact mode: on every ISA, each output is
// bit-identical to the same matmul over the rows widened to f32 by kquant_row_to_f32 (whose values
// gguf_dequant_blocks checks against NumPy's dequantization), whatever the batch size, the tile or
// path it lands in (AVX-512: the 1×8 decode tiles that widen whole blocks, the register tiles, the
// widened panels from kPanelMinRows x rows on) and the thread count. In the int8 mode Q2_K / Q3_K
// keep the exact kernels and so the same results (the other types: int8_matmul_test.cc).
#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "ops/int8_matmul.h"
#include "ops/kquant.h"
#include "ops/matmul.h"
#include "ops/parallel.h"
#include "ops_test_util.h"

namespace gemma3 {
namespace {

// Random valid blocks: random bytes (every level, high bit and packed scale pattern), the f16 scale
// fields set to values in [1e-3, 0.05).
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

// Quantized weights and the same rows widened to f32.
struct Weights {
  std::vector<uint8_t> blocks;
  std::vector<float> widened;
  WeightView quantized, f32;
  Weights(DType t, size_t rows, size_t cols, uint32_t seed)
      : blocks(random_blocks(t, rows, cols, seed)), widened(rows * cols) {
    quantized = {t, blocks.data(), rows, cols};
    for (size_t r = 0; r < rows; ++r) kquant_row_to_f32(t, blocks.data() + r * dtype_row_bytes(t, cols), cols, widened.data() + r * cols);
    f32 = {DType::kF32, widened.data(), rows, cols};
  }
};

class KquantMatmul : public ::testing::TestWithParam<std::tuple<Isa, DType>> {
 protected:
  DType dtype() const { return std::get<1>(GetParam()); }
  test::IsaScope isa_{std::get<0>(GetParam())};
};

// x = rows of the identity, so y[e][o] is weight e of row o as the kernel widened it: a wrong
// loader shows up as the element it got wrong. Batches of 1 (AVX-512: whole-block decode tiles),
// 5 (register tiles) and all 256 (widened panels).
TEST_P(KquantMatmul, EveryWeightWidensToTheScalarValue) {
  const size_t cols = 256, rows = 21;  // one super-block / 8 legacy blocks; 8 + 8 + 5 output rows
  const Weights w(dtype(), rows, cols, 11);
  std::vector<float> identity(cols * cols, 0.0f);
  for (size_t e = 0; e < cols; ++e) identity[e * cols + e] = 1.0f;
  test::ThreadsScope threads(1);
  for (size_t batch : {size_t{1}, size_t{5}, cols}) {
    std::vector<float> y(batch * rows);
    for (size_t e0 = 0; e0 < cols; e0 += batch) {
      const size_t n = std::min(batch, cols - e0);
      matmul(identity.data() + e0 * cols, n, w.quantized, y.data());
      for (size_t e = e0; e < e0 + n; ++e) {
        for (size_t o = 0; o < rows; ++o) {
          ASSERT_EQ(y[(e - e0) * rows + o], w.widened[o * cols + e]) << "batch " << batch << " row " << o << " element " << e;
        }
      }
    }
  }
}

TEST_P(KquantMatmul, BitIdenticalToTheF32MatmulOfTheWidenedRows) {
  const size_t cols = 512, rows = 45;  // 45: not a multiple of the 16-feature thread units
  const Weights w(dtype(), rows, cols, 5);
  for (MatmulPrecision p : {MatmulPrecision::kExact, MatmulPrecision::kInt8Activations}) {
    if (p == MatmulPrecision::kInt8Activations && kernels::int8_supports(dtype())) continue;
    test::PrecisionScope precision(p);
    for (int threads : {1, 2}) {
      test::ThreadsScope scope(threads);
      for (size_t n_rows : {size_t{1}, size_t{3}, size_t{8}, size_t{17}, size_t{64}, size_t{200}}) {
        const auto x = test::random_floats(n_rows * cols, static_cast<uint32_t>(6 + n_rows));
        std::vector<float> y(n_rows * rows), want(n_rows * rows);
        matmul(x.data(), n_rows, w.quantized, y.data());
        matmul(x.data(), n_rows, w.f32, want.data());
        for (size_t i = 0; i < y.size(); ++i) {
          ASSERT_EQ(std::bit_cast<uint32_t>(y[i]), std::bit_cast<uint32_t>(want[i]))
              << "threads " << threads << " n_rows " << n_rows << " x row " << i / rows << " output " << i % rows
              << ": " << y[i] << " vs " << want[i];
        }
      }
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

}  // namespace
}  // namespace gemma3
