#include "apps/bench_cost.h"

#include <algorithm>

namespace gemma3 {

namespace {

double matrix_bytes(const WeightView& w) { return static_cast<double>(dtype_row_bytes(w.dtype, w.cols)) * w.rows; }
double matrix_params(const WeightView& w) { return static_cast<double>(w.rows) * w.cols; }

}  // namespace

TokenCost token_cost(const Model& model, int64_t n_prompt) {
  TokenCost cost;
  for (const LayerWeights& l : model.weights.layers) {
    for (const WeightView* w : {&l.q_proj, &l.k_proj, &l.v_proj, &l.o_proj, &l.gate_proj, &l.up_proj, &l.down_proj}) {
      cost.block_weight_bytes += matrix_bytes(*w);
      cost.block_params += matrix_params(*w);
    }
  }
  cost.lm_head_bytes = matrix_bytes(model.weights.lm_head);
  cost.lm_head_params = matrix_params(model.weights.lm_head);
  cost.decode_weight_bytes = cost.block_weight_bytes + cost.lm_head_bytes;
  const bool tied = model.weights.embed_tokens.data == model.weights.lm_head.data;
  cost.held_weight_bytes = cost.decode_weight_bytes + (tied ? 0 : matrix_bytes(model.weights.embed_tokens));

  const ModelConfig& c = model.config;
  const double per_pair = 4.0 * c.num_heads * c.head_dim;  // QKᵀ + PV
  double visible = 0;  // sum over layers and prompt positions of the keys each query sees
  const int64_t n = std::max<int64_t>(1, n_prompt);
  for (LayerKind kind : c.layer_kinds) {
    for (int64_t p = 0; p < n; ++p) {
      visible += kind == LayerKind::kSliding ? std::min<int64_t>(p + 1, c.sliding_window) : p + 1;
    }
  }
  cost.prompt_attention_flops_per_token = per_pair * visible / n;
  cost.prompt_flops_per_token =
      2.0 * cost.block_params + cost.prompt_attention_flops_per_token + 2.0 * cost.lm_head_params / n;
  return cost;
}

DType block_weight_dtype(const Model& model) {
  return model.weights.layers.empty() ? model.weights.lm_head.dtype : model.weights.layers[0].q_proj.dtype;
}

}  // namespace gemma3
