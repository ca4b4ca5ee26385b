// A test fixture holding Gemma 3's real tokenizer (262,145 ids) and its TokenTable, loaded once per
// test binary (GEMMA3_TOKENIZER_DIR) and shared by every test of the suites derived from it.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "grammar/token_table.h"
#include "tokenizer/tokenizer.h"

namespace gemma3::grammar::test {

class Gemma3Vocab : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (tokenizer_ != nullptr) return;
    auto loaded = Tokenizer::load(GEMMA3_TOKENIZER_DIR);
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    tokenizer_ = std::move(loaded).value().release();
    table_ = new std::shared_ptr<const TokenTable>(build_token_table(*tokenizer_));
  }
  // Never freed: the suites run to the end of the process.
  inline static const Tokenizer* tokenizer_ = nullptr;
  inline static std::shared_ptr<const TokenTable>* table_ = nullptr;
};

}  // namespace gemma3::grammar::test
