// Moving the streamed matrices out of the file map (model/weight_residency.h): every matrix and the
// tied head leave the map for one owned buffer, the logits are the same bits, and matrices the
// model already owns stay where they are.
#include "model/weight_residency.h"

#include <gtest/gtest.h>

#include <random>

#include "model/weight_convert.h"
#include "test_checkpoint.h"

namespace gemma3 {
namespace {

using testing::last_logits;
std::unique_ptr<Model> tiny() { return testing::tiny_model(); }

TEST(WeightResidency, MovesEveryStreamedMatrixAndKeepsTheLogitsBitForBit) {
  std::mt19937 rng(5);
  auto model = tiny();
  std::vector<int32_t> ids = {2};
  while (ids.size() < 12) ids.push_back(static_cast<int32_t>(rng() % model->config.vocab_size));
  const std::vector<float> want = last_logits(*model, ids);
  const bool tied = model->weights.embed_tokens.data == model->weights.lm_head.data;

  EXPECT_GT(move_weights_to_huge_pages(*model), 0u);
  const ModelWeights& w = model->weights;
  EXPECT_FALSE(in_file_map(*model, w.lm_head.data));
  if (tied) EXPECT_EQ(w.embed_tokens.data, w.lm_head.data) << "the tied embedding must follow the head";
  for (const auto& l : w.layers) {
    for (const WeightView* m : {&l.q_proj, &l.k_proj, &l.v_proj, &l.o_proj, &l.gate_proj, &l.up_proj, &l.down_proj})
      EXPECT_FALSE(in_file_map(*model, m->data));
  }
  EXPECT_EQ(last_logits(*model, ids), want);
  EXPECT_EQ(move_weights_to_huge_pages(*model), 0u) << "a second call has nothing left to move";
}

TEST(WeightResidency, LeavesReencodedMatricesInPlace) {
  auto model = tiny();
  ASSERT_TRUE(convert_weights(*model, DType::kQ8_0));
  const void* q = model->weights.layers[0].q_proj.data;
  EXPECT_EQ(move_weights_to_huge_pages(*model), 0u);
  EXPECT_EQ(model->weights.layers[0].q_proj.data, q);
}

}  // namespace
}  // namespace gemma3
