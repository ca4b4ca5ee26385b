// llama-quantize's per-tensor type choice (model/quant_mix.h) for Gemma 3 270M's shapes: the
// expected tables are what llama-quantize wrote for the synthetic 270m (types read back from its
// files, see tests/data/quantize/README.md); the small checkpoint's mixes are checked byte for byte
// by the gguf_quantize_golden test.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "model/quant_mix.h"

namespace gemma3 {
namespace {

// The 270m's tensors (hidden 640, 18 layers, q 1024, kv 256, MLP 2048), in llama-quantize's order.
std::vector<MixTensor> gemma3_270m() {
  std::vector<MixTensor> t;
  auto add = [&](std::string name, std::vector<uint64_t> ne) {
    const DType source = ne.size() == 1 ? DType::kF32 : DType::kBF16;
    t.push_back({std::move(name), std::move(ne), source});
  };
  add("token_embd.weight", {640, 262144});
  add("output_norm.weight", {640});
  for (int i = 0; i < 18; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    add(p + "attn_k.weight", {640, 256});
    add(p + "attn_k_norm.weight", {256});
    add(p + "attn_norm.weight", {640});
    add(p + "attn_output.weight", {1024, 640});
    add(p + "attn_q.weight", {640, 1024});
    add(p + "attn_q_norm.weight", {256});
    add(p + "attn_v.weight", {640, 256});
    add(p + "ffn_down.weight", {2048, 640});
    add(p + "ffn_gate.weight", {640, 2048});
    add(p + "ffn_norm.weight", {640});
    add(p + "ffn_up.weight", {640, 2048});
    add(p + "post_attention_norm.weight", {640});
    add(p + "post_ffw_norm.weight", {640});
  }
  std::stable_sort(t.begin(), t.end(), [](const MixTensor& a, const MixTensor& b) { return llama_tensor_order_less(a.name, b.name); });
  return t;
}

std::map<std::string, DType> types_of(QuantMix mix) {
  const auto tensors = gemma3_270m();
  const MixChoice c = choose_mix_types(mix, tensors, 18);
  std::map<std::string, DType> out;
  for (size_t i = 0; i < tensors.size(); ++i) out[tensors[i].name] = c.types[i];
  return out;
}

// llama.cpp's "more bits" layers of 18: 0, 1, 4, 7, 10, 13, 15, 16, 17.
bool more_bits_270m(int i) { return i < 2 || i >= 15 || (i >= 2 && (i - 2) % 3 == 2); }

TEST(QuantMix, LoaderOrderIsByBlockNumberThenName) {
  EXPECT_TRUE(llama_tensor_order_less("token_embd.weight", "blk.0.attn_k.weight"));
  EXPECT_TRUE(llama_tensor_order_less("output_norm.weight", "token_embd.weight"));
  EXPECT_TRUE(llama_tensor_order_less("blk.2.ffn_up.weight", "blk.10.attn_k.weight"));
  EXPECT_FALSE(llama_tensor_order_less("blk.10.attn_k.weight", "blk.2.ffn_up.weight"));
}

TEST(QuantMix, Q4KMOfThe270m) {
  const auto t = types_of(QuantMix::kQ4_K_M);
  EXPECT_EQ(t.at("token_embd.weight"), DType::kQ8_0);  // tied head, rows of 640
  EXPECT_EQ(t.at("output_norm.weight"), DType::kF32);
  for (int i = 0; i < 18; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    SCOPED_TRACE(p);
    EXPECT_EQ(t.at(p + "attn_q.weight"), DType::kQ5_0);
    EXPECT_EQ(t.at(p + "attn_k.weight"), DType::kQ5_0);
    EXPECT_EQ(t.at(p + "attn_v.weight"), more_bits_270m(i) ? DType::kQ8_0 : DType::kQ5_0);
    EXPECT_EQ(t.at(p + "attn_output.weight"), DType::kQ4_K);
    EXPECT_EQ(t.at(p + "ffn_gate.weight"), DType::kQ5_0);
    EXPECT_EQ(t.at(p + "ffn_up.weight"), DType::kQ5_0);
    EXPECT_EQ(t.at(p + "ffn_down.weight"), more_bits_270m(i) ? DType::kQ6_K : DType::kQ4_K);
    EXPECT_EQ(t.at(p + "attn_norm.weight"), DType::kF32);
  }
}

TEST(QuantMix, Q5KMQ6KAndQ3KMOfThe270m) {
  const auto q5 = types_of(QuantMix::kQ5_K_M), q6 = types_of(QuantMix::kQ6_K), q3 = types_of(QuantMix::kQ3_K_M);
  for (const auto* t : {&q5, &q6, &q3}) EXPECT_EQ(t->at("token_embd.weight"), DType::kQ8_0);
  for (int i = 0; i < 18; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    SCOPED_TRACE(p);
    EXPECT_EQ(q5.at(p + "attn_q.weight"), DType::kQ5_1);
    EXPECT_EQ(q5.at(p + "attn_v.weight"), more_bits_270m(i) ? DType::kQ8_0 : DType::kQ5_1);
    EXPECT_EQ(q5.at(p + "attn_output.weight"), DType::kQ5_K);
    EXPECT_EQ(q5.at(p + "ffn_down.weight"), more_bits_270m(i) ? DType::kQ6_K : DType::kQ5_K);
    EXPECT_EQ(q6.at(p + "attn_q.weight"), DType::kQ8_0);
    EXPECT_EQ(q6.at(p + "attn_output.weight"), DType::kQ6_K);
    EXPECT_EQ(q6.at(p + "ffn_down.weight"), DType::kQ6_K);
    EXPECT_EQ(q3.at(p + "attn_q.weight"), DType::kQ4_0);
    EXPECT_EQ(q3.at(p + "attn_v.weight"), i < 2 ? DType::kQ5_1 : DType::kQ5_0);
    EXPECT_EQ(q3.at(p + "attn_output.weight"), DType::kQ4_K);
    EXPECT_EQ(q3.at(p + "ffn_down.weight"), i < 1 ? DType::kQ5_K : DType::kQ4_K);
  }
}

TEST(QuantMix, UntiedHeadAndEmbeddingOverride) {
  std::vector<MixTensor> t = {{"output.weight", {512, 1000}, DType::kBF16}, {"token_embd.weight", {512, 1000}, DType::kBF16}};
  MixChoice c = choose_mix_types(QuantMix::kQ4_K_M, t, 1);
  EXPECT_EQ(c.types[0], DType::kQ6_K);  // the head gets Q6_K
  EXPECT_EQ(c.types[1], DType::kQ4_K);  // an untied embedding the mix's type
  c = choose_mix_types(QuantMix::kQ4_K_M, t, 1, DType::kQ8_0);
  EXPECT_EQ(c.types[1], DType::kQ8_0);
  t = {{"blk.0.ffn_up.weight", {48, 8}, DType::kBF16}};  // rows of 48: not even 32 -> F16
  c = choose_mix_types(QuantMix::kQ4_K_M, t, 1);
  EXPECT_EQ(c.types[0], DType::kF16);
  EXPECT_EQ(c.n_fallback, 1u);
  EXPECT_EQ(parse_quant_mix("q4_k_m"), QuantMix::kQ4_K_M);
  EXPECT_FALSE(parse_quant_mix("q4_k").has_value());
  EXPECT_EQ(quant_mix_file_type(QuantMix::kQ5_K_M), 17u);
}

}  // namespace
}  // namespace gemma3
