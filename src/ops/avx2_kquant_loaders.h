// AVX2 weight loaders for the legacy and K-quant GGML blocks (layouts: ops/kquant.h), for the
// register-tiled kernel of avx2_matmul.cc (included only there), which uses them for decode
// (n_rows = 1): with no widened-panel path there, batches keep matmul.cc's widened_block. Only the
// types where that beat the widening in matmul_bench (decode, one thread: q5_0 o_proj 182-203 ->
// 129-142 µs, q6_k 249-259 -> 130-137 µs); Q4_K / Q5_K loaders unpacking their scales per 8
// weights were slower than the widening (q4_k 147-150 -> 186-213 µs) and are not here, nor
// Q2_K / Q3_K.
//
// Contract (as avx512_kquant_loaders.h): full(row, k) returns the 8 weights row[k .. k+8) (k a
// multiple of 8), each the f32 value kquant_row_to_f32 gives it, bit for bit: the integer level
// per lane, then the scalar widening's float operations in its order, one rounding each (explicit
// mul / sub / add intrinsics; the build has -ffp-contract=off). Scale products such as Q4_K's d·sc
// are computed in scalar f32 as kquant.cc does.
#pragma once

#include <cstdint>

#include "ops/dtype.h"
#include "ops/kquant.h"
#include "ops/simd_avx2.h"

namespace gemma3::kernels::avx2 {

namespace kquant_load {

GEMMA3_AVX2 inline float f16_at(const uint8_t* p) {
  uint16_t h;
  __builtin_memcpy(&h, p, sizeof h);
  return _cvtsh_ss(h);
}

// 8 bytes at p, one per 32-bit lane.
GEMMA3_AVX2 inline __m256i bytes8(const uint8_t* p) {
  return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}

// (v >> shift) & mask per lane, shift known only at run time.
GEMMA3_AVX2 inline __m256i bits(__m256i v, size_t shift, int mask) {
  return _mm256_and_si256(_mm256_srl_epi32(v, _mm_cvtsi32_si128(static_cast<int>(shift))), _mm256_set1_epi32(mask));
}

// 16 in the lanes i (0..7) where bit i of `byte` is set, else 0.
GEMMA3_AVX2 inline __m256i fifth_bits(uint32_t byte) {
  const __m256i lane_bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  const __m256i set = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(static_cast<int>(byte)), lane_bit), lane_bit);
  return _mm256_and_si256(set, _mm256_set1_epi32(16));
}

// Nibbles of a legacy block's qs[16] for elements j .. j+8 of the block (j a multiple of 8): low
// nibbles of bytes j.. for j < 16, high nibbles of bytes j − 16.. after.
GEMMA3_AVX2 inline __m256i legacy_nibbles(const uint8_t* qs, size_t j) {
  return bits(bytes8(qs + j % 16), j >= 16 ? 4 : 0, 15);
}

GEMMA3_AVX2 inline __m256 to_f32(__m256i q) { return _mm256_cvtepi32_ps(q); }

}  // namespace kquant_load

// Q4_1 (20 bytes / 32): x = q·d + m.
struct LoadQ4_1 {
  static constexpr bool kBlockQuantized = true;  // prefetch policy: ops/prefetch.h
  GEMMA3_AVX2 static __m256 full(const uint8_t* row, size_t k) {
    using namespace kquant_load;
    const uint8_t* b = row + k / kQuantBlock * 20;
    const __m256 q = to_f32(legacy_nibbles(b + 4, k % kQuantBlock));
    return _mm256_add_ps(_mm256_mul_ps(q, _mm256_set1_ps(f16_at(b))), _mm256_set1_ps(f16_at(b + 2)));
  }
  GEMMA3_AVX2 static __m256 tail(const uint8_t*, size_t, size_t) { return _mm256_setzero_ps(); }
};

// Q5_0 (22 bytes: d, qh[4], qs[16]): x = (q − 16)·d; Q5_1 (24: d, m, qh, qs): x = q·d + m. The
// fifth bit of element j is bit j of qh.
template <bool kMin>
struct LoadQ5 {
  static constexpr bool kBlockQuantized = true;  // prefetch policy: ops/prefetch.h
  static constexpr size_t kQh = kMin ? 4 : 2;
  GEMMA3_AVX2 static __m256 full(const uint8_t* row, size_t k) {
    using namespace kquant_load;
    const uint8_t* b = row + k / kQuantBlock * (kMin ? 24 : 22);
    const size_t j = k % kQuantBlock;
    uint32_t h;
    __builtin_memcpy(&h, b + kQh, sizeof h);
    const __m256i q = _mm256_or_si256(legacy_nibbles(b + kQh + 4, j), fifth_bits((h >> j) & 0xff));
    const __m256 d = _mm256_set1_ps(f16_at(b));
    if constexpr (kMin) {
      return _mm256_add_ps(_mm256_mul_ps(to_f32(q), d), _mm256_set1_ps(f16_at(b + 2)));
    } else {
      return _mm256_mul_ps(to_f32(_mm256_sub_epi32(q, _mm256_set1_epi32(16))), d);
    }
  }
  GEMMA3_AVX2 static __m256 tail(const uint8_t*, size_t, size_t) { return _mm256_setzero_ps(); }
};
using LoadQ5_0 = LoadQ5<false>;
using LoadQ5_1 = LoadQ5<true>;

// Q6_K (210 bytes): element 128·h + 32·s + l, x = (d·sc)·(q − 32), q's low 4 bits from
// ql[64·h + 32·(s % 2) + l] (high nibble for s ≥ 2), high 2 bits crumb s of qh[32·h + l];
// sc = scales[e / 16] (int8).
struct LoadQ6_K {
  static constexpr bool kBlockQuantized = true;  // prefetch policy: ops/prefetch.h
  GEMMA3_AVX2 static __m256 full(const uint8_t* row, size_t k) {
    using namespace kquant_load;
    const uint8_t* b = row + k / kSuperBlock * 210;
    const size_t e = k % kSuperBlock, h = e / 128, s = e % 128 / 32, l = e % 32;
    const float ds = f16_at(b + 208) * static_cast<float>(static_cast<int8_t>(b[192 + e / 16]));
    const __m256i low = bits(bytes8(b + 64 * h + 32 * (s % 2) + l), s >= 2 ? 4 : 0, 15);
    const __m256i high = _mm256_slli_epi32(bits(bytes8(b + 128 + 32 * h + l), 2 * s, 3), 4);
    const __m256i q = _mm256_sub_epi32(_mm256_or_si256(low, high), _mm256_set1_epi32(32));
    return _mm256_mul_ps(_mm256_set1_ps(ds), to_f32(q));
  }
  GEMMA3_AVX2 static __m256 tail(const uint8_t*, size_t, size_t) { return _mm256_setzero_ps(); }
};

}  // namespace gemma3::kernels::avx2
