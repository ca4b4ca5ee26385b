// The Earley parser through the Matcher, on grammars that trip simpler parsers: ambiguity, nullable
// rules, left and right recursion, hidden left recursion through a nullable prefix. Each string of
// a small alphabet up to length 7 is checked against the byte-level reference (complete and
// viable), with one-byte tokens so every prefix is visited.
#include <gtest/gtest.h>

#include "grammar/matcher.h"
#include "grammar/token_table.h"
#include "reference_recognizer.h"

namespace gemma3::grammar {
namespace {

struct Case {
  const char* name;
  Grammar g;
};

Grammar make(const std::vector<std::vector<std::vector<std::string>>>& rules) {
  // Symbols: "R<n>" a rule, anything else a literal lexeme.
  Grammar g;
  for (size_t r = 0; r < rules.size(); ++r) g.add_rule("R" + std::to_string(r));
  for (size_t r = 0; r < rules.size(); ++r) {
    for (const auto& alt : rules[r]) {
      std::vector<Symbol> seq;
      for (const std::string& s : alt) {
        if (s.size() > 1 && s[0] == 'R') {
          seq.push_back(Symbol::rule(static_cast<uint32_t>(std::stoi(s.substr(1)))));
        } else {
          seq.push_back(Symbol::lexeme(g.add_lexeme(Regex::literal(s))));
        }
      }
      g.rules[r].alternatives.push_back(seq);
    }
  }
  return g;
}

TEST(Parser, TrickyGrammarsAgreeWithTheReference) {
  const std::vector<Case> cases = {
      {"ambiguous S -> S S | a | b", make({{{"R0", "R0"}, {"a"}, {"b"}}})},
      {"left recursion L -> L a | b", make({{{"R0", "a"}, {"b"}}})},
      {"right recursion R -> a R | b", make({{{"a", "R0"}, {"b"}}})},
      {"nullable N -> N N | a | ()", make({{{"R0", "R0"}, {"a"}, {}}})},
      {"hidden left recursion S -> E S a | b, E -> ()", make({{{"R1", "R0", "a"}, {"b"}}, {{}}})},
      {"balanced B -> a B b B | ()", make({{{"a", "R0", "b", "R0"}, {}}})},
      {"multi-byte lexemes S -> ab S | a | abb", make({{{"ab", "R0"}, {"a"}, {"abb"}}})},
  };
  const auto table = TokenTable::from_bytes({"a", "b", "c"}, {});
  for (const Case& c : cases) {
    auto compiled = compile(c.g, table);
    ASSERT_TRUE(compiled.ok()) << c.name << ": " << compiled.error();
    const testing::ReferenceRecognizer ref(c.g);
    int complete = 0;
    for (int len = 0; len <= 7; ++len) {
      for (int code = 0; code < (1 << (2 * len)); ++code) {
        std::string s;
        bool valid_code = true;
        for (int i = 0; i < len; ++i) {
          const int x = (code >> (2 * i)) & 3;
          valid_code = valid_code && x < 3;
          s.push_back(static_cast<char>('a' + x));
        }
        if (!valid_code) continue;
        Matcher m(*compiled, {});
        std::vector<testing::ReferenceRecognizer::Unit> units;
        bool alive = true;
        for (char ch : s) {
          units.push_back(static_cast<uint8_t>(ch));
          const bool ok = m.accept(ch - 'a');
          ASSERT_EQ(ok, ref.check(units).viable) << c.name << " '" << s << "'";
          if (!ok) {
            alive = false;
            break;
          }
        }
        if (!alive) continue;
        ASSERT_EQ(m.is_complete(), ref.check(units).complete) << c.name << " '" << s << "'";
        complete += m.is_complete();
      }
    }
    EXPECT_GT(complete, 0) << c.name;
  }
}

TEST(Parser, GrammarsWithoutStringsAreRefused) {
  // R0 -> a R0 has no finite derivation.
  auto c = compile(make({{{"a", "R0"}}}), TokenTable::from_bytes({"a"}, {}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().find("derives no string"), std::string::npos) << c.error();
  Grammar bad;
  bad.rules[bad.add_rule("root")].alternatives.push_back({Symbol::rule(7)});
  EXPECT_FALSE(compile(bad, TokenTable::from_bytes({"a"}, {})).ok());
}

}  // namespace
}  // namespace gemma3::grammar
