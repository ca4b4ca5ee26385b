// What one token costs the model, for `gemma3 bench` to turn tokens/s into fractions of the
// machine's limits (ops/machine_probe.h). Counted from the loaded model's own matrices and config,
// so it is right for any checkpoint and any --dtype.
#pragma once

#include <cstdint>

#include "model/model_weights.h"

namespace gemma3 {

struct TokenCost {
  // Decode: bytes of weight matrices one forward pass reads — the 7 matrices of every block plus
  // the LM head (the embedding lookup reads one row, counted as nothing). KV reads are left out:
  // at bench lengths they are a few MB against hundreds.
  double decode_weight_bytes = 0;
  double block_weight_bytes = 0;    // the blocks' share of it
  double lm_head_bytes = 0;         // the LM head's share
  // Bytes of every matrix the model holds: the above plus the embedding when it is not the LM head.
  double held_weight_bytes = 0;
  double block_params = 0;          // elements of the 7 block matrices over all layers
  double lm_head_params = 0;
  // Prompt processing of n tokens from position 0, per token: 2 flops per block weight element
  // (every token goes through every block matrix), plus attention — QKᵀ and PV are each
  // 2·num_heads·head_dim flops per (query, visible key) pair, a query at p seeing p+1 keys on full
  // layers and min(p+1, W) on sliding ones — plus the LM head once (only the last token's logits),
  // spread over the n tokens.
  double prompt_flops_per_token = 0;
  double prompt_attention_flops_per_token = 0;  // the attention share of it
};

TokenCost token_cost(const Model& model, int64_t n_prompt);

// The dtype of the block matrices (what --dtype chose, or the checkpoint's own).
DType block_weight_dtype(const Model& model);

}  // namespace gemma3
