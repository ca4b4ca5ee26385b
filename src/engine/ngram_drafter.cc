#include "engine/ngram_drafter.h"

#include <algorithm>

namespace gemma3 {

std::optional<SpecMode> parse_spec_mode(std::string_view name) {
  if (name == "off") return SpecMode::kOff;
  if (name == "ngram") return SpecMode::kNgram;
  return std::nullopt;
}

const char* spec_mode_name(SpecMode mode) { return mode == SpecMode::kNgram ? "ngram" : "off"; }

void propose_ngram_draft(std::span<const int32_t> context, int32_t max_tokens, const NgramOptions& options,
                         std::vector<int32_t>* out) {
  out->clear();
  const int64_t len = static_cast<int64_t>(context.size());
  if (max_tokens <= 0 || options.min_ngram < 1) return;
  const int64_t oldest = std::max<int64_t>(0, len - options.max_lookback);
  for (int64_t n = std::min<int64_t>(options.max_ngram, len - 1); n >= options.min_ngram; --n) {
    const int32_t* suffix = context.data() + (len - n);
    // Most recent occurrence first: recent text predicts the next tokens best. j is where an
    // earlier copy of the suffix starts; it must end before the suffix itself does.
    for (int64_t j = len - n - 1; j >= oldest; --j) {
      if (context[static_cast<size_t>(j)] != suffix[0] ||
          !std::equal(suffix, suffix + n, context.data() + j)) {
        continue;
      }
      // The continuation starts right after the match, at j + n < len; past the context's end it
      // reads the proposal itself (index i of context ++ out).
      for (int64_t i = j + n; static_cast<int32_t>(out->size()) < max_tokens; ++i) {
        out->push_back(i < len ? context[static_cast<size_t>(i)] : (*out)[static_cast<size_t>(i - len)]);
      }
      return;
    }
  }
}

int32_t DraftController::length_for_step() {
  if (skip_steps_ > 0) {
    --skip_steps_;
    return 0;
  }
  return length_;
}

void DraftController::record(int32_t drafted, int32_t accepted) {
  if (drafted <= 0 || max_draft_ <= 0) return;
  if (accepted == 0) {
    length_ = 1;
    misses_ = std::min(misses_ + 1, 16);
    skip_steps_ = std::min<int32_t>(int32_t{1} << (misses_ - 1), kMaxBackoff);
    return;
  }
  misses_ = 0;
  length_ = accepted == drafted ? std::min(max_draft_, length_ + std::max<int32_t>(2, length_ / 2)) : accepted + 1;
  length_ = std::clamp(length_, 1, max_draft_);
}

}  // namespace gemma3
