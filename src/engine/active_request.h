// ActiveRequest: everything the engine thread keeps for one request: its scheduling state
// (Sequence), its own sampler (params + RNG, so its tokens do not depend on its batch mates), its
// incremental detokenizer and stop-string matcher, its draft-length policy, its channel to the HTTP
// thread, and timings.
// Owned by the engine thread; only `channel` is shared.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "engine/engine.h"
#include "engine/ngram_drafter.h"
#include "grammar/matcher.h"
#include "engine/request_channel.h"
#include "engine/scheduler.h"
#include "sampling/sampler.h"
#include "sampling/stop_strings.h"
#include "tokenizer/tokenizer.h"

namespace gemma3 {

using EngineClock = std::chrono::steady_clock;

struct ActiveRequest : Sequence {
  ActiveRequest(GenerationRequest req, const Tokenizer& tokenizer, uint64_t seed,
                std::shared_ptr<detail::RequestChannel> ch)
      : request(std::move(req)),
        channel(std::move(ch)),
        sampler(request.sampling, seed),
        decoder(tokenizer, /*skip_special_tokens=*/true, request.visible_special_ids),
        stops(request.stop),
        submitted(EngineClock::now()) {}

  std::span<const int32_t> prompt() const { return std::span<const int32_t>(tokens).first(static_cast<size_t>(n_prompt)); }
  std::span<const int32_t> generated() const { return std::span<const int32_t>(tokens).subspan(static_cast<size_t>(n_prompt)); }
  int32_t n_generated() const { return static_cast<int32_t>(tokens.size()) - n_prompt; }

  GenerationRequest request;   // prompt moved into Sequence::tokens
  std::shared_ptr<detail::RequestChannel> channel;
  Sampler sampler;
  StreamingDecoder decoder;
  StopStringMatcher stops;
  // Output constraint (request.constraint): the matcher exists while the constraint is active (from
  // submit, or for a lazy one from its trigger token); `mask` is its allowed set for the next token,
  // computed while the forward pass runs. Constrained sequences never draft.
  std::unique_ptr<grammar::Matcher> matcher;
  std::vector<uint32_t> mask;
  std::vector<int32_t> end_ids;   // the constraint's end ids (default: the engine's eos ids)
  DraftController drafter{0};   // max draft 0 (never drafts) unless the engine speculates
  std::vector<int32_t> draft;    // scratch: this step's drafted tokens while they are verified
  std::optional<FinishReason> finish;
  EngineClock::time_point submitted;
  std::optional<EngineClock::time_point> first_token, last_token;
};

}  // namespace gemma3
