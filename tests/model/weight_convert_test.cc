// --dtype at load: every matrix re-encoded, the tied head kept one matrix, logits close to the
// original weights', same-dtype a no-op, and bad names or shapes rejected with a clear error.
#include "model/weight_convert.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <random>

#include "test_checkpoint.h"

namespace gemma3 {
namespace {

using testing::last_logits;
std::unique_ptr<Model> tiny() { return testing::tiny_model(); }

TEST(WeightConvert, ParsesNamesAndRejectsOthers) {
  EXPECT_EQ(*parse_weight_dtype("q8_0"), DType::kQ8_0);
  EXPECT_EQ(*parse_weight_dtype("q4_0"), DType::kQ4_0);
  EXPECT_EQ(*parse_weight_dtype("bf16"), DType::kBF16);
  auto bad = parse_weight_dtype("int8");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("q8_0"), std::string::npos) << bad.error();
}

TEST(WeightConvert, EveryMatrixReencodedAndLogitsStayClose) {
  std::mt19937 rng(3);
  std::vector<int32_t> ids = {2};
  auto original = tiny();
  while (ids.size() < 20) ids.push_back(static_cast<int32_t>(rng() % original->config.vocab_size));
  const std::vector<float> want = last_logits(*original, ids);
  double want_sq = 0;
  for (float v : want) want_sq += double(v) * v;

  // Bounds on the RMS logit error relative to the RMS logit. Measured: Q8_0 0.032, Q4_0 0.48 —
  // Q4_0's step is 16× coarser, and the random weights of the 64-wide tiny model amplify weight
  // noise through its 6 layers. bf16 -> f32 widens exactly: the same logits bit for bit.
  double q8_error = 0;
  for (auto [dtype, tolerance] : {std::pair{DType::kQ8_0, 0.06}, std::pair{DType::kQ4_0, 0.8}, std::pair{DType::kF32, 0.0}}) {
    auto model = tiny();
    ASSERT_TRUE(convert_weights(*model, dtype)) << dtype_name(dtype);
    const ModelWeights& w = model->weights;
    EXPECT_EQ(w.embed_tokens.dtype, dtype);
    EXPECT_EQ(w.lm_head.data, w.embed_tokens.data) << "the tied head must stay the embedding";
    for (const auto& l : w.layers) {
      for (const WeightView* m : {&l.q_proj, &l.k_proj, &l.v_proj, &l.o_proj, &l.gate_proj, &l.up_proj, &l.down_proj}) {
        EXPECT_EQ(m->dtype, dtype);
      }
    }
    const std::vector<float> got = last_logits(*model, ids);
    double diff_sq = 0;
    for (size_t i = 0; i < got.size(); ++i) diff_sq += double(got[i] - want[i]) * (got[i] - want[i]);
    const double relative_rms = std::sqrt(diff_sq / want_sq);
    EXPECT_LE(relative_rms, tolerance) << dtype_name(dtype);
    if (tolerance > 0) {
      EXPECT_GT(relative_rms, 0.0) << dtype_name(dtype) << ": quantization changed nothing";
    }
    std::printf("%s: relative RMS logit error %.4g\n", dtype_name(dtype), relative_rms);
    if (dtype == DType::kQ8_0) q8_error = relative_rms;
    if (dtype == DType::kQ4_0) {
      EXPECT_GT(relative_rms, 4 * q8_error) << "4-bit should be far coarser than 8-bit";
    }
  }
}

TEST(WeightConvert, SameDtypeIsANoOpAndConvertingTwiceWorks) {
  auto model = tiny();
  const void* before = model->weights.layers[0].q_proj.data;
  ASSERT_TRUE(convert_weights(*model, model->weights.layers[0].q_proj.dtype));
  EXPECT_EQ(model->weights.layers[0].q_proj.data, before);
  EXPECT_TRUE(model->owned_weights.empty());
  ASSERT_TRUE(convert_weights(*model, DType::kQ8_0));
  ASSERT_TRUE(convert_weights(*model, DType::kBF16));  // from the Q8_0 buffers, not the file
  EXPECT_EQ(model->weights.layers[0].q_proj.dtype, DType::kBF16);
}

TEST(WeightConvert, RowsThatAreNotWholeBlocksAreAnError) {
  auto model = tiny();
  std::vector<uint16_t> odd(3 * 40);
  model->weights.layers[0].q_proj = WeightView{DType::kBF16, odd.data(), 3, 40};
  auto s = convert_weights(*model, DType::kQ4_0);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().find("multiple of 32"), std::string::npos) << s.error();
}

}  // namespace
}  // namespace gemma3
