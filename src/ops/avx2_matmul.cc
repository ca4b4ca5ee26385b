// AVX2 matmul: the avx512_matmul.cc scheme at 8 lanes. One 8-lane f32 accumulator per (x row,
// weight row) pair; every output runs the same sequence (full 8-float k-steps, one zero-padded
// tail step, hsum's fixed tree), whatever tile it lands in — hence the determinism contract.
// 16 ymm registers allow a 4 × 3 tile (12 accumulators + 3 weights + 1 x).
#include <algorithm>

#include "ops/avx2_kquant_loaders.h"
#include "ops/isa_kernels.h"
#include "ops/prefetch.h"
#include "ops/simd_avx2.h"

namespace gemma3::kernels::avx2 {

namespace {

// Weight loaders: the 8 weights row[k .. k+8) widened exactly to f32, `row` being the start of a
// weight row in its storage format (k a multiple of 8). The tail variants read only the n < 8
// valid elements (the rest are zero), so no load runs past the end of the matrix; the
// block-quantized types never need one (their rows are whole 32-element blocks).
struct LoadBf16 {
  GEMMA3_AVX2 static __m256 full(const uint8_t* row, size_t k) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * k));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
  GEMMA3_AVX2 static __m256 tail(const uint8_t* row, size_t k, size_t n) {
    alignas(16) uint16_t buf[8] = {};
    __builtin_memcpy(buf, row + 2 * k, 2 * n);
    return full(reinterpret_cast<const uint8_t*>(buf), 0);
  }
};

struct LoadF16 {
  GEMMA3_AVX2 static __m256 full(const uint8_t* row, size_t k) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * k)));
  }
  GEMMA3_AVX2 static __m256 tail(const uint8_t* row, size_t k, size_t n) {
    alignas(16) uint16_t buf[8] = {};
    __builtin_memcpy(buf, row + 2 * k, 2 * n);
    return full(reinterpret_cast<const uint8_t*>(buf), 0);
  }
};

struct LoadF32 {
  GEMMA3_AVX2 static __m256 full(const uint8_t* row, size_t k) {
    return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + k);
  }
  GEMMA3_AVX2 static __m256 tail(const uint8_t* row, size_t k, size_t n) {
    return _mm256_maskload_ps(reinterpret_cast<const float*>(row) + k, tail_mask(n));
  }
};

GEMMA3_AVX2 inline __m256 block_scale(const uint8_t* block) {
  uint16_t d;
  __builtin_memcpy(&d, block, sizeof d);
  return _mm256_set1_ps(_cvtsh_ss(d));
}

// d·q is exact in f32 (see avx512_matmul.cc), so these agree bit for bit with row_to_f32.
struct LoadQ8_0 {
  static constexpr bool kBlockQuantized = true;  // prefetch policy: ops/prefetch.h
  GEMMA3_AVX2 static __m256 full(const uint8_t* row, size_t k) {
    const uint8_t* block = row + k / kQuantBlock * sizeof(BlockQ8_0);
    const __m128i q = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(block + 2 + k % kQuantBlock));
    return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)), block_scale(block));
  }
  GEMMA3_AVX2 static __m256 tail(const uint8_t*, size_t, size_t) { return _mm256_setzero_ps(); }
};

struct LoadQ4_0 {
  static constexpr bool kBlockQuantized = true;
  GEMMA3_AVX2 static __m256 full(const uint8_t* row, size_t k) {
    const uint8_t* block = row + k / kQuantBlock * sizeof(BlockQ4_0);
    const size_t j = k % kQuantBlock;  // elements j..j+7: bytes j % 16 .., high nibbles from 16 on
    __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(block + 2 + j % 16));
    if (j >= 16) b = _mm_srli_epi16(b, 4);
    b = _mm_and_si128(b, _mm_set1_epi8(0x0f));
    const __m256i q = _mm256_sub_epi32(_mm256_cvtepu8_epi32(b), _mm256_set1_epi32(8));
    return _mm256_mul_ps(_mm256_cvtepi32_ps(q), block_scale(block));
  }
  GEMMA3_AVX2 static __m256 tail(const uint8_t*, size_t, size_t) { return _mm256_setzero_ps(); }
};

// y[r·ldy + o] = Σ_k x[r·k_len + k] · w_o[k] for r < R, o < O; weight row o starts at w + o·row_bytes.
template <int R, int O, class W>
GEMMA3_AVX2 void tile(const float* x, const uint8_t* w, size_t row_bytes, size_t k_len, float* y, size_t ldy) {
  __m256 acc[R][O];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int o = 0; o < O; ++o) acc[r][o] = _mm256_setzero_ps();
  }
  // Prefetch the weight rows a few tiles ahead at the rate this tile consumes its own
  // (ops/prefetch.h: how far and where to; it is what lets decode stream near the bandwidth).
  constexpr bool kQuant = requires { W::kBlockQuantized; };
  const uint8_t* next = w + (kQuant ? kQuantPrefetchTiles : kStreamPrefetchTiles) * O * row_bytes;
  const size_t step_bytes = O * row_bytes * 8 / k_len;  // weight bytes per k-step
  size_t k = 0;
  if constexpr (R == 1 && requires { W::kWholeBlocks; }) {
    // Decode of a type whose loader widens 32 weights at once (its scales read once): the same
    // fma sequence per output as the loop below, one 8-weight step after another.
    for (; k + 32 <= k_len; k += 32) {
      const uint8_t* pf = next + k / 8 * step_bytes;
      for (size_t line = 0; line < 4 * step_bytes; line += 64) prefetch_l1(pf + line);
#pragma GCC unroll 8
      for (int o = 0; o < O; ++o) {
        __m256 wv[4];
        W::block(w + o * row_bytes, k, wv);
#pragma GCC unroll 4
        for (int i = 0; i < 4; ++i) acc[0][o] = _mm256_fmadd_ps(_mm256_loadu_ps(x + k + 8 * i), wv[i], acc[0][o]);
      }
    }
  }
  for (; k + 8 <= k_len; k += 8) {
    const uint8_t* pf = next + k / 8 * step_bytes;
    for (size_t line = 0; line < step_bytes; line += 64) {
      if constexpr (kQuant) {
        prefetch_l1(pf + line);
      } else {
        prefetch_l2(pf + line);
      }
    }
    __m256 wv[O];
#pragma GCC unroll 8
    for (int o = 0; o < O; ++o) wv[o] = W::full(w + o * row_bytes, k);
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
    for (int o = 0; o < O; ++o) wv[o] = W::tail(w + o * row_bytes, k, n);
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

using TileFn = void (*)(const float*, const uint8_t*, size_t, size_t, float*, size_t);

template <class W, int R>
GEMMA3_AVX2 TileFn tile_fn_for_rows(size_t o_count) {
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
GEMMA3_AVX2 TileFn tile_fn(size_t r_count, size_t o_count) {
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
GEMMA3_AVX2 void matmul_typed(const float* x, size_t n_rows, const uint8_t* w, size_t row_bytes, size_t k_len,
                              size_t ldy, size_t o_begin, size_t o_end, float* y) {
  if (n_rows == 1) {
    size_t o = o_begin;
    for (; o + 8 <= o_end; o += 8) tile<1, 8, W>(x, w + o * row_bytes, row_bytes, k_len, y + o, ldy);
    for (; o < o_end; o += kColTile) {
      const size_t no = std::min(kColTile, o_end - o);
      tile_fn<W>(1, no)(x, w + o * row_bytes, row_bytes, k_len, y + o, ldy);
    }
    return;
  }
  const size_t block_rows =
      std::max(kRowTile, kXBlockBytes / (k_len * sizeof(float)) / kRowTile * kRowTile);
  for (size_t r0 = 0; r0 < n_rows; r0 += block_rows) {
    const size_t r1 = std::min(n_rows, r0 + block_rows);
    for (size_t o = o_begin; o < o_end; o += kColTile) {
      const size_t no = std::min(kColTile, o_end - o);
      const uint8_t* wo = w + o * row_bytes;
      size_t r = r0;
      const TileFn full = tile_fn<W>(kRowTile, no);
      for (; r + kRowTile <= r1; r += kRowTile)
        full(x + r * k_len, wo, row_bytes, k_len, y + r * ldy + o, ldy);
      if (r < r1) tile_fn<W>(r1 - r, no)(x + r * k_len, wo, row_bytes, k_len, y + r * ldy + o, ldy);
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
  const auto* data = static_cast<const uint8_t*>(w.data);
  const size_t rb = dtype_row_bytes(w.dtype, w.cols);
  switch (w.dtype) {
    case DType::kBF16:
      return matmul_typed<LoadBf16>(x, n_rows, data, rb, w.cols, w.rows, o_begin, o_end, y);
    case DType::kF16:
      return matmul_typed<LoadF16>(x, n_rows, data, rb, w.cols, w.rows, o_begin, o_end, y);
    case DType::kF32:
      return matmul_typed<LoadF32>(x, n_rows, data, rb, w.cols, w.rows, o_begin, o_end, y);
    case DType::kQ8_0:
      return matmul_typed<LoadQ8_0>(x, n_rows, data, rb, w.cols, w.rows, o_begin, o_end, y);
    case DType::kQ4_0:
      return matmul_typed<LoadQ4_0>(x, n_rows, data, rb, w.cols, w.rows, o_begin, o_end, y);
    // Some legacy and K-quant types: matmul() calls this for their decode only (avx2_kquant_loaders.h).
    case DType::kQ4_1:
      return matmul_typed<LoadQ4_1>(x, n_rows, data, rb, w.cols, w.rows, o_begin, o_end, y);
    case DType::kQ5_0:
      return matmul_typed<LoadQ5_0>(x, n_rows, data, rb, w.cols, w.rows, o_begin, o_end, y);
    case DType::kQ5_1:
      return matmul_typed<LoadQ5_1>(x, n_rows, data, rb, w.cols, w.rows, o_begin, o_end, y);
    case DType::kQ4_K:
      return matmul_typed<LoadQ4_K>(x, n_rows, data, rb, w.cols, w.rows, o_begin, o_end, y);
    case DType::kQ5_K:
      return matmul_typed<LoadQ5_K>(x, n_rows, data, rb, w.cols, w.rows, o_begin, o_end, y);
    case DType::kQ6_K:
      return matmul_typed<LoadQ6_K>(x, n_rows, data, rb, w.cols, w.rows, o_begin, o_end, y);
    default:
      return scalar::matmul_block(x, n_rows, w, o_begin, o_end, y);
  }
}

}  // namespace gemma3::kernels::avx2
