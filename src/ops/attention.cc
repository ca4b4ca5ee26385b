// paged_attention: plans the tiles (one KV head of one run × a range of its query tokens), orders
// them by cost (largest first) and lets the pool's threads claim them one at a time; the ISA's tile kernel does the rest.
#include "ops/attention.h"

#include <algorithm>
#include <vector>

#include "ops/attention_kernels.h"
#include "ops/cpu_features.h"
#include "ops/thread_pool.h"
#include "util/check.h"

namespace gemma3 {

namespace {

using TileFn = void (*)(const kernels::AttentionTile&);

TileFn tile_kernel(const AttentionParams& p) {
  // The vector kernels step through a head 16 floats at a time.
  if (p.head_dim % 16 != 0) return kernels::scalar::attention_tile;
  switch (active_isa()) {
    case Isa::kAvx512:
      return kernels::avx512::attention_tile;
    case Isa::kAvx2:
      return kernels::avx2::attention_tile;
    case Isa::kScalar:
      break;
  }
  return kernels::scalar::attention_tile;
}

struct PlannedTile {
  kernels::AttentionTile tile;
  int64_t cost;  // (query, key) pairs
};

int64_t visible_keys(const AttentionParams& p, int32_t pos) {
  return pos - kernels::attention_lo(p, pos) + 1;
}

}  // namespace

void paged_attention(const AttentionParams& p, const PagedKvLayer& kv, std::span<const AttentionRun> runs) {
  G3_CHECK(p.n_heads > 0 && p.n_kv_heads > 0 && p.n_heads % p.n_kv_heads == 0 && p.head_dim > 0);
  G3_CHECK(kv.dtype == DType::kF32 || kv.dtype == DType::kBF16);
  G3_CHECK(kv.block_size > 0 && kv.row_stride >= static_cast<size_t>(p.n_kv_heads) * p.head_dim);
  const int32_t group = p.n_heads / p.n_kv_heads;

  int64_t total_tokens = 0;
  for (const auto& run : runs) total_tokens += std::max(run.n, 0);
  if (total_tokens == 0) return;

  // Tokens per tile: enough queries (group × tokens ≈ 16) for K/V reuse, but more tiles than
  // threads × 4 when a step is small, so the threads stay balanced. How tokens are grouped does not
  // change any result (attention.h), only speed.
  const int threads = std::max(1, num_threads());
  int32_t per_tile = std::max(1, 16 / group);
  while (per_tile > 1 && total_tokens * p.n_kv_heads / per_tile < 4 * threads) per_tile /= 2;

  thread_local std::vector<PlannedTile> tiles;
  tiles.clear();
  for (const auto& run : runs) {
    for (int32_t t0 = 0; t0 < run.n; t0 += per_tile) {
      const int32_t t1 = std::min(run.n, t0 + per_tile);
      int64_t cost = 0;
      for (int32_t t = t0; t < t1; ++t) cost += visible_keys(p, run.first_pos + t);
      for (int32_t h = 0; h < p.n_kv_heads; ++h) tiles.push_back({{&p, &kv, &run, h, t0, t1}, cost});
    }
  }
  // Largest first, handed out dynamically: costs grow with the position.
  std::stable_sort(tiles.begin(), tiles.end(), [](const PlannedTile& a, const PlannedTile& b) { return a.cost > b.cost; });

  const TileFn kernel = tile_kernel(p);
  const std::vector<PlannedTile>& plan = tiles;
  if (threads == 1 || plan.size() == 1) {
    for (const auto& t : plan) kernel(t.tile);
    return;
  }
  kernel_pool().run_chunks(plan.size(), threads, [&](size_t i) { kernel(plan[i].tile); });
}

void store_kv_row(const float* src, size_t n, DType dtype, void* dst) {
  if (dtype == DType::kBF16) {
    uint16_t* out = static_cast<uint16_t*>(dst);
    for (size_t i = 0; i < n; ++i) out[i] = f32_to_bf16(src[i]);
    return;
  }
  G3_CHECK(dtype == DType::kF32);
  std::copy_n(src, n, static_cast<float*>(dst));
}

}  // namespace gemma3
