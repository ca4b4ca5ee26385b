// forced_tokens() with real tokenizers whose canonical tokens do not always write the bytes they
// were given (the tokenizer normalises a space to "▁" and falls back to that character's bytes
// where the vocabulary has no "▁" piece; invalid UTF-8 is replaced): every forced token must be
// allowed by the mask, accepted, and write the next bytes of the only possible continuation.
// The fuzz target's 4,096-token cut of the Gemma 3 vocabulary is where this first failed
// (fuzz/regressions/grammar/forced_token_not_in_mask).
#include <gtest/gtest.h>

#include "grammar/front_ends.h"
#include "grammar/matcher.h"
#include "grammar/token_table.h"
#include "tokenizer/tokenizer.h"

namespace gemma3::grammar {
namespace {

bool bit(const std::vector<uint32_t>& mask, int32_t id) { return (mask[static_cast<size_t>(id) / 32] >> (id % 32)) & 1u; }

// Walks each choice byte by byte through byte-fallback-free tokens (its canonical tokens when they
// are accepted, else stops) and checks the forced tokens at every step.
void check_forced(const std::string& vocab_dir, const std::vector<std::string>& choices) {
  auto loaded = Tokenizer::load(vocab_dir);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  const Tokenizer& tokenizer = **loaded;
  auto table = build_token_table(tokenizer);
  auto grammar = choice_grammar(choices);
  ASSERT_TRUE(grammar.ok()) << grammar.error();
  auto compiled = compile(std::move(*grammar), table);
  ASSERT_TRUE(compiled.ok()) << compiled.error();
  std::vector<uint32_t> mask(mask_words(*table));
  size_t forced_seen = 0;
  for (const std::string& choice : choices) {
    Matcher m(*compiled, {tokenizer.eos_id()});
    std::string written;
    for (int32_t id : tokenizer.encode(choice, false)) {
      const auto forced = m.forced_tokens(8);
      std::string forced_bytes;
      for (int32_t f : forced) {
        m.fill_mask(mask);
        ASSERT_TRUE(bit(mask, f)) << "forced token " << f << " not in the mask after '" << written << "'";
        ASSERT_TRUE(m.accept(f)) << "forced token " << f << " refused";
        forced_bytes += table->bytes(f);
      }
      forced_seen += forced.size();
      // Every choice that extends what is written continues with the forced bytes.
      for (const std::string& c : choices) {
        if (c.compare(0, written.size(), written) == 0) {
          EXPECT_EQ(c.compare(written.size(), forced_bytes.size(), forced_bytes), 0) << "'" << c << "' after '" << written << "'";
        }
      }
      m.rollback(forced.size());
      if (!m.accept(id)) break;   // the canonical token of a normalised character: not this text's bytes
      written += table->bytes(id);
    }
  }
  // The case in point is exercised: something was forced.
  EXPECT_GT(forced_seen, 0u);
}

TEST(ForcedTokens, SpacesAndInvalidUtf8WithTheFuzzVocabulary) {
  const std::string vocab = std::string(GEMMA3_SOURCE_DIR) + "/fuzz/data/grammar_vocab";
  check_forced(vocab, {"item ::= [0-9]", "item ::4\xff\xff`= x", "\x03\x11" "c\xc3\x02root", "\x03\x11" "c\xc3\xbax"});
  check_forced(vocab, {"the quick brown fox", "the quick brown dog", "a b c"});
}

TEST(ForcedTokens, FullGemmaVocabulary) {
  check_forced(GEMMA3_TOKENIZER_DIR, {"the quick brown fox", "the quick brown dog", "caf\xc3\xa9 au lait", "caf\xc3\xa9 noir"});
}

}  // namespace
}  // namespace gemma3::grammar
