// KvCache: the storage behind the paged KV cache — two pools of fixed-size blocks, one for the
// full-attention layers and one for the sliding-window layers (which only ever need the last W
// positions, so their pool can be far smaller). Which block belongs to which sequence is decided
// elsewhere (kv/block_manager.h); this class only maps (pool, layer, block, slot) to memory.
//
// Rows are stored in the geometry's kv_dtype: f32 (the default), or bf16, which halves memory and
// the attention's read traffic. bf16 is opt-in (--kv-dtype bf16) because it costs accuracy: on the
// synthetic tiny / 270m checkpoints it moved logits 0.17 / 0.074 away from the f32 NumPy reference
// (11× / 3.7× the tests' 1e-3·max|logit| tolerance).
//
// Memory is allocated uninitialised, so untouched blocks cost address space, not RSS.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "kv/batch.h"
#include "util/result.h"

namespace gemma3 {

enum class KvPool { kFull = 0, kSliding = 1 };

// "f32" or "bf16" (the --kv-dtype option).
Result<KvDtype> parse_kv_dtype(const std::string& name);

class KvCache {
 public:
  // kv_dim = num_kv_heads * head_dim. n_layers_* = how many layers of each kind the model has.
  KvCache(const KvGeometry& geometry, int32_t n_full_layers, int32_t n_sliding_layers, int32_t kv_dim);

  const KvGeometry& geometry() const { return geometry_; }
  int32_t kv_dim() const { return kv_dim_; }
  KvDtype dtype() const { return geometry_.kv_dtype; }
  size_t element_bytes() const { return kv_dtype_bytes(geometry_.kv_dtype); }

  // (kv_dim,) rows of dtype(). `layer` counts layers of that pool's kind only (0 .. n_layers-1).
  void* key(KvPool pool, int32_t layer, int32_t block, int32_t slot) { return row(pool, layer, block, slot, 0); }
  void* value(KvPool pool, int32_t layer, int32_t block, int32_t slot) { return row(pool, layer, block, slot, 1); }
  // A layer's whole K or V storage, (n_blocks(pool), block_size, kv_dim) elements of dtype().
  const void* keys(KvPool pool, int32_t layer) const { return layer_base(pool, layer, 0); }
  const void* values(KvPool pool, int32_t layer) const { return layer_base(pool, layer, 1); }
  int32_t n_blocks(KvPool pool) const { return n_blocks_[static_cast<int>(pool)]; }

  size_t bytes() const;  // both pools, K and V
  // Touches every page now (zero-fills), so the pools' memory is resident from start-up: a server's
  // RSS then stays flat instead of growing as traffic first reaches each block. Costs ~0.3 s/GB.
  void commit_memory();
  // Bytes one position costs in one layer (K + V).
  size_t bytes_per_position_per_layer() const { return 2 * element_bytes() * static_cast<size_t>(kv_dim_); }

 private:
  void* row(KvPool pool, int32_t layer, int32_t block, int32_t slot, int kv);
  const void* layer_base(KvPool pool, int32_t layer, int kv) const;
  size_t pool_bytes(int pool) const;  // one of K or V

  KvGeometry geometry_;
  int32_t kv_dim_;
  int32_t n_layers_[2];
  int32_t n_blocks_[2];
  // [pool][k|v]: (n_layers, n_blocks, block_size, kv_dim) elements of the dtype
  std::unique_ptr<uint8_t[]> storage_[2][2];
};

}  // namespace gemma3
