// AVX-512 vector kernels: 16 lanes per step, masked tails (no scalar remainder loops). scale, add
// and rms_norm's final products do the scalar twin's exact operations, so they match it bit for
// bit; axpy uses an explicit FMA (one rounding: the scalar twin, built for baseline x86-64, rounds
// twice), because GCC contracts vector mul+add into FMA on its own in FMA-enabled functions anyway
// (-ffp-contract=fast is its default), and an explicit FMA at least makes every lane and the tail
// agree. Reductions use 4 independent accumulators (64 floats per step) and differ from the
// sequential scalar sum only by rounding.
#include <cmath>

#include "ops/isa_kernels.h"
#include "ops/simd_avx512.h"

namespace gemma3::kernels::avx512 {

namespace {

// Σ a·b with four 16-lane accumulators, combined as (acc0 + acc1) + (acc2 + acc3), then hsum.
GEMMA3_AVX512 float dot_impl(const float* a, const float* b, size_t n) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
    acc2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32), acc2);
    acc3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48), acc3);
  }
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
  }
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), acc1);
  }
  return hsum(_mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3)));
}

// gelu_tanh(g) = g·sigmoid(2u) = g / (1 + e^(-2u)), u = √(2/π)(g + 0.044715g³).
GEMMA3_AVX512 __m512 gelu16(__m512 g) {
  const __m512 cube =
      _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.044715f), g), g), g);
  const __m512 two_u =
      _mm512_mul_ps(_mm512_set1_ps(2.0f * 0.7978845608028654f), _mm512_add_ps(g, cube));
  const __m512 e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), two_u));
  return _mm512_div_ps(g, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

}  // namespace

GEMMA3_AVX512 float dot(const float* a, const float* b, size_t n) { return dot_impl(a, b, n); }

GEMMA3_AVX512 void rms_norm(const float* x, const float* scale, size_t n, float eps, float* y) {
  const float ss = dot_impl(x, x, n);
  const __m512 inv = _mm512_set1_ps(1.0f / std::sqrt(ss / static_cast<float>(n) + eps));
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v =
        _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(x + i), inv), _mm512_loadu_ps(scale + i));
    _mm512_storeu_ps(y + i, v);
  }
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 v = _mm512_mul_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), inv),
                                   _mm512_maskz_loadu_ps(m, scale + i));
    _mm512_mask_storeu_ps(y + i, m, v);
  }
}

GEMMA3_AVX512 void axpy(float a, const float* x, float* y, size_t n) {
  const __m512 av = _mm512_set1_ps(a);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm512_storeu_ps(y + i, _mm512_fmadd_ps(av, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
  }
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 v =
        _mm512_fmadd_ps(av, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i));
    _mm512_mask_storeu_ps(y + i, m, v);
  }
}

GEMMA3_AVX512 void scale(float* x, float a, size_t n) {
  const __m512 av = _mm512_set1_ps(a);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, _mm512_mul_ps(_mm512_loadu_ps(x + i), av));
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), av));
  }
}

GEMMA3_AVX512 void add(const float* a, float* y, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm512_storeu_ps(y + i, _mm512_add_ps(_mm512_loadu_ps(y + i), _mm512_loadu_ps(a + i)));
  }
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(
        y + i, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, y + i), _mm512_maskz_loadu_ps(m, a + i)));
  }
}

GEMMA3_AVX512 void gelu_tanh_mul(const float* gate, const float* up, float* out, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm512_storeu_ps(out + i,
                     _mm512_mul_ps(gelu16(_mm512_loadu_ps(gate + i)), _mm512_loadu_ps(up + i)));
  }
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 v =
        _mm512_mul_ps(gelu16(_mm512_maskz_loadu_ps(m, gate + i)), _mm512_maskz_loadu_ps(m, up + i));
    _mm512_mask_storeu_ps(out + i, m, v);
  }
}

GEMMA3_AVX512 float max_value(const float* x, size_t n) {
  const __m512 neg_inf = _mm512_set1_ps(-INFINITY);
  __m512 m0 = neg_inf, m1 = neg_inf;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    m0 = _mm512_max_ps(m0, _mm512_loadu_ps(x + i));
    m1 = _mm512_max_ps(m1, _mm512_loadu_ps(x + i + 16));
  }
  for (; i + 16 <= n; i += 16) m0 = _mm512_max_ps(m0, _mm512_loadu_ps(x + i));
  if (i < n) m1 = _mm512_max_ps(m1, _mm512_mask_loadu_ps(neg_inf, tail_mask(n - i), x + i));
  return _mm512_reduce_max_ps(_mm512_max_ps(m0, m1));
}

GEMMA3_AVX512 void softmax(float* x, size_t n) {
  const __m512 mx = _mm512_set1_ps(max_value(x, n));
  __m512 sum = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(x + i), mx));
    _mm512_storeu_ps(x + i, e);
    sum = _mm512_add_ps(sum, e);
  }
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 e =
        _mm512_maskz_mov_ps(m, exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), mx)));
    _mm512_mask_storeu_ps(x + i, m, e);
    sum = _mm512_add_ps(sum, e);
  }
  scale(x, 1.0f / hsum(sum), n);
}

}  // namespace gemma3::kernels::avx512
