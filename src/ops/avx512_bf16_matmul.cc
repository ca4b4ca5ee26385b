// The opt-in fast matmul (MatmulPrecision::kBf16Activations, ops/matmul.h) on CPUs with
// AVX512_BF16: activations are rounded to bf16 once per call, then vdpbf16ps multiplies 32 bf16
// pairs per instruction against the bf16 weights as stored — twice the f32 FMA rate, and no
// widening of the weights at all.
//
// Determinism within this mode holds as in avx512_matmul.cc: every output runs acc = 0; one
// vdpbf16ps per 32-element k-step (a zero-padded last step); hsum's fixed tree — whatever tile it
// lands in and whatever the batch.
#include <algorithm>

#include "ops/isa_kernels.h"
#include "ops/prefetch.h"
#include "ops/simd_avx512.h"

#define GEMMA3_AVX512_BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,avx2,fma,f16c")))

namespace gemma3::kernels::avx512_bf16 {

namespace {

using avx512::hsum;
using avx512::hsum4;

GEMMA3_AVX512_BF16 inline __mmask32 tail_mask32(size_t n) {
  return n >= 32 ? ~__mmask32{0} : static_cast<__mmask32>((1u << n) - 1u);
}

// y[r·ldy + o] = Σ_k xb[r·k_pad + k] · w[o·k_len + k] for r < R, o < O (bf16 × bf16, f32 sums).
template <int R, int O>
GEMMA3_AVX512_BF16 void tile(const uint16_t* xb, size_t k_pad, const uint16_t* w, size_t k_len, float* y,
                             size_t ldy) {
  __m512 acc[R][O];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int o = 0; o < O; ++o) acc[r][o] = _mm512_setzero_ps();
  }
  const char* next = reinterpret_cast<const char*>(w + kStreamPrefetchTiles * O * k_len);  // ops/prefetch.h
  constexpr size_t kStepBytes = 32 * 2 * O;
  for (size_t k = 0; k < k_len; k += 32) {
#pragma GCC unroll 8
    for (size_t line = 0; line < kStepBytes; line += 64) prefetch_l2(next + k / 32 * kStepBytes + line);
    const __mmask32 m = tail_mask32(k_len - k);
    __m512bh wv[O];
#pragma GCC unroll 8
    for (int o = 0; o < O; ++o) wv[o] = (__m512bh)_mm512_maskz_loadu_epi16(m, w + o * k_len + k);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m512bh xv = (__m512bh)_mm512_loadu_si512(xb + r * k_pad + k);  // zero-padded to k_pad
#pragma GCC unroll 8
      for (int o = 0; o < O; ++o) acc[r][o] = _mm512_dpbf16_ps(acc[r][o], xv, wv[o]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    int o = 0;
#pragma GCC unroll 8
    for (; o + 4 <= O; o += 4) {
      _mm_storeu_ps(y + r * ldy + o, hsum4(acc[r][o], acc[r][o + 1], acc[r][o + 2], acc[r][o + 3]));
    }
#pragma GCC unroll 8
    for (; o < O; ++o) y[r * ldy + o] = hsum(acc[r][o]);
  }
}

using TileFn = void (*)(const uint16_t*, size_t, const uint16_t*, size_t, float*, size_t);

template <int R>
GEMMA3_AVX512_BF16 TileFn tile_fn_for_rows(size_t o_count) {
  switch (o_count) {
    case 1:
      return &tile<R, 1>;
    case 2:
      return &tile<R, 2>;
    case 3:
      return &tile<R, 3>;
    default:
      return &tile<R, 4>;
  }
}

GEMMA3_AVX512_BF16 TileFn tile_fn(size_t r_count, size_t o_count) {
  switch (r_count) {
    case 1:
      return tile_fn_for_rows<1>(o_count);
    case 2:
      return tile_fn_for_rows<2>(o_count);
    case 3:
      return tile_fn_for_rows<3>(o_count);
    case 4:
      return tile_fn_for_rows<4>(o_count);
    case 5:
      return tile_fn_for_rows<5>(o_count);
    default:
      return tile_fn_for_rows<6>(o_count);
  }
}

constexpr size_t kRowTile = 6, kColTile = 4;
constexpr size_t kXBlockBytes = 512 * 1024;  // x rows per L2 block (bf16 now: twice the rows)

}  // namespace

GEMMA3_AVX512_BF16 void round_rows_to_bf16(const float* x, size_t n_rows, size_t k, uint16_t* xb) {
  const size_t k_pad = padded_cols(k);
  for (size_t r = 0; r < n_rows; ++r) {
    const float* src = x + r * k;
    uint16_t* dst = xb + r * k_pad;
    for (size_t i = 0; i < k_pad; i += 16) {
      const __mmask16 m = i + 16 <= k ? __mmask16(0xffff) : i < k ? avx512::tail_mask(k - i) : __mmask16(0);
      const __m256bh h = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, src + i));  // round to nearest even
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), (__m256i)h);
    }
  }
}

GEMMA3_AVX512_BF16 void matmul_block(const uint16_t* xb, size_t n_rows, const WeightView& w, size_t o_begin,
                                     size_t o_end, float* y) {
  const size_t k_len = w.cols, k_pad = padded_cols(k_len), ldy = w.rows;
  const auto* wd = static_cast<const uint16_t*>(w.data);
  if (k_len == 0) {
    for (size_t r = 0; r < n_rows; ++r) std::fill(y + r * ldy + o_begin, y + r * ldy + o_end, 0.0f);
    return;
  }
  if (n_rows == 1) {
    size_t o = o_begin;
    for (; o + 8 <= o_end; o += 8) tile<1, 8>(xb, k_pad, wd + o * k_len, k_len, y + o, ldy);
    for (; o < o_end; o += kColTile) tile_fn(1, std::min(kColTile, o_end - o))(xb, k_pad, wd + o * k_len, k_len, y + o, ldy);
    return;
  }
  const size_t block_rows = std::max(kRowTile, kXBlockBytes / (k_pad * 2) / kRowTile * kRowTile);
  for (size_t r0 = 0; r0 < n_rows; r0 += block_rows) {
    const size_t r1 = std::min(n_rows, r0 + block_rows);
    for (size_t o = o_begin; o < o_end; o += kColTile) {
      const size_t no = std::min(kColTile, o_end - o);
      const uint16_t* wo = wd + o * k_len;
      size_t r = r0;
      const TileFn full = tile_fn(kRowTile, no);
      for (; r + kRowTile <= r1; r += kRowTile) full(xb + r * k_pad, k_pad, wo, k_len, y + r * ldy + o, ldy);
      if (r < r1) tile_fn(r1 - r, no)(xb + r * k_pad, k_pad, wo, k_len, y + r * ldy + o, ldy);
    }
  }
}

}  // namespace gemma3::kernels::avx512_bf16
