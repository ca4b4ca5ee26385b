#include "model/model_weights.h"

#include "model/block_tensors.h"
#include "model/gguf_model.h"

namespace gemma3 {

namespace {

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

class WeightBinder {
 public:
  explicit WeightBinder(const TensorStore& store) : store_(store) {}

  Result<const TensorInfo*> find(const std::string& name, std::vector<int64_t> shape) {
    const TensorInfo* t = store_.find(name);
    if (t == nullptr) return make_error("checkpoint is missing tensor '" + name + "' (expected shape " + shape_string(shape) + ")");
    if (t->shape != shape)
      return make_error(t->file + ": tensor '" + name + "' has shape " + shape_string(t->shape) +
                        " but the config implies " + shape_string(shape));
    return t;
  }

  Status matrix(const std::string& name, int64_t rows, int64_t cols, WeightView* out) {
    auto t = find(name, {rows, cols});
    if (!t) return std::move(t).take_error();
    *out = WeightView{(*t)->dtype, (*t)->data, static_cast<size_t>(rows), static_cast<size_t>(cols)};
    return ok_status();
  }

  // Gemma's RMSNorm multiplies by (1 + w): folded in here, once.
  Status norm(const std::string& name, int64_t n, std::vector<float>* out) {
    auto t = find(name, {n});
    if (!t) return std::move(t).take_error();
    WeightView view{(*t)->dtype, (*t)->data, 1, static_cast<size_t>(n)};
    out->resize(n);
    row_to_f32(view, 0, out->data());
    for (float& v : *out) v = 1.0f + v;
    return ok_status();
  }

 private:
  const TensorStore& store_;
};

}  // namespace

Result<ModelWeights> bind_weights(const ModelConfig& c, const TensorStore& store) {
  WeightBinder b(store);
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

}  // namespace gemma3
