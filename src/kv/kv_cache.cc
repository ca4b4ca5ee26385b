#include "kv/kv_cache.h"

#include <algorithm>

#include "util/check.h"

namespace gemma3 {

KvCache::KvCache(const KvGeometry& geometry, int32_t n_full_layers, int32_t n_sliding_layers, int32_t kv_dim)
    : geometry_(geometry), kv_dim_(kv_dim) {
  n_layers_[0] = n_full_layers;
  n_layers_[1] = n_sliding_layers;
  n_blocks_[0] = n_full_layers > 0 ? geometry.n_full_blocks : 0;
  n_blocks_[1] = n_sliding_layers > 0 ? geometry.n_sliding_blocks : 0;
  for (int pool = 0; pool < 2; ++pool) {
    size_t n = static_cast<size_t>(n_layers_[pool]) * n_blocks_[pool] * geometry.block_size * kv_dim;
    for (int kv = 0; kv < 2; ++kv) {
      // new float[n] without () leaves the memory untouched: pages are committed on first write.
      if (n > 0) storage_[pool][kv].reset(new float[n]);
    }
  }
}

float* KvCache::row(KvPool pool, int32_t layer, int32_t block, int32_t slot, int kv) {
  const int p = static_cast<int>(pool);
  G3_CHECK(layer >= 0 && layer < n_layers_[p]);
  G3_CHECK(block >= 0 && block < n_blocks_[p]);
  G3_CHECK(slot >= 0 && slot < geometry_.block_size);
  size_t index = ((static_cast<size_t>(layer) * n_blocks_[p] + block) * geometry_.block_size + slot) * kv_dim_;
  return storage_[p][kv].get() + index;
}

void KvCache::commit_memory() {
  for (int pool = 0; pool < 2; ++pool) {
    size_t n = static_cast<size_t>(n_layers_[pool]) * n_blocks_[pool] * geometry_.block_size * kv_dim_;
    for (int kv = 0; kv < 2; ++kv) {
      if (storage_[pool][kv]) std::fill_n(storage_[pool][kv].get(), n, 0.0f);
    }
  }
}

size_t KvCache::bytes() const {
  size_t total = 0;
  for (int pool = 0; pool < 2; ++pool)
    total += 2 * sizeof(float) * static_cast<size_t>(n_layers_[pool]) * n_blocks_[pool] * geometry_.block_size * kv_dim_;
  return total;
}

}  // namespace gemma3
