// The int8-activation matmul on AVX2 (CPUs without AVX-512 VNNI). Arithmetic and determinism:
// ops/int8_matmul.h. Each weight row is unpacked once per call to signed bytes s = u − offset
// (Q8_0: q, Q4_0: nibble − 8, Q6_K: level − 32, ...), then per block vpmaddubsw(|s|, sign(x, s))
// — the usual sign transfer, whose pair sums stay within int16 (2·128·127) — and vpmaddwd give 8
// int32 sums of 4 elements each: lanes 0-3 are the block's first 16 elements (lo), lanes 4-7 the
// other 16 (hi), exactly the stated integers; the f32 chain per output is the scalar one, so the
// bits equal the other ISAs'.
#include <cmath>
#include <vector>

#include "ops/int8_matmul.h"
#include "ops/simd_avx2.h"

namespace gemma3::kernels::avx2 {

namespace {

GEMMA3_AVX2 inline int32_t hsum(__m128i v) {
  v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(1, 0, 3, 2)));
  v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(v);
}

}  // namespace

GEMMA3_AVX2 void int8_matmul_block(const Int8Rows& x, const WeightView& w, size_t o_begin, size_t o_end, float* y) {
  const size_t row_bytes = dtype_row_bytes(w.dtype, w.cols);
  const int offset = int8_weight_offset(w.dtype);
  const bool has_min = int8_has_min(w.dtype), has_sub = int8_has_subscales(w.dtype);
  const auto* data = static_cast<const uint8_t*>(w.data);
  thread_local std::vector<int8_t> s;                 // (blocks·32) the row's signed weights
  thread_local std::vector<Int8WeightBlock> blocks;  // (blocks) scales, mins, sub-scales
  s.resize(x.blocks * kQuantBlock);
  blocks.resize(x.blocks);
  const __m256i ones = _mm256_set1_epi16(1);
  for (size_t o = o_begin; o < o_end; ++o) {
    int8_unpack_row(w.dtype, data + o * row_bytes, x.blocks, blocks.data());
    for (size_t b = 0; b < x.blocks; ++b) {
      for (size_t i = 0; i < kQuantBlock; ++i) s[b * kQuantBlock + i] = static_cast<int8_t>(blocks[b].u[i] - offset);
    }
    for (size_t r = 0; r < x.n_rows; ++r) {
      float acc = 0.0f;
      for (size_t b = 0; b < x.blocks; ++b) {
        const size_t xb = r * x.blocks + b;
        const __m256i sw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s.data() + b * kQuantBlock));
        const __m256i xq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.q + xb * kQuantBlock));
        const __m256i pairs = _mm256_maddubs_epi16(_mm256_abs_epi8(sw), _mm256_sign_epi8(xq, sw));
        const __m256i quads = _mm256_madd_epi16(pairs, ones);
        int32_t isum;
        if (has_sub) {
          isum = blocks[b].sc_lo * hsum(_mm256_castsi256_si128(quads)) +
                 blocks[b].sc_hi * hsum(_mm256_extracti128_si256(quads, 1));
        } else {
          isum = hsum(_mm_add_epi32(_mm256_castsi256_si128(quads), _mm256_extracti128_si256(quads, 1)));
        }
        acc = std::fma(blocks[b].d * x.d[xb], static_cast<float>(isum), acc);
        if (has_min) acc = std::fma(blocks[b].m * x.d[xb], static_cast<float>(x.sum[xb]), acc);
      }
      y[r * w.rows + o] = acc;
    }
  }
}

}  // namespace gemma3::kernels::avx2
