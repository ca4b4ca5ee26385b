// Speculative decoding without a draft model: prompt-lookup (n-gram) drafting and the per-sequence
// policy that decides how many tokens to draft.
//
// propose_ngram_draft looks for the most recent earlier occurrence of the context's last n tokens
// (n from max_ngram down to min_ngram) and proposes the tokens that followed it. Text that repeats
// its context (a model copying a passage of its prompt, code edits, a looping small model) is
// predicted many tokens ahead; the proposals are deterministic, so the verifier's acceptance rule
// is Sampler::sample_verify's (accept d with probability p(d)).
//
// DraftController adapts the draft length to what the sequence's verifier accepted and backs off
// when drafts keep failing, so a sequence whose text does not repeat pays at most one rejected
// one-token draft every kMaxBackoff steps (a verified token costs a fraction of a decode step).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace gemma3 {

// `--spec`: speculative decoding off, or with prompt-lookup drafts.
enum class SpecMode { kOff, kNgram };
// "off" / "ngram"; nullopt for anything else.
std::optional<SpecMode> parse_spec_mode(std::string_view name);
const char* spec_mode_name(SpecMode mode);

struct NgramOptions {
  int32_t min_ngram = 1;     // shortest suffix that may match
  int32_t max_ngram = 4;     // longest suffix tried first (a longer match predicts better)
  int32_t max_draft = 12;    // most tokens drafted per step
  int32_t max_lookback = 8192;  // positions searched back from the end (bounds the scan's cost)
};

// Appends to `out` (cleared first) up to `max_tokens` tokens predicted to follow `context`: the
// tokens after the most recent earlier occurrence of the context's longest matching suffix
// n-gram. A continuation that runs into the end of the context goes on through the proposal itself
// (a period-p loop is predicted to keep looping). Nothing when no suffix of >= min_ngram tokens
// occurred before. Cost: O(max_lookback * max_ngram) comparisons at worst, no allocation once
// `out` has capacity.
void propose_ngram_draft(std::span<const int32_t> context, int32_t max_tokens, const NgramOptions& options,
                         std::vector<int32_t>* out);

// Per-sequence draft length. Full acceptance grows the length (up to max_draft); a partial one sets
// it to one more than what was accepted; a total rejection also starts a back-off: drafting is
// skipped for 1, 2, 4, ... kMaxBackoff steps after consecutive rejections, and any accepted token
// ends the back-off.
class DraftController {
 public:
  static constexpr int32_t kInitialLength = 4;
  static constexpr int32_t kMaxBackoff = 32;

  explicit DraftController(int32_t max_draft) : max_draft_(max_draft), length_(std::min(kInitialLength, max_draft)) {}

  // Tokens to draft at this step (0: skip). Call once per decode step; counts down a back-off.
  int32_t length_for_step();
  // The verifier accepted `accepted` of `drafted` (> 0) tokens.
  void record(int32_t drafted, int32_t accepted);

 private:
  int32_t max_draft_;
  int32_t length_;
  int32_t misses_ = 0;      // consecutive total rejections
  int32_t skip_steps_ = 0;  // steps left to skip
};

}  // namespace gemma3
