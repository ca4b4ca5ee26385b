// The AVX-512 attention tile (head_dim % 16 == 0). Queries go in slabs of four: for each key of a
// chunk, the slab's four dot products share every load (and bf16 widening) of the key row, with two
// accumulators per query so eight FMA chains are in flight; a chunk's 16 scores of one query then
// fill one register (lane j = position chunk_start + j) for the masked max, exp and sum. The
// weighted sum of V runs over pairs of 16-float columns with the slab's eight accumulators in
// registers, each V load serving four queries.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "ops/attention_kernels.h"
#include "ops/simd_avx512.h"
#include "util/check.h"

namespace gemma3::kernels::avx512 {

namespace {

constexpr int kSlab = 4;

template <bool kBf16>
GEMMA3_AVX512 inline __m512 load16(const void* base, size_t index) {
  if constexpr (kBf16) {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(static_cast<const uint16_t*>(base) + index));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  } else {
    return _mm512_loadu_ps(static_cast<const float*>(base) + index);
  }
}

// tanh(x) = sign(x)·(1 - 2 / (e^(2|x|) + 1)); saturates to ±1 where e^(2|x|) overflows.
GEMMA3_AVX512 inline __m512 tanh16(__m512 x) {
  const __m512 sign = _mm512_and_ps(x, _mm512_set1_ps(-0.0f));
  const __m512 ax = _mm512_andnot_ps(_mm512_set1_ps(-0.0f), x);
  const __m512 e = exp16(_mm512_add_ps(ax, ax));
  const __m512 t = _mm512_sub_ps(_mm512_set1_ps(1.0f), _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, _mm512_set1_ps(1.0f))));
  return _mm512_or_ps(t, sign);
}

GEMMA3_AVX512 inline __mmask16 lanes(int32_t begin, int32_t end) {  // bits [begin, end), 0 <= begin <= end <= 16
  const uint32_t upto_end = end >= 16 ? 0xFFFFu : ((1u << end) - 1u);
  const uint32_t below_begin = (1u << begin) - 1u;
  return static_cast<__mmask16>(upto_end & ~below_begin);
}

template <bool kBf16>
GEMMA3_AVX512 void tile_impl(const AttentionTile& tile, AttentionState out) {
  const AttentionParams& p = *tile.params;
  const PagedKvLayer& kv = *tile.kv;
  const AttentionRun& run = *tile.run;
  const int32_t group = p.n_heads / p.n_kv_heads;
  const size_t hd = static_cast<size_t>(p.head_dim);
  const size_t n_cols = hd / 16;
  const size_t q_stride = static_cast<size_t>(p.n_heads) * hd;
  const size_t rs = kv.row_stride;
  const int32_t bs = kv.block_size;
  const int32_t nq = (tile.t_end - tile.t_begin) * group;
  const int32_t n_slabs = (nq + kSlab - 1) / kSlab;
  const int32_t nq_padded = n_slabs * kSlab;
  constexpr size_t kElemBytes = kBf16 ? 2 : 4;

  thread_local std::vector<float> m, l, acc, zeros;
  thread_local std::vector<const float*> qs;
  thread_local std::vector<int32_t> lo, pos;
  alignas(64) float scores[kSlab][kAttentionChunk];
  alignas(64) float probs[kSlab][kAttentionChunk];
  m.assign(static_cast<size_t>(nq_padded), -std::numeric_limits<float>::infinity());
  l.assign(static_cast<size_t>(nq_padded), 0.0f);
  acc.assign(static_cast<size_t>(nq_padded) * hd, 0.0f);
  zeros.assign(hd, 0.0f);
  qs.resize(static_cast<size_t>(nq_padded));
  lo.resize(static_cast<size_t>(nq_padded));
  pos.resize(static_cast<size_t>(nq_padded));
  for (int32_t i = 0; i < nq_padded; ++i) {
    if (i < nq) {
      const int32_t t = tile.t_begin + i / group;
      const int32_t head = tile.kv_head * group + i % group;
      qs[i] = run.q + static_cast<size_t>(t) * q_stride + static_cast<size_t>(head) * hd;
      pos[i] = run.first_pos + t;
      lo[i] = attention_lo(p, pos[i]);
    } else {  // padding: sees no key
      qs[i] = zeros.data();
      pos[i] = -1;
      lo[i] = 0;
    }
  }
  const __m512 scale = _mm512_set1_ps(p.scale);
  const __m512 neg_inf = _mm512_set1_ps(-std::numeric_limits<float>::infinity());

  const int32_t key_lo = std::max(tile.key_begin, attention_lo(p, run.first_pos + tile.t_begin));
  const int32_t key_hi = std::min(tile.key_end - 1, run.first_pos + tile.t_end - 1);
  for (int32_t c0 = key_lo; c0 <= key_hi;) {
    const int32_t logical = c0 / bs;
    const int32_t in_block = c0 - logical * bs;
    const int32_t a = logical * bs + in_block / kAttentionChunk * kAttentionChunk;
    const int32_t e = std::min(a + kAttentionChunk, (logical + 1) * bs);
    G3_CHECK(static_cast<size_t>(logical) < run.blocks.size());
    const int32_t physical = run.blocks[logical];
    G3_CHECK(physical >= 0 && physical < kv.n_blocks);
    const size_t base = (static_cast<size_t>(physical) * bs + (a - logical * bs)) * rs +
                        static_cast<size_t>(tile.kv_head) * hd;
    const int32_t j_lo = c0 - a, j_hi = std::min(e, key_hi + 1) - a;  // the tile's lanes
    const ChunkPrefetch next = next_chunk(tile, std::min(e, key_hi + 1), key_hi, kElemBytes);

    for (int32_t s0 = 0; s0 < nq_padded; s0 += kSlab) {
      // Which of the slab's queries see any lane of this chunk (the others skip the chunk).
      __mmask16 mask[kSlab];
      bool any = false;
      for (int q = 0; q < kSlab; ++q) {
        const int32_t jb = std::max(c0, lo[s0 + q]) - a, je = std::min({e, pos[s0 + q] + 1, tile.key_end}) - a;
        mask[q] = jb < je ? lanes(jb, je) : 0;
        any = any || mask[q] != 0;
      }
      if (!any) continue;
      // Key range of this slab within the chunk.
      int32_t sj_lo = j_hi, sj_hi = j_lo;
      for (int q = 0; q < kSlab; ++q) {
        if (!mask[q]) continue;
        sj_lo = std::min<int32_t>(sj_lo, __builtin_ctz(mask[q]));
        sj_hi = std::max<int32_t>(sj_hi, 32 - __builtin_clz(mask[q]));
      }

      const float* q0 = qs[s0];
      const float* q1 = qs[s0 + 1];
      const float* q2 = qs[s0 + 2];
      const float* q3 = qs[s0 + 3];
      for (int32_t j = sj_lo; j < sj_hi; ++j) {
        const size_t row = base + static_cast<size_t>(j) * rs;
        if (s0 == 0) next.step(j - sj_lo, sj_hi - sj_lo);
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        __m512 b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        size_t c = 0;
        for (; c + 2 <= n_cols; c += 2) {
          const __m512 k0 = load16<kBf16>(kv.keys, row + 16 * c);
          const __m512 k1 = load16<kBf16>(kv.keys, row + 16 * c + 16);
          a0 = _mm512_fmadd_ps(_mm512_loadu_ps(q0 + 16 * c), k0, a0);
          a1 = _mm512_fmadd_ps(_mm512_loadu_ps(q1 + 16 * c), k0, a1);
          a2 = _mm512_fmadd_ps(_mm512_loadu_ps(q2 + 16 * c), k0, a2);
          a3 = _mm512_fmadd_ps(_mm512_loadu_ps(q3 + 16 * c), k0, a3);
          b0 = _mm512_fmadd_ps(_mm512_loadu_ps(q0 + 16 * c + 16), k1, b0);
          b1 = _mm512_fmadd_ps(_mm512_loadu_ps(q1 + 16 * c + 16), k1, b1);
          b2 = _mm512_fmadd_ps(_mm512_loadu_ps(q2 + 16 * c + 16), k1, b2);
          b3 = _mm512_fmadd_ps(_mm512_loadu_ps(q3 + 16 * c + 16), k1, b3);
        }
        if (c < n_cols) {
          const __m512 k0 = load16<kBf16>(kv.keys, row + 16 * c);
          a0 = _mm512_fmadd_ps(_mm512_loadu_ps(q0 + 16 * c), k0, a0);
          a1 = _mm512_fmadd_ps(_mm512_loadu_ps(q1 + 16 * c), k0, a1);
          a2 = _mm512_fmadd_ps(_mm512_loadu_ps(q2 + 16 * c), k0, a2);
          a3 = _mm512_fmadd_ps(_mm512_loadu_ps(q3 + 16 * c), k0, a3);
        }
        const __m128 d = hsum4(_mm512_add_ps(a0, b0), _mm512_add_ps(a1, b1), _mm512_add_ps(a2, b2),
                               _mm512_add_ps(a3, b3));
        alignas(16) float dots[4];
        _mm_store_ps(dots, d);
        scores[0][j] = dots[0];
        scores[1][j] = dots[1];
        scores[2][j] = dots[2];
        scores[3][j] = dots[3];
      }

      // Online softmax per query, on its own lanes only.
      for (int q = 0; q < kSlab; ++q) {
        const int32_t i = s0 + q;
        if (!mask[q]) {
          _mm512_store_ps(probs[q], _mm512_setzero_ps());
          continue;
        }
        __m512 s = _mm512_mul_ps(_mm512_maskz_load_ps(mask[q], scores[q]), scale);
        if (p.softcap > 0.0f) {
          const __m512 cap = _mm512_set1_ps(p.softcap);
          s = _mm512_mul_ps(tanh16(_mm512_div_ps(s, cap)), cap);
        }
        s = _mm512_mask_mov_ps(neg_inf, mask[q], s);
        const float m_new = std::max(m[i], _mm512_reduce_max_ps(s));
        const float alpha = _mm512_cvtss_f32(exp16(_mm512_set1_ps(m[i] - m_new)));  // 0 on the first chunk
        m[i] = m_new;
        const __m512 pr = _mm512_maskz_mov_ps(mask[q], exp16(_mm512_sub_ps(s, _mm512_set1_ps(m_new))));
        _mm512_store_ps(probs[q], pr);
        l[i] = l[i] * alpha + hsum(pr);
        if (alpha != 1.0f) {
          float* o = &acc[static_cast<size_t>(i) * hd];
          const __m512 av = _mm512_set1_ps(alpha);
          for (size_t c = 0; c < n_cols; ++c) _mm512_storeu_ps(o + 16 * c, _mm512_mul_ps(_mm512_loadu_ps(o + 16 * c), av));
        }
      }

      // acc += p · V over the slab's lanes; a lane a query does not see has p = 0 exactly, and
      // acc (never -0) + 0·v leaves acc unchanged, so it does not matter who shares the slab.
      float* o0 = &acc[static_cast<size_t>(s0) * hd];
      float* o1 = o0 + hd;
      float* o2 = o1 + hd;
      float* o3 = o2 + hd;
      size_t c = 0;
      for (; c + 2 <= n_cols; c += 2) {
        __m512 a0 = _mm512_loadu_ps(o0 + 16 * c), a1 = _mm512_loadu_ps(o1 + 16 * c);
        __m512 a2 = _mm512_loadu_ps(o2 + 16 * c), a3 = _mm512_loadu_ps(o3 + 16 * c);
        __m512 b0 = _mm512_loadu_ps(o0 + 16 * c + 16), b1 = _mm512_loadu_ps(o1 + 16 * c + 16);
        __m512 b2 = _mm512_loadu_ps(o2 + 16 * c + 16), b3 = _mm512_loadu_ps(o3 + 16 * c + 16);
        for (int32_t j = sj_lo; j < sj_hi; ++j) {
          const size_t row = base + static_cast<size_t>(j) * rs + 16 * c;
          const __m512 v0 = load16<kBf16>(kv.values, row);
          const __m512 v1 = load16<kBf16>(kv.values, row + 16);
          const __m512 p0 = _mm512_set1_ps(probs[0][j]), p1 = _mm512_set1_ps(probs[1][j]);
          const __m512 p2 = _mm512_set1_ps(probs[2][j]), p3 = _mm512_set1_ps(probs[3][j]);
          a0 = _mm512_fmadd_ps(p0, v0, a0);
          a1 = _mm512_fmadd_ps(p1, v0, a1);
          a2 = _mm512_fmadd_ps(p2, v0, a2);
          a3 = _mm512_fmadd_ps(p3, v0, a3);
          b0 = _mm512_fmadd_ps(p0, v1, b0);
          b1 = _mm512_fmadd_ps(p1, v1, b1);
          b2 = _mm512_fmadd_ps(p2, v1, b2);
          b3 = _mm512_fmadd_ps(p3, v1, b3);
        }
        _mm512_storeu_ps(o0 + 16 * c, a0);
        _mm512_storeu_ps(o1 + 16 * c, a1);
        _mm512_storeu_ps(o2 + 16 * c, a2);
        _mm512_storeu_ps(o3 + 16 * c, a3);
        _mm512_storeu_ps(o0 + 16 * c + 16, b0);
        _mm512_storeu_ps(o1 + 16 * c + 16, b1);
        _mm512_storeu_ps(o2 + 16 * c + 16, b2);
        _mm512_storeu_ps(o3 + 16 * c + 16, b3);
      }
      if (c < n_cols) {
        __m512 a0 = _mm512_loadu_ps(o0 + 16 * c), a1 = _mm512_loadu_ps(o1 + 16 * c);
        __m512 a2 = _mm512_loadu_ps(o2 + 16 * c), a3 = _mm512_loadu_ps(o3 + 16 * c);
        for (int32_t j = sj_lo; j < sj_hi; ++j) {
          const __m512 v0 = load16<kBf16>(kv.values, base + static_cast<size_t>(j) * rs + 16 * c);
          a0 = _mm512_fmadd_ps(_mm512_set1_ps(probs[0][j]), v0, a0);
          a1 = _mm512_fmadd_ps(_mm512_set1_ps(probs[1][j]), v0, a1);
          a2 = _mm512_fmadd_ps(_mm512_set1_ps(probs[2][j]), v0, a2);
          a3 = _mm512_fmadd_ps(_mm512_set1_ps(probs[3][j]), v0, a3);
        }
        _mm512_storeu_ps(o0 + 16 * c, a0);
        _mm512_storeu_ps(o1 + 16 * c, a1);
        _mm512_storeu_ps(o2 + 16 * c, a2);
        _mm512_storeu_ps(o3 + 16 * c, a3);
      }
    }
    c0 = std::min(e, key_hi + 1);
  }

  std::copy_n(m.data(), nq, out.m);
  std::copy_n(l.data(), nq, out.l);
  std::copy_n(acc.data(), static_cast<size_t>(nq) * hd, out.acc);
}

}  // namespace

void attention_tile(const AttentionTile& tile, AttentionState out) {
  if (tile.kv->dtype == DType::kBF16) {
    tile_impl<true>(tile, out);
  } else {
    tile_impl<false>(tile, out);
  }
}

}  // namespace gemma3::kernels::avx512
