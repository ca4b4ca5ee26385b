// AVX-512 weight loaders for the legacy and K-quant GGML blocks (layouts: ops/kquant.h), for the
// register-tiled kernel of avx512_matmul.cc (included only there).
//
// Contract: full(row, k) returns the 16 weights row[k .. k+16) and block(row, k, lo, hi) the 32 of
// row[k .. k+32) (k a multiple of 16 / 32), each the f32 value kquant_row_to_f32 gives that
// element, bit for bit. So matmul on these types is the f32 kernel on exactly widened rows (the
// path it replaces) whatever the tile, batch or thread count. Each value comes from the same IEEE
// operations as the scalar widening, in the same order, one rounding each (explicit mul / sub /
// add intrinsics; the build has -ffp-contract=off): a scale product such as Q4_K's d·sc is
// computed in scalar f32 as kquant.cc does, then q·that − min per lane.
//
// Where a sub-block has 16 or 32 levels, the loader builds a table of the level values (level
// v -> the same expression with q = v) once per sub-block and looks each weight up with a
// permute: every table entry is the product full() would compute, so the lookup is exact too.
#pragma once

#include <cstdint>

#include "ops/dtype.h"
#include "ops/kquant.h"
#include "ops/simd_avx512.h"

namespace gemma3::kernels::avx512 {

// From this many x rows on, the kernel widens each weight panel once into f32 (avx512_matmul.cc).
constexpr size_t kKquantPanelMinRows = 2;

namespace kquant_load {

GEMMA3_AVX512 inline float f16_at(const uint8_t* p) {
  uint16_t h;
  __builtin_memcpy(&h, p, sizeof h);
  return _cvtsh_ss(h);
}

GEMMA3_AVX512 inline __m128i load16(const uint8_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// The levels 0..15 and 16..31 as f32.
GEMMA3_AVX512 inline __m512 levels_lo() {
  return _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}
GEMMA3_AVX512 inline __m512 levels_hi() {
  return _mm512_setr_ps(16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31);
}

// Table lookup by the low 4 bits of each byte of `nibbles` (the high bits are ignored).
GEMMA3_AVX512 inline __m512 lookup16(__m128i nibbles, __m512 table) {
  return _mm512_permutexvar_ps(_mm512_cvtepu8_epi32(nibbles), table);
}

// Lookup of 32 levels: the low nibble of each byte, plus 16 where `fifth` has the lane's bit.
GEMMA3_AVX512 inline __m512 lookup32(__m128i bytes, __mmask16 fifth, __m512 t_lo, __m512 t_hi) {
  __m512i idx = _mm512_and_si512(_mm512_cvtepu8_epi32(bytes), _mm512_set1_epi32(15));
  idx = _mm512_mask_or_epi32(idx, fifth, idx, _mm512_set1_epi32(16));
  return _mm512_permutex2var_ps(t_lo, idx, t_hi);
}

}  // namespace kquant_load

// Loaders whose natural unit is 16 weights: block() is two full() calls.
template <class L>
struct ByHalves {
  static constexpr bool kWholeBlocks = true;
  static constexpr size_t kPanelMinRows = kKquantPanelMinRows;
  GEMMA3_AVX512 static void block(const uint8_t* row, size_t k, __m512& lo, __m512& hi) {
    lo = L::full(row, k);
    hi = L::full(row, k + 16);
  }
  GEMMA3_AVX512 static __m512 tail(const uint8_t*, size_t, __mmask16) { return _mm512_setzero_ps(); }
};

// Q4_1 (20 bytes / 32): x = q·d + m.
struct LoadQ4_1 {
  static constexpr bool kWholeBlocks = true;
  static constexpr size_t kPanelMinRows = kKquantPanelMinRows;
  GEMMA3_AVX512 static __m512 table(const uint8_t* b) {
    using namespace kquant_load;
    return _mm512_add_ps(_mm512_mul_ps(levels_lo(), _mm512_set1_ps(f16_at(b))), _mm512_set1_ps(f16_at(b + 2)));
  }
  GEMMA3_AVX512 static void block(const uint8_t* row, size_t k, __m512& lo, __m512& hi) {
    const uint8_t* b = row + k / kQuantBlock * 20;
    const __m512 t = table(b);
    const __m128i q = kquant_load::load16(b + 4);
    lo = kquant_load::lookup16(q, t);
    hi = kquant_load::lookup16(_mm_srli_epi16(q, 4), t);
  }
  GEMMA3_AVX512 static __m512 full(const uint8_t* row, size_t k) {
    const uint8_t* b = row + k / kQuantBlock * 20;
    __m128i q = kquant_load::load16(b + 4);
    if (k % kQuantBlock != 0) q = _mm_srli_epi16(q, 4);
    return kquant_load::lookup16(q, table(b));
  }
  GEMMA3_AVX512 static __m512 tail(const uint8_t*, size_t, __mmask16) { return _mm512_setzero_ps(); }
};

// Q5_0 (22 bytes: d, qh[4], qs[16]): x = (q − 16)·d; Q5_1 (24: d, m, qh, qs): x = q·d + m. The
// fifth bit of element j is bit j of qh.
template <bool kMin>
struct LoadQ5 {
  static constexpr bool kWholeBlocks = true;
  static constexpr size_t kPanelMinRows = kKquantPanelMinRows;
  static constexpr size_t kBytes = kMin ? 24 : 22;
  static constexpr size_t kQh = kMin ? 4 : 2;
  GEMMA3_AVX512 static void tables(const uint8_t* b, __m512& t_lo, __m512& t_hi) {
    using namespace kquant_load;
    const __m512 d = _mm512_set1_ps(f16_at(b));
    if constexpr (kMin) {
      const __m512 m = _mm512_set1_ps(f16_at(b + 2));
      t_lo = _mm512_add_ps(_mm512_mul_ps(levels_lo(), d), m);
      t_hi = _mm512_add_ps(_mm512_mul_ps(levels_hi(), d), m);
    } else {  // levels q − 16: −16 … −1, then 0 … 15
      t_lo = _mm512_mul_ps(_mm512_sub_ps(levels_lo(), _mm512_set1_ps(16)), d);
      t_hi = _mm512_mul_ps(levels_lo(), d);
    }
  }
  GEMMA3_AVX512 static uint32_t high_bits(const uint8_t* b) {
    uint32_t h;
    __builtin_memcpy(&h, b + kQh, sizeof h);
    return h;
  }
  GEMMA3_AVX512 static void block(const uint8_t* row, size_t k, __m512& lo, __m512& hi) {
    const uint8_t* b = row + k / kQuantBlock * kBytes;
    __m512 t_lo, t_hi;
    tables(b, t_lo, t_hi);
    const uint32_t h = high_bits(b);
    const __m128i q = kquant_load::load16(b + kQh + 4);
    lo = kquant_load::lookup32(q, static_cast<__mmask16>(h), t_lo, t_hi);
    hi = kquant_load::lookup32(_mm_srli_epi16(q, 4), static_cast<__mmask16>(h >> 16), t_lo, t_hi);
  }
  GEMMA3_AVX512 static __m512 full(const uint8_t* row, size_t k) {
    const uint8_t* b = row + k / kQuantBlock * kBytes;
    __m512 t_lo, t_hi;
    tables(b, t_lo, t_hi);
    const bool upper = k % kQuantBlock != 0;
    __m128i q = kquant_load::load16(b + kQh + 4);
    if (upper) q = _mm_srli_epi16(q, 4);
    return kquant_load::lookup32(q, static_cast<__mmask16>(high_bits(b) >> (upper ? 16 : 0)), t_lo, t_hi);
  }
  GEMMA3_AVX512 static __m512 tail(const uint8_t*, size_t, __mmask16) { return _mm512_setzero_ps(); }
};
using LoadQ5_0 = LoadQ5<false>;
using LoadQ5_1 = LoadQ5<true>;

// Q4_K (144 bytes / 256: d, dmin, scales[12], qs[128]) and Q5_K (176: d, dmin, scales[12],
// qh[32], qs[128]): sub-block j (32 weights) is x = (d·sc)·q − dmin·m, q the low (j even) or
// high (j odd) nibbles of qs[32·(j/2) ..], plus 16 for bit j of qh[l] in Q5_K.
template <bool kFifthBit>
struct LoadQ45_K {
  static constexpr bool kWholeBlocks = true;
  static constexpr size_t kPanelMinRows = kKquantPanelMinRows;
  static constexpr size_t kBytes = kFifthBit ? 176 : 144;
  static constexpr size_t kQs = kFifthBit ? 48 : 16;
  // Block start, sub-block index and (with `pos`) the weight's offset in the sub-block.
  GEMMA3_AVX512 static const uint8_t* locate(const uint8_t* row, size_t k, size_t& j) {
    j = k % kSuperBlock / 32;
    return row + k / kSuperBlock * kBytes;
  }
  GEMMA3_AVX512 static void tables(const uint8_t* b, size_t j, __m512& t_lo, __m512& t_hi) {
    using namespace kquant_load;
    uint8_t sc, m;
    kquant_scale_min_k4(j, b + 4, sc, m);
    const float d1 = f16_at(b) * static_cast<float>(sc), m1 = f16_at(b + 2) * static_cast<float>(m);
    const __m512 dv = _mm512_set1_ps(d1), mv = _mm512_set1_ps(m1);
    t_lo = _mm512_sub_ps(_mm512_mul_ps(levels_lo(), dv), mv);
    if constexpr (kFifthBit) t_hi = _mm512_sub_ps(_mm512_mul_ps(levels_hi(), dv), mv);
  }
  // The 16 weights at offset l (0 or 16) of sub-block j.
  GEMMA3_AVX512 static __m512 sixteen(const uint8_t* b, size_t j, size_t l, __m512 t_lo, __m512 t_hi) {
    __m128i q = kquant_load::load16(b + kQs + 32 * (j / 2) + l);
    if (j % 2 != 0) q = _mm_srli_epi16(q, 4);
    if constexpr (kFifthBit) {
      const __mmask16 fifth =
          _mm_test_epi8_mask(kquant_load::load16(b + 16 + l), _mm_set1_epi8(static_cast<char>(1u << j)));
      return kquant_load::lookup32(q, fifth, t_lo, t_hi);
    } else {
      return kquant_load::lookup16(q, t_lo);
    }
  }
  GEMMA3_AVX512 static void block(const uint8_t* row, size_t k, __m512& lo, __m512& hi) {
    size_t j;
    const uint8_t* b = locate(row, k, j);
    __m512 t_lo, t_hi = _mm512_setzero_ps();
    tables(b, j, t_lo, t_hi);
    lo = sixteen(b, j, 0, t_lo, t_hi);
    hi = sixteen(b, j, 16, t_lo, t_hi);
  }
  GEMMA3_AVX512 static __m512 full(const uint8_t* row, size_t k) {
    size_t j;
    const uint8_t* b = locate(row, k, j);
    __m512 t_lo, t_hi = _mm512_setzero_ps();
    tables(b, j, t_lo, t_hi);
    return sixteen(b, j, k % 32, t_lo, t_hi);
  }
  GEMMA3_AVX512 static __m512 tail(const uint8_t*, size_t, __mmask16) { return _mm512_setzero_ps(); }
};
using LoadQ4_K = LoadQ45_K<false>;
using LoadQ5_K = LoadQ45_K<true>;

// Position of the 16 weights at k in a 256-weight super-block laid out as GGML's Q2_K / Q3_K /
// Q6_K: element 128·h + 32·s + l, sub-block (16 weights) e / 16.
struct SuperPos {
  size_t h, s, l, sub;
  GEMMA3_AVX512 explicit SuperPos(size_t k) {
    const size_t e = k % kSuperBlock;
    h = e / 128;
    s = e % 128 / 32;
    l = e % 32;
    sub = e / 16;
  }
};

// Q6_K (210 bytes: ql[128], qh[64], scales[16] int8, d): x = (d·sc)·(q − 32), q's low 4 bits from
// ql[64·h + 32·(s % 2) + l] (low nibble for s < 2, high for s ≥ 2), high 2 bits crumb s of
// qh[32·h + l].
struct LoadQ6_K : ByHalves<LoadQ6_K> {
  GEMMA3_AVX512 static __m512 full(const uint8_t* row, size_t k) {
    const uint8_t* b = row + k / kSuperBlock * 210;
    const SuperPos p(k);
    const float ds = kquant_load::f16_at(b + 208) * static_cast<float>(static_cast<int8_t>(b[192 + p.sub]));
    __m128i low = kquant_load::load16(b + 64 * p.h + 32 * (p.s % 2) + p.l);
    if (p.s >= 2) low = _mm_srli_epi16(low, 4);
    low = _mm_and_si128(low, _mm_set1_epi8(15));
    const __m128i qh = kquant_load::load16(b + 128 + 32 * p.h + p.l);
    const __m128i high = _mm_and_si128(_mm_srl_epi16(qh, _mm_cvtsi32_si128(static_cast<int>(2 * p.s))), _mm_set1_epi8(3));
    const __m128i q = _mm_sub_epi8(_mm_or_si128(low, _mm_slli_epi16(high, 4)), _mm_set1_epi8(32));
    return _mm512_mul_ps(_mm512_set1_ps(ds), _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q)));
  }
};

// Q2_K (84 bytes: scales[16], qs[64], d, dmin): x = (d·(sc & 15))·q − dmin·(sc >> 4), q crumb s
// of qs[32·h + l].
struct LoadQ2_K : ByHalves<LoadQ2_K> {
  GEMMA3_AVX512 static __m512 full(const uint8_t* row, size_t k) {
    const uint8_t* b = row + k / kSuperBlock * 84;
    const SuperPos p(k);
    const uint8_t sc = b[p.sub];
    const float dl = kquant_load::f16_at(b + 80) * static_cast<float>(sc & 15);
    const float ml = kquant_load::f16_at(b + 82) * static_cast<float>(sc >> 4);
    const __m128i qs = kquant_load::load16(b + 16 + 32 * p.h + p.l);
    const __m128i q = _mm_and_si128(_mm_srl_epi16(qs, _mm_cvtsi32_si128(static_cast<int>(2 * p.s))), _mm_set1_epi8(3));
    const __m512 qf = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(q));
    return _mm512_sub_ps(_mm512_mul_ps(_mm512_set1_ps(dl), qf), _mm512_set1_ps(ml));
  }
};

// Q3_K (110 bytes: hmask[32], qs[64], scales[12], d): x = (d·sc)·q, q = crumb s of qs[32·h + l]
// minus 4 where bit 4·h + s of hmask[l] is clear.
struct LoadQ3_K : ByHalves<LoadQ3_K> {
  GEMMA3_AVX512 static __m512 full(const uint8_t* row, size_t k) {
    const uint8_t* b = row + k / kSuperBlock * 110;
    const SuperPos p(k);
    const float dl = kquant_load::f16_at(b + 108) * static_cast<float>(kquant_scale_q3_k(p.sub, b + 96));
    const __m128i qs = kquant_load::load16(b + 32 + 32 * p.h + p.l);
    const __m128i crumb = _mm_and_si128(_mm_srl_epi16(qs, _mm_cvtsi32_si128(static_cast<int>(2 * p.s))), _mm_set1_epi8(3));
    const __mmask16 high = _mm_test_epi8_mask(kquant_load::load16(b + p.l),
                                              _mm_set1_epi8(static_cast<char>(1u << (4 * p.h + p.s))));
    const __m128i q = _mm_mask_sub_epi8(crumb, static_cast<__mmask16>(~high), crumb, _mm_set1_epi8(4));
    return _mm512_mul_ps(_mm512_set1_ps(dl), _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q)));
  }
};

}  // namespace gemma3::kernels::avx512
