#include "model/block_tensors.h"

namespace gemma3 {

std::string tensor_shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

Result<const TensorInfo*> TensorBinder::find(const std::string& name, const std::vector<int64_t>& shape) const {
  const TensorInfo* t = lookup_(name);
  if (t == nullptr)
    return make_error(missing_prefix_ + "missing tensor '" + name + "' (expected shape " + tensor_shape_string(shape) + ")");
  if (t->shape != shape)
    return make_error(t->file + ": tensor '" + name + "' has shape " + tensor_shape_string(t->shape) + " (rows, cols) but the " +
                      shape_source_ + " implies " + tensor_shape_string(shape));
  return t;
}

Status TensorBinder::matrix(const std::string& name, int64_t rows, int64_t cols, WeightView* out) const {
  auto t = find(name, {rows, cols});
  if (!t) return std::move(t).take_error();
  *out = WeightView{(*t)->dtype, (*t)->data, static_cast<size_t>(rows), static_cast<size_t>(cols)};
  return ok_status();
}

Status TensorBinder::norm(const std::string& name, int64_t n, std::vector<float>* out) const {
  auto t = find(name, {n});
  if (!t) return std::move(t).take_error();
  const WeightView view{(*t)->dtype, (*t)->data, 1, static_cast<size_t>(n)};
  out->resize(n);
  row_to_f32(view, 0, out->data());
  if (!norm_has_one_) {
    for (float& v : *out) v = 1.0f + v;  // Gemma's RMSNorm multiplies by (1 + w): folded in once
  }
  return ok_status();
}

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
