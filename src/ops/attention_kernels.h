// Internal: the per-ISA tile kernels behind paged_attention (attention.h). A tile is one KV head of
// one run and a range of its query tokens; a kernel computes the tile's softmax state over one
// segment of the keys on the calling thread. attention.cc plans tiles and segments, merges the
// segments' states in position order and normalises.
#pragma once

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
