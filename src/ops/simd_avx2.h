// Internal: AVX2 building blocks shared by the avx2_*.cc kernels. Every function carries the
// target attribute, so including this header never raises the ISA of the including file.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#define GEMMA3_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace gemma3::kernels::avx2 {

// Lane mask for _mm256_maskload_ps / maskstore: the low n (< 8) lanes.
GEMMA3_AVX2 inline __m256i tail_mask(size_t n) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), idx);
}

// THE horizontal sum for AVX2, a fixed tree: s4[i] = v[i] + v[i+4]; s2[i] = s4[i] + s4[i+2];
// s = s2[0] + s2[1]. matmul's determinism rests on every output using exactly this tree.
GEMMA3_AVX2 inline float hsum(__m256 v) {
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)));
}

// e^x for 8 lanes, ~1 ulp (same reduction and polynomial as avx512::exp16). AVX2 has no vscalefps,
// so 2ⁿ is built in the exponent bits with n clamped to the normal range; results past the f32
// range are fixed up to 0 / inf explicitly.
GEMMA3_AVX2 inline __m256 exp8(__m256 x) {
  const __m256 lo = _mm256_set1_ps(-87.3f), hi = _mm256_set1_ps(88.3f);
  const __m256 under = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
  const __m256 over = _mm256_cmp_ps(x, hi, _CMP_GT_OQ);
  x = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r);
  p = _mm256_add_ps(p, _mm256_set1_ps(1.0f));
  const __m256i pow2n =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  __m256 e = _mm256_mul_ps(p, _mm256_castsi256_ps(pow2n));
  e = _mm256_andnot_ps(under, e);                                      // below range -> 0
  return _mm256_blendv_ps(e, _mm256_set1_ps(__builtin_inff()), over);  // above range -> inf
}

}  // namespace gemma3::kernels::avx2
