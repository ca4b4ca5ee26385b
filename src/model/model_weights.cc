#include "model/model_weights.h"

#include "model/block_tensors.h"
#include "model/gguf_model.h"

namespace gemma3 {

Result<ModelWeights> bind_weights(const ModelConfig& c, const TensorStore& store) {
  const TensorBinder b([&store](const std::string& name) { return store.find(name); }, "checkpoint is ", "config",
                       /*norm_has_one=*/false);
  ModelWeights w;
  const std::string& p = c.weight_prefix;
  G3_TRY(b.matrix(p + "embed_tokens.weight", c.vocab_size, c.hidden_size, &w.embed_tokens));
  G3_TRY(b.norm(p + "norm.weight", c.hidden_size, &w.final_norm));
  for (int32_t i = 0; i < c.num_layers; ++i) {
    LayerWeights l;
    const std::string lp = p + "layers." + std::to_string(i) + ".";
    G3_TRY(bind_block(b, c, lp, TensorNaming::kHuggingFace, &l));
    w.layers.push_back(std::move(l));
  }
  // As in Hugging Face: with tie_word_embeddings (the default) the LM head IS the embedding, even
  // if a checkpoint also carries an lm_head.weight; otherwise lm_head.weight must be present.
  if (c.tie_word_embeddings) {
    w.lm_head = w.embed_tokens;
  } else {
    std::string head_name = (p == "model." ? std::string("lm_head.weight") : std::string("language_model.lm_head.weight"));
    G3_TRY(b.matrix(head_name, c.vocab_size, c.hidden_size, &w.lm_head));
  }
  return w;
}

Result<std::unique_ptr<Model>> load_model(const std::filesystem::path& model_dir) {
  if (is_gguf_path(model_dir)) return load_gguf_model(model_dir);
  auto model = std::make_unique<Model>();
  auto config = load_model_config(model_dir);
  if (!config) return std::move(config).take_error();
  model->config = std::move(config).value();
  auto store = TensorStore::open_dir(model_dir);
  if (!store) return std::move(store).take_error();
  model->store = std::move(store).value();
  auto weights = bind_weights(model->config, *model->store);
  if (!weights) return std::move(weights).take_error();
  model->weights = std::move(weights).value();
  return model;
}

std::vector<WeightView*> streamed_matrices(ModelWeights& w) {
  std::vector<WeightView*> out{&w.lm_head};
  for (auto& l : w.layers) {
    for (WeightView* m : {&l.q_proj, &l.k_proj, &l.v_proj, &l.o_proj, &l.gate_proj, &l.up_proj, &l.down_proj})
      out.push_back(m);
  }
  return out;
}

std::vector<uint8_t*> allocate_weight_arena(Model& model, const std::vector<size_t>& bytes) {
  constexpr size_t kAlign = 64;  // kernels read the matrices with aligned 512-bit loads
  std::vector<size_t> offsets(bytes.size());
  size_t total = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    offsets[i] = total;
    total += (bytes[i] + kAlign - 1) / kAlign * kAlign;
  }
  std::vector<uint8_t*> out(bytes.size(), nullptr);
  if (total == 0) return out;
  model.owned_weights.emplace_back(total);
  uint8_t* arena = model.owned_weights.back().data();
  for (size_t i = 0; i < bytes.size(); ++i)
    if (bytes[i] > 0) out[i] = arena + offsets[i];
  return out;
}

}  // namespace gemma3
