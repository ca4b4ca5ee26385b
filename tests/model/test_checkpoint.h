// Test helper: a synthetic tiny checkpoint written once per test binary into a temp folder.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "model/model_weights.h"
#include "model/sequence_runner.h"
#include "model/synth.h"

namespace gemma3::testing {

inline std::filesystem::path tiny_checkpoint(uint64_t seed = 7) {
  static std::filesystem::path dir = [seed] {
    setenv("GEMMA3_TOKENIZER_DIR", GEMMA3_TOKENIZER_DIR, 0);
    auto d = std::filesystem::temp_directory_path() / ("gemma3_tiny_" + std::to_string(getpid()));
    auto status = write_synthetic_checkpoint({"tiny", seed, d});
    if (!status) {
      std::fprintf(stderr, "cannot write tiny checkpoint: %s\n", status.error().c_str());
      std::abort();
    }
    std::atexit([] { std::filesystem::remove_all(std::filesystem::temp_directory_path() / ("gemma3_tiny_" + std::to_string(getpid()))); });
    return d;
  }();
  return dir;
}

// A fresh load of tiny_checkpoint() (its own weights, free to convert or move).
inline std::unique_ptr<Model> tiny_model() {
  auto m = load_model(tiny_checkpoint());
  EXPECT_TRUE(m) << m.error();
  return std::move(m).value();
}

// The logits after feeding `ids` from position 0 in one pass.
inline std::vector<float> last_logits(const Model& model, const std::vector<int32_t>& ids) {
  SequenceRunner runner(model, static_cast<int32_t>(ids.size()), 16);
  std::vector<float> out(model.config.vocab_size);
  runner.feed(ids, out.data());
  return out;
}

}  // namespace gemma3::testing
