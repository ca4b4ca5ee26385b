// The scalar attention tile: the same chunk walk and online-softmax updates as the vectorised
// kernels, one query at a time in plain loops (sequential sums, std::exp / std::tanh). The
// portable fallback, the path for head sizes the vector kernels do not take, and the test oracle.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "ops/attention_kernels.h"
#include "util/check.h"

namespace gemma3::kernels::scalar {

namespace {

float load_elem(const void* base, DType dtype, size_t index) {
  if (dtype == DType::kBF16) return bf16_to_f32(static_cast<const uint16_t*>(base)[index]);
  return static_cast<const float*>(base)[index];
}

}  // namespace

void attention_tile(const AttentionTile& tile, AttentionState out) {
  const AttentionParams& p = *tile.params;
  const PagedKvLayer& kv = *tile.kv;
  const AttentionRun& run = *tile.run;
  const int32_t group = p.n_heads / p.n_kv_heads;
  const size_t hd = static_cast<size_t>(p.head_dim);
  const size_t q_stride = static_cast<size_t>(p.n_heads) * hd;
  const int32_t bs = kv.block_size;
  const int32_t nq = (tile.t_end - tile.t_begin) * group;

  float* m = out.m;
  float* l = out.l;
  float* acc = out.acc;
  std::fill_n(m, nq, -std::numeric_limits<float>::infinity());
  std::fill_n(l, nq, 0.0f);
  std::fill_n(acc, static_cast<size_t>(nq) * hd, 0.0f);
  float s[kAttentionChunk];

  const int32_t key_lo = std::max(tile.key_begin, attention_lo(p, run.first_pos + tile.t_begin));
  const int32_t key_hi = std::min(tile.key_end - 1, run.first_pos + tile.t_end - 1);
  for (int32_t c0 = key_lo; c0 <= key_hi;) {
    const int32_t logical = c0 / bs;
    const int32_t in_block = c0 - logical * bs;
    const int32_t a = logical * bs + in_block / kAttentionChunk * kAttentionChunk;  // chunk start
    const int32_t e = std::min(a + kAttentionChunk, (logical + 1) * bs);            // chunk end
    G3_CHECK(static_cast<size_t>(logical) < run.blocks.size());
    const int32_t physical = run.blocks[logical];
    G3_CHECK(physical >= 0 && physical < kv.n_blocks);
    // Element offset of lane 0 (position a) of this KV head.
    const size_t base = (static_cast<size_t>(physical) * bs + (a - logical * bs)) * kv.row_stride +
                        static_cast<size_t>(tile.kv_head) * hd;

    for (int32_t i = 0; i < nq; ++i) {
      const int32_t t = tile.t_begin + i / group;
      const int32_t head = tile.kv_head * group + i % group;
      const int32_t pos = run.first_pos + t;
      const int32_t jb = std::max(c0, attention_lo(p, pos)) - a;
      const int32_t je = std::min({e, pos + 1, tile.key_end}) - a;
      if (jb >= je) continue;
      const float* q = run.q + static_cast<size_t>(t) * q_stride + static_cast<size_t>(head) * hd;
      float chunk_max = -std::numeric_limits<float>::infinity();
      for (int32_t j = jb; j < je; ++j) {
        const size_t row = base + static_cast<size_t>(j) * kv.row_stride;
        float dot = 0.0f;
        for (size_t d = 0; d < hd; ++d) dot += q[d] * load_elem(kv.keys, kv.dtype, row + d);
        float score = dot * p.scale;
        if (p.softcap > 0.0f) score = std::tanh(score / p.softcap) * p.softcap;
        s[j] = score;
        chunk_max = std::max(chunk_max, score);
      }
      const float m_new = std::max(m[i], chunk_max);
      const float alpha = std::exp(m[i] - m_new);  // 0 on the first chunk (m = -inf)
      m[i] = m_new;
      float sum = 0.0f;
      for (int32_t j = jb; j < je; ++j) {
        s[j] = std::exp(s[j] - m_new);
        sum += s[j];
      }
      l[i] = l[i] * alpha + sum;
      float* o = &acc[static_cast<size_t>(i) * hd];
      if (alpha != 1.0f) {
        for (size_t d = 0; d < hd; ++d) o[d] *= alpha;
      }
      for (int32_t j = jb; j < je; ++j) {
        const size_t row = base + static_cast<size_t>(j) * kv.row_stride;
        for (size_t d = 0; d < hd; ++d) o[d] += s[j] * load_elem(kv.values, kv.dtype, row + d);
      }
    }
    c0 = std::min(e, key_hi + 1);
  }
}

}  // namespace gemma3::kernels::scalar
