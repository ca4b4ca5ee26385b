#include "model/model_config.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "util/json_depth.h"
#include "util/mapped_file.h"

namespace gemma3 {

using nlohmann::json;

int32_t ModelConfig::count_layers(LayerKind kind) const {
  int32_t n = 0;
  for (LayerKind k : layer_kinds) n += (k == kind);
  return n;
}

namespace {

// Readers that name the file and key in every error.
class ConfigReader {
 public:
  ConfigReader(const json& object, std::string source) : object_(object), source_(std::move(source)) {}

  Status require_int(const char* key, int32_t* out, int64_t min_value = 1, int64_t max_value = kMaxInt) {
    if (!object_.contains(key)) return make_error(source_ + ": missing required key '" + key + "'");
    return read_int(key, out, min_value, max_value);
  }
  Status optional_int(const char* key, int32_t* out, int64_t min_value = 1) {
    if (!object_.contains(key) || object_[key].is_null()) return ok_status();
    return read_int(key, out, min_value);
  }
  Status optional_double(const char* key, double* out, bool positive = true) {
    if (!object_.contains(key) || object_[key].is_null()) return ok_status();
    const json& v = object_[key];
    if (!v.is_number()) return make_error(source_ + ": key '" + key + "' must be a number, got " + v.dump());
    double d = v.get<double>();
    if (!std::isfinite(d) || (positive && d <= 0))
      return make_error(source_ + ": key '" + key + "' must be a positive number, got " + v.dump());
    *out = d;
    return ok_status();
  }
  Status optional_nullable_double(const char* key, std::optional<double>* out) {
    if (!object_.contains(key) || object_[key].is_null()) return ok_status();
    double d = 0;
    if (auto s = optional_double(key, &d); !s) return s;
    *out = d;
    return ok_status();
  }
  Status optional_bool(const char* key, bool* out) {
    if (!object_.contains(key) || object_[key].is_null()) return ok_status();
    if (!object_[key].is_boolean())
      return make_error(source_ + ": key '" + key + "' must be true or false, got " + object_[key].dump());
    *out = object_[key].get<bool>();
    return ok_status();
  }
  // A string value; absent or null leaves `out` as it is. (json::value() would throw on a wrong type.)
  Status optional_string(const char* key, std::string* out) {
    if (!object_.contains(key) || object_[key].is_null()) return ok_status();
    if (!object_[key].is_string())
      return make_error(source_ + ": key '" + key + "' must be a string, got " + object_[key].dump());
    *out = object_[key].get<std::string>();
    return ok_status();
  }
  // eos_token_id may be an int or a list of ints; the first is the model's own.
  Status optional_token_id(const char* key, int32_t* out) {
    if (!object_.contains(key) || object_[key].is_null()) return ok_status();
    const json& v = object_[key];
    if (v.is_array() && !v.empty() && v[0].is_number_integer()) {
      *out = v[0].get<int32_t>();
      return ok_status();
    }
    return read_int(key, out, 0);
  }

 private:
  static constexpr int64_t kMaxInt = int64_t{1} << 30;

  Status read_int(const char* key, int32_t* out, int64_t min_value, int64_t max_value = kMaxInt) {
    const json& v = object_[key];
    if (!v.is_number_integer())
      return make_error(source_ + ": key '" + key + "' must be an integer, got " + v.dump());
    int64_t i = v.get<int64_t>();
    if (i < min_value || i > max_value)
      return make_error(source_ + ": key '" + key + "' is out of range: " + v.dump() + " (allowed: " +
                        std::to_string(min_value) + " to " + std::to_string(max_value) + ")");
    *out = static_cast<int32_t>(i);
    return ok_status();
  }

  const json& object_;
  std::string source_;
};


}  // namespace

Result<ModelConfig> parse_model_config(const std::string& json_text, const std::string& source) {
  // A config nests a few levels (text_config, rope_scaling); error messages dump values recursively.
  constexpr size_t kMaxDepth = 64;
  if (json_nesting_depth(json_text) > kMaxDepth)
    return make_error(source + ": JSON nested deeper than " + std::to_string(kMaxDepth) + " levels");
  json root = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return make_error(source + ": not valid JSON");
  if (!root.is_object()) return make_error(source + ": expected a JSON object");

  ModelConfig config;
  config.weight_prefix = "model.";
  std::string model_type;
  G3_TRY(ConfigReader(root, source).optional_string("model_type", &model_type));
  const json* text = &root;
  if (model_type == "gemma3") {
    // The multimodal Gemma3ForConditionalGeneration config nests the decoder's config.
    if (!root.contains("text_config") || !root["text_config"].is_object())
      return make_error(source + ": model_type 'gemma3' needs a 'text_config' object");
    text = &root["text_config"];
    config.weight_prefix = "language_model.model.";
  } else if (!model_type.empty() && model_type != "gemma3_text") {
    return make_error(source + ": model_type '" + model_type + "' is not Gemma 3 (expected 'gemma3_text' or 'gemma3')");
  }

  ConfigReader r(*text, source + (text == &root ? "" : " text_config"));
  G3_TRY(r.require_int("vocab_size", &config.vocab_size));
  G3_TRY(r.require_int("hidden_size", &config.hidden_size));
  G3_TRY(r.require_int("intermediate_size", &config.intermediate_size));
  G3_TRY(r.require_int("num_hidden_layers", &config.num_layers, 1, kMaxLayers));
  G3_TRY(r.require_int("num_attention_heads", &config.num_heads));
  config.num_kv_heads = config.num_heads;
  G3_TRY(r.optional_int("num_key_value_heads", &config.num_kv_heads));
  G3_TRY(r.optional_int("head_dim", &config.head_dim));
  G3_TRY(r.optional_int("max_position_embeddings", &config.max_position_embeddings));
  G3_TRY(r.optional_int("sliding_window", &config.sliding_window));
  G3_TRY(r.optional_double("rope_theta", &config.rope_theta));
  G3_TRY(r.optional_double("rope_local_base_freq", &config.rope_local_base_freq));
  G3_TRY(r.optional_double("query_pre_attn_scalar", &config.query_pre_attn_scalar));
  G3_TRY(r.optional_double("rms_norm_eps", &config.rms_norm_eps));
  G3_TRY(r.optional_nullable_double("final_logit_softcapping", &config.final_logit_softcapping));
  G3_TRY(r.optional_nullable_double("attn_logit_softcapping", &config.attn_logit_softcapping));
  G3_TRY(r.optional_bool("tie_word_embeddings", &config.tie_word_embeddings));
  G3_TRY(r.optional_token_id("bos_token_id", &config.bos_token_id));
  G3_TRY(r.optional_token_id("eos_token_id", &config.eos_token_id));
  G3_TRY(r.optional_token_id("pad_token_id", &config.pad_token_id));
  // The multimodal config keeps tie_word_embeddings at the top level.
  if (text != &root) {
    ConfigReader top(root, source);
    G3_TRY(top.optional_bool("tie_word_embeddings", &config.tie_word_embeddings));
  }

  if (config.num_heads % config.num_kv_heads != 0)
    return make_error(source + ": num_attention_heads (" + std::to_string(config.num_heads) +
                      ") must be a multiple of num_key_value_heads (" + std::to_string(config.num_kv_heads) + ")");
  if (config.head_dim % 2 != 0) return make_error(source + ": head_dim must be even for RoPE");

  std::string activation = "gelu_pytorch_tanh";
  G3_TRY(r.optional_string("hidden_activation", &activation));
  if (activation != "gelu_pytorch_tanh" && activation != "gelu_tanh")
    return make_error(source + ": hidden_activation '" + activation + "' is not supported (expected gelu_pytorch_tanh)");

  if (text->contains("rope_scaling") && !(*text)["rope_scaling"].is_null()) {
    const json& rs = (*text)["rope_scaling"];
    if (!rs.is_object()) return make_error(source + ": key 'rope_scaling' must be an object or null");
    ConfigReader rr(rs, source + " rope_scaling");
    std::string type;  // rope_type, else the older key type
    G3_TRY(rr.optional_string("type", &type));
    G3_TRY(rr.optional_string("rope_type", &type));
    if (type != "linear" && type != "default")
      return make_error(source + ": rope_scaling type '" + type + "' is not supported (expected 'linear')");
    if (type == "linear") G3_TRY(rr.optional_double("factor", &config.rope_scaling_factor));
  }

  // layer_types (new configs) or sliding_window_pattern (older ones, default 6): every
  // pattern-th layer is full attention.
  if (text->contains("layer_types") && !(*text)["layer_types"].is_null()) {
    const json& lt = (*text)["layer_types"];
    if (!lt.is_array() || static_cast<int32_t>(lt.size()) != config.num_layers)
      return make_error(source + ": key 'layer_types' must be an array of " + std::to_string(config.num_layers) + " strings");
    for (size_t i = 0; i < lt.size(); ++i) {
      std::string kind = lt[i].is_string() ? lt[i].get<std::string>() : "";
      if (kind == "sliding_attention") config.layer_kinds.push_back(LayerKind::kSliding);
      else if (kind == "full_attention") config.layer_kinds.push_back(LayerKind::kFull);
      else return make_error(source + ": layer_types[" + std::to_string(i) + "] must be 'sliding_attention' or 'full_attention', got " + lt[i].dump());
    }
  } else {
    int32_t pattern = 6;
    G3_TRY(r.optional_int("sliding_window_pattern", &pattern));
    for (int32_t i = 0; i < config.num_layers; ++i)
      config.layer_kinds.push_back(((i + 1) % pattern) != 0 ? LayerKind::kSliding : LayerKind::kFull);
  }
  return config;
}

Result<ModelConfig> load_model_config(const std::filesystem::path& model_dir) {
  auto path = model_dir / "config.json";
  auto text = read_text_file(path);
  if (!text) return make_error(text.error());
  return parse_model_config(*text, path.string());
}

std::string model_config_to_json(const ModelConfig& c) {
  json layer_types = json::array();
  for (LayerKind k : c.layer_kinds) layer_types.push_back(k == LayerKind::kFull ? "full_attention" : "sliding_attention");
  json j = {
      {"architectures", {"Gemma3ForCausalLM"}},
      {"attention_bias", false},
      {"attention_dropout", 0.0},
      {"attn_logit_softcapping", c.attn_logit_softcapping ? json(*c.attn_logit_softcapping) : json(nullptr)},
      {"bos_token_id", c.bos_token_id},
      {"eos_token_id", c.eos_token_id},
      {"final_logit_softcapping", c.final_logit_softcapping ? json(*c.final_logit_softcapping) : json(nullptr)},
      {"head_dim", c.head_dim},
      {"hidden_activation", "gelu_pytorch_tanh"},
      {"hidden_size", c.hidden_size},
      {"initializer_range", 0.02},
      {"intermediate_size", c.intermediate_size},
      {"layer_types", layer_types},
      {"max_position_embeddings", c.max_position_embeddings},
      {"model_type", "gemma3_text"},
      {"num_attention_heads", c.num_heads},
      {"num_hidden_layers", c.num_layers},
      {"num_key_value_heads", c.num_kv_heads},
      {"pad_token_id", c.pad_token_id},
      {"query_pre_attn_scalar", c.query_pre_attn_scalar},
      {"rms_norm_eps", c.rms_norm_eps},
      {"rope_local_base_freq", c.rope_local_base_freq},
      {"rope_scaling", nullptr},
      {"rope_theta", c.rope_theta},
      {"sliding_window", c.sliding_window},
      {"torch_dtype", "bfloat16"},
      {"use_bidirectional_attention", false},
      {"use_cache", true},
      {"vocab_size", c.vocab_size},
  };
  if (!c.tie_word_embeddings) j["tie_word_embeddings"] = false;
  if (c.rope_scaling_factor != 1.0) j["rope_scaling"] = {{"rope_type", "linear"}, {"factor", c.rope_scaling_factor}};
  return j.dump(2) + "\n";
}

}  // namespace gemma3
