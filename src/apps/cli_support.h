// Shared set-up for the command-line tools: resolve and load a checkpoint (model, tokenizer,
// generation config), apply the thread count, and report what was loaded on stderr.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "model/generation_config.h"
#include "model/model_weights.h"
#include "tokenizer/tokenizer.h"
#include "util/args.h"

namespace gemma3 {

struct LoadedCheckpoint {
  std::filesystem::path dir;
  std::unique_ptr<Model> model;
  std::unique_ptr<Tokenizer> tokenizer;  // null when loaded with want_tokenizer = false
  GenerationConfig generation;
  bool synthetic = false;  // config.json marks checkpoints made by `gemma3 synth`
  double load_seconds = 0;
};

// Declares -m/--model and -t/--threads on `args`.
void add_model_options(Args& args);
// Applies -t/--threads (0 = all cores) from parsed args.
Status apply_thread_option(const Args& args);
// Uses -m and -t from parsed args. Prints a warning when the weights are synthetic. A command that
// only inspects the model (for_decoding = false) keeps the weights in the file map.
Result<LoadedCheckpoint> load_checkpoint(const Args& args, bool want_tokenizer = true, bool for_decoding = true);

// Parses a JSON array of token ids (from a string), checking each is within [0, vocab).
Result<std::vector<int32_t>> parse_token_ids(const std::string& json_text, int32_t vocab_size, const std::string& what);

// Every id must be embeddable: the tokenizer may know more tokens than the model's vocab_size.
Status check_prompt_ids(std::span<const int32_t> ids, int32_t vocab_size);

// Peak resident memory of this process so far, in MiB.
double peak_rss_mib();

}  // namespace gemma3
