// AVX-512 matmul: register-tiled dot products over k, one 16-lane f32 accumulator per (x row,
// weight row) pair.
//
// Determinism: every output y[r][o] is computed by the same sequence — acc = 0; for each full
// 16-float step of k: acc = fma(x, w, acc); one masked step for the k % 16 tail; hsum(acc) with the
// fixed tree of simd_avx512.h — whatever tile shape (R x rows × O weight rows) it lands in, and
// whether w comes straight from the matrix or from a pre-widened panel. That holds because every
// loader widens EXACTLY: bf16 and f16 widen exactly, and a Q8_0 / Q4_0 weight d·q is exact in f32
// (d has an 11-bit significand, q at most 8 bits); the legacy and K-quant loaders
// (avx512_kquant_loaders.h) give each weight the value the scalar widening kquant_row_to_f32
// gives it, so those types match the f32 kernel on widened rows. Tiles only change which outputs
// are computed side by side, never the arithmetic of one output.
//
// Two paths:
// - few x rows (decode, small batches): weights are widened in registers once per k-step and
//   reused across the tile's x rows, with software prefetch of the next tile's rows; n_rows = 1
//   uses 1×8 tiles (8 independent FMA chains) and streams at the machine's read bandwidth.
// - many x rows (prefill) of a block-quantized type: each 4-row weight panel is widened once into
//   an f32 scratch panel (L1) and reused by every x row of an L2-sized block, so the FMA loop has
//   no conversion work (kUsesPanels / kPanelMinRows say when that pays).
// Activations stay f32 (no vdpbf16ps): rounding them to bf16 moved the 270m logits by 0.9% of
// their range, ten times the reference tolerance.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "ops/avx512_kquant_loaders.h"
#include "ops/isa_kernels.h"
#include "ops/prefetch.h"
#include "ops/simd_avx512.h"

namespace gemma3::kernels::avx512 {

namespace {

// Weight loaders: the 16 weights row[k .. k+16) widened exactly to f32, `row` being the start of
// a weight row in its storage format. k is a multiple of 16; tail() covers a final partial step
// (never needed for the block-quantized types, whose rows are whole 32-element blocks).
struct LoadBf16 {
  GEMMA3_AVX512 static __m512 full(const uint8_t* row, size_t k) {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 2 * k));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
  GEMMA3_AVX512 static __m512 tail(const uint8_t* row, size_t k, __mmask16 m) {
    const __m256i h = _mm256_maskz_loadu_epi16(m, row + 2 * k);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
};

struct LoadF16 {
  GEMMA3_AVX512 static __m512 full(const uint8_t* row, size_t k) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 2 * k)));
  }
  GEMMA3_AVX512 static __m512 tail(const uint8_t* row, size_t k, __mmask16 m) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, row + 2 * k));
  }
};

struct LoadF32 {
  GEMMA3_AVX512 static __m512 full(const uint8_t* row, size_t k) {
    return _mm512_loadu_ps(reinterpret_cast<const float*>(row) + k);
  }
  GEMMA3_AVX512 static __m512 tail(const uint8_t* row, size_t k, __mmask16 m) {
    return _mm512_maskz_loadu_ps(m, reinterpret_cast<const float*>(row) + k);
  }
};

GEMMA3_AVX512 inline __m512 block_scale(const uint8_t* block) {
  uint16_t d;
  __builtin_memcpy(&d, block, sizeof d);
  return _mm512_set1_ps(_cvtsh_ss(d));
}

// The block-quantized loaders also widen a whole 32-element block at once (block(): elements
// k..k+15 into lo, k+16..k+31 into hi, k a multiple of 32), so the decode tile reads each scale
// once per block. Same values as two full() calls.
struct LoadQ8_0 {
  static constexpr bool kWholeBlocks = true;
  GEMMA3_AVX512 static void block(const uint8_t* row, size_t k, __m512& lo, __m512& hi) {
    const uint8_t* b = row + k / kQuantBlock * sizeof(BlockQ8_0);
    const __m512 d = block_scale(b);
    const __m128i q0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 2));
    const __m128i q1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 18));
    lo = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q0)), d);
    hi = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q1)), d);
  }
  GEMMA3_AVX512 static __m512 full(const uint8_t* row, size_t k) {
    const uint8_t* block = row + k / kQuantBlock * sizeof(BlockQ8_0);
    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 2 + k % kQuantBlock));
    return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q)), block_scale(block));
  }
  GEMMA3_AVX512 static __m512 tail(const uint8_t*, size_t, __mmask16) { return _mm512_setzero_ps(); }
};

struct LoadQ4_0 {
  static constexpr bool kWholeBlocks = true;
  // A nibble q becomes d·(q − 8) by one permute of a 16-entry table of d·(−8 … 7): each entry is
  // the same exact product full() computes.
  GEMMA3_AVX512 static void block(const uint8_t* row, size_t k, __m512& lo, __m512& hi) {
    const uint8_t* b = row + k / kQuantBlock * sizeof(BlockQ4_0);
    const __m512 table = _mm512_mul_ps(
        _mm512_setr_ps(-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7), block_scale(b));
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 2));
    const __m128i mask = _mm_set1_epi8(0x0f);
    lo = _mm512_permutexvar_ps(_mm512_cvtepu8_epi32(_mm_and_si128(bytes, mask)), table);
    hi = _mm512_permutexvar_ps(_mm512_cvtepu8_epi32(_mm_and_si128(_mm_srli_epi16(bytes, 4), mask)), table);
  }
  GEMMA3_AVX512 static __m512 full(const uint8_t* row, size_t k) {
    const uint8_t* block = row + k / kQuantBlock * sizeof(BlockQ4_0);
    __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 2));
    if (k % kQuantBlock != 0) b = _mm_srli_epi16(b, 4);  // elements 16..31: the high nibbles
    b = _mm_and_si128(b, _mm_set1_epi8(0x0f));
    const __m512i q = _mm512_sub_epi32(_mm512_cvtepu8_epi32(b), _mm512_set1_epi32(8));
    return _mm512_mul_ps(_mm512_cvtepi32_ps(q), block_scale(block));
  }
  GEMMA3_AVX512 static __m512 tail(const uint8_t*, size_t, __mmask16) { return _mm512_setzero_ps(); }
};

// y[r·ldy + o] = Σ_k x[r·k_len + k] · w_o[k] for r < R, o < O, where weight row o starts at
// w + o·row_bytes. x: (R, k_len) f32 with row stride k_len.
template <int R, int O, class W>
GEMMA3_AVX512 void tile(const float* x, const uint8_t* w, size_t row_bytes, size_t k_len, float* y,
                        size_t ldy) {
  __m512 acc[R][O];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int o = 0; o < O; ++o) acc[r][o] = _mm512_setzero_ps();
  }
  // Prefetch the weight rows a few tiles ahead (contiguous after ours) at the rate this tile
  // consumes its own, so DRAM latency hides behind the FMAs when the weights are streamed.
  // Redundant but cheap when the same weights are reused. ops/prefetch.h: how far, and where to.
  const size_t step_bytes = O * row_bytes * 16 / k_len;  // weight bytes per k-step
  size_t k = 0;
  if constexpr (requires { W::kWholeBlocks; }) {
    if constexpr (R == 1) {  // decode: one scale per block; the same fma sequence as below
      const uint8_t* next = w + kQuantPrefetchTiles * O * row_bytes;
      for (; k + 32 <= k_len; k += 32) {
        const uint8_t* pf = next + k / 16 * step_bytes;
        for (size_t line = 0; line < 2 * step_bytes; line += 64) prefetch_l1(pf + line);
        // Widen and consume one row's block at a time: 8 accumulators + one row's (lo, hi) + x fit
        // the 32 registers; widening all 8 rows first spilled to the stack.
        const __m512 x0 = _mm512_loadu_ps(x + k), x1 = _mm512_loadu_ps(x + k + 16);
#pragma GCC unroll 8
        for (int o = 0; o < O; ++o) {
          __m512 lo, hi;
          W::block(w + o * row_bytes, k, lo, hi);
          acc[0][o] = _mm512_fmadd_ps(x1, hi, _mm512_fmadd_ps(x0, lo, acc[0][o]));
        }
      }
    }
  }
  const uint8_t* next = w + kStreamPrefetchTiles * O * row_bytes;
  for (; k + 16 <= k_len; k += 16) {
    const uint8_t* pf = next + k / 16 * step_bytes;
    for (size_t line = 0; line < step_bytes; line += 64) prefetch_l2(pf + line);
    __m512 wv[O];
#pragma GCC unroll 8
    for (int o = 0; o < O; ++o) wv[o] = W::full(w + o * row_bytes, k);
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
    for (int o = 0; o < O; ++o) wv[o] = W::tail(w + o * row_bytes, k, m);
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
// From this many x rows on, widening a panel once beats widening in registers per x tile — for the
// block-quantized types only, whose widening costs several instructions per weight. bf16 and f16
// widen in two, and in registers they win at every batch size (270m gate_up / down, 2 threads,
// GFLOP/s in registers vs panel: bf16 16 rows 206/186 vs 133/125, 64 rows 207/201 vs 183/148,
// 512 rows 198/196 vs 196/173; Q8_0 gate_up 64 rows 175 vs 186, 128 rows 171 vs 197).
template <class W>
constexpr bool kUsesPanels = requires { W::kWholeBlocks; };
constexpr size_t kPanelMinRows = 128;
// The legacy and K-quant loaders (avx512_kquant_loaders.h) cost more per weight (scale unpacking,
// tables): widened once per panel they win from 2 x rows on. W::kPanelMinRows says so.
template <class W>
constexpr size_t panel_min_rows() {
  if constexpr (requires { W::kPanelMinRows; }) {
    return W::kPanelMinRows;
  } else {
    return kPanelMinRows;
  }
}
// x rows per cache block: keep the block (rows × k floats) within half of a 1 MB L2, so each
// 4-row weight panel (kept in L1) meets x rows already close. Measured on Zen 5 at n_rows = 512:
// 96 KB -> 124-139 GFLOP/s per core, 512 KB -> 149-183, unblocked -> 109-136.
constexpr size_t kXBlockBytes = 512 * 1024;

using TileFn = void (*)(const float*, const uint8_t*, size_t, size_t, float*, size_t);

template <class W, int R>
GEMMA3_AVX512 TileFn tile_fn_for_rows(size_t o_count) {
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
GEMMA3_AVX512 TileFn tile_fn(size_t r_count, size_t o_count) {
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

// Rows [r0, r1) of x against the weight rows at w (no_count of them, row_bytes apart).
template <class W>
GEMMA3_AVX512 void rows_times_panel(const float* x, size_t r0, size_t r1, const uint8_t* w, size_t row_bytes,
                                    size_t no_count, size_t k_len, float* y, size_t ldy) {
  size_t r = r0;
  const TileFn full = tile_fn<W>(kRowTile, no_count);
  for (; r + kRowTile <= r1; r += kRowTile) full(x + r * k_len, w, row_bytes, k_len, y + r * ldy, ldy);
  if (r < r1) tile_fn<W>(r1 - r, no_count)(x + r * k_len, w, row_bytes, k_len, y + r * ldy, ldy);
}

// Many x rows of a block-quantized type: each 4-row weight panel widened once into f32 (L1) and
// reused by every x row of an L2-sized block.
template <class W>
GEMMA3_AVX512 void matmul_with_panels(const float* x, size_t n_rows, const uint8_t* w, size_t row_bytes, size_t k_len,
                                      size_t ldy, size_t o_begin, size_t o_end, float* y) {
  thread_local std::vector<float> panel;  // (kColTile, k_len) widened weights
  panel.resize(kColTile * k_len);
  const size_t block_rows =
      std::max(kRowTile, kXBlockBytes / (k_len * sizeof(float)) / kRowTile * kRowTile);
  for (size_t r0 = 0; r0 < n_rows; r0 += block_rows) {
    const size_t r1 = std::min(n_rows, r0 + block_rows);
    for (size_t o = o_begin; o < o_end; o += kColTile) {
      const size_t no = std::min(kColTile, o_end - o);
      // While widening this panel, prefetch the next one's rows (one line per 64 bytes, at the
      // pace of consumption), so its DRAM reads overlap this panel's FMAs instead of stalling the
      // next widening (batched decode streams every weight once per step).
      const size_t next_o = o + kColTile;
      const size_t next_rows = next_o < o_end ? std::min(kColTile, o_end - next_o) : 0;
      const size_t steps_per_line = std::max<size_t>(1, 64 / std::max<size_t>(1, row_bytes * 16 / k_len));
      for (size_t i = 0; i < no; ++i) {
        const uint8_t* src = w + (o + i) * row_bytes;
        const uint8_t* next_src = w + (next_o + i) * row_bytes;
        float* dst = panel.data() + i * k_len;
        size_t k = 0;
        for (; k + 32 <= k_len; k += 32) {  // whole blocks: their scales read once per 32 weights
          for (size_t kk = k; kk < k + 32; kk += 16) {
            if (i < next_rows && (kk / 16) % steps_per_line == 0) prefetch_l2(next_src + kk * row_bytes / k_len);
          }
          __m512 lo, hi;
          W::block(src, k, lo, hi);
          _mm512_storeu_ps(dst + k, lo);
          _mm512_storeu_ps(dst + k + 16, hi);
        }
        for (; k + 16 <= k_len; k += 16) _mm512_storeu_ps(dst + k, W::full(src, k));
        if (k < k_len) _mm512_mask_storeu_ps(dst + k, tail_mask(k_len - k), W::tail(src, k, tail_mask(k_len - k)));
      }
      rows_times_panel<LoadF32>(x, r0, r1, reinterpret_cast<const uint8_t*>(panel.data()), k_len * sizeof(float), no,
                                k_len, y + o, ldy);
    }
  }
}

template <class W>
GEMMA3_AVX512 void matmul_typed(const float* x, size_t n_rows, const uint8_t* w, size_t row_bytes, size_t k_len,
                                size_t ldy, size_t o_begin, size_t o_end, float* y) {
  if (n_rows == 1) {
    // Decode: stream the weights once, 8 rows at a time (8 independent FMA chains).
    size_t o = o_begin;
    for (; o + 8 <= o_end; o += 8) tile<1, 8, W>(x, w + o * row_bytes, row_bytes, k_len, y + o, ldy);
    for (; o < o_end; o += kColTile) {
      const size_t no = std::min(kColTile, o_end - o);
      tile_fn<W>(1, no)(x, w + o * row_bytes, row_bytes, k_len, y + o, ldy);
    }
    return;
  }
  if (!kUsesPanels<W> || n_rows < panel_min_rows<W>()) {
    for (size_t o = o_begin; o < o_end; o += kColTile) {
      const size_t no = std::min(kColTile, o_end - o);
      rows_times_panel<W>(x, 0, n_rows, w + o * row_bytes, row_bytes, no, k_len, y + o, ldy);
    }
    return;
  }
  if constexpr (kUsesPanels<W>) matmul_with_panels<W>(x, n_rows, w, row_bytes, k_len, ldy, o_begin, o_end, y);
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
    case DType::kQ4_1:
      return matmul_typed<LoadQ4_1>(x, n_rows, data, rb, w.cols, w.rows, o_begin, o_end, y);
    case DType::kQ5_0:
      return matmul_typed<LoadQ5_0>(x, n_rows, data, rb, w.cols, w.rows, o_begin, o_end, y);
    case DType::kQ5_1:
      return matmul_typed<LoadQ5_1>(x, n_rows, data, rb, w.cols, w.rows, o_begin, o_end, y);
    case DType::kQ2_K:
      return matmul_typed<LoadQ2_K>(x, n_rows, data, rb, w.cols, w.rows, o_begin, o_end, y);
    case DType::kQ3_K:
      return matmul_typed<LoadQ3_K>(x, n_rows, data, rb, w.cols, w.rows, o_begin, o_end, y);
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

}  // namespace gemma3::kernels::avx512
