// The int8-activation matmul on AVX-512 VNNI (vpdpbusd: 64 unsigned×signed byte products summed
// into 16 int32 lanes per instruction). Arithmetic and its determinism: ops/int8_matmul.h.
//
// The 16 lanes are 16 weight rows (outputs), so one block's integer dot products finish in the
// lanes with no horizontal sums, and the f32 step per block is one fma for 16 outputs. That needs
// the weights interleaved: a panel holds, per block, 8 chunks of 64 bytes (chunk j, lane l = bytes
// 4j..4j+3 of row l's 32 unsigned bytes) and the 16 rows' scales. A panel of 16 rows is built
// once (a 16×8 dword transpose per block, in registers) and used by every x row of an L2-sized
// block of rows; x supplies each 4-byte chunk as a broadcast. Built per call, the panels cost more
// than the dot products when there are few x rows (decode), so under --matmul-int8 the model
// prepacks every matrix into them once at load (pack_panels below, ops/int8_prepack.h): a call
// then only reads them. A tile sees the same panel bytes either way, so the results are the same.
// The other types (legacy Q4_1 / Q5_0 / Q5_1, K-quants Q4_K / Q5_K / Q6_K) are unpacked through
// the shared int8_unpack_row into the same panels, with a side panel of the rows' mins and
// Q6_K's sub-scales (chunks 0-3 are a block's first 16 elements, 4-7 the others).
#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "ops/int8_matmul.h"
#include "ops/int8_prepack.h"
#include "ops/prefetch.h"
#include "ops/simd_avx512.h"

#define GEMMA3_AVX512_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")))

namespace gemma3::kernels::avx512_vnni {

namespace {

constexpr size_t kLanes = 16;     // weight rows per panel
constexpr size_t kRowTile = 8;    // x rows per microkernel: 8 int + 8 f32 accumulators
// x rows per cache block: their int8 rows (k bytes each) stay in L2 while every panel passes.
constexpr size_t kXBlockBytes = 256 * 1024;

struct alignas(64) PanelBlock {
  uint8_t q[8][64];     // chunk j, lane l: bytes 4j..4j+3 of row l's block
  float d[kLanes];      // the rows' block scales (0 for padding rows)
};

// What only some types have, per block: the rows' mins and Q6_K's sub-scales.
struct alignas(64) PanelExtra {
  float m[kLanes];
  int32_t sc_lo[kLanes], sc_hi[kLanes];
};

// Row l's 32 unsigned bytes of block b, and its scale.
template <DType T>
GEMMA3_AVX512_VNNI inline __m256i unpack(const uint8_t* row, size_t b, uint16_t& d) {
  if constexpr (T == DType::kQ8_0) {
    const uint8_t* block = row + b * sizeof(BlockQ8_0);
    std::memcpy(&d, block, sizeof d);
    const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 2));
    return _mm256_xor_si256(q, _mm256_set1_epi8(static_cast<char>(0x80)));  // q + 128
  } else {
    const uint8_t* block = row + b * sizeof(BlockQ4_0);
    std::memcpy(&d, block, sizeof d);
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 2));
    const __m128i mask = _mm_set1_epi8(0x0f);
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(bytes, 4), mask), _mm_and_si128(bytes, mask));
  }
}

// r[i] = [row i | row i + 8] of one block (8 dwords each) -> the panel block's 8 chunks.
GEMMA3_AVX512_VNNI inline void store_transposed(const __m512i r[8], PanelBlock& p) {
  const __m512i lo_idx = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27);
  const __m512i hi_idx = _mm512_setr_epi32(4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31);
  // 8×8 dword transposes in both halves: after two unpack stages u[j] holds dword j (128-bit
  // lanes 0/2) and dword j + 4 (lanes 1/3) of rows 4i..4i+3 in r[4i..]; one permute per chunk
  // puts rows 0..15 in order.
  __m512i t[8], u[8];
  for (size_t i = 0; i < 8; i += 4) {
    t[i + 0] = _mm512_unpacklo_epi32(r[i + 0], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_epi32(r[i + 0], r[i + 1]);
    t[i + 2] = _mm512_unpacklo_epi32(r[i + 2], r[i + 3]);
    t[i + 3] = _mm512_unpackhi_epi32(r[i + 2], r[i + 3]);
    u[i + 0] = _mm512_unpacklo_epi64(t[i + 0], t[i + 2]);  // dword 0 / 4
    u[i + 1] = _mm512_unpackhi_epi64(t[i + 0], t[i + 2]);  // dword 1 / 5
    u[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);  // dword 2 / 6
    u[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);  // dword 3 / 7
  }
  for (size_t j = 0; j < 4; ++j) {
    _mm512_store_si512(p.q[j], _mm512_permutex2var_epi32(u[j], lo_idx, u[j + 4]));
    _mm512_store_si512(p.q[j + 4], _mm512_permutex2var_epi32(u[j], hi_idx, u[j + 4]));
  }
}

// Panel of weight rows [o, o + n) (n ≤ 16; missing rows are zero) for blocks [0, blocks).
template <DType T>
GEMMA3_AVX512_VNNI void build_panel(const uint8_t* w, size_t row_bytes, size_t n, size_t blocks,
                                    PanelBlock* panel) {
  for (size_t b = 0; b < blocks; ++b) {
    alignas(32) uint16_t d[kLanes] = {};
    __m512i r[8];
    for (size_t i = 0; i < 8; ++i) {
      const __m256i a = i < n ? unpack<T>(w + i * row_bytes, b, d[i]) : _mm256_setzero_si256();
      const __m256i c = i + 8 < n ? unpack<T>(w + (i + 8) * row_bytes, b, d[i + 8]) : _mm256_setzero_si256();
      r[i] = _mm512_inserti64x4(_mm512_castsi256_si512(a), c, 1);
    }
    store_transposed(r, panel[b]);
    _mm512_store_ps(panel[b].d, _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(d))));
  }
}

// The same for the types unpacked by int8_unpack_row, with their side panel: the 16 rows are
// unpacked one after the other (sequential reads, each K-quant super-block's scales once), then
// gathered block by block.
GEMMA3_AVX512_VNNI void build_panel_unpacked(DType dtype, const uint8_t* w, size_t row_bytes, size_t n, size_t blocks,
                                             PanelBlock* panel, PanelExtra* extra) {
  thread_local std::vector<Int8WeightBlock> rows;  // (n, blocks)
  rows.resize(kLanes * blocks);
  for (size_t l = 0; l < n; ++l) int8_unpack_row(dtype, w + l * row_bytes, blocks, rows.data() + l * blocks);
  for (size_t b = 0; b < blocks; ++b) {
    PanelBlock& p = panel[b];
    PanelExtra& e = extra[b];
    for (size_t l = 0; l < kLanes; ++l) {
      const Int8WeightBlock* wb = l < n ? &rows[l * blocks + b] : nullptr;
      p.d[l] = wb ? wb->d : 0.0f;
      e.m[l] = wb ? wb->m : 0.0f;
      e.sc_lo[l] = wb ? wb->sc_lo : 1;
      e.sc_hi[l] = wb ? wb->sc_hi : 1;
    }
    __m512i r[8];
    for (size_t i = 0; i < 8; ++i) {
      const __m256i a = i < n ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[i * blocks + b].u))
                              : _mm256_setzero_si256();
      const __m256i c = i + 8 < n ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[(i + 8) * blocks + b].u))
                                  : _mm256_setzero_si256();
      r[i] = _mm512_inserti64x4(_mm512_castsi256_si512(a), c, 1);
    }
    store_transposed(r, p);
  }
}

// y[r·ldy + lane] for R x rows from row x0 and the panel's 16 rows (n of them stored). kMin:
// the types with a min (a second fma per block); kSub: Q6_K's two sub-scales per block.
template <int R, bool kMin, bool kSub>
GEMMA3_AVX512_VNNI void tile(const Int8Rows& x, size_t x0, int32_t offset, const PanelBlock* panel,
                             const PanelExtra* extra, size_t n, float* y, size_t ldy) {
  __m512 acc[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
  for (size_t b = 0; b < x.blocks; ++b) {
    const PanelBlock& p = panel[b];
    __m512i isum[R], hi[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const size_t xb = (x0 + r) * x.blocks + b;
      if constexpr (kSub) {
        isum[r] = _mm512_set1_epi32(-offset * x.sum_lo[xb]);
        hi[r] = _mm512_set1_epi32(-offset * (x.sum[xb] - x.sum_lo[xb]));
      } else {
        isum[r] = _mm512_set1_epi32(-offset * x.sum[xb]);
      }
    }
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) {
      const __m512i wj = _mm512_load_si512(p.q[j]);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        int32_t xj;
        std::memcpy(&xj, x.q + ((x0 + r) * x.blocks + b) * kQuantBlock + 4 * j, sizeof xj);
        if (kSub && j >= 4) {
          hi[r] = _mm512_dpbusd_epi32(hi[r], wj, _mm512_set1_epi32(xj));
        } else {
          isum[r] = _mm512_dpbusd_epi32(isum[r], wj, _mm512_set1_epi32(xj));
        }
      }
    }
    if constexpr (kSub) {
      const __m512i sc_lo = _mm512_load_si512(extra[b].sc_lo), sc_hi = _mm512_load_si512(extra[b].sc_hi);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r)
        isum[r] = _mm512_add_epi32(_mm512_mullo_epi32(isum[r], sc_lo), _mm512_mullo_epi32(hi[r], sc_hi));
    }
    const __m512 dw = _mm512_load_ps(p.d);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const size_t xb = (x0 + r) * x.blocks + b;
      const __m512 dx = _mm512_set1_ps(x.d[xb]);
      acc[r] = _mm512_fmadd_ps(_mm512_mul_ps(dw, dx), _mm512_cvtepi32_ps(isum[r]), acc[r]);
      if constexpr (kMin) {
        const __m512 mw = _mm512_load_ps(extra[b].m);
        acc[r] = _mm512_fmadd_ps(_mm512_mul_ps(mw, dx), _mm512_set1_ps(static_cast<float>(x.sum[xb])), acc[r]);
      }
    }
  }
  const __mmask16 m = avx512::tail_mask(n);  // (n = 16 gives all 16 lanes)
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) _mm512_mask_storeu_ps(y + r * ldy, m, acc[r]);
}

using TileFn = void (*)(const Int8Rows&, size_t, int32_t, const PanelBlock*, const PanelExtra*, size_t, float*, size_t);

template <bool kMin, bool kSub>
GEMMA3_AVX512_VNNI TileFn tile_fn(size_t rows) {
  switch (rows) {
    case 1: return &tile<1, kMin, kSub>;
    case 2: return &tile<2, kMin, kSub>;
    case 3: return &tile<3, kMin, kSub>;
    case 4: return &tile<4, kMin, kSub>;
    case 5: return &tile<5, kMin, kSub>;
    case 6: return &tile<6, kMin, kSub>;
    case 7: return &tile<7, kMin, kSub>;
    default: return &tile<8, kMin, kSub>;
  }
}

// The prepacked layout: group g (rows 16g .. 16g + 15) is its `blocks` panels, followed, for the
// types with a side panel, by its `blocks` PanelExtras.
bool has_extra(DType dtype) { return dtype != DType::kQ8_0 && dtype != DType::kQ4_0; }
size_t group_bytes(DType dtype, size_t blocks) {
  return blocks * (sizeof(PanelBlock) + (has_extra(dtype) ? sizeof(PanelExtra) : 0));
}

// T: Q8_0 / Q4_0 (their own vector unpacking), or kF32 for the types int8_unpack_block reads.
template <DType T, bool kMin, bool kSub>
GEMMA3_AVX512_VNNI void matmul_typed(const Int8Rows& x, const WeightView& w, size_t o_begin, size_t o_end, float* y) {
  const size_t row_bytes = dtype_row_bytes(w.dtype, w.cols);
  const int32_t offset = int8_weight_offset(w.dtype);
  const auto* data = static_cast<const uint8_t*>(w.data);
  thread_local std::vector<PanelBlock> panel;
  thread_local std::vector<PanelExtra> extra;
  panel.resize(x.blocks);
  if (T == DType::kF32) extra.resize(x.blocks);
  const auto* packed = static_cast<const uint8_t*>(w.int8_packed);
  const size_t packed_group_bytes = group_bytes(w.dtype, x.blocks);
  const size_t block_rows = std::max(kRowTile, kXBlockBytes / std::max<size_t>(1, x.blocks * kQuantBlock) / kRowTile * kRowTile);
  for (size_t r0 = 0; r0 < x.n_rows; r0 += block_rows) {
    const size_t r1 = std::min(x.n_rows, r0 + block_rows);
    for (size_t o = o_begin; o < o_end; o += kLanes) {
      const size_t n = std::min(kLanes, o_end - o);
      const PanelBlock* p = panel.data();
      const PanelExtra* e = extra.data();
      if (packed != nullptr && o % kLanes == 0) {
        const uint8_t* group = packed + (o / kLanes) * packed_group_bytes;
        p = reinterpret_cast<const PanelBlock*>(group);
        e = reinterpret_cast<const PanelExtra*>(group + x.blocks * sizeof(PanelBlock));
      } else if constexpr (T == DType::kF32) {
        build_panel_unpacked(w.dtype, data + o * row_bytes, row_bytes, n, x.blocks, panel.data(), extra.data());
      } else {
        build_panel<T>(data + o * row_bytes, row_bytes, n, x.blocks, panel.data());
      }
      size_t r = r0;
      for (; r + kRowTile <= r1; r += kRowTile)
        tile<kRowTile, kMin, kSub>(x, r, offset, p, e, n, y + r * w.rows + o, w.rows);
      if (r < r1) tile_fn<kMin, kSub>(r1 - r)(x, r, offset, p, e, n, y + r * w.rows + o, w.rows);
    }
  }
}

}  // namespace

void int8_matmul_block(const Int8Rows& x, const WeightView& w, size_t o_begin, size_t o_end, float* y) {
  switch (w.dtype) {
    case DType::kQ8_0: return matmul_typed<DType::kQ8_0, false, false>(x, w, o_begin, o_end, y);
    case DType::kQ4_0: return matmul_typed<DType::kQ4_0, false, false>(x, w, o_begin, o_end, y);
    case DType::kQ6_K: return matmul_typed<DType::kF32, false, true>(x, w, o_begin, o_end, y);
    default:
      if (int8_has_min(w.dtype)) return matmul_typed<DType::kF32, true, false>(x, w, o_begin, o_end, y);
      return matmul_typed<DType::kF32, false, false>(x, w, o_begin, o_end, y);
  }
}

size_t packed_bytes(const WeightView& w) {
  if (!int8_supports(w.dtype) || w.cols % kQuantBlock != 0) return 0;
  return (w.rows + kLanes - 1) / kLanes * group_bytes(w.dtype, w.cols / kQuantBlock);
}

size_t packed_groups(const WeightView& w) { return (w.rows + kLanes - 1) / kLanes; }

GEMMA3_AVX512_VNNI void pack(const WeightView& w, size_t group_begin, size_t group_end, void* out) {
  const size_t row_bytes = dtype_row_bytes(w.dtype, w.cols);
  const size_t blocks = w.cols / kQuantBlock;
  const size_t gbytes = group_bytes(w.dtype, blocks);
  const auto* data = static_cast<const uint8_t*>(w.data);
  for (size_t g = group_begin; g < group_end; ++g) {
    const size_t o = g * kLanes, n = std::min(kLanes, w.rows - o);
    auto* group = static_cast<uint8_t*>(out) + g * gbytes;
    auto* panels = reinterpret_cast<PanelBlock*>(group);
    switch (w.dtype) {
      case DType::kQ8_0: build_panel<DType::kQ8_0>(data + o * row_bytes, row_bytes, n, blocks, panels); break;
      case DType::kQ4_0: build_panel<DType::kQ4_0>(data + o * row_bytes, row_bytes, n, blocks, panels); break;
      default:
        build_panel_unpacked(w.dtype, data + o * row_bytes, row_bytes, n, blocks, panels,
                             reinterpret_cast<PanelExtra*>(group + blocks * sizeof(PanelBlock)));
    }
  }
}

}  // namespace gemma3::kernels::avx512_vnni

namespace gemma3::kernels::avx512 {

// quantize_rows_int8 (ops/int8_matmul.h) 32 elements at a time: the same IEEE operations as the
// scalar oracle (|x| max, amax/127, 1/d, x·id, round half to even, clamp), so the same bytes.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))
void quantize_blocks_int8(const float* x, size_t begin, size_t end, int8_t* q, float* d, int32_t* sum,
                          int32_t* sum_lo, QuantizeBlocksFn scalar) {
  const __m512 lo = _mm512_set1_ps(-127.0f), hi = _mm512_set1_ps(127.0f);
  for (size_t i = begin; i < end; ++i) {
    const float* xb = x + i * kQuantBlock;
    const __m512 a0 = _mm512_loadu_ps(xb), a1 = _mm512_loadu_ps(xb + 16);
    if (_mm512_cmp_ps_mask(a0, a0, _CMP_UNORD_Q) | _mm512_cmp_ps_mask(a1, a1, _CMP_UNORD_Q)) {
      scalar(x, i, i + 1, q, d, sum, sum_lo);
      continue;
    }
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(a0), _mm512_abs_ps(a1)));
    if (!(amax <= std::numeric_limits<float>::max())) {  // an infinity: x·0 is NaN there, which becomes 0
      scalar(x, i, i + 1, q, d, sum, sum_lo);
      continue;
    }
    const float di = amax / 127.0f;
    const __m512 id = _mm512_set1_ps(di != 0.0f ? 1.0f / di : 0.0f);
    constexpr int kNearest = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    const __m512 v0 = _mm512_min_ps(_mm512_max_ps(_mm512_roundscale_ps(_mm512_mul_ps(a0, id), kNearest), lo), hi);
    const __m512 v1 = _mm512_min_ps(_mm512_max_ps(_mm512_roundscale_ps(_mm512_mul_ps(a1, id), kNearest), lo), hi);
    const __m512i q0 = _mm512_cvtps_epi32(v0), q1 = _mm512_cvtps_epi32(v1);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i * kQuantBlock), _mm512_cvtepi32_epi8(q0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i * kQuantBlock + 16), _mm512_cvtepi32_epi8(q1));
    d[i] = di;
    sum_lo[i] = _mm512_reduce_add_epi32(q0);
    sum[i] = sum_lo[i] + _mm512_reduce_add_epi32(q1);
  }
}

}  // namespace gemma3::kernels::avx512
