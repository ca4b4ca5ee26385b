// The real Gemma 3 tokenizer for the fuzz targets that need one: tools/fetch_tokenizer.sh's folder
// (baked in at configure time; $GEMMA3_TOKENIZER_DIR overrides it), loaded once per process.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "tokenizer/tokenizer.h"

namespace gemma3::fuzz {

inline const Tokenizer& gemma_tokenizer() {
  static const std::unique_ptr<Tokenizer> t = [] {
    const char* dir = std::getenv("GEMMA3_TOKENIZER_DIR");
    auto loaded = Tokenizer::load(dir && *dir ? dir : GEMMA3_TOKENIZER_DIR);
    if (!loaded.ok()) {
      std::fprintf(stderr, "fuzz: cannot load the Gemma 3 tokenizer: %s\n", loaded.error().c_str());
      std::abort();
    }
    return std::move(loaded).value();
  }();
  return *t;
}

}  // namespace gemma3::fuzz
