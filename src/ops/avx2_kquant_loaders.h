// AVX2 weight loaders for the legacy and K-quant GGML blocks (layouts: ops/kquant.h), for the
// register-tiled kernel of avx2_matmul.cc (included only there), which uses them for decode
// (n_rows = 1): with no widened-panel path there, batches keep matmul.cc's widened_block. Q2_K /
// Q3_K have none (not measured). matmul_bench, avx2 decode, one thread, widening -> loaders:
// q5_0 o_proj 186-207 -> 134-142 µs, q6_k 243-303 -> 130-137 µs, q4_k 146 -> 90 µs, q5_k 208 -> 112
// µs (Q4_K / Q5_K only once they widen whole sub-blocks: unpacking the scales per 8 weights made
// them slower than the widening, 146 -> ~200 µs).
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

// Q4_K (144 bytes / 256) and Q5_K (176): sub-block j (32 weights) is x = (d·sc)·q − dmin·m, q the
// low (j even) or high (j odd) nibbles of qs[32·(j/2) ..], plus 16 for bit j of qh[l] in Q5_K.
// Unpacking the scales costs more than the rest, so decode widens a whole sub-block at once
// (block(); kWholeBlocks: see the tile in avx2_matmul.cc).
template <bool kFifthBit>
struct LoadQ45_K {
  static constexpr bool kBlockQuantized = true;  // prefetch policy: ops/prefetch.h
  static constexpr bool kWholeBlocks = true;
  static constexpr size_t kBytes = kFifthBit ? 176 : 144;
  // Weights l .. l+8 of sub-block j, given its (d·sc) and dmin·m.
  GEMMA3_AVX2 static __m256 eight(const uint8_t* b, size_t j, size_t l, __m256 d1, __m256 m1) {
    using namespace kquant_load;
    __m256i q = bits(bytes8(b + (kFifthBit ? 48 : 16) + 32 * (j / 2) + l), j % 2 != 0 ? 4 : 0, 15);
    if constexpr (kFifthBit) q = _mm256_or_si256(q, _mm256_slli_epi32(bits(bytes8(b + 16 + l), j, 1), 4));
    return _mm256_sub_ps(_mm256_mul_ps(d1, to_f32(q)), m1);
  }
  GEMMA3_AVX2 static void scales(const uint8_t* b, size_t j, __m256& d1, __m256& m1) {
    uint8_t sc, m;
    kquant_scale_min_k4(j, b + 4, sc, m);
    d1 = _mm256_set1_ps(kquant_load::f16_at(b) * static_cast<float>(sc));
    m1 = _mm256_set1_ps(kquant_load::f16_at(b + 2) * static_cast<float>(m));
  }
  // The 32 weights of the sub-block at k (k a multiple of 32), 8 per register.
  GEMMA3_AVX2 static void block(const uint8_t* row, size_t k, __m256* out) {
    const uint8_t* b = row + k / kSuperBlock * kBytes;
    const size_t j = k % kSuperBlock / 32;
    __m256 d1, m1;
    scales(b, j, d1, m1);
#pragma GCC unroll 4
    for (size_t i = 0; i < 4; ++i) out[i] = eight(b, j, 8 * i, d1, m1);
  }
  GEMMA3_AVX2 static __m256 full(const uint8_t* row, size_t k) {
    const uint8_t* b = row + k / kSuperBlock * kBytes;
    const size_t j = k % kSuperBlock / 32;
    __m256 d1, m1;
    scales(b, j, d1, m1);
    return eight(b, j, k % 32, d1, m1);
  }
  GEMMA3_AVX2 static __m256 tail(const uint8_t*, size_t, size_t) { return _mm256_setzero_ps(); }
};
using LoadQ4_K = LoadQ45_K<false>;
using LoadQ5_K = LoadQ45_K<true>;

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
