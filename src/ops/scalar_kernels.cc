// The scalar kernel set: plain loops, f32 throughout, one sequential sum per reduction. It is the
// portable fallback (GEMMA3_ISA=scalar) and the oracle the vectorised kernels are tested against.
#include <cmath>
#include <limits>
#include <vector>

#include "ops/isa_kernels.h"

namespace gemma3::kernels::scalar {

void matmul_block(const float* x, size_t n_rows, const WeightView& w, size_t o_begin, size_t o_end,
                  float* y) {
  const size_t k = w.cols;
  thread_local std::vector<float> wrow;  // (k,) the current weight row widened to f32
  wrow.resize(k);
  for (size_t o = o_begin; o < o_end; ++o) {
    row_to_f32(w, o, wrow.data());
    for (size_t r = 0; r < n_rows; ++r) y[r * w.rows + o] = dot(x + r * k, wrow.data(), k);
  }
}

void rms_norm(const float* x, const float* scale, size_t n, float eps, float* y) {
  float ss = 0.0f;
  for (size_t i = 0; i < n; ++i) ss += x[i] * x[i];
  const float inv = 1.0f / std::sqrt(ss / static_cast<float>(n) + eps);
  for (size_t i = 0; i < n; ++i) y[i] = x[i] * inv * scale[i];
}

float dot(const float* a, const float* b, size_t n) {
  float s = 0.0f;
  for (size_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

void axpy(float a, const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void scale(float* x, float a, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] *= a;
}

void add(const float* a, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] += a[i];
}

void gelu_tanh_mul(const float* gate, const float* up, float* out, size_t n) {
  // 0.5·x·(1 + tanh(u)) = x·sigmoid(2u) = x / (1 + exp(-2u)).
  constexpr float kTwoSqrt2OverPi = 2.0f * 0.7978845608028654f;
  for (size_t i = 0; i < n; ++i) {
    const float g = gate[i];
    const float two_u = kTwoSqrt2OverPi * (g + 0.044715f * g * g * g);
    out[i] = g / (1.0f + std::exp(-two_u)) * up[i];
  }
}

float max_value(const float* x, size_t n) {
  float m = -std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

void softmax(float* x, size_t n) {
  const float m = max_value(x, n);
  float sum = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - m);
    sum += x[i];
  }
  const float inv = 1.0f / sum;
  for (size_t i = 0; i < n; ++i) x[i] *= inv;
}

}  // namespace gemma3::kernels::scalar
