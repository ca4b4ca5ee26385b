// Loading a checkpoint: every corrupt or missing input is a clear error naming the file and the
// key or tensor — never a crash. Also: Hugging Face defaults for omitted keys, the multimodal
// config's text_config, and sharded safetensors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <fstream>
#include <nlohmann/json.hpp>

#include "model/forward.h"
#include "model/generation_config.h"
#include "model/model_weights.h"
#include "model/sequence_runner.h"
#include "test_checkpoint.h"
#include "util/mapped_file.h"

namespace gemma3 {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class CheckpointErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    src_ = testing::tiny_checkpoint();
    dir_ = fs::temp_directory_path() / ("gemma3_ckpt_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (const char* f : {"config.json", "generation_config.json", "model.safetensors"})
      fs::copy_file(src_ / f, dir_ / f);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string load_error() {
    auto m = load_model(dir_);
    EXPECT_FALSE(m) << "expected an error";
    return m ? "" : m.error();
  }
  json config() { return json::parse(*read_text_file(dir_ / "config.json")); }
  void write_config(const json& j) { std::ofstream(dir_ / "config.json") << j.dump(); }
  std::string weights() { return *read_text_file(dir_ / "model.safetensors"); }
  void write_weights(const std::string& bytes) {
    std::ofstream(dir_ / "model.safetensors", std::ios::binary | std::ios::trunc) << bytes;
  }
  // Rewrites model.safetensors through `edit`, which may drop or change tensors.
  void rewrite_tensors(const std::function<void(std::vector<TensorToWrite>&, std::vector<std::vector<char>>&)>& edit) {
    auto file = SafetensorsFile::open(src_ / "model.safetensors");
    ASSERT_TRUE(file);
    std::vector<TensorToWrite> tensors;
    std::vector<std::vector<char>> storage;
    for (const auto& [name, info] : (*file)->tensors())
      tensors.push_back({name, info.dtype, info.shape, info.data, info.n_bytes});
    edit(tensors, storage);
    ASSERT_TRUE(write_safetensors(dir_ / "model.safetensors", tensors));
  }

  fs::path src_, dir_;
};

TEST_F(CheckpointErrors, LoadsTheUnmodifiedCopy) { EXPECT_TRUE(load_model(dir_)); }

TEST_F(CheckpointErrors, TruncatedFile) {
  std::string w = weights();
  write_weights(w.substr(0, w.size() / 2));
  std::string e = load_error();
  EXPECT_NE(e.find("model.safetensors"), std::string::npos) << e;
  EXPECT_NE(e.find("out of bounds"), std::string::npos) << e;
  write_weights(w.substr(0, 5));
  e = load_error();
  EXPECT_NE(e.find("truncated"), std::string::npos) << e;
}

TEST_F(CheckpointErrors, BadHeaderLength) {
  std::string w = weights();
  uint64_t huge = uint64_t{1} << 40;
  std::memcpy(w.data(), &huge, 8);
  write_weights(w);
  std::string e = load_error();
  EXPECT_NE(e.find("bad header length"), std::string::npos) << e;
  uint64_t shorter = 10;  // cuts the JSON header
  std::memcpy(w.data(), &shorter, 8);
  write_weights(w);
  e = load_error();
  EXPECT_NE(e.find("header is not a JSON object"), std::string::npos) << e;
}

TEST_F(CheckpointErrors, MissingTensor) {
  rewrite_tensors([](auto& tensors, auto&) {
    std::erase_if(tensors, [](const TensorToWrite& t) { return t.name == "model.layers.3.mlp.up_proj.weight"; });
  });
  std::string e = load_error();
  EXPECT_NE(e.find("missing tensor 'model.layers.3.mlp.up_proj.weight'"), std::string::npos) << e;
  EXPECT_NE(e.find("[128, 64]"), std::string::npos) << e;
}

TEST_F(CheckpointErrors, WrongShape) {
  rewrite_tensors([](auto& tensors, auto&) {
    for (auto& t : tensors)
      if (t.name == "model.layers.0.self_attn.k_proj.weight") t.shape = {64, 32};  // same bytes, wrong shape
  });
  std::string e = load_error();
  EXPECT_NE(e.find("'model.layers.0.self_attn.k_proj.weight' has shape [64, 32]"), std::string::npos) << e;
  EXPECT_NE(e.find("config implies [32, 64]"), std::string::npos) << e;
}

TEST_F(CheckpointErrors, UnknownDtype) {
  std::string w = weights();
  auto pos = w.find("\"BF16\"");
  ASSERT_NE(pos, std::string::npos);
  w.replace(pos, 6, "\"I16\" ");  // same header length
  write_weights(w);
  std::string e = load_error();
  EXPECT_NE(e.find("unsupported dtype 'I16'"), std::string::npos) << e;
}

TEST_F(CheckpointErrors, OverlappingTensors) {
  std::string w = weights();
  uint64_t len = 0;
  std::memcpy(&len, w.data(), 8);
  json header = json::parse(w.substr(8, len));
  // Point one norm vector at another's bytes (same size, so only the overlap is wrong).
  header["model.layers.0.post_attention_layernorm.weight"]["data_offsets"] =
      header["model.layers.0.input_layernorm.weight"]["data_offsets"];
  std::string text = header.dump();
  text.resize(len, ' ');
  write_weights(w.substr(0, 8) + text + w.substr(8 + len));
  EXPECT_NE(load_error().find("overlap"), std::string::npos);
}

TEST_F(CheckpointErrors, ConfigMissingKey) {
  json c = config();
  c.erase("hidden_size");
  write_config(c);
  std::string e = load_error();
  EXPECT_NE(e.find("config.json: missing required key 'hidden_size'"), std::string::npos) << e;
}

TEST_F(CheckpointErrors, ConfigNonNumericValue) {
  json c = config();
  c["rms_norm_eps"] = "tiny";
  write_config(c);
  std::string e = load_error();
  EXPECT_NE(e.find("'rms_norm_eps' must be a number"), std::string::npos) << e;
  c = config();
  c["num_hidden_layers"] = 6.5;
  write_config(c);
  e = load_error();
  EXPECT_NE(e.find("'num_hidden_layers' must be an integer"), std::string::npos) << e;
}

// A hostile layer count is refused before the layer list is built (the gguf fuzz target found the
// GGUF twin of this, 2^30 layers, allocating 4 GiB).
TEST_F(CheckpointErrors, ConfigLayerCountBeyondTheLimit) {
  json c = config();
  c["num_hidden_layers"] = 2'000'000'000;
  write_config(c);
  const std::string e = load_error();
  EXPECT_NE(e.find("'num_hidden_layers' is out of range: 2000000000 (allowed: 1 to 4096)"), std::string::npos) << e;
}

TEST_F(CheckpointErrors, ConfigNotJsonAndMissingFiles) {
  std::ofstream(dir_ / "config.json") << "{ not json";
  EXPECT_NE(load_error().find("config.json: not valid JSON"), std::string::npos);
  fs::remove(dir_ / "config.json");
  EXPECT_NE(load_error().find("config.json: cannot open"), std::string::npos);
  write_config(json::parse(*read_text_file(src_ / "config.json")));
  fs::remove(dir_ / "model.safetensors");
  EXPECT_NE(load_error().find("no model.safetensors"), std::string::npos);
}

TEST_F(CheckpointErrors, WrongModelTypeAndActivation) {
  json c = config();
  c["model_type"] = "llama";
  write_config(c);
  EXPECT_NE(load_error().find("model_type 'llama' is not Gemma 3"), std::string::npos);
  c = json::parse(*read_text_file(src_ / "config.json"));
  c["hidden_activation"] = "silu";
  write_config(c);
  EXPECT_NE(load_error().find("hidden_activation 'silu' is not supported"), std::string::npos);
}

// Found by fuzz/model_config_fuzz: a string key given another type threw from json::value().
TEST_F(CheckpointErrors, StringKeysOfAnotherTypeAreErrors) {
  const json text = config();
  json c = text;
  c["model_type"] = 5;
  write_config(c);
  EXPECT_NE(load_error().find("key 'model_type' must be a string, got 5"), std::string::npos) << load_error();
  c = text;
  c["hidden_activation"] = json::array();
  write_config(c);
  EXPECT_NE(load_error().find("key 'hidden_activation' must be a string, got []"), std::string::npos) << load_error();
  c = text;
  c["rope_scaling"] = {{"rope_type", nullptr}, {"type", 1.5}};
  write_config(c);
  EXPECT_NE(load_error().find("rope_scaling: key 'type' must be a string, got 1.5"), std::string::npos) << load_error();
  c = text;
  c["rope_scaling"] = {{"rope_type", "linear"}, {"type", "dynamic"}, {"factor", 8.0}};  // rope_type wins
  write_config(c);
  auto parsed = load_model_config(dir_);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_DOUBLE_EQ(parsed->rope_scaling_factor, 8.0);
}

// Found by fuzz/model_config_fuzz: a deeply nested value overflowed the stack (the error message
// dumps it recursively). Deep configs are refused before parsing.
TEST_F(CheckpointErrors, DeeplyNestedConfigIsRefused) {
  std::string text = config().dump();
  text.insert(text.size() - 1, ", \"x\": " + std::string(100000, '[') + std::string(100000, ']'));
  std::ofstream(dir_ / "config.json") << text;
  EXPECT_NE(load_error().find("JSON nested deeper than 64 levels"), std::string::npos) << load_error();
}

// Found by fuzz/model_config_fuzz: top_k 1e300 was cast to int32 (undefined behaviour).
TEST_F(CheckpointErrors, GenerationConfigTopKOutOfRangeIsAnError) {
  std::ofstream(dir_ / "generation_config.json") << R"({"eos_token_id": [1], "top_k": 1e300})";
  auto g = load_generation_config(dir_, {1});
  ASSERT_FALSE(g);
  EXPECT_NE(g.error().find("top_k must be between 0 and 1e9, got 1e+300"), std::string::npos) << g.error();
  std::ofstream(dir_ / "generation_config.json") << R"({"top_k": 64})";
  g = load_generation_config(dir_, {1});
  ASSERT_TRUE(g) << g.error();
  EXPECT_EQ(g->top_k, 64);
}

TEST_F(CheckpointErrors, OmittedKeysTakeHuggingFaceDefaults) {
  json c = config();
  for (const char* key : {"tie_word_embeddings", "rms_norm_eps", "rope_theta", "rope_local_base_freq",
                          "final_logit_softcapping", "attn_logit_softcapping", "unknown_key_is_ignored"})
    c.erase(key);
  c["some_future_key"] = {1, 2, 3};
  write_config(c);
  auto parsed = load_model_config(dir_);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_TRUE(parsed->tie_word_embeddings);
  EXPECT_DOUBLE_EQ(parsed->rms_norm_eps, 1e-6);
  EXPECT_DOUBLE_EQ(parsed->rope_theta, 1e6);
  EXPECT_DOUBLE_EQ(parsed->rope_local_base_freq, 1e4);
  EXPECT_FALSE(parsed->final_logit_softcapping.has_value());
  // Without layer_types, every 6th layer is full attention (sliding_window_pattern 6).
  c.erase("layer_types");
  write_config(c);
  parsed = load_model_config(dir_);
  ASSERT_TRUE(parsed);
  for (int i = 0; i < parsed->num_layers; ++i)
    EXPECT_EQ(parsed->layer_kinds[i], (i + 1) % 6 == 0 ? LayerKind::kFull : LayerKind::kSliding);
}

TEST_F(CheckpointErrors, MultimodalConfigUsesTextConfig) {
  json text = config();
  json outer = {{"model_type", "gemma3"}, {"architectures", {"Gemma3ForConditionalGeneration"}}, {"text_config", text}};
  write_config(outer);
  auto parsed = load_model_config(dir_);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->hidden_size, 64);
  EXPECT_EQ(parsed->weight_prefix, "language_model.model.");
}

TEST_F(CheckpointErrors, ShardedCheckpointGivesIdenticalLogits) {
  auto file = SafetensorsFile::open(src_ / "model.safetensors");
  ASSERT_TRUE(file);
  std::vector<TensorToWrite> a, b;
  json map = json::object();
  for (const auto& [name, info] : (*file)->tensors()) {
    bool first = name.find("layers.") == std::string::npos || name.find("layers.0.") != std::string::npos;
    (first ? a : b).push_back({name, info.dtype, info.shape, info.data, info.n_bytes});
    map[name] = first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
  }
  ASSERT_TRUE(write_safetensors(dir_ / "model-00001-of-00002.safetensors", a));
  ASSERT_TRUE(write_safetensors(dir_ / "model-00002-of-00002.safetensors", b));
  std::ofstream(dir_ / "model.safetensors.index.json") << json({{"metadata", json::object()}, {"weight_map", map}}).dump();
  fs::remove(dir_ / "model.safetensors");
  auto sharded = load_model(dir_);
  ASSERT_TRUE(sharded) << sharded.error();
  auto single = load_model(src_);
  ASSERT_TRUE(single);
  std::vector<int32_t> ids = {2, 10, 20, 30, 40};
  std::vector<float> la(ids.size() * 262144), lb(la.size());
  SequenceRunner(**sharded, 5).feed(ids, la.data(), true);
  SequenceRunner(**single, 5).feed(ids, lb.data(), true);
  EXPECT_EQ(la, lb);
  // A shard the index names but that is missing is an error naming it.
  fs::remove(dir_ / "model-00002-of-00002.safetensors");
  EXPECT_NE(load_error().find("model-00002-of-00002.safetensors"), std::string::npos);
}

}  // namespace
}  // namespace gemma3
