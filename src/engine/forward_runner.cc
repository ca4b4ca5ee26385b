#include "engine/forward_runner.h"

#include <algorithm>

namespace gemma3 {

KvGeometry plan_kv_geometry(const ModelConfig& c, const KvBudget& budget) {
  KvGeometry g;
  g.block_size = budget.block_size;
  g.sliding_window = c.sliding_window;
  g.max_context = c.max_position_embeddings;
  g.kv_dtype = budget.kv_dtype;
  const int64_t bs = budget.block_size;
  const int64_t per_position_layer = 2 * static_cast<int64_t>(kv_dtype_bytes(budget.kv_dtype)) * c.kv_dim();
  const int64_t full_block_bytes = std::max<int64_t>(1, c.count_layers(LayerKind::kFull) * bs * per_position_layer);
  const int64_t sliding_block_bytes = c.count_layers(LayerKind::kSliding) * bs * per_position_layer;
  const int64_t window_blocks = (c.sliding_window + budget.max_batch_tokens + bs - 1) / bs + 2;
  const int64_t sliding_cap = 2 * static_cast<int64_t>(budget.max_running) * window_blocks;

  int64_t n_full = 0, n_sliding = 0;
  if (budget.bytes > 0) {
    n_full = budget.bytes / (full_block_bytes + sliding_block_bytes);
    if (n_full > sliding_cap) {
      n_sliding = sliding_cap;
      n_full = (budget.bytes - n_sliding * sliding_block_bytes) / full_block_bytes;
    } else {
      n_sliding = n_full;
    }
  } else {
    n_full = (budget.tokens + bs - 1) / bs;
    n_sliding = std::min(n_full, sliding_cap);
  }
  if (c.count_layers(LayerKind::kFull) == 0) n_full = std::max<int64_t>(n_full, n_sliding);
  g.n_full_blocks = static_cast<int32_t>(std::max<int64_t>(1, n_full));
  g.n_sliding_blocks = static_cast<int32_t>(std::max<int64_t>(1, std::min(n_sliding, n_full)));
  return g;
}

ForwardRunner::ForwardRunner(const Model& model, const KvGeometry& geometry)
    : model_(model), cache_(make_kv_cache(model.config, geometry)), forward_(model) {
  // A server keeps its KV pools for its whole life: make them resident now, so memory use is
  // known at start-up and flat under traffic.
  cache_.commit_memory();
}

void ForwardRunner::run(std::span<const BatchItem> items, float* logits) { forward_.run(items, cache_, logits); }

}  // namespace gemma3
