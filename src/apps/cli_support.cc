#include "apps/cli_support.h"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "kv/kv_cache.h"
#include "model/gguf_model.h"
#include "model/model_locator.h"
#include "model/weight_convert.h"
#include "model/weight_prepack.h"
#include "model/weight_residency.h"
#include "ops/cpu_features.h"
#include "ops/matmul.h"
#include "ops/parallel.h"
#include "util/mapped_file.h"
#include "util/huge_page_buffer.h"

namespace gemma3 {

void add_model_options(Args& args) {
  args.option("model", "m", "checkpoint folder, or Hugging Face repo id org/name (default: ./gemma-3-270m-it, ./gemma-3-270m, HF cache)")
      .option("threads", "t", "threads (0 = all cores)", "0")
      .option("dtype", "", "re-encode the weight matrices at load: bf16, f16, f32, q8_0 (int8, 32-element blocks) or q4_0")
      .option("kv-dtype", "", "KV cache storage: f32, or bf16 (half the memory, less accurate)", "f32")
      .flag("matmul-bf16", "round matmul inputs to bf16 and use AVX512_BF16 dot products: ~2x prompt speed, logits move ~1% of their range")
      .flag("matmul-int8", "quantize matmul inputs to int8 (32-element blocks) for Q8_0/Q4_0/Q4_1/Q5_0/Q5_1/Q4_K/Q5_K/Q6_K weights and use integer dot products (AVX512-VNNI)")
      .flag("mmap-weights", "read the weight matrices straight from the file map (shared page cache, no copy at load) instead of copying them into huge pages (faster decode)");
}

Status apply_thread_option(const Args& args) {
  auto threads = args.get_int("threads");
  if (!threads || *threads < 0) return make_error("--threads expects a non-negative integer");
  set_num_threads(static_cast<int>(*threads));
  return ok_status();
}

Result<LoadedCheckpoint> load_checkpoint(const Args& args, bool want_tokenizer, bool for_decoding) {
  auto start = std::chrono::steady_clock::now();
  G3_TRY(apply_thread_option(args));
  if (args.is_set("matmul-bf16") && args.is_set("matmul-int8")) return make_error("--matmul-bf16 and --matmul-int8 exclude each other");
  set_matmul_precision(args.is_set("matmul-bf16")   ? MatmulPrecision::kBf16Activations
                       : args.is_set("matmul-int8") ? MatmulPrecision::kInt8Activations
                                                    : MatmulPrecision::kExact);
  auto kv_dtype = parse_kv_dtype(args.get("kv-dtype"));
  if (!kv_dtype) return std::move(kv_dtype).take_error();

  LoadedCheckpoint ckpt;
  auto dir = resolve_model_dir(args.get("model"));
  if (!dir) return std::move(dir).take_error();
  ckpt.dir = *dir;
  auto model = load_model(ckpt.dir);
  if (!model) return std::move(model).take_error();
  ckpt.model = std::move(model).value();
  ckpt.model->kv_dtype = *kv_dtype;
  if (args.has("dtype")) {
    auto dtype = parse_weight_dtype(args.get("dtype"));
    if (!dtype) return std::move(dtype).take_error();
    G3_TRY(convert_weights(*ckpt.model, *dtype));
  }
  if (matmul_precision() == MatmulPrecision::kInt8Activations) prepack_int8_weights(*ckpt.model);
  if (for_decoding && !args.is_set("mmap-weights") && huge_pages_available()) move_weights_to_huge_pages(*ckpt.model);
  std::vector<int32_t> fallback_eos = {ckpt.model->config.eos_token_id};
  if (want_tokenizer) {
    // A GGUF carries its own vocabulary and end-of-turn ids (no generation_config.json).
    auto tokenizer = ckpt.model->gguf ? load_gguf_tokenizer(*ckpt.model->gguf) : Tokenizer::load(ckpt.dir);
    if (!tokenizer) return std::move(tokenizer).take_error();
    ckpt.tokenizer = std::move(tokenizer).value();
    if (ckpt.model->gguf) {
      for (int32_t id : gguf_eos_ids(*ckpt.model->gguf, *ckpt.tokenizer)) fallback_eos.push_back(id);
    } else {
      fallback_eos.push_back(ckpt.tokenizer->eos_id());
    }
  }
  auto generation = load_generation_config(ckpt.dir, fallback_eos);
  if (!generation) return std::move(generation).take_error();
  ckpt.generation = std::move(generation).value();

  if (auto text = read_text_file(ckpt.dir / "config.json"); text) {
    auto j = nlohmann::json::parse(*text, nullptr, false);
    ckpt.synthetic = !j.is_discarded() && j.contains("gemma3_synthetic");
  }
  ckpt.load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "loaded %s in %.2f s (%d layers, hidden %d, %s, %d threads)\n", ckpt.dir.c_str(),
               ckpt.load_seconds, ckpt.model->config.num_layers, ckpt.model->config.hidden_size,
               isa_name(active_isa()), num_threads());
  if (ckpt.synthetic)
    std::fprintf(stderr, "NOTE: this is a synthetic checkpoint with RANDOM weights: its output is random text.\n");
  return ckpt;
}

Result<std::vector<int32_t>> parse_token_ids(const std::string& json_text, int32_t vocab_size, const std::string& what) {
  auto j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_array()) return make_error(what + ": expected a JSON array of token ids");
  std::vector<int32_t> ids;
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_number_integer() || j[i].get<int64_t>() < 0 || j[i].get<int64_t>() >= vocab_size)
      return make_error(what + ": element " + std::to_string(i) + " (" + j[i].dump() + ") is not a token id in [0, " +
                        std::to_string(vocab_size) + ")");
    ids.push_back(j[i].get<int32_t>());
  }
  return ids;
}

Status check_prompt_ids(std::span<const int32_t> ids, int32_t vocab_size) {
  for (int32_t id : ids) {
    // The Gemma 3 tokenizer knows a few more tokens (e.g. <image_soft_token> = 262144) than the
    // text model embeds; such text cannot be fed to the model.
    if (id < 0 || id >= vocab_size)
      return make_error("the prompt contains token " + std::to_string(id) + ", which this model cannot embed (vocab_size " +
                        std::to_string(vocab_size) + ")");
  }
  return ok_status();
}

double peak_rss_mib() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is KiB on Linux
}

}  // namespace gemma3
