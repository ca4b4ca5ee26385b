// Internal: the per-ISA tile kernels behind paged_attention (attention.h). A tile is one KV head of
// one run and a range of its query tokens; attention.cc plans the tiles and spreads them over the
// threads, a kernel computes one tile start to finish on the calling thread.
#pragma once

#include <cstdint>

#include "ops/attention.h"

namespace gemma3::kernels {

struct AttentionTile {
  const AttentionParams* params;
  const PagedKvLayer* kv;
  const AttentionRun* run;
  int32_t kv_head;
  int32_t t_begin, t_end;  // query tokens [t_begin, t_end) of the run
};

// The chunk walk every ISA shares: query token t of the tile sees keys [lo, hi]; the tile visits
// the chunks of [lo(t_begin), hi(t_end - 1)], each kAttentionChunk-aligned and within one block.
inline int32_t attention_lo(const AttentionParams& p, int32_t pos) {
  return p.window > 0 && pos - p.window + 1 > 0 ? pos - p.window + 1 : 0;
}

namespace scalar {
void attention_tile(const AttentionTile& tile);
}
namespace avx2 {
void attention_tile(const AttentionTile& tile);  // head_dim % 16 == 0
}
namespace avx512 {
void attention_tile(const AttentionTile& tile);  // head_dim % 16 == 0
}

}  // namespace gemma3::kernels
