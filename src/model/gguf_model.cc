#include "model/gguf_model.h"

#include "model/block_tensors.h"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace gemma3 {

namespace {

constexpr const char* kArch = "gemma3";

std::string key(const char* suffix) { return std::string(kArch) + "." + suffix; }


// An integer hyper-parameter that must fit the config's int32 fields.
constexpr int64_t kMaxInt = int64_t{1} << 30;
Status read_int(const GgufFile& g, const std::string& k, int32_t* out, bool required, int64_t min_value = 1,
                int64_t max_value = kMaxInt) {
  auto v = g.optional_uint(k);
  if (!v) return std::move(v).take_error();
  if (!*v) {
    if (required) return make_error(g.path_string() + ": missing metadata key '" + k + "'");
    return ok_status();
  }
  if (static_cast<int64_t>(**v) < min_value || **v > static_cast<uint64_t>(max_value))
    return g.key_error(k, "is out of range: " + std::to_string(**v) + " (allowed: " + std::to_string(min_value) +
                              " to " + std::to_string(max_value) + ")");
  *out = static_cast<int32_t>(**v);
  return ok_status();
}

Status read_positive(const GgufFile& g, const std::string& k, double* out) {
  auto v = g.optional_float(k);
  if (!v) return std::move(v).take_error();
  if (!*v) return ok_status();
  if (!(**v > 0) || !std::isfinite(**v)) return g.key_error(k, "must be a positive number, got " + std::to_string(**v));
  *out = **v;
  return ok_status();
}

// attention.head_count may be a per-layer array in GGUF; Gemma 3 has one value for all layers.
Status read_head_count(const GgufFile& g, const std::string& k, int32_t* out, bool required) {
  const GgufValue* v = g.find(k);
  if (v != nullptr && v->type == GgufType::kArray) {
    auto list = g.get_int_array(k);
    if (!list) return std::move(list).take_error();
    if (list->empty() || std::any_of(list->begin(), list->end(), [&](int32_t x) { return x != list->front(); }) ||
        list->front() < 1)
      return g.key_error(k, "must be the same positive count for every layer");
    *out = list->front();
    return ok_status();
  }
  return read_int(g, k, out, required);
}

}  // namespace

LayerKind gguf_layer_kind(int32_t layer, int32_t pattern) {
  return (layer + 1) % pattern != 0 ? LayerKind::kSliding : LayerKind::kFull;
}

double gguf_query_pre_attn_scalar(const ModelConfig& c) {
  return c.num_layers == 62 ? static_cast<double>(c.hidden_size / c.num_heads) : c.head_dim;
}

bool is_gguf_path(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  std::error_code ec;
  return ext == ".gguf" && std::filesystem::is_regular_file(path, ec);
}

Result<ModelConfig> gguf_model_config(const GgufFile& g) {
  auto arch = g.optional_string("general.architecture");
  if (!arch) return std::move(arch).take_error();
  if (!*arch) return make_error(g.path_string() + ": missing metadata key 'general.architecture'");
  if (**arch != kArch)
    return make_error(g.path_string() + ": general.architecture is '" + std::string(**arch) + "', not Gemma 3 (expected 'gemma3')");

  ModelConfig c;
  c.weight_prefix = "";
  G3_TRY(read_int(g, key("embedding_length"), &c.hidden_size, true));
  G3_TRY(read_int(g, key("block_count"), &c.num_layers, true, 1, kMaxLayers));
  G3_TRY(read_int(g, key("feed_forward_length"), &c.intermediate_size, true));
  G3_TRY(read_head_count(g, key("attention.head_count"), &c.num_heads, true));
  c.num_kv_heads = c.num_heads;
  G3_TRY(read_head_count(g, key("attention.head_count_kv"), &c.num_kv_heads, false));
  c.head_dim = c.hidden_size / c.num_heads;
  G3_TRY(read_int(g, key("attention.key_length"), &c.head_dim, false));
  int32_t value_length = c.head_dim;
  G3_TRY(read_int(g, key("attention.value_length"), &value_length, false));
  if (value_length != c.head_dim)
    return make_error(g.path_string() + ": attention.value_length (" + std::to_string(value_length) +
                      ") differs from attention.key_length (" + std::to_string(c.head_dim) + "); Gemma 3 has one head size");
  G3_TRY(read_int(g, key("context_length"), &c.max_position_embeddings, false));
  G3_TRY(read_int(g, key("attention.sliding_window"), &c.sliding_window, false));
  G3_TRY(read_positive(g, key("attention.layer_norm_rms_epsilon"), &c.rms_norm_eps));
  c.rope_theta = 10'000.0;  // llama.cpp's default when rope.freq_base is absent
  G3_TRY(read_positive(g, key("rope.freq_base"), &c.rope_theta));
  c.rope_local_base_freq = kGgufLocalRopeBase;
  G3_TRY(read_positive(g, key("rope.freq_base_swa"), &c.rope_local_base_freq));
  auto scaling = g.optional_string(key("rope.scaling.type"));
  if (!scaling) return std::move(scaling).take_error();
  if (*scaling && **scaling != "none") {
    if (**scaling != "linear")
      return g.key_error(key("rope.scaling.type"), "is '" + std::string(**scaling) + "'; only 'linear' is supported for Gemma 3");
    G3_TRY(read_positive(g, key("rope.scaling.factor"), &c.rope_scaling_factor));
  }
  double softcap = 0;
  G3_TRY(read_positive(g, key("final_logit_softcapping"), &softcap));
  if (softcap > 0) c.final_logit_softcapping = softcap;
  softcap = 0;
  G3_TRY(read_positive(g, key("attn_logit_softcapping"), &softcap));
  if (softcap > 0) c.attn_logit_softcapping = softcap;

  if (c.num_heads % c.num_kv_heads != 0)
    return make_error(g.path_string() + ": attention.head_count (" + std::to_string(c.num_heads) +
                      ") must be a multiple of attention.head_count_kv (" + std::to_string(c.num_kv_heads) + ")");
  if (c.head_dim % 2 != 0) return make_error(g.path_string() + ": attention.key_length must be even for RoPE");
  // llama.cpp: 1/sqrt(head_dim), except 27B (62 layers): 1/sqrt(hidden / heads).
  c.query_pre_attn_scalar = gguf_query_pre_attn_scalar(c);

  // Layer kinds: every 6th layer full (llama.cpp's fixed pattern for Gemma 3), unless the file says.
  int32_t pattern = kGgufFullLayerEvery;
  const std::string pattern_key = key("attention.sliding_window_pattern");
  const GgufValue* pv = g.find(pattern_key);
  if (pv != nullptr && pv->type == GgufType::kArray) {
    if (pv->elem_type != GgufType::kBool || pv->count != static_cast<uint64_t>(c.num_layers))
      return g.key_error(pattern_key, "must be a bool per layer (" + std::to_string(c.num_layers) + " of them)");
    for (int32_t i = 0; i < c.num_layers; ++i) c.layer_kinds.push_back(pv->elems[i] ? LayerKind::kSliding : LayerKind::kFull);
  } else {
    G3_TRY(read_int(g, pattern_key, &pattern, false));
    for (int32_t i = 0; i < c.num_layers; ++i)
      c.layer_kinds.push_back(gguf_layer_kind(i, pattern));
  }

  // The vocabulary size is the embedding's row count; the token list, when present, must agree.
  const TensorInfo* embd = g.find_tensor("token_embd.weight");
  if (embd == nullptr) return make_error(g.path_string() + ": missing tensor 'token_embd.weight'");
  if (embd->shape.size() != 2 || embd->shape[1] != c.hidden_size)
    return make_error(g.path_string() + ": tensor 'token_embd.weight' has shape " + tensor_shape_string(embd->shape) +
                      " but embedding_length is " + std::to_string(c.hidden_size));
  if (embd->shape[0] > INT32_MAX) return make_error(g.path_string() + ": tensor 'token_embd.weight' has too many rows");
  c.vocab_size = static_cast<int32_t>(embd->shape[0]);
  if (const GgufValue* tokens = g.find("tokenizer.ggml.tokens");
      tokens != nullptr && tokens->type == GgufType::kArray && tokens->count != static_cast<uint64_t>(c.vocab_size))
    return make_error(g.path_string() + ": tokenizer.ggml.tokens has " + std::to_string(tokens->count) +
                      " tokens but token_embd.weight has " + std::to_string(c.vocab_size) + " rows");
  c.tie_word_embeddings = g.find_tensor("output.weight") == nullptr;
  G3_TRY(read_int(g, "tokenizer.ggml.bos_token_id", &c.bos_token_id, false, 0));
  G3_TRY(read_int(g, "tokenizer.ggml.eos_token_id", &c.eos_token_id, false, 0));
  G3_TRY(read_int(g, "tokenizer.ggml.padding_token_id", &c.pad_token_id, false, 0));
  return c;
}

Result<ModelWeights> bind_gguf_weights(const ModelConfig& c, const GgufFile& g) {
  const TensorBinder b([&g](const std::string& name) { return g.find_tensor(name); }, g.path_string() + ": ", "metadata",
                       /*norm_has_one=*/true);  // llama.cpp's converter adds the 1 (gguf_model.h)
  ModelWeights w;
  G3_TRY(b.matrix("token_embd.weight", c.vocab_size, c.hidden_size, &w.embed_tokens));
  G3_TRY(b.norm("output_norm.weight", c.hidden_size, &w.final_norm));
  for (int32_t i = 0; i < c.num_layers; ++i) {
    LayerWeights l;
    const std::string p = "blk." + std::to_string(i) + ".";
    G3_TRY(bind_block(b, c, p, TensorNaming::kGguf, &l));
    w.layers.push_back(std::move(l));
  }
  if (c.tie_word_embeddings) {
    w.lm_head = w.embed_tokens;
  } else {
    G3_TRY(b.matrix("output.weight", c.vocab_size, c.hidden_size, &w.lm_head));
  }
  return w;
}

Result<std::unique_ptr<Model>> load_gguf_model(const std::filesystem::path& path) {
  auto gguf = GgufFile::open(path);
  if (!gguf) return std::move(gguf).take_error();
  auto model = std::make_unique<Model>();
  model->gguf = std::move(gguf).value();
  auto config = gguf_model_config(*model->gguf);
  if (!config) return std::move(config).take_error();
  model->config = std::move(config).value();
  auto weights = bind_gguf_weights(model->config, *model->gguf);
  if (!weights) return std::move(weights).take_error();
  model->weights = std::move(weights).value();
  return model;
}

Result<std::unique_ptr<Tokenizer>> load_gguf_tokenizer(const GgufFile& g) {
  auto model = g.optional_string("tokenizer.ggml.model");
  if (!model) return std::move(model).take_error();
  if (!*model) return make_error(g.path_string() + ": missing metadata key 'tokenizer.ggml.model' (the file has no vocabulary)");
  if (**model != "llama")
    return g.key_error("tokenizer.ggml.model", "is '" + std::string(**model) + "'; only 'llama' (SentencePiece, as Gemma uses) is supported");
  // llama.cpp prepends a space to SentencePiece input unless told not to; Gemma's converter says not to.
  auto space_prefix = g.optional_bool("tokenizer.ggml.add_space_prefix");
  if (!space_prefix) return std::move(space_prefix).take_error();
  if (!*space_prefix || **space_prefix)
    return make_error(g.path_string() + ": tokenizer.ggml.add_space_prefix is " + (*space_prefix ? "true" : "absent (true in llama.cpp)") +
                      "; only Gemma's false is supported");
  SentencePieceVocab v;
  v.source = g.path_string();
  auto pieces = g.get_string_array("tokenizer.ggml.tokens");
  if (!pieces) return std::move(pieces).take_error();
  v.pieces = std::move(pieces).value();
  auto scores = g.get_float_array("tokenizer.ggml.scores");
  if (!scores) return std::move(scores).take_error();
  v.scores = std::move(scores).value();
  auto types = g.get_int_array("tokenizer.ggml.token_type");
  if (!types) return std::move(types).take_error();
  v.types = std::move(types).value();
  for (auto [k, out] : {std::pair{"tokenizer.ggml.bos_token_id", &v.bos_id}, std::pair{"tokenizer.ggml.eos_token_id", &v.eos_id},
                        std::pair{"tokenizer.ggml.padding_token_id", &v.pad_id}}) {
    auto id = g.optional_uint(k);
    if (!id) return std::move(id).take_error();
    if (*id) {
      if (**id >= v.pieces.size()) return g.key_error(k, "= " + std::to_string(**id) + " is not a token id");
      *out = static_cast<int32_t>(**id);
    }
  }
  auto tmpl = g.optional_string("tokenizer.chat_template");
  if (!tmpl) return std::move(tmpl).take_error();
  if (*tmpl) v.chat_template = std::string(**tmpl);
  return Tokenizer::from_sentencepiece(v);
}

Result<std::unique_ptr<Tokenizer>> load_model_tokenizer(const std::filesystem::path& path) {
  if (!is_gguf_path(path)) return Tokenizer::load(path);
  auto gguf = GgufFile::open(path);
  if (!gguf) return std::move(gguf).take_error();
  return load_gguf_tokenizer(**gguf);
}

std::vector<int32_t> gguf_eos_ids(const GgufFile& g, const Tokenizer& t) {
  std::vector<int32_t> ids;
  auto add = [&](int64_t id) {
    if (id >= 0 && id < t.vocab_size() && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(static_cast<int32_t>(id));
  };
  for (const char* k : {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"}) {
    if (auto id = g.optional_uint(k); id && *id) add(static_cast<int64_t>(**id));
  }
  for (const char* piece : {"<eos>", "<end_of_turn>"}) {
    if (auto id = t.find_token(piece)) add(*id);
  }
  return ids;
}

}  // namespace gemma3
