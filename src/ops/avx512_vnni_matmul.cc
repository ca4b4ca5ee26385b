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
// Prepacked at load, the 4- and 5-bit types keep their levels as nibbles (Q4_0 / Q4_1 / Q4_K:
// chunk j's and chunk j + 4's levels share a byte) plus, for Q5_0 / Q5_1 / Q5_K, one mask bit per
// level for its fifth bit, and their side panel is only the mins: a block of 16 rows is 320 or 384
// bytes instead of 576 (+192), which a memory-bound decode reads 35-45% faster. The tile restores
// the same bytes in registers (and, shift, masked add), so the results are the same bits.
#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>
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

// Batched decode streams every prepacked panel from DRAM once per step while the tiles keep the
// core busy with 8 x rows, and the hardware prefetchers then fall behind: the LM head at 16 rows
// read 13 GB/s where one row reads 27. So the first tile over a panel also prefetches, a few lines
// per block, the panel group ~kPanelPrefetchBytes ahead into L2 (matmul_bench, LM head, 16 rows,
// 2 threads: 14.7-15.8 -> 11.0-11.8 ms; 4-8 groups ahead alike, 16 worse). One-row decode keeps to
// the hardware prefetchers (with it: no gain). Prefetches change no result.
constexpr size_t kPanelPrefetchBytes = 64 * 1024;
constexpr size_t kPanelPrefetchMinRows = 2;

struct PanelPrefetch {
  const uint8_t* p = nullptr;
  size_t lines = 0;
  void step(size_t b, size_t n) const {
    if (p == nullptr) return;
    for (size_t line = b * lines / n; line < (b + 1) * lines / n; ++line) prefetch_l2(p + 64 * line);
  }
};

struct alignas(64) PanelBlock {
  uint8_t q[8][64];     // chunk j, lane l: bytes 4j..4j+3 of row l's block
  float d[kLanes];      // the rows' block scales (0 for padding rows)
};

// What only some types have, per block: the rows' mins and Q6_K's sub-scales.
struct alignas(64) PanelExtra {
  float m[kLanes];
  int32_t sc_lo[kLanes], sc_hi[kLanes];
};

// How a panel holds its levels: bytes (every panel built per call, and prepacked Q8_0 / Q6_K),
// or nibbles, with or without a fifth-bit mask (prepacked 4- and 5-bit types).
enum class Levels { kBytes, kNibbles, kNibblesHigh };

struct alignas(64) NibbleBlock {
  uint8_t q[4][64];  // chunk j's levels in the low nibbles, chunk j + 4's in the high ones
  float d[kLanes];
};
struct alignas(64) NibbleHighBlock {
  uint8_t q[4][64];
  uint64_t high[8];  // chunk j: bit i = the fifth bit of byte i's level
  float d[kLanes];
};

Levels prepacked_levels(DType dtype) {
  switch (dtype) {
    case DType::kQ4_0:
    case DType::kQ4_1:
    case DType::kQ4_K: return Levels::kNibbles;
    case DType::kQ5_0:
    case DType::kQ5_1:
    case DType::kQ5_K: return Levels::kNibblesHigh;
    default: return Levels::kBytes;
  }
}

template <Levels L>
constexpr size_t block_bytes() {
  if constexpr (L == Levels::kBytes) return sizeof(PanelBlock);
  if constexpr (L == Levels::kNibbles) return sizeof(NibbleBlock);
  return sizeof(NibbleHighBlock);
}

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
// the types with a min (a second fma per block); kSub: Q6_K's two sub-scales per block. `blocks`
// points at the first block of the panel (L's layout); `extra` at the byte panels' side panel
// (mins for kMin, sub-scales for kSub) and `mins` at the nibble panels' mins per block (kMin).
template <int R, bool kMin, bool kSub, Levels L>
GEMMA3_AVX512_VNNI void tile(const Int8Rows& x, size_t x0, int32_t offset, const uint8_t* blocks, const float* mins,
                             const PanelExtra* extra, size_t n, float* y, size_t ldy, PanelPrefetch next = {}) {
  constexpr size_t kBlockBytes = block_bytes<L>();
  __m512 acc[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
  for (size_t b = 0; b < x.blocks; ++b) {
    next.step(b, x.blocks);
    const uint8_t* block = blocks + b * kBlockBytes;
    __m512i wq[8];
    const float* dw_lanes;
    if constexpr (L == Levels::kBytes) {
      const auto& p = *reinterpret_cast<const PanelBlock*>(block);
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j) wq[j] = _mm512_load_si512(p.q[j]);
      dw_lanes = p.d;
    } else {
      using Block = std::conditional_t<L == Levels::kNibbles, NibbleBlock, NibbleHighBlock>;
      const auto& p = *reinterpret_cast<const Block*>(block);
      const __m512i low4 = _mm512_set1_epi8(0x0f);
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j) {
        const __m512i v = _mm512_load_si512(p.q[j]);
        wq[j] = _mm512_and_si512(v, low4);
        wq[j + 4] = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
      }
      if constexpr (L == Levels::kNibblesHigh) {
        const __m512i sixteen = _mm512_set1_epi8(16);
#pragma GCC unroll 8
        for (int j = 0; j < 8; ++j)
          wq[j] = _mm512_mask_add_epi8(wq[j], _cvtu64_mask64(p.high[j]), wq[j], sixteen);
      }
      dw_lanes = p.d;
    }
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
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        int32_t xj;
        std::memcpy(&xj, x.q + ((x0 + r) * x.blocks + b) * kQuantBlock + 4 * j, sizeof xj);
        if (kSub && j >= 4) {
          hi[r] = _mm512_dpbusd_epi32(hi[r], wq[j], _mm512_set1_epi32(xj));
        } else {
          isum[r] = _mm512_dpbusd_epi32(isum[r], wq[j], _mm512_set1_epi32(xj));
        }
      }
    }
    if constexpr (kSub) {
      const __m512i sc_lo = _mm512_load_si512(extra[b].sc_lo), sc_hi = _mm512_load_si512(extra[b].sc_hi);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r)
        isum[r] = _mm512_add_epi32(_mm512_mullo_epi32(isum[r], sc_lo), _mm512_mullo_epi32(hi[r], sc_hi));
    }
    const __m512 dw = _mm512_load_ps(dw_lanes);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const size_t xb = (x0 + r) * x.blocks + b;
      const __m512 dx = _mm512_set1_ps(x.d[xb]);
      acc[r] = _mm512_fmadd_ps(_mm512_mul_ps(dw, dx), _mm512_cvtepi32_ps(isum[r]), acc[r]);
      if constexpr (kMin) {
        const __m512 mw = _mm512_load_ps(L == Levels::kBytes ? extra[b].m : mins + b * kLanes);
        acc[r] = _mm512_fmadd_ps(_mm512_mul_ps(mw, dx), _mm512_set1_ps(static_cast<float>(x.sum[xb])), acc[r]);
      }
    }
  }
  const __mmask16 m = avx512::tail_mask(n);  // (n = 16 gives all 16 lanes)
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) _mm512_mask_storeu_ps(y + r * ldy, m, acc[r]);
}

using TileFn = void (*)(const Int8Rows&, size_t, int32_t, const uint8_t*, const float*, const PanelExtra*, size_t,
                       float*, size_t, PanelPrefetch);

template <bool kMin, bool kSub, Levels L>
GEMMA3_AVX512_VNNI TileFn tile_fn(size_t rows) {
  switch (rows) {
    case 1: return &tile<1, kMin, kSub, L>;
    case 2: return &tile<2, kMin, kSub, L>;
    case 3: return &tile<3, kMin, kSub, L>;
    case 4: return &tile<4, kMin, kSub, L>;
    case 5: return &tile<5, kMin, kSub, L>;
    case 6: return &tile<6, kMin, kSub, L>;
    case 7: return &tile<7, kMin, kSub, L>;
    default: return &tile<8, kMin, kSub, L>;
  }
}

// The prepacked layout: group g (rows 16g .. 16g + 15) is its `blocks` panel blocks in the type's
// Levels layout, then its side panel: for byte panels with one (every type but Q8_0 / Q4_0)
// `blocks` PanelExtras, for nibble panels of the types with a min `blocks` × 16 mins.
bool has_extra(DType dtype) { return dtype != DType::kQ8_0 && dtype != DType::kQ4_0; }
size_t panel_block_bytes(Levels levels) {
  switch (levels) {
    case Levels::kBytes: return sizeof(PanelBlock);
    case Levels::kNibbles: return sizeof(NibbleBlock);
    case Levels::kNibblesHigh: return sizeof(NibbleHighBlock);
  }
  return sizeof(PanelBlock);
}
size_t side_bytes(DType dtype) {
  if (prepacked_levels(dtype) != Levels::kBytes) return int8_has_min(dtype) ? kLanes * sizeof(float) : 0;
  return has_extra(dtype) ? sizeof(PanelExtra) : 0;
}
size_t group_bytes(DType dtype, size_t blocks) {
  return blocks * (panel_block_bytes(prepacked_levels(dtype)) + side_bytes(dtype));
}

// A byte panel block -> the nibble layout (levels < 16, or < 32 with the fifth bits as masks).
template <Levels L>
GEMMA3_AVX512_VNNI void compress_block(const PanelBlock& p, uint8_t* out) {
  using Block = std::conditional_t<L == Levels::kNibbles, NibbleBlock, NibbleHighBlock>;
  auto& nb = *reinterpret_cast<Block*>(out);
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  for (int j = 0; j < 4; ++j) {
    const __m512i a = _mm512_load_si512(p.q[j]), c = _mm512_load_si512(p.q[j + 4]);
    _mm512_store_si512(nb.q[j], _mm512_or_si512(_mm512_and_si512(a, low4), _mm512_slli_epi16(_mm512_and_si512(c, low4), 4)));
  }
  if constexpr (L == Levels::kNibblesHigh) {
    for (int j = 0; j < 8; ++j)
      nb.high[j] = _cvtmask64_u64(_mm512_test_epi8_mask(_mm512_load_si512(p.q[j]), _mm512_set1_epi8(16)));
  }
  std::memcpy(nb.d, p.d, sizeof nb.d);
}

// x rows [r0, r1) against one panel (its blocks in L's layout).
template <bool kMin, bool kSub, Levels L>
GEMMA3_AVX512_VNNI void panel_rows(const Int8Rows& x, size_t r0, size_t r1, int32_t offset, const uint8_t* blocks,
                                   const float* mins, const PanelExtra* extra, size_t n, float* y, size_t ldy,
                                   PanelPrefetch next = {}) {
  size_t r = r0;
  for (; r + kRowTile <= r1; r += kRowTile, next = {})  // the first tile brings the next panel
    tile<kRowTile, kMin, kSub, L>(x, r, offset, blocks, mins, extra, n, y + r * ldy, ldy, next);
  if (r < r1) tile_fn<kMin, kSub, L>(r1 - r)(x, r, offset, blocks, mins, extra, n, y + r * ldy, ldy, next);
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
  const Levels levels = prepacked_levels(w.dtype);
  const size_t packed_group_bytes = group_bytes(w.dtype, x.blocks);
  const size_t panel_bytes = x.blocks * panel_block_bytes(levels);
  const size_t block_rows = std::max(kRowTile, kXBlockBytes / std::max<size_t>(1, x.blocks * kQuantBlock) / kRowTile * kRowTile);
  const size_t prefetch_groups = std::max<size_t>(1, (kPanelPrefetchBytes + packed_group_bytes - 1) / std::max<size_t>(1, packed_group_bytes));
  for (size_t r0 = 0; r0 < x.n_rows; r0 += block_rows) {
    const size_t r1 = std::min(x.n_rows, r0 + block_rows);
    for (size_t o = o_begin; o < o_end; o += kLanes) {
      const size_t n = std::min(kLanes, o_end - o);
      float* yo = y + o;
      if (packed != nullptr && o % kLanes == 0) {
        const uint8_t* group = packed + (o / kLanes) * packed_group_bytes;
        PanelPrefetch next;
        if (r1 - r0 >= kPanelPrefetchMinRows && o + prefetch_groups * kLanes < o_end) {
          next.p = group + prefetch_groups * packed_group_bytes;
          next.lines = (packed_group_bytes + 63) / 64;
        }
        const uint8_t* side = group + panel_bytes;
        const auto* m = reinterpret_cast<const float*>(side);
        const auto* e = reinterpret_cast<const PanelExtra*>(side);
        switch (levels) {
          case Levels::kNibbles: panel_rows<kMin, kSub, Levels::kNibbles>(x, r0, r1, offset, group, m, e, n, yo, w.rows, next); break;
          case Levels::kNibblesHigh: panel_rows<kMin, kSub, Levels::kNibblesHigh>(x, r0, r1, offset, group, m, e, n, yo, w.rows, next); break;
          case Levels::kBytes: panel_rows<kMin, kSub, Levels::kBytes>(x, r0, r1, offset, group, m, e, n, yo, w.rows, next); break;
        }
        continue;
      }
      if constexpr (T == DType::kF32) {
        build_panel_unpacked(w.dtype, data + o * row_bytes, row_bytes, n, x.blocks, panel.data(), extra.data());
      } else {
        build_panel<T>(data + o * row_bytes, row_bytes, n, x.blocks, panel.data());
      }
      panel_rows<kMin, kSub, Levels::kBytes>(x, r0, r1, offset, reinterpret_cast<const uint8_t*>(panel.data()),
                                             nullptr, extra.data(), n, yo, w.rows);
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
  const Levels levels = prepacked_levels(w.dtype);
  const auto* data = static_cast<const uint8_t*>(w.data);
  std::vector<PanelBlock> panels(levels == Levels::kBytes ? 0 : blocks);
  std::vector<PanelExtra> extras(levels == Levels::kBytes ? 0 : blocks);
  for (size_t g = group_begin; g < group_end; ++g) {
    const size_t o = g * kLanes, n = std::min(kLanes, w.rows - o);
    auto* group = static_cast<uint8_t*>(out) + g * gbytes;
    const uint8_t* rows = data + o * row_bytes;
    if (levels == Levels::kBytes) {  // straight into the copy
      auto* p = reinterpret_cast<PanelBlock*>(group);
      if (w.dtype == DType::kQ8_0) {
        build_panel<DType::kQ8_0>(rows, row_bytes, n, blocks, p);
      } else {
        build_panel_unpacked(w.dtype, rows, row_bytes, n, blocks, p, reinterpret_cast<PanelExtra*>(group + blocks * sizeof(PanelBlock)));
      }
      continue;
    }
    if (w.dtype == DType::kQ4_0) {
      build_panel<DType::kQ4_0>(rows, row_bytes, n, blocks, panels.data());
    } else {
      build_panel_unpacked(w.dtype, rows, row_bytes, n, blocks, panels.data(), extras.data());
    }
    const size_t bb = panel_block_bytes(levels);
    for (size_t b = 0; b < blocks; ++b) {
      if (levels == Levels::kNibbles) {
        compress_block<Levels::kNibbles>(panels[b], group + b * bb);
      } else {
        compress_block<Levels::kNibblesHigh>(panels[b], group + b * bb);
      }
    }
    if (int8_has_min(w.dtype)) {
      auto* m = reinterpret_cast<float*>(group + blocks * bb);
      for (size_t b = 0; b < blocks; ++b) std::memcpy(m + b * kLanes, extras[b].m, sizeof extras[b].m);
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
