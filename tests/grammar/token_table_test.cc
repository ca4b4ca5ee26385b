// TokenTable on Gemma 3's real tokenizer: token bytes (byte-fallback tokens, ▁ as a space), special
// tokens kept out of the tries, and the tries holding every other token exactly once, in preorder.
#include <gtest/gtest.h>

#include "gemma3_vocab_fixture.h"
#include "grammar/token_table.h"
#include "tokenizer/tokenizer.h"

namespace gemma3::grammar {
namespace {

class TokenTableTest : public test::Gemma3Vocab {};

TEST_F(TokenTableTest, BytesOfTokens) {
  const TokenTable& t = **table_;
  EXPECT_EQ(t.vocab_size(), tokenizer_->vocab_size());
  EXPECT_EQ(mask_words(t), (static_cast<size_t>(t.vocab_size()) + 31) / 32);
  const auto id = [&](const char* piece) { return *tokenizer_->find_token(piece); };
  EXPECT_EQ(t.bytes(id("<0x0A>")), "\n");
  EXPECT_EQ(t.bytes(id("<0xC3>")), "\xC3");
  EXPECT_EQ(t.bytes(id("▁the")), " the");
  for (const char* s : {"<bos>", "<eos>", "<start_of_turn>", "<end_of_turn>", "<pad>"}) {
    EXPECT_TRUE(t.is_special(id(s))) << s;
    EXPECT_TRUE(t.bytes(id(s)).empty()) << s;
  }
  EXPECT_NE(std::find(t.special_ids().begin(), t.special_ids().end(), tokenizer_->eos_id()), t.special_ids().end());
}

TEST_F(TokenTableTest, TriesHoldEveryOrdinaryTokenOnceInPreorder) {
  const TokenTable& t = **table_;
  std::vector<int> seen(static_cast<size_t>(t.vocab_size()), 0);
  size_t slice = 0;
  for (const TokenTrie* trie : {&t.slice_trie(), &t.rest_trie()}) {
    std::vector<uint8_t> path;
    for (size_t k = 0; k < trie->size(); ++k) {
      const size_t d = trie->depth[k];
      ASSERT_GE(d, 1u);
      ASSERT_LE(d, path.size() + 1);
      ASSERT_GT(trie->end[k], k);
      if (k + 1 < trie->size() && trie->end[k] > k + 1) ASSERT_EQ(trie->depth[k + 1], d + 1);   // first child
      path.resize(d - 1);
      path.push_back(trie->byte[k]);
      for (uint32_t i = trie->id_begin[k]; i < trie->id_begin[k + 1]; ++i) {
        const int32_t id = trie->ids[i];
        ASSERT_EQ(t.bytes(id), std::string(path.begin(), path.end())) << id;
        ++seen[static_cast<size_t>(id)];
        if (trie == &t.slice_trie()) {
          ++slice;
          EXPECT_TRUE((t.slice_mask()[static_cast<size_t>(id) / 32] >> (id % 32)) & 1u);
          EXPECT_TRUE(TokenTable::is_string_slice(t.bytes(id)));
        }
      }
    }
  }
  for (int32_t id = 0; id < t.vocab_size(); ++id) {
    const bool ordinary = !t.is_special(id) && !t.bytes(id).empty();
    ASSERT_EQ(seen[static_cast<size_t>(id)], ordinary ? 1 : 0) << id;
  }
  // Most of Gemma's vocabulary is plain string content: the slice is what makes string masks cheap.
  EXPECT_GT(slice, 200000u);
  std::printf("slice %zu tokens (%zu trie nodes), rest %zu tokens (%zu nodes)\n", slice, t.slice_trie().size(),
              t.rest_trie().ids.size(), t.rest_trie().size());
}

TEST(TokenTableSlice, Membership) {
  EXPECT_TRUE(TokenTable::is_string_slice("hello world"));
  EXPECT_TRUE(TokenTable::is_string_slice("caf\xC3\xA9"));
  EXPECT_FALSE(TokenTable::is_string_slice("say \"hi"));
  EXPECT_FALSE(TokenTable::is_string_slice("a\\n"));
  EXPECT_FALSE(TokenTable::is_string_slice("line\n"));
  EXPECT_FALSE(TokenTable::is_string_slice("\xC3"));   // half a character
  EXPECT_FALSE(TokenTable::is_string_slice(""));
}

}  // namespace
}  // namespace gemma3::grammar
