// The Gemma 3 text decoder's forward pass over a batch of BatchItems (see kv/batch.h): any mix of
// sequences, each contributing a run of consecutive tokens (a prefill chunk or one decode token).
// All tokens of the step go through each weight matrix together, so the weights are read once per
// step, not once per sequence. K/V of every token are written into the paged cache through the
// items' block tables, and attention reads them back the same way.
//
// Numerics follow Hugging Face's Gemma3ForCausalLM in f32 over the checkpoint's bf16 weights.
// Every output row depends only on its own sequence (row-independent kernels), so a sequence's
// logits are bit-identical whatever else is in the batch.
#pragma once

#include <span>
#include <vector>

#include "kv/batch.h"
#include "kv/kv_cache.h"
#include "ops/attention.h"
#include "model/model_weights.h"
#include "model/rope.h"

namespace gemma3 {

// Number of logits rows `forward` writes for these items: the item's token count when
// want_all_logits, else 1 when want_logits, else 0 — in item order.
size_t count_logit_rows(std::span<const BatchItem> items);

// Builds a KvCache whose pool sizes fit a geometry for this model.
KvCache make_kv_cache(const ModelConfig& config, const KvGeometry& geometry);

class ForwardPass {
 public:
  explicit ForwardPass(const Model& model);

  // Runs the batch; writes count_logit_rows(items) rows of (vocab,) logits into `logits`.
  void run(std::span<const BatchItem> items, KvCache& cache, float* logits);

 private:
  void attention(std::span<const BatchItem> items, int32_t layer, KvCache& cache);

  const Model& model_;
  Rope rope_local_, rope_global_;
  std::vector<int32_t> pool_layer_index_;  // (num_layers,): index of the layer within its KV pool
  // Scratch activations, reused across calls; T = tokens in the step.
  std::vector<float> x_;        // (T, hidden) residual stream
  std::vector<float> normed_;   // (T, hidden)
  std::vector<float> q_;        // (T, q_dim)
  std::vector<float> k_;        // (T, kv_dim)
  std::vector<float> v_;        // (T, kv_dim)
  std::vector<float> attn_;     // (T, q_dim)
  std::vector<float> proj_;     // (T, hidden)
  std::vector<float> gate_;     // (T, intermediate)
  std::vector<float> up_;       // (T, intermediate)
  std::vector<int32_t> token_pos_;    // (T,)
  std::vector<int32_t> token_item_;   // (T,) index into items
  std::vector<float> rope_cos_[2], rope_sin_[2];  // [local|global]: (T, head_dim/2) for token_pos_
  std::vector<AttentionRun> runs_;    // one per item, the attention call of a layer
};

}  // namespace gemma3
