// The command-line generation loop shared by `generate` and `chat`: feed the prompt, then sample,
// stream text and stop — on an EOS id, a stop string, max tokens or the context limit.
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "apps/cli_support.h"
#include "model/sequence_runner.h"
#include "sampling/sampler.h"

namespace gemma3 {

struct GenerationSettings {
  SamplingParams sampling;
  uint64_t seed = 0;
  int32_t max_new_tokens = 128;
  std::vector<std::string> stop_strings;
};

struct GenerationStats {
  int32_t prompt_tokens = 0;
  int32_t generated_tokens = 0;
  double prompt_seconds = 0;
  double generation_seconds = 0;
  std::string finish_reason;  // "stop" (EOS or stop string), "length" (max tokens or context)
  std::vector<int32_t> generated_ids;
};

// Adds the sampling flags (--temp, --top-k, --top-p, --min-p, --repeat-penalty, --presence-penalty,
// --frequency-penalty, --logit-bias, --seed, -n, --stop) to `args`.
void add_sampling_options(Args& args);
// Reads them back; defaults come from the checkpoint's generation_config.json.
Result<GenerationSettings> read_generation_settings(const Args& args, const LoadedCheckpoint& ckpt);

// Runs the prompt through `runner` (which continues from its current position) and generates.
// `on_text` receives complete UTF-8 text as it is produced (stop strings never included).
GenerationStats generate_tokens(const LoadedCheckpoint& ckpt, SequenceRunner& runner, std::span<const int32_t> prompt,
                                const GenerationSettings& settings, const std::function<void(const std::string&)>& on_text);

void print_generation_stats(const GenerationStats& stats);

}  // namespace gemma3
