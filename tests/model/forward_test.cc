// The forward pass against itself: the KV-cache paths (decode one token at a time, chunked
// prefill, ring-buffered sliding blocks, shuffled block tables) must give the same logits as one
// full recomputation, and a sequence's logits must not depend on what else is in the batch.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "model/forward.h"
#include "model/sequence_runner.h"
#include "test_checkpoint.h"

namespace gemma3 {
namespace {

class ForwardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = load_model(testing::tiny_checkpoint());
    ASSERT_TRUE(m) << m.error();
    model_ = std::move(m).value();
  }
  std::vector<int32_t> random_ids(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<int32_t> ids = {2};
    while (ids.size() < n) ids.push_back(static_cast<int32_t>(rng() % model_->config.vocab_size));
    return ids;
  }
  std::vector<float> logits_with_chunk(const std::vector<int32_t>& ids, int32_t chunk) {
    SequenceRunner runner(*model_, static_cast<int32_t>(ids.size()), chunk);
    std::vector<float> out(ids.size() * model_->config.vocab_size);
    runner.feed(ids, out.data(), true);
    return out;
  }
  std::unique_ptr<Model> model_;
};

float max_abs(const std::vector<float>& v) {
  float m = 0;
  for (float x : v) m = std::max(m, std::fabs(x));
  return m;
}

TEST_F(ForwardTest, LogitsAreFiniteAndNotDegenerate) {
  auto logits = logits_with_chunk(random_ids(12, 1), 12);
  for (float v : logits) ASSERT_TRUE(std::isfinite(v));
  EXPECT_GT(max_abs(logits), 1.0f);
}

TEST_F(ForwardTest, DecodeAndChunkedMatchFullRecomputationPastTheWindow) {
  auto ids = random_ids(40, 2);  // window is 8: many positions fall out of it
  auto full = logits_with_chunk(ids, 40);
  const float tolerance = 1e-4f * max_abs(full);
  for (int32_t chunk : {1, 3, 5, 8, 13}) {
    auto other = logits_with_chunk(ids, chunk);
    float worst = 0;
    for (size_t i = 0; i < full.size(); ++i) worst = std::max(worst, std::fabs(full[i] - other[i]));
    EXPECT_LE(worst, tolerance) << "chunk " << chunk;
  }
}

TEST_F(ForwardTest, BatchedSequencesAreBitIdenticalToRunningAlone) {
  const auto& c = model_->config;
  auto a = random_ids(21, 3), b = random_ids(9, 4);
  KvGeometry g{16, 8, 8, c.sliding_window, c.max_position_embeddings};
  // Alone: a in blocks {0,1}, b in blocks {2}.
  std::vector<int32_t> table_a = {0, 1}, table_b = {2};
  std::vector<float> alone_a(a.size() * c.vocab_size), alone_b(b.size() * c.vocab_size);
  {
    KvCache cache = make_kv_cache(c, g);
    ForwardPass fwd(*model_);
    BatchItem ia{1, a, 0, table_a, table_a, false, true};
    fwd.run(std::span<const BatchItem>(&ia, 1), cache, alone_a.data());
    BatchItem ib{2, b, 0, table_b, table_b, false, true};
    fwd.run(std::span<const BatchItem>(&ib, 1), cache, alone_b.data());
  }
  // Together in one batch, with different physical blocks.
  std::vector<int32_t> table_a2 = {5, 3}, table_b2 = {7};
  KvCache cache = make_kv_cache(c, g);
  ForwardPass fwd(*model_);
  BatchItem items[2] = {{2, b, 0, table_b2, table_b2, false, true}, {1, a, 0, table_a2, table_a2, false, true}};
  std::vector<float> both((a.size() + b.size()) * c.vocab_size);
  fwd.run(items, cache, both.data());
  EXPECT_TRUE(std::equal(alone_b.begin(), alone_b.end(), both.begin()));
  EXPECT_TRUE(std::equal(alone_a.begin(), alone_a.end(), both.begin() + b.size() * c.vocab_size));
}

// Two sequences, each with its own schedule of prefill chunks and decode steps, run alone and then
// interleaved in shared steps (other physical blocks, the other sequence at other positions): every
// logit is bit-identical, for f32 and bf16 KV storage.
TEST_F(ForwardTest, InterleavedPrefillAndDecodeStepsAreBitIdenticalToRunningAlone) {
  const auto& c = model_->config;
  const std::vector<int32_t> ids[2] = {random_ids(30, 6), random_ids(25, 7)};
  const std::vector<std::vector<int32_t>> chunks = {
      {12, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, {7, 9, 1, 1, 1, 1, 1, 1, 1, 1, 1}};
  for (KvDtype dtype : {KvDtype::kF32, KvDtype::kBf16}) {
    KvGeometry g{16, 8, 8, c.sliding_window, c.max_position_embeddings, dtype};
    const std::vector<int32_t> alone_tables[2] = {{0, 1}, {2, 3}}, shared_tables[2] = {{4, 6}, {7, 5}};
    std::vector<float> alone[2], together[2];
    for (int s = 0; s < 2; ++s) {
      alone[s].resize(ids[s].size() * c.vocab_size);
      together[s].resize(ids[s].size() * c.vocab_size);
    }
    // Alone, one sequence per cache.
    for (int s = 0; s < 2; ++s) {
      KvCache cache = make_kv_cache(c, g);
      ForwardPass fwd(*model_);
      int32_t pos = 0;
      for (int32_t n : chunks[s]) {
        BatchItem item{s, std::span<const int32_t>(&ids[s][pos], n), pos, alone_tables[s], alone_tables[s], false, true};
        fwd.run(std::span<const BatchItem>(&item, 1), cache, &alone[s][pos * c.vocab_size]);
        pos += n;
      }
    }
    // Together: step i carries chunk i of each sequence that has one.
    KvCache cache = make_kv_cache(c, g);
    ForwardPass fwd(*model_);
    int32_t pos[2] = {0, 0};
    std::vector<float> step_logits;
    for (size_t i = 0; i < std::max(chunks[0].size(), chunks[1].size()); ++i) {
      std::vector<BatchItem> items;
      std::vector<int> which;
      for (int s : {1, 0}) {
        if (i >= chunks[s].size()) continue;
        const int32_t n = chunks[s][i];
        items.push_back({s, std::span<const int32_t>(&ids[s][pos[s]], n), pos[s], shared_tables[s], shared_tables[s], false, true});
        which.push_back(s);
      }
      step_logits.resize(count_logit_rows(items) * c.vocab_size);
      fwd.run(items, cache, step_logits.data());
      size_t row = 0;
      for (int s : which) {
        const int32_t n = chunks[s][i];
        std::copy_n(&step_logits[row * c.vocab_size], n * c.vocab_size, &together[s][pos[s] * c.vocab_size]);
        row += n;
        pos[s] += n;
      }
    }
    for (int s = 0; s < 2; ++s) EXPECT_EQ(alone[s], together[s]) << "sequence " << s << " kv " << kv_dtype_name(dtype);
  }
}

TEST_F(ForwardTest, Bf16KvStaysCloseToF32Kv) {
  // bf16 K/V change the logits by rounding only: same ids, decode and chunked paths, close to f32.
  auto ids = random_ids(40, 8);
  auto f32 = logits_with_chunk(ids, 40);
  model_->kv_dtype = KvDtype::kBf16;
  for (int32_t chunk : {40, 1, 7}) {
    auto bf16 = logits_with_chunk(ids, chunk);
    float worst = 0;
    for (size_t i = 0; i < f32.size(); ++i) worst = std::max(worst, std::fabs(f32[i] - bf16[i]));
    EXPECT_LE(worst, 0.05f * max_abs(f32)) << "chunk " << chunk;
    EXPECT_GT(worst, 0.0f) << "chunk " << chunk << ": bf16 KV should round something";
  }
  model_->kv_dtype = KvDtype::kF32;
}

TEST_F(ForwardTest, ShortSequenceIgnoresSlidingWindowBeyondItsLength) {
  // Below the window length sliding and full layers see the same keys; the ring mapping must
  // not change anything either.
  auto ids = random_ids(8, 5);
  auto one = logits_with_chunk(ids, 8);
  auto step = logits_with_chunk(ids, 1);
  float worst = 0;
  for (size_t i = 0; i < one.size(); ++i) worst = std::max(worst, std::fabs(one[i] - step[i]));
  EXPECT_LE(worst, 1e-4f * max_abs(one));
}

}  // namespace
}  // namespace gemma3
