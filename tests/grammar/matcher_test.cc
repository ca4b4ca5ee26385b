// Matcher tests: masks equal a slow byte-level reference (tests/grammar/reference_recognizer.h) on
// random grammars and random walks; rollback restores identical masks; forced tokens are allowed
// and the only byte continuation; end ids exactly when complete.
#include <gtest/gtest.h>

#include <random>

#include "grammar/matcher.h"
#include "grammar/token_table.h"
#include "reference_recognizer.h"

namespace gemma3::grammar {
namespace {

using testing::ReferenceRecognizer;

constexpr int32_t kSpecialA = 0, kSpecialB = 1, kEos = 2;
#ifndef MATCHER_TEST_ROUNDS
#define MATCHER_TEST_ROUNDS 300
#endif
constexpr int kRounds = MATCHER_TEST_ROUNDS;

// A small vocabulary: every string of 1..3 bytes over a b " { }, a two-byte UTF-8 character whole,
// split into its two bytes and glued to 'a', and three special tokens.
std::shared_ptr<const TokenTable> small_table() {
  std::vector<std::string> bytes{"", "", ""};
  const std::string alphabet = "ab\"{}";
  for (char x : alphabet) {
    bytes.push_back(std::string(1, x));
    for (char y : alphabet) {
      bytes.push_back(std::string{x, y});
      for (char z : alphabet) bytes.push_back(std::string{x, y, z});
    }
  }
  for (const char* s : {"\xC3\xA9", "\xC3", "\xA9", "a\xC3\xA9", "\xA9" "b"}) bytes.push_back(s);
  return TokenTable::from_bytes(std::move(bytes), {kSpecialA, kSpecialB, kEos});
}

RegexPtr random_regex(std::mt19937& rng, int depth) {
  const int kind = static_cast<int>(rng() % (depth <= 0 ? 2 : 6));
  const std::string alphabet = "ab\"{}";
  switch (kind) {
    case 0: return Regex::byte(static_cast<uint8_t>(alphabet[rng() % alphabet.size()]));
    case 1: {
      std::bitset<256> set;
      for (int i = 0; i < 2; ++i) set.set(static_cast<uint8_t>(alphabet[rng() % alphabet.size()]));
      return rng() % 4 == 0 ? Regex::literal("\xC3\xA9") : Regex::byte_set(set);
    }
    case 2:
    case 3: {
      std::vector<RegexPtr> parts;
      for (int i = 0, n = 1 + static_cast<int>(rng() % 3); i < n; ++i) parts.push_back(random_regex(rng, depth - 1));
      return kind == 2 ? Regex::concat(std::move(parts)) : Regex::alt(std::move(parts));
    }
    case 4: return Regex::repeat(random_regex(rng, depth - 1), rng() % 2, rng() % 2 ? Regex::kUnbounded : 1 + rng() % 3);
    default: return Regex::optional(random_regex(rng, depth - 1));
  }
}

Grammar random_grammar(std::mt19937& rng) {
  Grammar g;
  const int n_lexemes = 1 + static_cast<int>(rng() % 4), n_rules = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < n_lexemes; ++i) g.add_lexeme(random_regex(rng, 3));
  for (int i = 0; i < n_rules; ++i) g.add_rule("r" + std::to_string(i));
  for (Rule& rule : g.rules) {
    for (int a = 0, n = 1 + static_cast<int>(rng() % 3); a < n; ++a) {
      std::vector<Symbol> seq;
      for (int k = 0, m = static_cast<int>(rng() % 4); k < m; ++k) {
        const int what = static_cast<int>(rng() % 8);
        if (what < 4) seq.push_back(Symbol::lexeme(static_cast<uint32_t>(rng() % static_cast<unsigned>(n_lexemes))));
        else if (what < 7) seq.push_back(Symbol::rule(static_cast<uint32_t>(rng() % static_cast<unsigned>(n_rules))));
        else seq.push_back(Symbol::token(rng() % 2 ? kSpecialA : kSpecialB));
      }
      rule.alternatives.push_back(std::move(seq));
    }
  }
  return g;
}

std::vector<ReferenceRecognizer::Unit> units_of(const TokenTable& t, const std::vector<int32_t>& ids) {
  std::vector<ReferenceRecognizer::Unit> out;
  for (int32_t id : ids) {
    if (t.is_special(id)) {
      out.push_back(ReferenceRecognizer::special(id));
    } else {
      for (char c : t.bytes(id)) out.push_back(static_cast<uint8_t>(c));
    }
  }
  return out;
}

std::string show(const Regex& r) {
  switch (r.kind) {
    case Regex::Kind::kNothing: return "<nothing>";
    case Regex::Kind::kEmpty: return "()";
    case Regex::Kind::kByteSet: {
      std::string out = "[";
      for (int b = 0; b < 256; ++b) {
        if (r.bytes.test(static_cast<size_t>(b))) out += b >= 0x20 && b < 0x7F ? std::string(1, static_cast<char>(b)) : "\\x" + std::to_string(b);
      }
      return out + "]";
    }
    case Regex::Kind::kConcat: {
      std::string out = "(";
      for (const RegexPtr& c : r.children) out += show(*c);
      return out + ")";
    }
    case Regex::Kind::kAlt: {
      std::string out = "(";
      for (size_t i = 0; i < r.children.size(); ++i) out += (i ? "|" : "") + show(*r.children[i]);
      return out + ")";
    }
    case Regex::Kind::kRepeat:
      return show(*r.children[0]) + "{" + std::to_string(r.min) + "," +
             (r.max == Regex::kUnbounded ? std::string("inf") : std::to_string(r.max)) + "}";
  }
  return "?";
}

std::string show(const Grammar& g) {
  std::string out;
  for (size_t i = 0; i < g.lexemes.size(); ++i) out += "L" + std::to_string(i) + " = " + show(*g.lexemes[i]) + "\n";
  for (size_t r = 0; r < g.rules.size(); ++r) {
    out += "R" + std::to_string(r) + (r == g.start ? " (start)" : "") + " ->";
    for (const auto& seq : g.rules[r].alternatives) {
      out += " |";
      for (const Symbol& s : seq) {
        out += s.kind == Symbol::Kind::kLexeme ? " L" : s.kind == Symbol::Kind::kRule ? " R" : " T";
        out += std::to_string(s.index);
      }
    }
    out += "\n";
  }
  return out;
}

bool bit(const std::vector<uint32_t>& mask, int32_t id) { return (mask[static_cast<size_t>(id) / 32] >> (id % 32)) & 1u; }

// The mask the reference says: every token whose units keep the output a prefix of the language;
// the end id exactly when the output is complete.
std::vector<uint32_t> reference_mask(const TokenTable& t, const ReferenceRecognizer& ref, const std::vector<int32_t>& history) {
  std::vector<uint32_t> mask(mask_words(t), 0);
  const auto base = units_of(t, history);
  for (int32_t id = 0; id < t.vocab_size(); ++id) {
    bool allowed;
    if (id == kEos) {
      allowed = ref.check(base).complete;
    } else {
      auto units = base;
      const auto more = units_of(t, {id});
      units.insert(units.end(), more.begin(), more.end());
      allowed = ref.check(units).viable;
    }
    if (allowed) mask[static_cast<size_t>(id) / 32] |= 1u << (id % 32);
  }
  return mask;
}

std::string describe(const TokenTable& t, const std::vector<uint32_t>& got, const std::vector<uint32_t>& want) {
  std::string out;
  for (int32_t id = 0; id < t.vocab_size(); ++id) {
    if (bit(got, id) != bit(want, id)) {
      out += " id " + std::to_string(id) + " '" + t.bytes(id) + "' got " + std::to_string(bit(got, id)) + ";";
    }
  }
  return out;
}

TEST(Matcher, RandomGrammarsMatchTheByteLevelReference) {
  const auto table = small_table();
  std::mt19937 rng(1234);
  int compiled = 0, steps = 0;
  for (int round = 0; round < kRounds; ++round) {
    const Grammar g = random_grammar(rng);
    auto c = compile(g, table);
    const ReferenceRecognizer ref(g);
    if (!c) {
      EXPECT_FALSE(ref.check({}).viable) << c.error();   // only grammars with an empty language fail
      continue;
    }
    ++compiled;
    Matcher m(*c, {kEos});
    std::vector<int32_t> history;
    std::vector<std::vector<uint32_t>> masks;
    for (int step = 0; step < 10; ++step) {
      std::vector<uint32_t> mask(mask_words(*table));
      m.fill_mask(mask);
      const auto want = reference_mask(*table, ref, history);
      ASSERT_EQ(mask, want) << "round " << round << " step " << step << ":" << describe(*table, mask, want) << "\n" << show(g);
      const auto verdict = ref.check(units_of(*table, history));
      ASSERT_EQ(m.is_complete(), verdict.complete) << "round " << round;
      // must_end: complete and no token but the end id allowed.
      bool only_end = verdict.complete;
      for (int32_t id = 0; id < table->vocab_size(); ++id) only_end = only_end && (id == kEos || !bit(want, id));
      ASSERT_EQ(m.must_end(), only_end) << "round " << round;
      masks.push_back(mask);
      ++steps;

      // Forced tokens: each allowed in turn, and every allowed token agrees with the first one's bytes.
      const auto forced = m.forced_tokens(4);
      if (!forced.empty()) {
        const std::string& f = table->bytes(forced[0]);
        ASSERT_TRUE(bit(mask, forced[0])) << "round " << round;
        for (int32_t id = 0; id < table->vocab_size(); ++id) {
          if (!bit(mask, id) || table->is_special(id)) {
            ASSERT_FALSE(bit(mask, id) && !table->is_special(forced[0])) << "round " << round << " special " << id;
            continue;
          }
          const std::string& b = table->bytes(id);
          const size_t n = std::min(b.size(), f.size());
          ASSERT_EQ(b.substr(0, n), f.substr(0, n)) << "round " << round << " forced '" << f << "' but '" << b << "' allowed";
        }
        for (int32_t id : forced) ASSERT_TRUE(m.accept(id)) << "round " << round;
        m.rollback(forced.size());
      }

      std::vector<int32_t> allowed;
      for (int32_t id = 0; id < table->vocab_size(); ++id) {
        if (bit(mask, id)) allowed.push_back(id);
      }
      // A token outside the mask is refused and changes nothing.
      for (int32_t id = 0; id < table->vocab_size(); id += 7) {
        if (!bit(mask, id)) {
          ASSERT_FALSE(m.accept(id));
        }
      }
      if (allowed.empty()) break;
      const int32_t pick = allowed[rng() % allowed.size()];
      ASSERT_TRUE(m.accept(pick));
      history.push_back(pick);
      if (pick == kEos) break;
    }
    // Rollback, one token at a time, restores each earlier mask exactly.
    while (!history.empty() && m.accepted_count() > 0) {
      m.rollback(1);
      history.pop_back();
      std::vector<uint32_t> mask(mask_words(*table));
      m.fill_mask(mask);
      ASSERT_EQ(mask, masks[history.size()]) << "round " << round << " after rollback to " << history.size();
    }
  }
  EXPECT_GT(compiled, 150);
  EXPECT_GT(steps, 800);
}

TEST(Matcher, SpecialTokenTextIsNotTheToken) {
  // The grammar wants special token A; no ordinary text may stand for it.
  Grammar g;
  const uint32_t r = g.add_rule("root");
  g.rules[r].alternatives.push_back({Symbol::lexeme(g.add_lexeme(Regex::literal("a"))), Symbol::token(kSpecialA)});
  const auto table = small_table();
  auto c = compile(g, table);
  ASSERT_TRUE(c.ok()) << c.error();
  Matcher m(*c, {kEos});
  ASSERT_TRUE(m.accept(table->encode("a")[0]));
  std::vector<uint32_t> mask(mask_words(*table));
  m.fill_mask(mask);
  for (int32_t id = 0; id < table->vocab_size(); ++id) EXPECT_EQ(bit(mask, id), id == kSpecialA) << id;
  EXPECT_FALSE(m.is_complete());
  ASSERT_TRUE(m.accept(kSpecialA));
  EXPECT_TRUE(m.is_complete());
  EXPECT_TRUE(m.must_end());
  EXPECT_TRUE(m.accept(kEos));
  m.fill_mask(mask);
  for (uint32_t w : mask) EXPECT_EQ(w, 0u);   // nothing after the end
  m.rollback(1);
  EXPECT_TRUE(m.is_complete());
}

TEST(Matcher, SplitUtf8AndTokensSpanningLexemes) {
  // root -> "{" X "}" with X = é+ : the two-byte character may arrive as two byte tokens, and
  // '"é}'-like tokens span lexemes.
  Grammar g;
  const uint32_t r = g.add_rule("root");
  g.rules[r].alternatives.push_back({Symbol::lexeme(g.add_lexeme(Regex::literal("{"))),
                                     Symbol::lexeme(g.add_lexeme(Regex::plus(Regex::literal("\xC3\xA9")))),
                                     Symbol::lexeme(g.add_lexeme(Regex::literal("}")))});
  const auto table = small_table();
  auto c = compile(g, table);
  ASSERT_TRUE(c.ok()) << c.error();
  Matcher m(*c, {kEos});
  const auto id_of = [&](const std::string& s) {
    for (int32_t id = 0; id < table->vocab_size(); ++id) {
      if (!table->is_special(id) && table->bytes(id) == s) return id;
    }
    return -1;
  };
  EXPECT_TRUE(m.accept(id_of("{")));
  EXPECT_FALSE(m.accept(id_of("}")));   // X needs one character first
  EXPECT_TRUE(m.accept(id_of("\xC3")));
  EXPECT_FALSE(m.accept(id_of("\xC3")));
  EXPECT_TRUE(m.accept(id_of("\xA9")));
  EXPECT_TRUE(m.accept(id_of("\xC3\xA9")));
  EXPECT_TRUE(m.accept(id_of("}")));
  EXPECT_TRUE(m.is_complete());
  EXPECT_EQ(m.accepted_count(), 5u);
}

}  // namespace
}  // namespace gemma3::grammar
