// AVX2 matmul: the avx512_matmul.cc scheme at 8 lanes. One 8-lane f32 accumulator per (x row,
// weight row) pair; every output runs the same sequence (full 8-float k-steps, one zero-padded
// tail step, hsum's fixed tree), whatever tile it lands in — hence the determinism contract.
// 16 ymm registers allow a 4 × 3 tile (12 accumulators + 3 weights + 1 x).
#include <algorithm>

#include "ops/isa_kernels.h"
#include "ops/simd_avx2.h"

namespace gemma3::kernels::avx2 {

namespace {

// Weight loaders: 8 consecutive weights widened exactly to f32. The tail variants read only the
// n < 8 valid elements (the rest are zero), so no load runs past the end of the matrix.
struct LoadBf16 {
  using T = uint16_t;
  GEMMA3_AVX2 static __m256 full(const uint16_t* p) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
  GEMMA3_AVX2 static __m256 tail(const uint16_t* p, size_t n) {
    alignas(16) uint16_t buf[8] = {};
    for (size_t i = 0; i < n; ++i) buf[i] = p[i];
    return full(buf);
  }
};

struct LoadF16 {
  using T = uint16_t;
  GEMMA3_AVX2 static __m256 full(const uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  GEMMA3_AVX2 static __m256 tail(const uint16_t* p, size_t n) {
    alignas(16) uint16_t buf[8] = {};
    for (size_t i = 0; i < n; ++i) buf[i] = p[i];
    return full(buf);
  }
};

struct LoadF32 {
  using T = float;
  GEMMA3_AVX2 static __m256 full(const float* p) { return _mm256_loadu_ps(p); }
  GEMMA3_AVX2 static __m256 tail(const float* p, size_t n) {
    return _mm256_maskload_ps(p, tail_mask(n));
  }
};

// y[r·ldy + o] = Σ_k x[r·k_len + k] · w[o·k_len + k] for r < R, o < O.
template <int R, int O, class W>
GEMMA3_AVX2 void tile(const float* x, const typename W::T* w, size_t k_len, float* y, size_t ldy) {
  __m256 acc[R][O];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int o = 0; o < O; ++o) acc[r][o] = _mm256_setzero_ps();
  }
  // Prefetch the next tile's weight rows at the rate this tile consumes its own (see the AVX-512
  // kernel: it is what lets the decode path stream at full memory bandwidth).
  const char* next = reinterpret_cast<const char*>(w + O * k_len);
  constexpr size_t kStepBytes = 8 * sizeof(typename W::T) * O;  // weight bytes per k-step
  size_t k = 0;
  for (; k + 8 <= k_len; k += 8) {
#pragma GCC unroll 8
    for (size_t line = 0; line < kStepBytes; line += 64) {
      _mm_prefetch(next + k / 8 * kStepBytes + line, _MM_HINT_T0);
    }
    __m256 wv[O];
#pragma GCC unroll 8
    for (int o = 0; o < O; ++o) wv[o] = W::full(w + o * k_len + k);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m256 xv = _mm256_loadu_ps(x + r * k_len + k);
#pragma GCC unroll 8
      for (int o = 0; o < O; ++o) acc[r][o] = _mm256_fmadd_ps(xv, wv[o], acc[r][o]);
    }
  }
  if (k < k_len) {
    const size_t n = k_len - k;
    const __m256i m = tail_mask(n);
    __m256 wv[O];
#pragma GCC unroll 8
    for (int o = 0; o < O; ++o) wv[o] = W::tail(w + o * k_len + k, n);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m256 xv = _mm256_maskload_ps(x + r * k_len + k, m);
#pragma GCC unroll 8
      for (int o = 0; o < O; ++o) acc[r][o] = _mm256_fmadd_ps(xv, wv[o], acc[r][o]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int o = 0; o < O; ++o) y[r * ldy + o] = hsum(acc[r][o]);
  }
}

constexpr size_t kRowTile = 4;
constexpr size_t kColTile = 3;
constexpr size_t kXBlockBytes = 256 * 1024;

template <class W>
using TileFn = void (*)(const float*, const typename W::T*, size_t, float*, size_t);

template <class W, int R>
GEMMA3_AVX2 TileFn<W> tile_fn_for_rows(size_t o_count) {
  switch (o_count) {
    case 1:
      return &tile<R, 1, W>;
    case 2:
      return &tile<R, 2, W>;
    default:
      return &tile<R, 3, W>;
  }
}

template <class W>
GEMMA3_AVX2 TileFn<W> tile_fn(size_t r_count, size_t o_count) {
  switch (r_count) {
    case 1:
      return tile_fn_for_rows<W, 1>(o_count);
    case 2:
      return tile_fn_for_rows<W, 2>(o_count);
    case 3:
      return tile_fn_for_rows<W, 3>(o_count);
    default:
      return tile_fn_for_rows<W, 4>(o_count);
  }
}

template <class W>
GEMMA3_AVX2 void matmul_typed(const float* x, size_t n_rows, const typename W::T* w, size_t k_len,
                              size_t ldy, size_t o_begin, size_t o_end, float* y) {
  if (n_rows == 1) {
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

}  // namespace gemma3::kernels::avx2
