// GGUF loading: a small gemma3 GGUF built here byte by byte (a writer written for this test, not
// the loader's code), then every kind of damage a file can have: each must be a clear error that
// names the file and the key or tensor, never a crash (this suite also runs under ASan + UBSan).
// The SentencePiece-vocabulary tokenizer is checked on a small vocabulary whose merges follow
// from its scores. Real-size files are compared with safetensors in tests/cmake.d/gguf.cmake.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "model/gguf_file.h"
#include "model/gguf_model.h"
#include "ops/dtype.h"

namespace gemma3 {
namespace {

namespace fs = std::filesystem;

// ---- a minimal GGUF writer for the tests -------------------------------------------------------

struct Bytes {
  std::string b;
  void u32(uint32_t v) { b.append(reinterpret_cast<const char*>(&v), 4); }
  void u64(uint64_t v) { b.append(reinterpret_cast<const char*>(&v), 8); }
  void f32(float v) { b.append(reinterpret_cast<const char*>(&v), 4); }
  void str(std::string_view s) { u64(s.size()); b.append(s); }
};

struct TestTensor {
  std::string name;
  std::vector<uint64_t> ne;  // row length first
  uint32_t type;
  std::string data;
  int64_t offset_override = -1;
};

struct TestGguf {
  uint32_t version = 3;
  std::vector<std::pair<std::string, std::string>> kv;  // key -> (type + value) bytes
  std::vector<TestTensor> tensors;
  size_t alignment = 32;

  void add_u32(const std::string& k, uint32_t v) { Bytes x; x.u32(4); x.u32(v); kv.emplace_back(k, x.b); }
  void add_f32(const std::string& k, float v) { Bytes x; x.u32(6); x.f32(v); kv.emplace_back(k, x.b); }
  void add_bool(const std::string& k, bool v) { Bytes x; x.u32(7); x.b.push_back(v ? 1 : 0); kv.emplace_back(k, x.b); }
  void add_str(const std::string& k, const std::string& v) { Bytes x; x.u32(8); x.str(v); kv.emplace_back(k, x.b); }
  void add_strs(const std::string& k, const std::vector<std::string>& v) {
    Bytes x; x.u32(9); x.u32(8); x.u64(v.size());
    for (const auto& s : v) x.str(s);
    kv.emplace_back(k, x.b);
  }
  void add_f32s(const std::string& k, const std::vector<float>& v) {
    Bytes x; x.u32(9); x.u32(6); x.u64(v.size());
    for (float f : v) x.f32(f);
    kv.emplace_back(k, x.b);
  }
  void add_i32s(const std::string& k, const std::vector<int32_t>& v) {
    Bytes x; x.u32(9); x.u32(5); x.u64(v.size());
    for (int32_t i : v) x.u32(static_cast<uint32_t>(i));
    kv.emplace_back(k, x.b);
  }
  void remove(const std::string& k) {
    std::erase_if(kv, [&](const auto& e) { return e.first == k; });
  }
  TestTensor* tensor(const std::string& name) {
    for (auto& t : tensors) if (t.name == name) return &t;
    return nullptr;
  }

  // The last tensor's data ends exactly at the end of the file, so any truncation cuts real data.
  std::string serialize() const {
    Bytes h;
    h.b = "GGUF";
    h.u32(version);
    h.u64(tensors.size());
    h.u64(kv.size());
    for (const auto& [k, v] : kv) { h.str(k); h.b += v; }
    uint64_t offset = 0;
    std::vector<uint64_t> offsets;
    for (const auto& t : tensors) {
      offsets.push_back(t.offset_override >= 0 ? static_cast<uint64_t>(t.offset_override) : offset);
      offset += (t.data.size() + alignment - 1) / alignment * alignment;
    }
    for (size_t i = 0; i < tensors.size(); ++i) {
      const auto& t = tensors[i];
      h.str(t.name);
      h.u32(static_cast<uint32_t>(t.ne.size()));
      for (uint64_t n : t.ne) h.u64(n);
      h.u32(t.type);
      h.u64(offsets[i]);
    }
    h.b.resize((h.b.size() + alignment - 1) / alignment * alignment, '\0');
    for (size_t i = 0; i < tensors.size(); ++i) {
      h.b += tensors[i].data;
      if (i + 1 < tensors.size()) h.b.resize((h.b.size() + alignment - 1) / alignment * alignment, '\0');
    }
    return h.b;
  }
};

std::string f32_data(size_t n, float base) {
  std::string s(n * 4, '\0');
  for (size_t i = 0; i < n; ++i) {
    float v = base + 0.001f * static_cast<float>(i % 97);
    std::memcpy(&s[i * 4], &v, 4);
  }
  return s;
}

// Geometry: hidden 32, 2 heads of 16, 1 KV head, ffn 64, 2 layers, 12 tokens.
constexpr int kHidden = 32, kHeads = 2, kHeadDim = 16, kKv = 1, kFf = 64, kLayers = 2;

std::vector<std::string> test_pieces() {
  return {"<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>", "  ", "\xE2\x96\x81", "a", "b", "ab", "\xE2\x96\x81" "a"};
}

TestGguf valid_gguf() {
  TestGguf g;
  g.add_str("general.architecture", "gemma3");
  g.add_u32("gemma3.context_length", 128);
  g.add_u32("gemma3.embedding_length", kHidden);
  g.add_u32("gemma3.block_count", kLayers);
  g.add_u32("gemma3.feed_forward_length", kFf);
  g.add_u32("gemma3.attention.head_count", kHeads);
  g.add_u32("gemma3.attention.head_count_kv", kKv);
  g.add_u32("gemma3.attention.key_length", kHeadDim);
  g.add_u32("gemma3.attention.value_length", kHeadDim);
  g.add_f32("gemma3.attention.layer_norm_rms_epsilon", 1e-6f);
  g.add_f32("gemma3.rope.freq_base", 1e6f);
  g.add_u32("gemma3.attention.sliding_window", 8);
  const auto pieces = test_pieces();
  g.add_str("tokenizer.ggml.model", "llama");
  g.add_strs("tokenizer.ggml.tokens", pieces);
  std::vector<float> scores(pieces.size(), 0.0f);
  for (size_t i = 7; i < pieces.size(); ++i) scores[i] = -static_cast<float>(i);
  for (size_t i : {4, 5, 6}) scores[i] = -1000.0f;
  g.add_f32s("tokenizer.ggml.scores", scores);
  g.add_i32s("tokenizer.ggml.token_type", {3, 3, 3, 2, 3, 3, 4, 1, 1, 1, 1, 1});
  g.add_u32("tokenizer.ggml.bos_token_id", 2);
  g.add_u32("tokenizer.ggml.eos_token_id", 1);
  g.add_bool("tokenizer.ggml.add_space_prefix", false);
  g.add_str("tokenizer.chat_template", "{{ bos_token }}");

  const uint64_t vocab = pieces.size();
  auto matrix = [&](const std::string& name, uint64_t rows, uint64_t cols, float base) {
    g.tensors.push_back({name, {cols, rows}, kGgmlF32, f32_data(rows * cols, base)});
  };
  auto norm = [&](const std::string& name, uint64_t n, float value) {
    g.tensors.push_back({name, {n}, kGgmlF32, f32_data(n, value)});
  };
  // token_embd as Q8_0: one block per row (hidden 32).
  {
    std::vector<float> row(kHidden);
    std::string data;
    for (uint64_t r = 0; r < vocab; ++r) {
      for (int c = 0; c < kHidden; ++c) row[c] = 0.01f * static_cast<float>((r * 7 + c) % 23) - 0.1f;
      BlockQ8_0 block;
      quantize_row_q8_0(row.data(), kHidden, &block);
      data.append(reinterpret_cast<const char*>(&block), sizeof block);
    }
    g.tensors.push_back({"token_embd.weight", {kHidden, vocab}, kGgmlQ8_0, data});
  }
  norm("output_norm.weight", kHidden, 1.5f);
  for (int i = 0; i < kLayers; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    matrix(p + "attn_q.weight", kHeads * kHeadDim, kHidden, 0.01f);
    matrix(p + "attn_k.weight", kKv * kHeadDim, kHidden, 0.02f);
    matrix(p + "attn_v.weight", kKv * kHeadDim, kHidden, 0.03f);
    matrix(p + "attn_output.weight", kHidden, kHeads * kHeadDim, 0.04f);
    matrix(p + "ffn_gate.weight", kFf, kHidden, 0.05f);
    matrix(p + "ffn_up.weight", kFf, kHidden, 0.06f);
    matrix(p + "ffn_down.weight", kHidden, kFf, 0.07f);
    norm(p + "attn_norm.weight", kHidden, 1.1f);
    norm(p + "post_attention_norm.weight", kHidden, 1.2f);
    norm(p + "ffn_norm.weight", kHidden, 1.3f);
    norm(p + "post_ffw_norm.weight", kHidden, 1.4f);
    norm(p + "attn_q_norm.weight", kHeadDim, 0.9f);
    norm(p + "attn_k_norm.weight", kHeadDim, 0.8f);
  }
  return g;
}

class GgufTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gemma3_gguf_test_" + std::to_string(getpid()));
    fs::create_directories(dir_);
    path_ = dir_ / "model.gguf";
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& bytes) {
    std::ofstream(path_, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  // Loads the model and the tokenizer; returns the first error, or "" when both load.
  std::string load_error(const TestGguf& g) { return load_error(g.serialize()); }
  std::string load_error(const std::string& bytes) {
    write(bytes);
    auto model = load_gguf_model(path_);
    if (!model) return model.error();
    auto tok = load_gguf_tokenizer(*(*model)->gguf);
    if (!tok) return tok.error();
    return "";
  }
  void expect_error(const TestGguf& g, const std::vector<std::string>& parts) {
    const std::string e = load_error(g);
    ASSERT_FALSE(e.empty()) << "expected an error mentioning " << parts[0];
    EXPECT_NE(e.find(path_.string()), std::string::npos) << e;
    for (const auto& p : parts) EXPECT_NE(e.find(p), std::string::npos) << "'" << p << "' not in: " << e;
  }

  fs::path dir_, path_;
};

TEST_F(GgufTest, ValidFileLoadsWithConfigWeightsAndVocab) {
  write(valid_gguf().serialize());
  auto model = load_gguf_model(path_);
  ASSERT_TRUE(model) << model.error();
  const ModelConfig& c = (*model)->config;
  EXPECT_EQ(c.hidden_size, kHidden);
  EXPECT_EQ(c.num_layers, kLayers);
  EXPECT_EQ(c.num_heads, kHeads);
  EXPECT_EQ(c.num_kv_heads, kKv);
  EXPECT_EQ(c.head_dim, kHeadDim);
  EXPECT_EQ(c.intermediate_size, kFf);
  EXPECT_EQ(c.vocab_size, 12);
  EXPECT_EQ(c.max_position_embeddings, 128);
  EXPECT_EQ(c.sliding_window, 8);
  EXPECT_EQ(c.rope_theta, 1e6);
  EXPECT_EQ(c.rope_local_base_freq, 10000.0);
  EXPECT_EQ(c.query_pre_attn_scalar, kHeadDim);
  EXPECT_EQ(c.rms_norm_eps, static_cast<double>(1e-6f));
  EXPECT_TRUE(c.tie_word_embeddings);
  ASSERT_EQ(c.layer_kinds.size(), 2u);
  EXPECT_EQ(c.layer_kinds[0], LayerKind::kSliding);
  const ModelWeights& w = (*model)->weights;
  EXPECT_EQ(w.embed_tokens.dtype, DType::kQ8_0);
  EXPECT_EQ(w.lm_head.data, w.embed_tokens.data);
  EXPECT_EQ(w.layers[0].q_proj.dtype, DType::kF32);
  EXPECT_EQ(w.layers[0].q_proj.rows, static_cast<size_t>(kHeads * kHeadDim));
  // Norms are stored as (1 + w) already: taken as they are, nothing added.
  EXPECT_FLOAT_EQ(w.final_norm[0], 1.5f);
  EXPECT_FLOAT_EQ(w.layers[1].input_norm[1], 1.1f + 0.001f);
  EXPECT_FLOAT_EQ(w.layers[1].k_norm[0], 0.8f);
  // The embedding row dequantizes to what was quantized (within Q8_0's step).
  std::vector<float> row(kHidden);
  row_to_f32(w.embed_tokens, 5, row.data());
  for (int col = 0; col < kHidden; ++col) EXPECT_NEAR(row[col], 0.01f * ((5 * 7 + col) % 23) - 0.1f, 0.001f);

  auto tok = load_gguf_tokenizer(*(*model)->gguf);
  ASSERT_TRUE(tok) << tok.error();
  EXPECT_EQ((*tok)->bos_id(), 2);
  EXPECT_EQ((*tok)->eos_id(), 1);
  EXPECT_EQ((*tok)->chat_template(), "{{ bos_token }}");
  const auto eos = gguf_eos_ids(*(*model)->gguf, **tok);
  EXPECT_EQ(eos, (std::vector<int32_t>{1, 5}));  // <eos>, then <end_of_turn> found by name
}

TEST_F(GgufTest, VocabularyMergesFollowScoresAndUserDefinedPiecesComeFirst) {
  TestGguf g = valid_gguf();
  write(g.serialize());
  auto file = GgufFile::open(path_);
  ASSERT_TRUE(file) << file.error();
  auto tok = load_gguf_tokenizer(**file);
  ASSERT_TRUE(tok) << tok.error();
  const Tokenizer& t = **tok;
  // "▁a" (score -11) and "ab" (-10): "ab" ranks higher, so " ab" -> ▁ + ab.
  EXPECT_EQ(t.encode(" ab"), (std::vector<int32_t>{7, 10}));
  EXPECT_EQ(t.encode(" a"), (std::vector<int32_t>{11}));
  // The user-defined "  " was stored with spaces; it is "▁▁" again, and its merge outranks every
  // learned one: "  a" -> ▁▁ + a, not ▁ + ▁a.
  EXPECT_EQ(t.token_piece(6), "\xE2\x96\x81\xE2\x96\x81");
  EXPECT_EQ(t.encode("  a"), (std::vector<int32_t>{6, 8}));
  // Control tokens are special: matched only when special tokens are parsed.
  EXPECT_EQ(t.encode("<start_of_turn>a", true), (std::vector<int32_t>{4, 8}));
  EXPECT_TRUE(t.is_special(4));
  EXPECT_FALSE(t.is_special(6));
  EXPECT_EQ(t.decode(std::vector<int32_t>{2, 7, 10}, /*skip_special_tokens=*/true), " ab");
  // Unknown characters become <unk> (no byte tokens in this vocabulary), fused.
  EXPECT_EQ(t.encode("zz"), (std::vector<int32_t>{3}));

  // Swapping the scores of "ab" and "▁a" swaps the result.
  g = valid_gguf();
  g.remove("tokenizer.ggml.scores");
  std::vector<float> scores(12, 0.0f);
  for (size_t i = 7; i < 12; ++i) scores[i] = -static_cast<float>(i);
  std::swap(scores[10], scores[11]);
  g.add_f32s("tokenizer.ggml.scores", scores);
  write(g.serialize());
  file = GgufFile::open(path_);
  ASSERT_TRUE(file) << file.error();
  tok = load_gguf_tokenizer(**file);
  ASSERT_TRUE(tok) << tok.error();
  EXPECT_EQ((*tok)->encode(" ab"), (std::vector<int32_t>{11, 9}));
}

TEST_F(GgufTest, EveryTruncationIsAnError) {
  const std::string bytes = valid_gguf().serialize();
  ASSERT_EQ(load_error(bytes), "");
  // Every cut through the header, plus a stride through the tensor data and the last bytes.
  std::vector<size_t> cuts;
  for (size_t n = 0; n < 2048 && n < bytes.size(); ++n) cuts.push_back(n);
  for (size_t n = 2048; n < bytes.size(); n += 97) cuts.push_back(n);
  for (size_t n = bytes.size() - 8; n < bytes.size(); ++n) cuts.push_back(n);
  for (size_t n : cuts) {
    const std::string e = load_error(bytes.substr(0, n));
    EXPECT_FALSE(e.empty()) << "a file cut to " << n << " of " << bytes.size() << " bytes loaded";
  }
}

TEST_F(GgufTest, HeaderErrors) {
  std::string bytes = valid_gguf().serialize();
  std::string bad = bytes;
  bad[0] = 'X';
  EXPECT_NE(load_error(bad).find("not a GGUF file"), std::string::npos);
  TestGguf g = valid_gguf();
  g.version = 1;
  expect_error(g, {"version 1"});
  g.version = 0x03000000;
  expect_error(g, {"big-endian"});
  g.version = 4;
  expect_error(g, {"unsupported GGUF version 4"});
  bad = bytes;
  const uint64_t huge = uint64_t{1} << 40;
  std::memcpy(&bad[16], &huge, 8);  // n_kv
  EXPECT_NE(load_error(bad).find("metadata keys"), std::string::npos);
}

TEST_F(GgufTest, MetadataErrors) {
  TestGguf g = valid_gguf();
  g.add_u32("gemma3.block_count", 3);
  expect_error(g, {"'gemma3.block_count'", "twice"});

  // A hostile layer count is refused before the layer list is built (found by the gguf fuzz
  // target: 2^30 layers allocated 4 GiB).
  g = valid_gguf();
  for (auto& [k, v] : g.kv) {
    if (k != "gemma3.block_count") continue;
    Bytes x; x.u32(4); x.u32(1u << 30);
    v = x.b;
  }
  expect_error(g, {"'gemma3.block_count'", "is out of range: 1073741824 (allowed: 1 to 4096)"});

  g = valid_gguf();
  g.kv.emplace_back("x.bad_type", std::string("\x0d\0\0\0", 4));
  expect_error(g, {"'x.bad_type'", "unknown value type 13"});

  g = valid_gguf();
  {
    Bytes x; x.u32(9); x.u32(9); x.u64(1);
    g.kv.emplace_back("x.nested", x.b);
  }
  expect_error(g, {"'x.nested'", "arrays of arrays"});

  g = valid_gguf();
  {
    Bytes x; x.u32(8); x.u64(uint64_t{1} << 50);
    g.kv.emplace_back("x.long_string", x.b);
  }
  expect_error(g, {"'x.long_string'", "past the end"});

  g = valid_gguf();
  {
    Bytes x; x.u32(9); x.u32(6); x.u64(uint64_t{1} << 50);
    g.kv.emplace_back("x.long_array", x.b);
  }
  expect_error(g, {"'x.long_array'", "more than the file holds"});

  g = valid_gguf();
  g.add_u32("general.alignment", 24);
  expect_error(g, {"general.alignment", "power of two"});

  g = valid_gguf();
  g.add_f32("general.alignment", 32.0f);
  expect_error(g, {"general.alignment", "uint32"});

  g = valid_gguf();
  g.remove("general.architecture");
  g.add_str("general.architecture", "llama");
  expect_error(g, {"'llama'", "not Gemma 3"});

  g = valid_gguf();
  g.remove("gemma3.embedding_length");
  expect_error(g, {"missing metadata key 'gemma3.embedding_length'"});

  g = valid_gguf();
  g.remove("gemma3.attention.head_count");
  g.add_str("gemma3.attention.head_count", "four");
  expect_error(g, {"'gemma3.attention.head_count'", "must be an integer"});

  g = valid_gguf();
  g.remove("gemma3.attention.head_count_kv");
  g.add_u32("gemma3.attention.head_count_kv", 3);
  expect_error(g, {"multiple of attention.head_count_kv"});

  g = valid_gguf();
  g.remove("gemma3.attention.value_length");
  g.add_u32("gemma3.attention.value_length", 8);
  expect_error(g, {"value_length"});

  g = valid_gguf();
  g.add_str("gemma3.rope.scaling.type", "yarn");
  expect_error(g, {"rope.scaling.type", "'yarn'"});
}

TEST_F(GgufTest, TensorErrors) {
  TestGguf g = valid_gguf();
  g.tensor("blk.0.attn_q.weight")->type = 16;  // IQ2_XXS: not loaded
  expect_error(g, {"tensor 'blk.0.attn_q.weight'", "not supported"});

  g = valid_gguf();
  g.tensor("output_norm.weight")->ne = {};
  expect_error(g, {"tensor 'output_norm.weight'", "0 dimensions"});

  g = valid_gguf();
  g.tensor("output_norm.weight")->ne = {2, 2, 2, 2, 2};
  expect_error(g, {"tensor 'output_norm.weight'", "5 dimensions"});

  g = valid_gguf();
  g.tensor("output_norm.weight")->ne = {0};
  expect_error(g, {"tensor 'output_norm.weight'", "invalid dimension"});

  g = valid_gguf();
  g.tensor("token_embd.weight")->ne = {33, 12};
  expect_error(g, {"tensor 'token_embd.weight'", "not a multiple of the block size 32"});

  g = valid_gguf();
  g.tensor("blk.1.ffn_up.weight")->offset_override = 40;
  expect_error(g, {"tensor 'blk.1.ffn_up.weight'", "not a multiple of the alignment 32"});

  g = valid_gguf();
  g.tensor("blk.1.ffn_up.weight")->offset_override = 0;  // on top of token_embd
  expect_error(g, {"overlaps"});

  g = valid_gguf();
  g.tensor("blk.1.ffn_up.weight")->offset_override = int64_t{1} << 40;
  expect_error(g, {"tensor 'blk.1.ffn_up.weight'", "past the end of the file"});

  g = valid_gguf();
  g.tensors.push_back(g.tensors.back());
  expect_error(g, {"appears twice"});

  g = valid_gguf();
  std::erase_if(g.tensors, [](const TestTensor& t) { return t.name == "blk.1.ffn_down.weight"; });
  expect_error(g, {"missing tensor 'blk.1.ffn_down.weight'"});

  g = valid_gguf();
  g.tensor("blk.0.attn_k.weight")->ne = {kHidden, 2 * kHeadDim};
  g.tensor("blk.0.attn_k.weight")->data = f32_data(kHidden * 2 * kHeadDim, 0.0f);
  expect_error(g, {"tensor 'blk.0.attn_k.weight'", "has shape [32, 32]"});
}

TEST_F(GgufTest, VocabularyErrors) {
  TestGguf g = valid_gguf();
  g.remove("tokenizer.ggml.tokens");
  g.add_strs("tokenizer.ggml.tokens", {"a", "b"});
  expect_error(g, {"tokenizer.ggml.tokens has 2 tokens", "12 rows"});

  g = valid_gguf();
  g.remove("tokenizer.ggml.model");
  g.add_str("tokenizer.ggml.model", "gpt2");
  expect_error(g, {"tokenizer.ggml.model", "'gpt2'"});

  g = valid_gguf();
  g.remove("tokenizer.ggml.add_space_prefix");
  expect_error(g, {"add_space_prefix"});

  g = valid_gguf();
  g.remove("tokenizer.ggml.token_type");
  g.add_i32s("tokenizer.ggml.token_type", {3, 3, 3, 2, 3, 3, 4, 1, 1, 1, 1, 9});
  expect_error(g, {"token_type[11] = 9"});

  g = valid_gguf();
  g.remove("tokenizer.ggml.scores");
  g.add_f32s("tokenizer.ggml.scores", {0.0f});
  expect_error(g, {"tokenizer.ggml.scores has 1 entries for 12 tokens"});

  g = valid_gguf();
  g.remove("tokenizer.ggml.tokens");
  auto pieces = test_pieces();
  pieces[9] = "a";
  g.add_strs("tokenizer.ggml.tokens", pieces);
  expect_error(g, {"tokenizer.ggml.tokens[9]", "appears twice"});

  g = valid_gguf();
  g.remove("tokenizer.ggml.eos_token_id");
  g.add_u32("tokenizer.ggml.eos_token_id", 99);
  expect_error(g, {"tokenizer.ggml.eos_token_id", "not a token id"});
}

TEST_F(GgufTest, ModelPathDispatch) {
  write(valid_gguf().serialize());
  EXPECT_TRUE(is_gguf_path(path_));
  EXPECT_FALSE(is_gguf_path(dir_));  // a folder
  EXPECT_FALSE(is_gguf_path(dir_ / "missing.gguf"));
  auto model = load_model(path_);  // the generic entry point dispatches on the .gguf file
  ASSERT_TRUE(model) << model.error();
  EXPECT_NE((*model)->gguf, nullptr);
  auto tok = load_model_tokenizer(path_);
  ASSERT_TRUE(tok) << tok.error();
  EXPECT_EQ((*tok)->vocab_size(), 12);
}

}  // namespace
}  // namespace gemma3
