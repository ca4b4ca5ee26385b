// The command-line generation loop shared by `generate` and `chat`: feed the prompt, then sample,
// stream text and stop — on an EOS id, a stop string, max tokens or the context limit.
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "apps/cli_support.h"
#include "engine/engine.h"
#include "engine/ngram_drafter.h"
#include "model/sequence_runner.h"
#include "sampling/sampler.h"

namespace gemma3 {

struct GenerationSettings {
  SamplingParams sampling;
  uint64_t seed = 0;
  int32_t max_new_tokens = 128;
  std::vector<std::string> stop_strings;
  SpecMode spec = SpecMode::kNgram;   // --spec: prompt-lookup drafts verified in one pass per step
  bool ignore_eos = false;            // benchmarks: always generate max_new_tokens
  // Constrained decoding (--json-schema, --tools, ...): the grammar's mask is applied to the logits
  // before the sampler; its end ids end generation; a lazy constraint starts at a trigger token.
  OutputConstraint constraint;
  std::vector<int32_t> visible_special_ids;   // special tokens printed as text (tool-call markers)
};

struct GenerationStats {
  int32_t prompt_tokens = 0;
  int32_t generated_tokens = 0;
  double prompt_seconds = 0;
  double generation_seconds = 0;
  std::string finish_reason;  // "stop" (EOS or stop string), "length" (max tokens or context)
  std::vector<int32_t> generated_ids;
  int32_t forward_passes = 0;     // generation passes (decode steps; fewer than tokens when drafts are accepted)
  int32_t drafted_tokens = 0, accepted_tokens = 0;
};

// Adds the sampling flags (--temp, --top-k, --top-p, --min-p, --repeat-penalty, --presence-penalty,
// --frequency-penalty, --logit-bias, --seed, -n, --stop) and --spec to `args`.
void add_sampling_options(Args& args);
// Reads them back; defaults come from the checkpoint's generation_config.json.
Result<GenerationSettings> read_generation_settings(const Args& args, const LoadedCheckpoint& ckpt);

// Runs the prompt through `runner` (which continues from its current position) and generates.
// `on_text` receives complete UTF-8 text as it is produced (stop strings never included).
// With settings.spec, each step feeds the pending token plus a prompt-lookup draft and samples every
// drafted position (the engine's rule: accept while the sampled token equals the draft), then
// rewinds the runner past the rejected ones: the tokens, and where the runner ends, are exactly
// those of decoding one token per pass.
GenerationStats generate_tokens(const LoadedCheckpoint& ckpt, SequenceRunner& runner, std::span<const int32_t> prompt,
                                const GenerationSettings& settings, const std::function<void(const std::string&)>& on_text);

void print_generation_stats(const GenerationStats& stats);

}  // namespace gemma3
