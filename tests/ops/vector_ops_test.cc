// Every vector kernel on every ISA this machine supports, against the scalar twin (and, for the
// transcendental ones, against a double-precision reference), at odd sizes that exercise tails.
#include "ops/vector_ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "ops_test_util.h"

namespace gemma3 {
namespace {

using test::IsaScope;
using test::random_floats;

const size_t kSizes[] = {1, 3, 15, 17, 640, 1000, 2048};

class VectorOps : public ::testing::TestWithParam<Isa> {
 protected:
  IsaScope scope_{GetParam()};
};

// Runs f under the scalar ISA (the twin) and returns its result.
template <typename F>
auto scalar_twin(F f) {
  IsaScope s(Isa::kScalar);
  return f();
}

// Tolerance for a sum of n terms whose absolute values sum to `magnitude`.
float sum_tolerance(size_t n, float magnitude) {
  return 4.0f * std::numeric_limits<float>::epsilon() * std::sqrt(static_cast<float>(n) + 1) *
             magnitude +
         1e-30f;
}

TEST_P(VectorOps, Dot) {
  for (size_t n : kSizes) {
    auto a = random_floats(n, 1), b = random_floats(n, 2);
    float magnitude = 0;
    for (size_t i = 0; i < n; ++i) magnitude += std::fabs(a[i] * b[i]);
    const float want = scalar_twin([&] { return dot(a.data(), b.data(), n); });
    EXPECT_NEAR(dot(a.data(), b.data(), n), want, sum_tolerance(n, magnitude)) << n;
  }
}

TEST_P(VectorOps, ElementwiseMatchScalar) {
  // scale and add are one rounded operation per element: every ISA gives the scalar's bits.
  // axpy is fused (one rounding) on the vector ISAs, so it may differ from the scalar's
  // mul-then-add by the rounding of a·x: half an ulp of |a·x|, plus half an ulp of the result.
  constexpr float kEps = std::numeric_limits<float>::epsilon();
  for (size_t n : kSizes) {
    auto x = random_floats(n, 3), y0 = random_floats(n, 4);
    auto want_axpy = y0, want_scale = x, want_add = y0;
    scalar_twin([&] {
      axpy(0.37f, x.data(), want_axpy.data(), n);
      scale(want_scale.data(), -1.7f, n);
      add(x.data(), want_add.data(), n);
      return 0;
    });
    auto got_axpy = y0, got_scale = x, got_add = y0;
    axpy(0.37f, x.data(), got_axpy.data(), n);
    scale(got_scale.data(), -1.7f, n);
    add(x.data(), got_add.data(), n);
    for (size_t i = 0; i < n; ++i) {
      const float tol = kEps * (std::fabs(0.37f * x[i]) + std::fabs(want_axpy[i]));
      EXPECT_NEAR(got_axpy[i], want_axpy[i], tol) << n << " " << i;
    }
    EXPECT_EQ(got_scale, want_scale) << n;
    EXPECT_EQ(got_add, want_add) << n;
  }
}

TEST_P(VectorOps, RmsNorm) {
  for (size_t n : kSizes) {
    auto x = random_floats(n, 5, -3.0f, 3.0f), s = random_floats(n, 6, 0.5f, 1.5f);
    double ss = 0;
    for (float v : x) ss += double(v) * v;
    const double inv = 1.0 / std::sqrt(ss / n + 1e-6);
    std::vector<float> y(n);
    rms_norm(x.data(), s.data(), n, 1e-6f, y.data());
    for (size_t i = 0; i < n; ++i) {
      const double want = x[i] * inv * s[i];
      EXPECT_NEAR(y[i], want, 1e-5 * std::fabs(want) + 1e-7) << n << " " << i;
    }
    // In place (y aliases x) gives the same bits.
    auto z = x;
    rms_norm(z.data(), s.data(), n, 1e-6f, z.data());
    EXPECT_EQ(z, y) << n;
  }
}

// In double. For u < -5, 1 + tanh(u) cancels even in double (it is 2e-22 at u = -25), so the tail
// uses the identity 1 + tanh(u) = 2 / (1 + exp(-2u)).
double gelu_reference(double x) {
  const double u = std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x);
  if (u > -5.0) return 0.5 * x * (1.0 + std::tanh(u));
  return x / (1.0 + std::exp(-2.0 * u));
}

// 1e-6 relative, widened in the negative tail where gelu(x) ~ x·exp(2u) and the f32 rounding of
// the argument 2u alone (relative 6e-8, so absolute 6e-8·|2u|) moves the result by that factor.
double gelu_tolerance(double x, double want) {
  const double two_u = 2.0 * std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x);
  return std::fabs(want) * (1e-6 + (x < 0 ? 2.5e-7 * std::fabs(two_u) : 0.0)) + 1e-37;
}

TEST_P(VectorOps, GeluTanhMulAgainstStdTanh) {
  for (size_t n : kSizes) {
    auto g = random_floats(n, 7, -8.0f, 8.0f), u = random_floats(n, 8, -2.0f, 2.0f);
    std::vector<float> out(n);
    gelu_tanh_mul(g.data(), u.data(), out.data(), n);
    for (size_t i = 0; i < n; ++i) {
      const double want = gelu_reference(g[i]) * u[i];
      EXPECT_NEAR(out[i], want, gelu_tolerance(g[i], want)) << "x=" << g[i];
    }
  }
}

TEST_P(VectorOps, GeluTanhMulExtremes) {
  const float big = 1e30f, inf = std::numeric_limits<float>::infinity();
  std::vector<float> g = {0.0f, -0.0f, 1e-20f, -1e-20f, 20.0f, -20.0f, 100.0f, -100.0f, big,
                          -big, 1e-3f, -1e-3f, 0.5f,    -0.5f, 3.0f,   -3.0f,  -9.0f};
  std::vector<float> u(g.size(), 1.0f), out(g.size());
  gelu_tanh_mul(g.data(), u.data(), out.data(), g.size());
  for (size_t i = 0; i < g.size(); ++i) {
    const double want = gelu_reference(g[i]);
    EXPECT_NEAR(out[i], want, gelu_tolerance(g[i], want)) << "x=" << g[i];
  }
  (void)inf;
}

TEST_P(VectorOps, MaxValue) {
  for (size_t n : kSizes) {
    auto x = random_floats(n, 9);
    for (size_t at : {size_t{0}, n / 2, n - 1}) {
      auto y = x;
      y[at] = 5.0f;
      EXPECT_EQ(max_value(y.data(), n), 5.0f) << n << " " << at;
    }
  }
  std::vector<float> all_neg_inf(17, -std::numeric_limits<float>::infinity());
  EXPECT_EQ(max_value(all_neg_inf.data(), 17), -std::numeric_limits<float>::infinity());
}

TEST_P(VectorOps, Softmax) {
  for (size_t n : kSizes) {
    auto x = random_floats(n, 10, -20.0f, 20.0f);
    if (n > 2) x[1] = -std::numeric_limits<float>::infinity();  // a masked position
    double m = -1e300;
    for (float v : x) m = std::max<double>(m, v);
    std::vector<double> want(n);
    double sum = 0;
    for (size_t i = 0; i < n; ++i) sum += want[i] = std::exp(double(x[i]) - m);
    auto y = x;
    softmax(y.data(), n);
    for (size_t i = 0; i < n; ++i) {
      EXPECT_NEAR(y[i], want[i] / sum, 2e-6 * want[i] / sum + 1e-12) << n << " " << i;
    }
    if (n > 2) {
      EXPECT_EQ(y[1], 0.0f);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, VectorOps, ::testing::ValuesIn(test::supported_isas()),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

}  // namespace
}  // namespace gemma3
