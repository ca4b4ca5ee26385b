#include "kv/kv_cache.h"

#include <cstring>

#include "util/check.h"

namespace gemma3 {

Result<KvDtype> parse_kv_dtype(const std::string& name) {
  for (KvDtype d : {KvDtype::kF32, KvDtype::kBf16}) {
    if (name == kv_dtype_name(d)) return d;
  }
  return make_error("--kv-dtype: unknown KV cache type '" + name + "' (expected f32 or bf16)");
}

KvCache::KvCache(const KvGeometry& geometry, int32_t n_full_layers, int32_t n_sliding_layers, int32_t kv_dim)
    : geometry_(geometry), kv_dim_(kv_dim) {
  G3_CHECK(geometry.kv_dtype == KvDtype::kF32 || geometry.kv_dtype == KvDtype::kBf16);
  n_layers_[0] = n_full_layers;
  n_layers_[1] = n_sliding_layers;
  n_blocks_[0] = n_full_layers > 0 ? geometry.n_full_blocks : 0;
  n_blocks_[1] = n_sliding_layers > 0 ? geometry.n_sliding_blocks : 0;
  for (int pool = 0; pool < 2; ++pool) {
    const size_t n = pool_bytes(pool);
    for (int kv = 0; kv < 2; ++kv) {
      // new T[n] without () leaves the memory untouched: pages are committed on first write. Rows
      // are read as f32 / bf16: operator new[]'s alignment (16) covers both.
      if (n > 0) storage_[pool][kv].reset(new uint8_t[n]);
    }
  }
}

size_t KvCache::pool_bytes(int pool) const {
  return static_cast<size_t>(n_layers_[pool]) * n_blocks_[pool] * geometry_.block_size * kv_dim_ * element_bytes();
}

void* KvCache::row(KvPool pool, int32_t layer, int32_t block, int32_t slot, int kv) {
  const int p = static_cast<int>(pool);
  G3_CHECK(layer >= 0 && layer < n_layers_[p]);
  G3_CHECK(block >= 0 && block < n_blocks_[p]);
  G3_CHECK(slot >= 0 && slot < geometry_.block_size);
  size_t index = ((static_cast<size_t>(layer) * n_blocks_[p] + block) * geometry_.block_size + slot) * kv_dim_;
  return storage_[p][kv].get() + index * element_bytes();
}

const void* KvCache::layer_base(KvPool pool, int32_t layer, int kv) const {
  const int p = static_cast<int>(pool);
  G3_CHECK(layer >= 0 && layer < n_layers_[p]);
  size_t index = static_cast<size_t>(layer) * n_blocks_[p] * geometry_.block_size * kv_dim_;
  return storage_[p][kv].get() + index * element_bytes();
}

void KvCache::commit_memory() {
  for (int pool = 0; pool < 2; ++pool) {
    for (int kv = 0; kv < 2; ++kv) {
      if (storage_[pool][kv]) std::memset(storage_[pool][kv].get(), 0, pool_bytes(pool));
    }
  }
}

size_t KvCache::bytes() const { return 2 * (pool_bytes(0) + pool_bytes(1)); }

}  // namespace gemma3
