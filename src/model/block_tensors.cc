#include "model/block_tensors.h"

namespace gemma3 {

int64_t block_dim(const ModelConfig& c, BlockDim d) {
  switch (d) {
    case BlockDim::kHidden: return c.hidden_size;
    case BlockDim::kQ: return c.q_dim();
    case BlockDim::kKv: return c.kv_dim();
    case BlockDim::kIntermediate: return c.intermediate_size;
    case BlockDim::kHeadDim: return c.head_dim;
  }
  return 0;
}

namespace {
using D = BlockDim;
using L = LayerWeights;
constexpr BlockTensor matrix(const char* hf, const char* gguf, WeightView L::*m, D rows, D cols) {
  return {hf, gguf, m, nullptr, rows, cols};
}
constexpr BlockTensor norm(const char* hf, const char* gguf, std::vector<float> L::*n, D size) {
  return {hf, gguf, nullptr, n, size, size};
}
}  // namespace

const std::array<BlockTensor, 13> kBlockTensors = {
    matrix("self_attn.q_proj", "attn_q", &L::q_proj, D::kQ, D::kHidden),
    matrix("self_attn.k_proj", "attn_k", &L::k_proj, D::kKv, D::kHidden),
    matrix("self_attn.v_proj", "attn_v", &L::v_proj, D::kKv, D::kHidden),
    matrix("self_attn.o_proj", "attn_output", &L::o_proj, D::kHidden, D::kQ),
    matrix("mlp.gate_proj", "ffn_gate", &L::gate_proj, D::kIntermediate, D::kHidden),
    matrix("mlp.up_proj", "ffn_up", &L::up_proj, D::kIntermediate, D::kHidden),
    matrix("mlp.down_proj", "ffn_down", &L::down_proj, D::kHidden, D::kIntermediate),
    norm("input_layernorm", "attn_norm", &L::input_norm, D::kHidden),
    norm("post_attention_layernorm", "post_attention_norm", &L::post_attention_norm, D::kHidden),
    norm("pre_feedforward_layernorm", "ffn_norm", &L::pre_feedforward_norm, D::kHidden),
    norm("post_feedforward_layernorm", "post_ffw_norm", &L::post_feedforward_norm, D::kHidden),
    norm("self_attn.q_norm", "attn_q_norm", &L::q_norm, D::kHeadDim),
    norm("self_attn.k_norm", "attn_k_norm", &L::k_norm, D::kHeadDim),
};

}  // namespace gemma3
