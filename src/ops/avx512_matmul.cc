// AVX-512 matmul: register-tiled dot products over k, one 16-lane f32 accumulator per (x row,
// weight row) pair.
//
// Determinism: every output y[r][o] is computed by the same sequence — acc = 0; for each full
// 16-float step of k: acc = fma(x, w, acc); one masked step for the k % 16 tail; hsum(acc) with the
// fixed tree of simd_avx512.h — whatever tile shape (R x rows × O weight rows) it lands in. Tiles
// only change which outputs are computed side by side, never the arithmetic of one output.
//
// Weights are widened in registers (bf16: zero-extend + shift; f16: vcvtph2ps) once per k-step and
// reused across the tile's x rows; activations stay f32 (no vdpbf16ps). Cost per 6×4 tile and
// k-step: 4 weight loads + 8 conversion ops (on otherwise idle vector ALU ports) and 6 x loads
// against 24 FMAs; measured 150-180 GFLOP/s per Zen 5 core at the 270m shapes (~75-85% of the
// 211 GFLOP/s FMA peak), so widening into an f32 panel first would buy little.
// n_rows = 1 (decode) uses 1×8 tiles and software prefetch: ~34 GB/s on 2 cores, the machine's
// streaming-read bandwidth.
#include <algorithm>

#include "ops/isa_kernels.h"
#include "ops/simd_avx512.h"

namespace gemma3::kernels::avx512 {

namespace {

// Weight loaders: 16 consecutive weights widened exactly to f32 (full step / masked tail).
struct LoadBf16 {
  using T = uint16_t;
  GEMMA3_AVX512 static __m512 full(const uint16_t* p) {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
  GEMMA3_AVX512 static __m512 tail(const uint16_t* p, __mmask16 m) {
    const __m256i h = _mm256_maskz_loadu_epi16(m, p);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
};

struct LoadF16 {
  using T = uint16_t;
  GEMMA3_AVX512 static __m512 full(const uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  GEMMA3_AVX512 static __m512 tail(const uint16_t* p, __mmask16 m) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p));
  }
};

struct LoadF32 {
  using T = float;
  GEMMA3_AVX512 static __m512 full(const float* p) { return _mm512_loadu_ps(p); }
  GEMMA3_AVX512 static __m512 tail(const float* p, __mmask16 m) {
    return _mm512_maskz_loadu_ps(m, p);
  }
};

// y[r·ldy + o] = Σ_k x[r·k_len + k] · w[o·k_len + k] for r < R, o < O.
// x: (R, k_len) f32, w: (O, k_len) of W::T, both with row stride k_len.
template <int R, int O, class W>
GEMMA3_AVX512 void tile(const float* x, const typename W::T* w, size_t k_len, float* y,
                        size_t ldy) {
  __m512 acc[R][O];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int o = 0; o < O; ++o) acc[r][o] = _mm512_setzero_ps();
  }
  // Prefetch the next tile's weight rows (contiguous after ours) at the rate this tile consumes its
  // own, so DRAM latency hides behind the FMAs when the weights are streamed (decode: 18 → 33 GB/s
  // on the LM head with 2 threads). Redundant but cheap when the same weights are reused.
  const char* next = reinterpret_cast<const char*>(w + O * k_len);
  constexpr size_t kStepBytes = 16 * sizeof(typename W::T) * O;  // weight bytes per k-step
  size_t k = 0;
  for (; k + 16 <= k_len; k += 16) {
#pragma GCC unroll 8
    for (size_t line = 0; line < kStepBytes; line += 64) {
      _mm_prefetch(next + k / 16 * kStepBytes + line, _MM_HINT_T0);
    }
    __m512 wv[O];
#pragma GCC unroll 8
    for (int o = 0; o < O; ++o) wv[o] = W::full(w + o * k_len + k);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m512 xv = _mm512_loadu_ps(x + r * k_len + k);
#pragma GCC unroll 8
      for (int o = 0; o < O; ++o) acc[r][o] = _mm512_fmadd_ps(xv, wv[o], acc[r][o]);
    }
  }
  if (k < k_len) {
    const __mmask16 m = tail_mask(k_len - k);
    __m512 wv[O];
#pragma GCC unroll 8
    for (int o = 0; o < O; ++o) wv[o] = W::tail(w + o * k_len + k, m);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m512 xv = _mm512_maskz_loadu_ps(m, x + r * k_len + k);
#pragma GCC unroll 8
      for (int o = 0; o < O; ++o) acc[r][o] = _mm512_fmadd_ps(xv, wv[o], acc[r][o]);
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

constexpr size_t kRowTile = 6;  // x rows per microkernel
constexpr size_t kColTile = 4;  // weight rows per microkernel (8 when n_rows == 1)
// x rows per cache block: keep the block (rows × k floats) within half of a 1 MB L2, so each
// 4-row weight panel (kept in L1) meets x rows already close. Measured on Zen 5 at n_rows = 512:
// 96 KB -> 124-139 GFLOP/s per core, 512 KB -> 149-183, unblocked -> 109-136.
constexpr size_t kXBlockBytes = 512 * 1024;

template <class W>
using TileFn = void (*)(const float*, const typename W::T*, size_t, float*, size_t);

template <class W, int R>
GEMMA3_AVX512 TileFn<W> tile_fn_for_rows(size_t o_count) {
  switch (o_count) {
    case 1:
      return &tile<R, 1, W>;
    case 2:
      return &tile<R, 2, W>;
    case 3:
      return &tile<R, 3, W>;
    default:
      return &tile<R, 4, W>;
  }
}

template <class W>
GEMMA3_AVX512 TileFn<W> tile_fn(size_t r_count, size_t o_count) {
  switch (r_count) {
    case 1:
      return tile_fn_for_rows<W, 1>(o_count);
    case 2:
      return tile_fn_for_rows<W, 2>(o_count);
    case 3:
      return tile_fn_for_rows<W, 3>(o_count);
    case 4:
      return tile_fn_for_rows<W, 4>(o_count);
    case 5:
      return tile_fn_for_rows<W, 5>(o_count);
    default:
      return tile_fn_for_rows<W, 6>(o_count);
  }
}

template <class W>
GEMMA3_AVX512 void matmul_typed(const float* x, size_t n_rows, const typename W::T* w, size_t k_len,
                                size_t ldy, size_t o_begin, size_t o_end, float* y) {
  if (n_rows == 1) {
    // Decode: stream the weights once, 8 rows at a time (8 independent FMA chains).
    size_t o = o_begin;
    for (; o + 8 <= o_end; o += 8) tile<1, 8, W>(x, w + o * k_len, k_len, y + o, ldy);
    for (; o < o_end; o += kColTile) {
      const size_t no = std::min(kColTile, o_end - o);
      tile_fn<W>(1, no)(x, w + o * k_len, k_len, y + o, ldy);
    }
    return;
  }
  const size_t block_rows =
      std::max(kRowTile, kXBlockBytes / (k_len * sizeof(float)) / kRowTile * kRowTile);
  for (size_t r0 = 0; r0 < n_rows; r0 += block_rows) {
    const size_t r1 = std::min(n_rows, r0 + block_rows);
    for (size_t o = o_begin; o < o_end; o += kColTile) {
      const size_t no = std::min(kColTile, o_end - o);
      const typename W::T* wo = w + o * k_len;
      size_t r = r0;
      const TileFn<W> full = tile_fn<W>(kRowTile, no);
      for (; r + kRowTile <= r1; r += kRowTile)
        full(x + r * k_len, wo, k_len, y + r * ldy + o, ldy);
      if (r < r1) tile_fn<W>(r1 - r, no)(x + r * k_len, wo, k_len, y + r * ldy + o, ldy);
    }
  }
}

}  // namespace

void matmul_block(const float* x, size_t n_rows, const WeightView& w, size_t o_begin, size_t o_end,
                  float* y) {
  if (w.cols == 0) {
    for (size_t r = 0; r < n_rows; ++r)
      std::fill(y + r * w.rows + o_begin, y + r * w.rows + o_end, 0.0f);
    return;
  }
  switch (w.dtype) {
    case DType::kBF16:
      return matmul_typed<LoadBf16>(x, n_rows, static_cast<const uint16_t*>(w.data), w.cols, w.rows,
                                    o_begin, o_end, y);
    case DType::kF16:
      return matmul_typed<LoadF16>(x, n_rows, static_cast<const uint16_t*>(w.data), w.cols, w.rows,
                                   o_begin, o_end, y);
    case DType::kF32:
      return matmul_typed<LoadF32>(x, n_rows, static_cast<const float*>(w.data), w.cols, w.rows,
                                   o_begin, o_end, y);
  }
}

}  // namespace gemma3::kernels::avx512
