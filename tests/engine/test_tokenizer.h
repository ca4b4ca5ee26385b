// The real Gemma 3 tokenizer (GEMMA3_TOKENIZER_DIR), loaded once per test binary; aborts with a
// message when the files are missing, since every engine test needs it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "tokenizer/tokenizer.h"

namespace gemma3::testing {

inline const Tokenizer& test_tokenizer() {
  static std::unique_ptr<Tokenizer> tok = [] {
    auto r = Tokenizer::load(GEMMA3_TOKENIZER_DIR);
    if (!r.ok()) {
      std::fprintf(stderr, "tokenizer: %s\n", r.error().c_str());
      std::abort();
    }
    return std::move(r).value();
  }();
  return *tok;
}

}  // namespace gemma3::testing
