// Token sampling for one sequence: logit bias, penalties, then greedy or temperature / top-k /
// top-p / min-p, then a draw from the sampler's own seeded generator.
//
// Order of operations in Sampler::sample (each step sees the previous step's logits):
//   1. logit_bias: logits[id] += bias
//   2. repetition_penalty (Hugging Face): once per distinct id in prompt + generated,
//        logit > 0 ? logit / p : logit * p
//   3. frequency / presence penalties (OpenAI), over generated ids only:
//        logit -= count * frequency_penalty + (count > 0) * presence_penalty
//   4. temperature < 1e-5 (in particular 0): greedy, the highest logit, lowest id on ties. Done.
//   5. z = logit / temperature
//   6. top_k > 0: keep the k highest z (ties at the boundary: lower ids first)
//   7. top_p < 1: of those, in order of z, keep the shortest prefix whose probability (softmax
//      over the top-k survivors) reaches top_p; the first token is always kept
//   8. min_p > 0: drop tokens with p < min_p * p_max (i.e. z < z_max + log(min_p))
//   9. draw among the survivors with probability proportional to exp(z - z_max)
// This is the order of Hugging Face's warpers (temperature, top-k, top-p, min-p); vLLM applies
// logit bias before its penalties as we do.
//
// Cost on a 262,144-token vocabulary: greedy is two vectorised passes (max, then the first index
// holding it); plain temperature sampling one exp pass plus a walk over per-block sums; top-k and
// top-p never sort the vocabulary: a few counting passes find a threshold, and only the tokens
// above it are gathered and sorted. Penalties cost O(prompt + generated) per call.
//
// Speculative decoding (engine/ngram_drafter.h) verifies a drafted token d by calling sample() on
// the logits at d's position and accepting d iff the result is d. For a deterministic proposal (a
// point mass on d) this is the standard speculative-sampling rule: d is accepted with probability
// min(1, p(d) / 1) = p(d), and a rejection yields a draw from p with d removed and renormalised,
// i.e. from (p - q)+. Drawing once realises both with one uniform, so a drafted sequence consumes
// the generator exactly as one-at-a-time decoding does and its tokens are identical for a seed.
//
// Reproducibility: the generator is xoshiro256** seeded through splitmix64, uniforms are built
// from its top 53 bits, and exp is our own polynomial (src/sampling/softmax_kernels.h), so a seed
// gives the same tokens for the same logits on every x86-64 machine and instruction set.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "sampling/rng.h"
#include "util/result.h"

namespace gemma3 {

struct SamplingParams {
  float temperature = 1.0f;  // 0 => greedy
  int top_k = 0;             // 0 (or -1) => off
  float top_p = 1.0f;
  float min_p = 0.0f;
  float repetition_penalty = 1.0f;  // HF semantics: over prompt+generated ids, logit>0 ? /p : *p
  float presence_penalty = 0.0f;    // OpenAI semantics, over generated ids only
  float frequency_penalty = 0.0f;   // OpenAI semantics, over generated ids only
  std::vector<std::pair<int32_t, float>> logit_bias;  // added to logits
  std::optional<uint64_t> seed;
};

// Checks every field against its OpenAI (or vLLM, for top_k/min_p/repetition_penalty) range;
// errors name the field, e.g. "temperature must be between 0 and 2",
// "logit_bias key 999999 is not a token id (vocabulary size 262144)".
Status validate_sampling_params(const SamplingParams& p, int32_t vocab_size);

// One per sequence; not thread-safe (owns its generator and scratch buffers). The params must have
// passed validate_sampling_params; sample() only guards against what would break memory safety.
class Sampler {
 public:
  // Seeds the generator with params.seed when given, else with default_seed.
  Sampler(SamplingParams params, uint64_t default_seed);

  // logits: one row (vocab,), modified in place (steps 1-5 above). Ids outside the row in
  // prompt_ids / generated_ids / logit_bias are ignored. Returns a token id in [0, vocab).
  int32_t sample(std::span<float> logits, std::span<const int32_t> prompt_ids,
                 std::span<const int32_t> generated_ids);

  const SamplingParams& params() const { return params_; }
  bool is_greedy() const;

 private:
  struct Candidate {
    float z;
    int32_t id;
  };

  void apply_penalties(std::span<float> logits, std::span<const int32_t> prompt_ids,
                       std::span<const int32_t> generated_ids);
  int32_t sample_full(std::span<const float> z, float z_max, float cut);
  int32_t sample_truncated(std::span<const float> z, float z_max, float cut);
  int32_t draw_from_candidates(size_t n_keep, float z_max);

  SamplingParams params_;
  Xoshiro256 rng_;
  // Scratch, reused across calls so a step allocates nothing once warm.
  std::vector<float> weights_;        // (vocab,) exp(z - z_max), or 0 when cut
  std::vector<double> block_sums_;    // (vocab / kExpBlock + 1,) sums of weights_ per block
  std::vector<int32_t> ids_;          // ids above a threshold, ascending
  std::vector<Candidate> candidates_; // tokens above a threshold, sorted by z desc, id asc
  std::vector<uint64_t> seen_bits_;   // (vocab / 64,) repetition-penalty dedup; all zero between calls
  std::vector<int32_t> counts_;       // (vocab,) generated-id counts; all zero between calls
};

struct TokenLogprob {
  int32_t id;
  float logprob;
};

// log-softmax of the model's raw logits (before any sampling transform): the chosen token's
// logprob and the n_top (0..20) most likely tokens, most likely first, ties by lower id. Either
// output pointer may be null. Cost: one max pass and one exp pass over the row.
void compute_logprobs(std::span<const float> raw_logits, int32_t chosen, int n_top, float* chosen_logprob,
                      std::vector<TokenLogprob>* top);

}  // namespace gemma3
