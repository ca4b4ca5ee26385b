// ForwardRunner: the real ModelRunner — the Gemma 3 forward pass over the paged KV cache.
// plan_kv_geometry sizes the two KV pools from a memory or token budget.
#pragma once

#include <memory>

#include "engine/model_runner.h"
#include "model/forward.h"

namespace gemma3 {

struct KvBudget {
  int64_t bytes = 0;         // when > 0: total KV memory for both pools
  int64_t tokens = 0;        // else: positions the full-attention pool holds
  int32_t block_size = 16;
  int32_t max_running = 64;  // sequences at once (sizes the sliding pool)
  int32_t max_batch_tokens = 512;
  KvDtype kv_dtype = KvDtype::kF32;  // element type of the pools (sizes a block in bytes)
};

// Full-attention pool: what the budget allows. Sliding pool: enough for every running sequence's
// window plus one prefill chunk, plus room to keep recently used blocks for prefix caching —
// never more than the full pool, since no sequence can hold more sliding than full blocks.
KvGeometry plan_kv_geometry(const ModelConfig& config, const KvBudget& budget);

class ForwardRunner : public ModelRunner {
 public:
  ForwardRunner(const Model& model, const KvGeometry& geometry);

  int32_t vocab_size() const override { return model_.config.vocab_size; }
  KvGeometry kv_geometry() const override { return cache_.geometry(); }
  void run(std::span<const BatchItem> items, float* logits) override;
  size_t kv_bytes() const { return cache_.bytes(); }

 private:
  const Model& model_;
  KvCache cache_;
  ForwardPass forward_;
};

}  // namespace gemma3
