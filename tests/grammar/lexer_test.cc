// The lexer (NFA + lazily built DFA) against the byte-level reference, and its limits.
#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "grammar/codepoint_set.h"
#include "grammar/lexer.h"
#include "grammar/matcher.h"
#include "grammar/token_table.h"
#include "reference_recognizer.h"

namespace gemma3::grammar {
namespace {

RegexPtr random_regex(std::mt19937& rng, int depth) {
  const int kind = static_cast<int>(rng() % (depth <= 0 ? 1 : 5));
  switch (kind) {
    case 0: {
      std::bitset<256> s;
      s.set('a' + rng() % 3);
      if (rng() % 2) s.set('a' + rng() % 3);
      return Regex::byte_set(s);
    }
    case 1:
    case 2: {
      std::vector<RegexPtr> parts;
      for (int i = 0, n = 1 + static_cast<int>(rng() % 3); i < n; ++i) parts.push_back(random_regex(rng, depth - 1));
      return kind == 1 ? Regex::concat(std::move(parts)) : Regex::alt(std::move(parts));
    }
    case 3: return Regex::repeat(random_regex(rng, depth - 1), rng() % 3, rng() % 2 ? Regex::kUnbounded : 2 + rng() % 3);
    default: return Regex::empty();
  }
}

// Walks `s` through the DFA of lexeme 0: true when the state after it accepts the lexeme.
bool dfa_matches(LazyDfa& dfa, const std::string& s) {
  uint32_t d = dfa.start({0});
  for (char c : s) d = dfa.step(d, static_cast<uint8_t>(c));
  return dfa.accept_id(d) != 0;
}

// Found by fuzz/grammar_fuzz (ASan): step() held a reference into the transition table across
// compute(), which grows the table when it creates a state. Each byte of a long literal is a new state.
TEST(Lexer, StepCreatesStatesWhileTheTableGrows) {
  std::string word;
  for (int i = 0; i < 200; ++i) word.push_back(static_cast<char>('a' + i % 26));
  std::vector<RegexPtr> bytes;
  for (char c : word) {
    std::bitset<256> s;
    s.set(static_cast<uint8_t>(c));
    bytes.push_back(Regex::byte_set(s));
  }
  Grammar g;
  g.add_lexeme(Regex::concat(std::move(bytes)));
  auto nfa = Nfa::build(g.lexemes, 100000);
  ASSERT_TRUE(nfa.ok()) << nfa.error();
  LazyDfa dfa(&*nfa);
  EXPECT_TRUE(dfa_matches(dfa, word));
  EXPECT_FALSE(dfa_matches(dfa, word.substr(0, word.size() - 1)));
}

TEST(Lexer, DfaAgreesWithTheReferenceOnRandomRegexes) {
  std::mt19937 rng(99);
  int matched = 0;
  for (int round = 0; round < 200; ++round) {
    Grammar g;
    g.add_lexeme(random_regex(rng, 4));
    g.rules.push_back(Rule{"root", {{Symbol::lexeme(0)}}});
    const testing::ReferenceRecognizer ref(g);
    auto nfa = Nfa::build(g.lexemes, 100000);
    ASSERT_TRUE(nfa.ok()) << nfa.error();
    LazyDfa dfa(&*nfa);
    for (int k = 0; k < 60; ++k) {
      std::string s;
      for (int i = 0, n = 1 + static_cast<int>(rng() % 6); i < n; ++i) s.push_back(static_cast<char>('a' + rng() % 3));
      std::vector<testing::ReferenceRecognizer::Unit> units(s.begin(), s.end());
      const bool want = ref.check(units).complete;
      ASSERT_EQ(dfa_matches(dfa, s), want) << "round " << round << " '" << s << "'";
      matched += want;
    }
    EXPECT_EQ(nfa->lexeme_nullable[0] != 0, ref.check({}).complete) << "round " << round;
  }
  EXPECT_GT(matched, 500);
}

TEST(Lexer, ByteClassesAndSlice) {
  // [a-z]+ distinguishes two classes of bytes; the string slice is not inside it (spaces, digits).
  std::bitset<256> lower;
  for (int b = 'a'; b <= 'z'; ++b) lower.set(static_cast<size_t>(b));
  auto nfa = Nfa::build({Regex::plus(Regex::byte_set(lower)), Regex::star(Regex::byte_set(~std::bitset<256>().set('"')))}, 1000);
  ASSERT_TRUE(nfa.ok());
  EXPECT_EQ(nfa->n_classes, 3u);   // a-z, '"', the rest
  LazyDfa dfa(&*nfa);
  EXPECT_FALSE(dfa.slice_ok(dfa.step(dfa.start({0}), 'a'), 16));
  EXPECT_TRUE(dfa.slice_ok(dfa.step(dfa.start({1}), 'a'), 16));   // [^"]* takes any plain string content
  EXPECT_FALSE(dfa.slice_ok(LazyDfa::kDead, 16));
}

TEST(Lexer, SliceCharsCountsTheCharactersLeft) {
  // Plain string content (every slice character) at most 5 times: after 2 characters every run of
  // 3 more survives and some run of 4 does not; unbounded content survives every run (the limit).
  const CodepointSet content =
      CodepointSet::range(0x20, kMaxCodepoint).minus(CodepointSet::single('"')).minus(CodepointSet::single('\\'));
  const RegexPtr ch = utf8_regex(content);
  auto nfa = Nfa::build({Regex::repeat(ch, 0, 5), Regex::star(ch), Regex::star(utf8_regex(content.minus(CodepointSet::single(0xE9))))}, 100000);
  ASSERT_TRUE(nfa.ok());
  LazyDfa dfa(&*nfa);
  uint32_t s = dfa.start({0});
  EXPECT_EQ(dfa.slice_chars(s, 16), 5u);
  s = dfa.step(dfa.step(s, 'a'), 'b');
  EXPECT_EQ(dfa.slice_chars(s, 16), 3u);
  EXPECT_EQ(dfa.slice_chars(s, 2), 2u);   // at most the limit
  const uint32_t s3 = dfa.step(s, 'c');
  EXPECT_EQ(dfa.slice_chars(s3, 1), 1u);   // a bound proved up to a small limit ...
  EXPECT_EQ(dfa.slice_chars(s3, 16), 2u);  // ... is searched again for a larger one
  s = dfa.step(dfa.step(s, 0xC3), 0xA9);   // é, two bytes, one character
  EXPECT_EQ(dfa.slice_chars(s, 16), 2u);
  EXPECT_EQ(dfa.slice_chars(dfa.start({1}), 16), 16u);
  EXPECT_EQ(dfa.slice_chars(dfa.start({2}), 16), 0u);   // a run holding é dies at its first character
  EXPECT_EQ(dfa.slice_chars(LazyDfa::kDead, 16), 0u);
}

TEST(Lexer, StateLimitIsAnErrorInBoundedTime) {
  // (a{1000}){1000} needs a million NFA states.
  const auto huge = Regex::repeat(Regex::repeat(Regex::byte('a'), 1000, 1000), 1000, 1000);
  Grammar g;
  g.add_lexeme(huge);
  g.rules.push_back(Rule{"root", {{Symbol::lexeme(0)}}});
  const auto t0 = std::chrono::steady_clock::now();
  CompileLimits limits;
  limits.max_memory_bytes = 8u << 20;
  auto c = compile(g, TokenTable::from_bytes({"a"}, {}), limits);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().find("automaton states"), std::string::npos) << c.error();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST(Lexer, FlushKeepsMatchingExact) {
  // A tiny state limit flushes the matcher's lexer cache often; acceptance must not change.
  Grammar g;
  std::bitset<256> ab;
  ab.set('a');
  ab.set('b');
  g.add_lexeme(Regex::concat({Regex::star(Regex::byte_set(ab)), Regex::byte('a'), Regex::repeat(Regex::byte_set(ab), 3, 3)}));
  g.rules.push_back(Rule{"root", {{Symbol::lexeme(0)}}});
  CompileLimits limits;
  limits.max_lexer_states = 4;
  auto c = compile(g, TokenTable::from_bytes({"a", "b", "ab", "ba"}, {}), limits);
  ASSERT_TRUE(c.ok()) << c.error();
  Matcher m(*c, {});
  for (int32_t id : {0, 1, 2, 3, 0, 0, 2, 1}) ASSERT_TRUE(m.accept(id));
  // "a b ab ba a a ab b" = "ababbaaaabb": the 4th byte from the end is 'a': complete.
  EXPECT_TRUE(m.is_complete());
  std::vector<uint32_t> mask(1);
  m.fill_mask(mask);
  EXPECT_EQ(mask[0], 0b1111u);
}

}  // namespace
}  // namespace gemma3::grammar
