// matmul on every ISA and weight dtype against a double-precision reference (and the scalar twin),
// plus the determinism contract: y[r][o] depends only on x row r and w row o.
#include "ops/matmul.h"

#include <gtest/gtest.h>

#include <cmath>
#include <tuple>
#include <vector>

#include "ops/parallel.h"
#include "ops_test_util.h"

namespace gemma3 {
namespace {

using test::IsaScope;
using test::random_floats;
using test::random_weights;
using test::TestWeights;

class Matmul : public ::testing::TestWithParam<std::tuple<Isa, DType>> {
 protected:
  Isa isa() const { return std::get<0>(GetParam()); }
  DType dtype() const { return std::get<1>(GetParam()); }
  IsaScope scope_{std::get<0>(GetParam())};
};

using test::ThreadsScope;

void expect_close_to_reference(const std::vector<float>& x, size_t n_rows, const TestWeights& w,
                               const std::vector<float>& y, const char* what) {
  for (size_t r = 0; r < n_rows; ++r) {
    for (size_t o = 0; o < w.rows; ++o) {
      double want = 0, magnitude = 0;
      for (size_t k = 0; k < w.cols; ++k) {
        const double p = double(x[r * w.cols + k]) * w.full[o * w.cols + k];
        want += p;
        magnitude += std::fabs(p);
      }
      const double tol = 2e-7 * std::sqrt(double(w.cols)) * magnitude * 4 + 1e-30;
      ASSERT_NEAR(y[r * w.rows + o], want, tol)
          << what << ": r=" << r << " o=" << o << " rows=" << w.rows << " cols=" << w.cols
          << " n_rows=" << n_rows;
    }
  }
}

TEST_P(Matmul, MatchesReferenceAtOddShapes) {
  const size_t cols_list[] = {1, 3, 15, 17, 640, 1000, 2048};
  const size_t rows_list[] = {1, 3, 17, 40};
  const size_t n_rows_list[] = {1, 2, 5, 7, 13};
  uint32_t seed = 1;
  for (size_t cols_wanted : cols_list) {
    const size_t cols = test::cols_for(dtype(), cols_wanted);
    for (size_t rows : rows_list) {
      TestWeights w = random_weights(dtype(), rows, cols, seed++);
      for (size_t n_rows : n_rows_list) {
        auto x = random_floats(n_rows * cols, seed++);
        std::vector<float> y(n_rows * rows, -1.0f);
        matmul(x.data(), n_rows, w.view(), y.data());
        expect_close_to_reference(x, n_rows, w, y, isa_name(isa()));
      }
    }
  }
}

TEST_P(Matmul, ModelShapesMatchScalarTwin) {
  // (rows, cols) of the 270m projections, cut down in rows to keep the scalar twin quick.
  const std::pair<size_t, size_t> shapes[] = {{256, 640}, {64, 2048}, {130, 1024}};
  for (auto [rows, cols] : shapes) {
    TestWeights w = random_weights(dtype(), rows, cols, 11);
    for (size_t n_rows : {size_t{1}, size_t{64}}) {
      auto x = random_floats(n_rows * cols, 12, -3.0f, 3.0f);
      std::vector<float> got(n_rows * rows), want(n_rows * rows);
      matmul(x.data(), n_rows, w.view(), got.data());
      {
        IsaScope s(Isa::kScalar);
        matmul(x.data(), n_rows, w.view(), want.data());
      }
      for (size_t i = 0; i < got.size(); ++i) {
        double magnitude = 0;
        const size_t r = i / rows, o = i % rows;
        for (size_t k = 0; k < cols; ++k)
          magnitude += std::fabs(x[r * cols + k] * w.full[o * cols + k]);
        ASSERT_NEAR(got[i], want[i], 1e-6 * std::sqrt(double(cols)) * magnitude) << i;
      }
    }
  }
}

TEST_P(Matmul, DeterministicAcrossBatchAndThreads) {
  // cols 1000 and 2048 make the panel path's batch span several of its x-row cache blocks.
  for (size_t cols_wanted : {size_t{17}, size_t{640}, size_t{1000}, size_t{2048}}) {
    const size_t cols = test::cols_for(dtype(), cols_wanted);
    const size_t rows = 203;  // not a multiple of any tile, so edge tiles are exercised
    TestWeights w = random_weights(dtype(), rows, cols, 21);
    constexpr size_t kBatch = 160;
    auto x = random_floats(kBatch * cols, 22, -2.0f, 2.0f);
    // Reference: each row alone, one thread.
    std::vector<float> single(kBatch * rows);
    {
      ThreadsScope t(1);
      for (size_t r = 0; r < kBatch; ++r) matmul(&x[r * cols], 1, w.view(), &single[r * rows]);
    }
    for (int threads : {1, 2, 3}) {
      ThreadsScope t(threads);
      // 1: the decode path; 7, 64: register-widened tiles; 150: the pre-widened panel path of the
      // block-quantized types (avx512_matmul.cc: kPanelMinRows).
      for (size_t n_rows : {size_t{1}, size_t{7}, size_t{64}, size_t{150}}) {
        for (size_t start : {size_t{0}, size_t{5}}) {
          if (start + n_rows > kBatch) continue;
          std::vector<float> y(n_rows * rows);
          matmul(&x[start * cols], n_rows, w.view(), y.data());
          for (size_t r = 0; r < n_rows; ++r) {
            for (size_t o = 0; o < rows; ++o) {
              ASSERT_EQ(y[r * rows + o], single[(start + r) * rows + o])
                  << "threads=" << threads << " n_rows=" << n_rows << " start=" << start
                  << " r=" << r << " o=" << o << " cols=" << cols;
            }
          }
        }
      }
    }
  }
}

TEST_P(Matmul, LargeRowsSplitAcrossThreads) {
  // Enough work that matmul really forks; the 2-thread result must equal the 1-thread one.
  const size_t rows = 4099, cols = 640;
  TestWeights w = random_weights(dtype(), rows, cols, 31);
  auto x = random_floats(3 * cols, 32);
  std::vector<float> one(3 * rows), two(3 * rows);
  {
    ThreadsScope t(1);
    matmul(x.data(), 3, w.view(), one.data());
  }
  {
    ThreadsScope t(2);
    matmul(x.data(), 3, w.view(), two.data());
  }
  EXPECT_EQ(one, two);
  expect_close_to_reference(x, 3, w, two, "threads=2");
}

TEST_P(Matmul, ManyEqualsOneByOne) {
  // q/k/v-like targets of different heights (not multiples of the tile) in one region.
  const size_t cols = test::cols_for(dtype(), 640);
  TestWeights a = random_weights(dtype(), 1029, cols, 51), b = random_weights(dtype(), 37, cols, 52),
              c = random_weights(dtype(), 256, cols, 53);
  for (size_t n_rows : {size_t{1}, size_t{5}, size_t{33}}) {
    auto x = random_floats(n_rows * cols, 54);
    std::vector<float> ya(n_rows * a.rows), yb(n_rows * b.rows), yc(n_rows * c.rows);
    const MatmulTarget targets[] = {{a.view(), ya.data()}, {b.view(), yb.data()}, {c.view(), yc.data()}};
    ThreadsScope t(2);
    matmul_many(x.data(), n_rows, targets);
    for (const auto& [w, y] : {std::pair{&a, &ya}, std::pair{&b, &yb}, std::pair{&c, &yc}}) {
      std::vector<float> alone(y->size());
      matmul(x.data(), n_rows, w->view(), alone.data());
      EXPECT_EQ(*y, alone) << "rows=" << w->rows << " n_rows=" << n_rows;
    }
  }
}

TEST_P(Matmul, EmptyShapes) {
  // cols == 0: every output is the empty sum, 0. n_rows == 0 or rows == 0: nothing is written.
  TestWeights empty = random_weights(dtype(), 5, 0, 41);
  std::vector<float> x(3), y(3 * 5, -1.0f);
  matmul(x.data(), 3, empty.view(), y.data());
  for (float v : y) EXPECT_EQ(v, 0.0f);
  const size_t cols = test::cols_for(dtype(), 7);
  TestWeights w = random_weights(dtype(), 5, cols, 42);
  std::vector<float> untouched(1, -1.0f);
  matmul(x.data(), 0, w.view(), untouched.data());
  TestWeights no_rows = random_weights(dtype(), 0, cols, 43);
  std::vector<float> x7(cols);
  matmul(x7.data(), 1, no_rows.view(), untouched.data());
  EXPECT_EQ(untouched[0], -1.0f);
}

// MatmulPrecision::kBf16Activations: the same contract with x rounded to bf16 first (on AVX512_BF16
// CPUs through vdpbf16ps, elsewhere through the exact kernels).
using test::PrecisionScope;

TEST_P(Matmul, Bf16ActivationsMatchRoundedReferenceAndStayDeterministic) {
  PrecisionScope p(MatmulPrecision::kBf16Activations);
  for (size_t cols : {size_t{17}, size_t{640}, size_t{1000}}) {
    const size_t c = test::cols_for(dtype(), cols), rows = 203;
    TestWeights w = random_weights(dtype(), rows, c, 61);
    auto x = random_floats(40 * c, 62, -2.0f, 2.0f);
    std::vector<float> x_rounded(x.size());
    for (size_t i = 0; i < x.size(); ++i) x_rounded[i] = bf16_to_f32(f32_to_bf16(x[i]));
    std::vector<float> single(40 * rows);
    {
      ThreadsScope t(1);
      for (size_t r = 0; r < 40; ++r) matmul(&x[r * c], 1, w.view(), &single[r * rows]);
    }
    expect_close_to_reference(x_rounded, 40, w, single, "bf16 activations, one row at a time");
    ThreadsScope t(2);
    for (size_t n_rows : {size_t{7}, size_t{40}}) {
      std::vector<float> y(n_rows * rows);
      matmul(x.data(), n_rows, w.view(), y.data());
      for (size_t i = 0; i < y.size(); ++i) ASSERT_EQ(y[i], single[i]) << "n_rows=" << n_rows << " i=" << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, Matmul,
                         ::testing::Combine(::testing::ValuesIn(test::supported_isas()),
                                            ::testing::Values(DType::kBF16, DType::kF16,
                                                              DType::kF32, DType::kQ8_0,
                                                              DType::kQ4_0)),
                         [](const auto& info) {
                           return std::string(isa_name(std::get<0>(info.param))) + "_" +
                                  dtype_name(std::get<1>(info.param));
                         });

}  // namespace
}  // namespace gemma3
