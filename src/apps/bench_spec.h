// `gemma3 bench --spec`: decode speed with speculative (prompt-lookup) decoding against the same
// generation without it, alternated within one run so the machine's noise hits both alike.
#pragma once

#include "apps/cli_support.h"
#include "engine/ngram_drafter.h"

namespace gemma3 {

struct SpecBenchOptions {
  int64_t n_prompt = 64;   // random prompt tokens (the text the model continues)
  int64_t n_gen = 128;     // tokens generated per run
  int64_t reps = 3;        // off/on pairs, alternating which goes first
  float temperature = 0;   // 0: greedy (the synthetic checkpoints' greedy text repeats itself);
                           // > 0: sampled text, which rarely repeats (the no-gain case)
  std::string prompt_text; // when set: this text (tokenized) instead of random tokens
  bool json = false;
};

// Prints, for off and on: generation tok/s (the sum over repetitions), forward passes, draft
// tokens and accepted tokens; the speed ratio; and whether both produced the same tokens (always
// required: the run fails otherwise). Returns the process exit code.
int run_spec_bench(const LoadedCheckpoint& ckpt, const SpecBenchOptions& options);

}  // namespace gemma3
