// Internal: AVX-512 building blocks shared by the avx512_*.cc kernels. Every function carries the
// target attribute, so including this header never raises the ISA of the including file.
#pragma once

// GCC 12 warns "__Y is used uninitialized" inside its own AVX-512 intrinsics (GCC bug 105593,
// fixed in 13); the warning points into the intrinsic headers, so silence it there only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <cstddef>
#include <cstdint>

#define GEMMA3_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")))

namespace gemma3::kernels::avx512 {

// Mask with the low n (< 16) bits set: the valid lanes of a tail.
inline __mmask16 tail_mask(size_t n) { return static_cast<__mmask16>((1u << n) - 1u); }

// THE horizontal sum, a fixed tree: s8[i] = v[i] + v[i+8]; s4[i] = s8[i] + s8[i+4];
// s2[i] = s4[i] + s4[i+2]; s = s2[0] + s2[1]. matmul's determinism rests on every output using
// exactly this tree (hsum4 below computes the same additions for four vectors at once).
GEMMA3_AVX512 inline float hsum(__m512 v) {
  const __m256 lo = _mm512_castps512_ps256(v);
  const __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
  const __m256 s8 = _mm256_add_ps(lo, hi);
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)));
}

// {hsum(a), hsum(b), hsum(c), hsum(d)} with the same tree (bit-identical), in 6 shuffles + 4 adds
// instead of 4 × (5 + 4).
GEMMA3_AVX512 inline __m128 hsum4(__m512 a, __m512 b, __m512 c, __m512 d) {
  // 128-bit lanes: a = [a0 a1 a2 a3]. s8 of a is [a0+a2, a1+a3].
  const __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(1, 0, 1, 0)),
                                  _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
  const __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, _MM_SHUFFLE(1, 0, 1, 0)),
                                  _mm512_shuffle_f32x4(c, d, _MM_SHUFFLE(3, 2, 3, 2)));
  // s4 per vector, one 128-bit lane each: [A, B, C, D].
  const __m512 s4 = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, _MM_SHUFFLE(2, 0, 2, 0)),
                                  _mm512_shuffle_f32x4(ab, cd, _MM_SHUFFLE(3, 1, 3, 1)));
  // Within each lane: s2[i] = s4[i] + s4[i+2], then s = s2[0] + s2[1] in element 0.
  const __m512 s2 = _mm512_add_ps(s4, _mm512_permute_ps(s4, _MM_SHUFFLE(1, 0, 3, 2)));
  const __m512 s1 = _mm512_add_ps(s2, _mm512_permute_ps(s2, _MM_SHUFFLE(2, 3, 0, 1)));
  const __m512i pick = _mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  return _mm512_castps512_ps128(_mm512_permutexvar_ps(pick, s1));
}

// e^x for 16 lanes, ~1 ulp: x = n·ln2 + r with |r| <= ln2/2, e^r by a degree-7 polynomial
// (Cephes coefficients), then ·2ⁿ with vscalefps, which returns 0 / inf past the f32 range.
// -inf gives exactly 0 (masked softmax positions).
GEMMA3_AVX512 inline __m512 exp16(__m512 x) {
  x = _mm512_max_ps(x, _mm512_set1_ps(-104.0f));  // e^-104 < 2⁻¹⁴⁹: underflows to 0 anyway
  x = _mm512_min_ps(x, _mm512_set1_ps(89.0f));    // e^89 > FLT_MAX: overflows to inf anyway
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);  // ln2 split hi + lo
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r);  // e^r - 1, then + 1 rounds once
  return _mm512_scalef_ps(_mm512_add_ps(p, _mm512_set1_ps(1.0f)), n);
}

}  // namespace gemma3::kernels::avx512
