// BatchSequences against SequenceRunner: B sequences of different prompt lengths (past the tiny
// model's sliding window of 8, so the sliding rings wrap), prefilled one by one and then decoded
// together, must give each sequence the bits it gets when run alone (forward.h's contract).
#include "model/batch_sequences.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <random>

#include "model/sequence_runner.h"
#include "test_checkpoint.h"

namespace gemma3 {
namespace {

std::vector<int32_t> random_ids(size_t n, uint32_t seed, int32_t vocab) {
  std::mt19937 rng(seed);
  std::vector<int32_t> ids = {2};
  while (ids.size() < n) ids.push_back(static_cast<int32_t>(rng() % vocab));
  return ids;
}

TEST(BatchSequencesTest, BatchedDecodeMatchesEachSequenceAlone) {
  auto m = load_model(testing::tiny_checkpoint());
  ASSERT_TRUE(m) << m.error();
  const Model& model = **m;
  const int32_t vocab = model.config.vocab_size;
  constexpr int32_t kSeqs = 3, kSteps = 12, kChunk = 5;
  const size_t prompt_len[kSeqs] = {17, 4, 30};
  std::vector<std::vector<int32_t>> prompts, decoded;
  for (int32_t s = 0; s < kSeqs; ++s) {
    prompts.push_back(random_ids(prompt_len[s], 10 + s, vocab));
    decoded.push_back(random_ids(kSteps, 20 + s, vocab));
  }
  const int32_t capacity = 30 + kSteps;

  // Alone: each sequence's logits after its prompt and after every decoded token.
  std::vector<std::vector<float>> alone(kSeqs);
  for (int32_t s = 0; s < kSeqs; ++s) {
    SequenceRunner runner(model, capacity, kChunk);
    std::vector<float> logits(vocab);
    runner.feed(prompts[s], logits.data());
    alone[s] = logits;
    for (int32_t t = 0; t < kSteps; ++t) {
      runner.feed(std::span<const int32_t>(&decoded[s][t], 1), logits.data());
      alone[s].insert(alone[s].end(), logits.begin(), logits.end());
    }
  }

  BatchSequences batch(model, kSeqs, capacity, kChunk);
  for (int pass = 0; pass < 2; ++pass) {  // the second pass checks reset() reuses the cache cleanly
    batch.reset();
    std::vector<float> logits(kSeqs * vocab);
    for (int32_t s = 0; s < kSeqs; ++s) {
      batch.feed(s, prompts[s], logits.data());
      EXPECT_TRUE(std::equal(logits.begin(), logits.begin() + vocab, alone[s].begin())) << "prompt of " << s;
    }
    for (int32_t t = 0; t < kSteps; ++t) {
      std::vector<int32_t> tokens;
      for (int32_t s = 0; s < kSeqs; ++s) tokens.push_back(decoded[s][t]);
      batch.step(tokens, logits.data());
      for (int32_t s = 0; s < kSeqs; ++s) {
        const float* want = alone[s].data() + (t + 1) * vocab;
        ASSERT_TRUE(std::equal(want, want + vocab, logits.begin() + s * vocab)) << "seq " << s << " step " << t;
      }
    }
    for (int32_t s = 0; s < kSeqs; ++s) EXPECT_EQ(batch.position(s), static_cast<int32_t>(prompt_len[s]) + kSteps);
  }
}

TEST(BatchSequencesTest, StepOverAPrefixOfTheSequencesLeavesTheRestAlone) {
  auto m = load_model(testing::tiny_checkpoint());
  ASSERT_TRUE(m) << m.error();
  BatchSequences batch(**m, 4, 16, 8);
  std::vector<float> logits(2 * (*m)->config.vocab_size);
  const int32_t tokens[2] = {5, 6};
  batch.step(tokens, logits.data());
  EXPECT_EQ(batch.position(0), 1);
  EXPECT_EQ(batch.position(1), 1);
  EXPECT_EQ(batch.position(2), 0);
  EXPECT_EQ(batch.position(3), 0);
}

}  // namespace
}  // namespace gemma3
