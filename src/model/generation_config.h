// GenerationConfig: the checkpoint's generation_config.json — which tokens end a turn and the
// sampling defaults the model was published with. For the -it checkpoints the stop ids are both
// <eos> (1) and <end_of_turn> (106); stopping on only one of them is a known failure elsewhere.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "util/result.h"

namespace gemma3 {

struct GenerationConfig {
  std::vector<int32_t> eos_token_ids;  // never empty after loading
  std::optional<int32_t> top_k;
  std::optional<float> top_p;
  std::optional<float> temperature;
  bool do_sample = false;
};

// Reads DIR/generation_config.json when present; without it, eos ids fall back to `fallback_eos`
// (config.json's eos_token_id) plus the tokenizer's eos token when different.
Result<GenerationConfig> load_generation_config(const std::filesystem::path& model_dir,
                                                const std::vector<int32_t>& fallback_eos);

}  // namespace gemma3
