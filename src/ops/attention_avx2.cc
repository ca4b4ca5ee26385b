// The AVX2 attention tile (head_dim % 16 == 0): the AVX-512 kernel's structure with 8-lane
// registers. A slab of four queries shares each key row load; a chunk's 16 scores of one query
// live in two registers (lanes 0-7, 8-15) for the masked max, exp and sum.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "ops/attention_kernels.h"
#include "ops/simd_avx2.h"
#include "util/check.h"

namespace gemma3::kernels::avx2 {

namespace {

constexpr int kSlab = 4;

template <bool kBf16>
GEMMA3_AVX2 inline __m256 load8(const void* base, size_t index) {
  if constexpr (kBf16) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(base) + index));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  } else {
    return _mm256_loadu_ps(static_cast<const float*>(base) + index);
  }
}

GEMMA3_AVX2 inline __m256 tanh8(__m256 x) {
  const __m256 sign = _mm256_and_ps(x, _mm256_set1_ps(-0.0f));
  const __m256 ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
  const __m256 e = exp8(_mm256_add_ps(ax, ax));
  const __m256 t = _mm256_sub_ps(_mm256_set1_ps(1.0f), _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, _mm256_set1_ps(1.0f))));
  return _mm256_or_ps(t, sign);
}

// All-ones in the lanes of [begin, end) among lanes offset .. offset + 7.
GEMMA3_AVX2 inline __m256 lane_mask(int32_t begin, int32_t end, int32_t offset) {
  const __m256i idx = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(offset));
  const __m256i ge = _mm256_cmpgt_epi32(idx, _mm256_set1_epi32(begin - 1));
  const __m256i lt = _mm256_cmpgt_epi32(_mm256_set1_epi32(end), idx);
  return _mm256_castsi256_ps(_mm256_and_si256(ge, lt));
}

GEMMA3_AVX2 inline float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

template <bool kBf16>
GEMMA3_AVX2 void tile_impl(const AttentionTile& tile, AttentionState out) {
  const AttentionParams& p = *tile.params;
  const PagedKvLayer& kv = *tile.kv;
  const AttentionRun& run = *tile.run;
  const int32_t group = p.n_heads / p.n_kv_heads;
  const size_t hd = static_cast<size_t>(p.head_dim);
  const size_t n_cols = hd / 8;  // even: head_dim % 16 == 0
  const size_t q_stride = static_cast<size_t>(p.n_heads) * hd;
  const size_t rs = kv.row_stride;
  const int32_t bs = kv.block_size;
  const int32_t nq = (tile.t_end - tile.t_begin) * group;
  const int32_t nq_padded = (nq + kSlab - 1) / kSlab * kSlab;

  thread_local std::vector<float> m, l, acc, zeros;
  thread_local std::vector<const float*> qs;
  thread_local std::vector<int32_t> lo, pos;
  alignas(32) float scores[kSlab][kAttentionChunk];
  alignas(32) float probs[kSlab][kAttentionChunk];
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
    } else {
      qs[i] = zeros.data();
      pos[i] = -1;
      lo[i] = 0;
    }
  }
  const __m256 scale = _mm256_set1_ps(p.scale);
  const __m256 neg_inf = _mm256_set1_ps(-std::numeric_limits<float>::infinity());

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
    const ChunkPrefetch next = next_chunk(tile, std::min(e, key_hi + 1), key_hi, kBf16 ? 2 : 4);

    for (int32_t s0 = 0; s0 < nq_padded; s0 += kSlab) {
      int32_t jb[kSlab], je[kSlab];
      int32_t sj_lo = kAttentionChunk, sj_hi = 0;
      for (int q = 0; q < kSlab; ++q) {
        jb[q] = std::max(c0, lo[s0 + q]) - a;
        je[q] = std::min({e, pos[s0 + q] + 1, tile.key_end}) - a;
        if (jb[q] < je[q]) {
          sj_lo = std::min(sj_lo, jb[q]);
          sj_hi = std::max(sj_hi, je[q]);
        }
      }
      if (sj_lo >= sj_hi) continue;

      const float* q0 = qs[s0];
      const float* q1 = qs[s0 + 1];
      const float* q2 = qs[s0 + 2];
      const float* q3 = qs[s0 + 3];
      for (int32_t j = sj_lo; j < sj_hi; ++j) {
        const size_t row = base + static_cast<size_t>(j) * rs;
        if (s0 == 0) next.step(j - sj_lo, sj_hi - sj_lo);
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        __m256 b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (size_t c = 0; c < n_cols; c += 2) {
          const __m256 k0 = load8<kBf16>(kv.keys, row + 8 * c);
          const __m256 k1 = load8<kBf16>(kv.keys, row + 8 * c + 8);
          a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q0 + 8 * c), k0, a0);
          a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q1 + 8 * c), k0, a1);
          a2 = _mm256_fmadd_ps(_mm256_loadu_ps(q2 + 8 * c), k0, a2);
          a3 = _mm256_fmadd_ps(_mm256_loadu_ps(q3 + 8 * c), k0, a3);
          b0 = _mm256_fmadd_ps(_mm256_loadu_ps(q0 + 8 * c + 8), k1, b0);
          b1 = _mm256_fmadd_ps(_mm256_loadu_ps(q1 + 8 * c + 8), k1, b1);
          b2 = _mm256_fmadd_ps(_mm256_loadu_ps(q2 + 8 * c + 8), k1, b2);
          b3 = _mm256_fmadd_ps(_mm256_loadu_ps(q3 + 8 * c + 8), k1, b3);
        }
        scores[0][j] = hsum(_mm256_add_ps(a0, b0));
        scores[1][j] = hsum(_mm256_add_ps(a1, b1));
        scores[2][j] = hsum(_mm256_add_ps(a2, b2));
        scores[3][j] = hsum(_mm256_add_ps(a3, b3));
      }

      for (int q = 0; q < kSlab; ++q) {
        const int32_t i = s0 + q;
        if (jb[q] >= je[q]) {
          _mm256_store_ps(probs[q], _mm256_setzero_ps());
          _mm256_store_ps(probs[q] + 8, _mm256_setzero_ps());
          continue;
        }
        const __m256 mask_lo = lane_mask(jb[q], je[q], 0), mask_hi = lane_mask(jb[q], je[q], 8);
        __m256 s_lo = _mm256_mul_ps(_mm256_and_ps(_mm256_load_ps(scores[q]), mask_lo), scale);
        __m256 s_hi = _mm256_mul_ps(_mm256_and_ps(_mm256_load_ps(scores[q] + 8), mask_hi), scale);
        if (p.softcap > 0.0f) {
          const __m256 cap = _mm256_set1_ps(p.softcap);
          s_lo = _mm256_mul_ps(tanh8(_mm256_div_ps(s_lo, cap)), cap);
          s_hi = _mm256_mul_ps(tanh8(_mm256_div_ps(s_hi, cap)), cap);
        }
        s_lo = _mm256_blendv_ps(neg_inf, s_lo, mask_lo);
        s_hi = _mm256_blendv_ps(neg_inf, s_hi, mask_hi);
        const float m_new = std::max(m[i], hmax(_mm256_max_ps(s_lo, s_hi)));
        const float alpha = _mm256_cvtss_f32(exp8(_mm256_set1_ps(m[i] - m_new)));
        m[i] = m_new;
        const __m256 mv = _mm256_set1_ps(m_new);
        const __m256 p_lo = _mm256_and_ps(exp8(_mm256_sub_ps(s_lo, mv)), mask_lo);
        const __m256 p_hi = _mm256_and_ps(exp8(_mm256_sub_ps(s_hi, mv)), mask_hi);
        _mm256_store_ps(probs[q], p_lo);
        _mm256_store_ps(probs[q] + 8, p_hi);
        l[i] = l[i] * alpha + hsum(_mm256_add_ps(p_lo, p_hi));
        if (alpha != 1.0f) {
          float* o = &acc[static_cast<size_t>(i) * hd];
          const __m256 av = _mm256_set1_ps(alpha);
          for (size_t c = 0; c < n_cols; ++c) _mm256_storeu_ps(o + 8 * c, _mm256_mul_ps(_mm256_loadu_ps(o + 8 * c), av));
        }
      }

      // acc += p · V (p = 0 exactly on lanes a query does not see: see the AVX-512 kernel).
      float* o0 = &acc[static_cast<size_t>(s0) * hd];
      float* o1 = o0 + hd;
      float* o2 = o1 + hd;
      float* o3 = o2 + hd;
      for (size_t c = 0; c < n_cols; c += 2) {
        __m256 a0 = _mm256_loadu_ps(o0 + 8 * c), a1 = _mm256_loadu_ps(o1 + 8 * c);
        __m256 a2 = _mm256_loadu_ps(o2 + 8 * c), a3 = _mm256_loadu_ps(o3 + 8 * c);
        __m256 b0 = _mm256_loadu_ps(o0 + 8 * c + 8), b1 = _mm256_loadu_ps(o1 + 8 * c + 8);
        __m256 b2 = _mm256_loadu_ps(o2 + 8 * c + 8), b3 = _mm256_loadu_ps(o3 + 8 * c + 8);
        for (int32_t j = sj_lo; j < sj_hi; ++j) {
          const size_t row = base + static_cast<size_t>(j) * rs + 8 * c;
          const __m256 v0 = load8<kBf16>(kv.values, row);
          const __m256 v1 = load8<kBf16>(kv.values, row + 8);
          const __m256 p0 = _mm256_broadcast_ss(&probs[0][j]), p1 = _mm256_broadcast_ss(&probs[1][j]);
          const __m256 p2 = _mm256_broadcast_ss(&probs[2][j]), p3 = _mm256_broadcast_ss(&probs[3][j]);
          a0 = _mm256_fmadd_ps(p0, v0, a0);
          a1 = _mm256_fmadd_ps(p1, v0, a1);
          a2 = _mm256_fmadd_ps(p2, v0, a2);
          a3 = _mm256_fmadd_ps(p3, v0, a3);
          b0 = _mm256_fmadd_ps(p0, v1, b0);
          b1 = _mm256_fmadd_ps(p1, v1, b1);
          b2 = _mm256_fmadd_ps(p2, v1, b2);
          b3 = _mm256_fmadd_ps(p3, v1, b3);
        }
        _mm256_storeu_ps(o0 + 8 * c, a0);
        _mm256_storeu_ps(o1 + 8 * c, a1);
        _mm256_storeu_ps(o2 + 8 * c, a2);
        _mm256_storeu_ps(o3 + 8 * c, a3);
        _mm256_storeu_ps(o0 + 8 * c + 8, b0);
        _mm256_storeu_ps(o1 + 8 * c + 8, b1);
        _mm256_storeu_ps(o2 + 8 * c + 8, b2);
        _mm256_storeu_ps(o3 + 8 * c + 8, b3);
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

}  // namespace gemma3::kernels::avx2
