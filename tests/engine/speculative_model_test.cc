// Speculative decoding over the real forward pass (the synthetic tiny checkpoint): a token's logits
// computed inside a verification chunk are bit-identical to decoding it alone, so the engine's
// output with drafting on is identical token for token (and logprob for logprob) to drafting off,
// greedy and sampled, alone and batched.
#include <gtest/gtest.h>

#include <chrono>

#include "../model/test_checkpoint.h"
#include "engine/engine.h"
#include "engine/forward_runner.h"
#include "model/sequence_runner.h"
#include "test_tokenizer.h"
#include "tokenizer/tokenizer.h"

namespace gemma3 {
namespace {

using namespace std::chrono_literals;

const Model& model() {
  static std::unique_ptr<Model> m = [] {
    auto r = load_model(testing::tiny_checkpoint());
    if (!r) {
      std::fprintf(stderr, "tiny model: %s\n", r.error().c_str());
      std::abort();
    }
    return std::move(r).value();
  }();
  return *m;
}

const Tokenizer& tokenizer() { return testing::test_tokenizer(); }

TEST(SpeculativeModel, ChunkLogitsAreBitIdenticalToOneTokenDecode) {
  const int32_t vocab = model().config.vocab_size;
  std::vector<int32_t> ids = {2};
  for (int i = 1; i < 41; ++i) ids.push_back((i * 7919) % vocab);
  // Decode one token at a time after a 20-token prompt, vs verification-sized chunks of 1..7.
  SequenceRunner one(model(), 64, 512);
  std::vector<float> decode(ids.size() * static_cast<size_t>(vocab));
  one.feed(std::span<const int32_t>(ids).first(20), decode.data() + 19 * static_cast<size_t>(vocab));
  for (size_t p = 20; p < ids.size(); ++p) one.feed(std::span<const int32_t>(&ids[p], 1), decode.data() + p * vocab);
  SequenceRunner chunked(model(), 64, 512);
  std::vector<float> chunk(ids.size() * static_cast<size_t>(vocab));
  chunked.feed(std::span<const int32_t>(ids).first(20), chunk.data() + 19 * static_cast<size_t>(vocab));
  size_t p = 20;
  for (size_t n = 1; p < ids.size(); n = n % 7 + 1) {
    const size_t len = std::min(n, ids.size() - p);
    chunked.feed(std::span<const int32_t>(&ids[p], len), chunk.data() + p * vocab, /*all_logits=*/true);
    p += len;
  }
  for (size_t q = 19; q < ids.size(); ++q) {
    ASSERT_TRUE(std::equal(decode.begin() + q * vocab, decode.begin() + (q + 1) * vocab, chunk.begin() + q * vocab))
        << "position " << q;
  }
}

std::vector<std::vector<float>> generate(const std::vector<GenerationRequest>& reqs, SpecMode spec, EngineStats* stats,
                                         std::vector<std::vector<int32_t>>* ids) {
  KvBudget budget;
  budget.tokens = 4096;
  budget.max_running = 8;
  const KvGeometry g = plan_kv_geometry(model().config, budget);
  EngineOptions o;
  o.spec = spec;
  o.log_requests = false;
  Engine engine(std::make_unique<ForwardRunner>(model(), g), tokenizer(), o);
  engine.start();
  std::vector<std::shared_ptr<RequestHandle>> hs;
  for (const auto& r : reqs) hs.push_back(std::get<std::shared_ptr<RequestHandle>>(engine.submit(r)));
  std::vector<std::vector<float>> logprobs;
  ids->clear();
  for (auto& h : hs) {
    OutputDelta d;
    bool timed_out = false;
    logprobs.emplace_back();
    ids->emplace_back();
    while (h->next(&d, 60s, &timed_out)) {
      for (const auto& lp : d.logprobs) {
        ids->back().push_back(lp.id);
        logprobs.back().push_back(lp.logprob);
      }
    }
    EXPECT_FALSE(timed_out);
  }
  *stats = engine.stats();
  return logprobs;
}

TEST(SpeculativeModel, EngineOutputIsIdenticalWithDrafting) {
  std::vector<GenerationRequest> reqs;
  for (int i = 0; i < 4; ++i) {
    GenerationRequest r;
    r.request_id = "tiny-" + std::to_string(i);
    r.prompt = {2};
    for (int j = 0; j < 12 + 5 * i; ++j) r.prompt.push_back((j * 104729 + i * 13) % model().config.vocab_size);
    r.max_tokens = 48;
    r.sampling.temperature = i < 2 ? 0.0f : 0.8f;
    r.sampling.top_k = i == 3 ? 20 : 0;
    r.sampling.seed = 11 + i;
    r.logprobs = true;
    reqs.push_back(r);
  }
  EngineStats off_stats, on_stats;
  std::vector<std::vector<int32_t>> off_ids, on_ids;
  const auto off = generate(reqs, SpecMode::kOff, &off_stats, &off_ids);
  const auto on = generate(reqs, SpecMode::kNgram, &on_stats, &on_ids);
  EXPECT_EQ(on_ids, off_ids);
  EXPECT_EQ(on, off);
  EXPECT_EQ(off_stats.spec_draft_tokens_total, 0);
  // The tiny model's greedy text repeats itself: drafts are accepted, and a greedy request alone
  // takes fewer passes (batched, the sampled requests set the number of steps).
  EXPECT_GT(on_stats.spec_accepted_tokens_total, 0);
  const auto alone_off = generate({reqs[0]}, SpecMode::kOff, &off_stats, &off_ids);
  const auto alone_on = generate({reqs[0]}, SpecMode::kNgram, &on_stats, &on_ids);
  EXPECT_EQ(alone_on, alone_off);
  EXPECT_LT(on_stats.steps_total, off_stats.steps_total);
}

}  // namespace
}  // namespace gemma3
