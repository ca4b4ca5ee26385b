// Test helper: a synthetic tiny checkpoint written once per test binary into a temp folder.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

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

}  // namespace gemma3::testing
