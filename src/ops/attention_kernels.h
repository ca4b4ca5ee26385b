// Internal: the per-ISA tile kernels behind paged_attention (attention.h). A tile is one KV head of
// one run and a range of its query tokens; a kernel computes the tile's softmax state over one
// segment of the keys on the calling thread. attention.cc plans tiles and segments, merges the
// segments' states in position order and normalises.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "ops/attention.h"

namespace gemma3::kernels {

struct AttentionTile {
  const AttentionParams* params;
  const PagedKvLayer* kv;
  const AttentionRun* run;
  int32_t kv_head;
  int32_t t_begin, t_end;      // query tokens [t_begin, t_end) of the run
  int32_t key_begin, key_end;  // this segment's key positions [key_begin, key_end) (attention.cc)
};

// The unnormalised softmax state of the tile's queries over one segment's keys; query
// i = (t - t_begin) * group + g (g = head within the KV head's group). A query that sees no key of
// the segment gets m = -inf, l = 0, acc = 0.
struct AttentionState {
  float* m;    // (nq,) running max of the scores
  float* l;    // (nq,) Σ exp(s - m)
  float* acc;  // (nq, head_dim) Σ exp(s - m) · v
};

// The chunk walk every ISA shares: query token t of the tile sees keys [lo(pos), pos] within the
// segment; the tile visits the kAttentionChunk-aligned chunks (within one block) of the union.
inline int32_t attention_lo(const AttentionParams& p, int32_t pos) {
  return p.window > 0 && pos - p.window + 1 > 0 ? pos - p.window + 1 : 0;
}

// The K and V rows of the chunk after the current one, prefetched into L2 while the current one is
// computed: a sequence's KV blocks are scattered over the pool, so the hardware prefetchers, which
// stop at each 4 KiB page, cannot run ahead of them. Decode is where it shows (each step reads
// every position's K and V once): int8 decode at depth 512 ~85 -> ~95 tok/s, batch 16 ~+10%.
struct ChunkPrefetch {
  const char* k = nullptr;
  const char* v = nullptr;
  int32_t rows = 0;
  size_t row_stride_bytes = 0, row_bytes = 0;

  // Step i of a loop of n steps prefetches its share of the rows (spread so no step waits long).
  void step(int32_t i, int32_t n) const {
    if (rows <= 0 || n <= 0) return;
    const int32_t per = (rows + n - 1) / n;
    const int32_t end = i * per + per < rows ? i * per + per : rows;
    for (int32_t r = i * per; r < end; ++r) {
      const size_t off = static_cast<size_t>(r) * row_stride_bytes;
      for (size_t line = 0; line < row_bytes; line += 64) {
        __builtin_prefetch(k + off + line, 0, 2);
        __builtin_prefetch(v + off + line, 0, 2);
      }
    }
  }
};

// The chunk that starts at key position c1 (none past key_hi), as the chunk walk visits it.
inline ChunkPrefetch next_chunk(const AttentionTile& tile, int32_t c1, int32_t key_hi, size_t elem_bytes) {
  ChunkPrefetch out;
  if (c1 > key_hi) return out;
  const PagedKvLayer& kv = *tile.kv;
  const int32_t bs = kv.block_size;
  const int32_t logical = c1 / bs;
  if (static_cast<size_t>(logical) >= tile.run->blocks.size()) return out;
  const int32_t physical = tile.run->blocks[logical];
  if (physical < 0 || physical >= kv.n_blocks) return out;
  const int32_t a = logical * bs + (c1 - logical * bs) / kAttentionChunk * kAttentionChunk;
  const int32_t e = std::min({a + kAttentionChunk, (logical + 1) * bs, key_hi + 1});
  const size_t hd = static_cast<size_t>(tile.params->head_dim);
  const size_t base = (static_cast<size_t>(physical) * bs + (a - logical * bs)) * kv.row_stride +
                      static_cast<size_t>(tile.kv_head) * hd;
  out.k = static_cast<const char*>(kv.keys) + base * elem_bytes;
  out.v = static_cast<const char*>(kv.values) + base * elem_bytes;
  out.rows = e - a;
  out.row_stride_bytes = kv.row_stride * elem_bytes;
  out.row_bytes = hd * elem_bytes;
  return out;
}

namespace scalar {
void attention_tile(const AttentionTile& tile, AttentionState out);
}
namespace avx2 {
void attention_tile(const AttentionTile& tile, AttentionState out);  // head_dim % 16 == 0
}
namespace avx512 {
void attention_tile(const AttentionTile& tile, AttentionState out);  // head_dim % 16 == 0
}

}  // namespace gemma3::kernels
