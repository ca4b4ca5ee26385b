// ModelConfig: the Gemma 3 text decoder's hyper-parameters, read from a checkpoint's config.json.
// Plain data; everything the forward pass needs is here, never a hard-coded 270M number.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace gemma3 {

enum class LayerKind { kSliding, kFull };

// The most layers a config may declare. Checkpoints are untrusted input and the layer list is
// built from the declared count before any tensor is bound, so a hostile count (2^31) must be
// refused there rather than allocate gigabytes. Far above any released Gemma (27B: 62 layers).
inline constexpr int32_t kMaxLayers = 4096;

struct ModelConfig {
  int32_t vocab_size = 0;
  int32_t hidden_size = 0;
  int32_t intermediate_size = 0;
  int32_t num_layers = 0;
  int32_t num_heads = 0;
  int32_t num_kv_heads = 0;
  int32_t head_dim = 256;
  int32_t max_position_embeddings = 131072;
  int32_t sliding_window = 4096;
  std::vector<LayerKind> layer_kinds;  // (num_layers,)
  double rope_theta = 1'000'000.0;           // full-attention layers
  double rope_local_base_freq = 10'000.0;    // sliding-window layers
  double rope_scaling_factor = 1.0;          // "linear" rope_scaling on full layers (4B+)
  double query_pre_attn_scalar = 256.0;
  double rms_norm_eps = 1e-6;
  std::optional<double> final_logit_softcapping;
  std::optional<double> attn_logit_softcapping;
  bool tie_word_embeddings = true;
  int32_t bos_token_id = 2;
  int32_t eos_token_id = 1;
  int32_t pad_token_id = 0;
  std::string weight_prefix;  // "model." for Gemma3ForCausalLM, "language_model.model." for multimodal

  int32_t q_dim() const { return num_heads * head_dim; }
  int32_t kv_dim() const { return num_kv_heads * head_dim; }
  int32_t count_layers(LayerKind kind) const;
};

// Parses config.json text. `source` names the file in error messages.
Result<ModelConfig> parse_model_config(const std::string& json_text, const std::string& source);
Result<ModelConfig> load_model_config(const std::filesystem::path& model_dir);

// Serialises a config the way Hugging Face writes a Gemma3ForCausalLM config.json (for `synth`).
std::string model_config_to_json(const ModelConfig& config);

}  // namespace gemma3
