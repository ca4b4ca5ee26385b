// KvCache: the storage behind the paged KV cache — two pools of fixed-size blocks, one for the
// full-attention layers and one for the sliding-window layers (which only ever need the last W
// positions, so their pool can be far smaller). Which block belongs to which sequence is decided
// elsewhere (kv/block_manager.h); this class only maps (pool, layer, block, slot) to memory.
//
// Memory is allocated uninitialised, so untouched blocks cost address space, not RSS.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "kv/batch.h"

namespace gemma3 {

enum class KvPool { kFull = 0, kSliding = 1 };

class KvCache {
 public:
  // kv_dim = num_kv_heads * head_dim. n_layers_* = how many layers of each kind the model has.
  KvCache(const KvGeometry& geometry, int32_t n_full_layers, int32_t n_sliding_layers, int32_t kv_dim);

  const KvGeometry& geometry() const { return geometry_; }
  int32_t kv_dim() const { return kv_dim_; }

  // (kv_dim,) rows. `layer` counts layers of that pool's kind only (0 .. n_layers-1).
  float* key(KvPool pool, int32_t layer, int32_t block, int32_t slot) { return row(pool, layer, block, slot, 0); }
  float* value(KvPool pool, int32_t layer, int32_t block, int32_t slot) { return row(pool, layer, block, slot, 1); }

  size_t bytes() const;  // both pools, K and V
  // Touches every page now (zero-fills), so the pools' memory is resident from start-up: a server's
  // RSS then stays flat instead of growing as traffic first reaches each block. Costs ~0.3 s/GB.
  void commit_memory();
  // Bytes one position costs in one layer (K + V).
  size_t bytes_per_position_per_layer() const { return 2 * sizeof(float) * static_cast<size_t>(kv_dim_); }

 private:
  float* row(KvPool pool, int32_t layer, int32_t block, int32_t slot, int kv);

  KvGeometry geometry_;
  int32_t kv_dim_;
  int32_t n_layers_[2];
  int32_t n_blocks_[2];
  // [pool][k|v]: (n_layers, n_blocks, block_size, kv_dim) f32
  std::unique_ptr<float[]> storage_[2][2];
};

}  // namespace gemma3
