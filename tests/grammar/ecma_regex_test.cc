// ECMAScript regex front end: parsing, anchors, lowering to UTF-8 bytes, refusals; checked with
// the reference recognizer and with the parser's own slow full-match evaluator.
#include <gtest/gtest.h>

#include "grammar/ecma_regex.h"
#include "grammar/front_ends.h"
#include "ir_recognizer.h"

namespace gemma3::grammar {
namespace {

using testing::IrRecognizer;

void expect_regex(const std::string& pattern, const std::vector<std::string>& yes, const std::vector<std::string>& no) {
  auto g = regex_grammar(pattern);
  ASSERT_TRUE(g.ok()) << pattern << ": " << g.error();
  IrRecognizer rec(*g);
  for (const auto& s : yes) EXPECT_TRUE(rec.accepts(s)) << pattern << " should match " << s;
  for (const auto& s : no) EXPECT_FALSE(rec.accepts(s)) << pattern << " should not match " << s;
}

std::string regex_error(const std::string& pattern) {
  auto g = regex_grammar(pattern);
  EXPECT_FALSE(g.ok()) << pattern;
  return g.ok() ? "" : g.error();
}

TEST(EcmaRegex, BasicsAndQuantifiers) {
  expect_regex("ab|c", {"ab", "c"}, {"a", "abc", ""});
  expect_regex("a{2,3}b*?", {"aa", "aaa", "aabbb"}, {"a", "aaaa"});
  expect_regex("(?:ab)+(?<n>c)?", {"ab", "ababc"}, {"abcc", "c"});
  expect_regex("x{2}", {"xx"}, {"x", "xxx"});
  expect_regex("x{2,}", {"xx", "xxxxx"}, {"x"});
  expect_regex("a{,2}", {"a{,2}"}, {"aa"});   // not a quantifier: literal text, as ECMAScript reads it
  expect_regex("", {""}, {"a"});
}

TEST(EcmaRegex, ClassesAndEscapes) {
  expect_regex("[a-c\\d_]+", {"abc09_"}, {"abd", "-"});
  expect_regex("[^a-z]", {"A", "0", "\xc3\xa9"}, {"a", "", "AB"});
  expect_regex("\\w\\W\\s\\S", {"a- x", "_\t\tx"}, {"aa x"});
  expect_regex("[\\b]", {"\b"}, {"b"});
  expect_regex("[-a]", {"-", "a"}, {"b"});
  expect_regex("\\x41\\u00e9\\u{1F600}\\t", {"A\xc3\xa9\xf0\x9f\x98\x80\t"}, {"A\xc3\xa9"});
  expect_regex("\\ud83d\\ude00", {"\xf0\x9f\x98\x80"}, {});
  expect_regex("\\.\\/\\-", {"./-"}, {"a/-"});
  expect_regex("\\s", {"\xc2\xa0", "\xe2\x80\xa8", "\xef\xbb\xbf"}, {"a"});
}

TEST(EcmaRegex, DotIsAnyCodePointButLineTerminators) {
  expect_regex(".", {"a", "\xc3\xa9", "\xe4\xb8\xad", "\xf0\x9f\x98\x80", "\x7f"}, {"\n", "\r", "\xe2\x80\xa8", "\xc3", "ab", "\xff"});
}

TEST(EcmaRegex, AnchorsAtTheEndsOnly) {
  expect_regex("^abc$", {"abc"}, {"xabc"});
  expect_regex("^a|b$", {"a", "b"}, {"ab"});
  EXPECT_NE(regex_error("a^b").find("anchor"), std::string::npos);
  EXPECT_NE(regex_error("(^a)b").find("anchor"), std::string::npos);
}

TEST(EcmaRegex, NonRegularFeaturesAreRefused) {
  EXPECT_NE(regex_error("(a)\\1").find("backreference"), std::string::npos);
  EXPECT_NE(regex_error("a(?=b)").find("lookaround"), std::string::npos);
  EXPECT_NE(regex_error("a(?<!b)").find("lookaround"), std::string::npos);
  EXPECT_NE(regex_error("\\bword").find("word boundary"), std::string::npos);
  EXPECT_NE(regex_error("\\p{L}").find("property"), std::string::npos);
  EXPECT_NE(regex_error("a**").find("nothing to repeat"), std::string::npos);
  EXPECT_NE(regex_error("(a").find("')'"), std::string::npos);
  EXPECT_NE(regex_error("a)").find("unmatched"), std::string::npos);
  EXPECT_NE(regex_error("[a").find("']'"), std::string::npos);
  EXPECT_NE(regex_error("[z-a]").find("out of order"), std::string::npos);
  EXPECT_NE(regex_error("a{3,2}").find("out of order"), std::string::npos);
  EXPECT_NE(regex_error("a{100000}").find("max_repeat"), std::string::npos);
  EXPECT_NE(regex_error("\\").find("backslash"), std::string::npos);
  EXPECT_NE(regex_error("[]").find("matches no text"), std::string::npos);
}

TEST(EcmaRegex, DeepNestingIsAnErrorNotACrash) {
  std::string deep(100000, '(');
  EXPECT_NE(regex_error(deep).find("deeper"), std::string::npos);
}

TEST(EcmaRegex, SearchSemanticsAndLengthRestriction) {
  FrontEndLimits limits;
  auto parsed = parse_ecma_regex("b+", limits);
  ASSERT_TRUE(parsed.ok());
  auto search = resolve_anchors(*parsed, Anchoring::kSearch);
  ASSERT_TRUE(search.ok());
  auto cps = [](const std::string& s) { return std::vector<uint32_t>(s.begin(), s.end()); };
  EXPECT_TRUE(regex_full_match(*search, cps("abbc")));
  EXPECT_FALSE(regex_full_match(*search, cps("ac")));
  auto anchored = parse_ecma_regex("^[a-z]{2}\\d+$", limits);
  ASSERT_TRUE(anchored.ok());
  auto full = resolve_anchors(*anchored, Anchoring::kSearch);
  ASSERT_TRUE(full.ok());
  auto restricted = restrict_regex_length(*full, 3, 4);
  ASSERT_TRUE(restricted.has_value());
  EXPECT_TRUE(regex_full_match(*restricted, cps("ab1")));
  EXPECT_TRUE(regex_full_match(*restricted, cps("ab12")));
  EXPECT_FALSE(regex_full_match(*restricted, cps("ab123")));
  // Two unbounded parts: not expressible by tightening one repetition.
  EXPECT_FALSE(restrict_regex_length(*search, 0, 5).has_value());
}

TEST(EcmaRegex, IgnoreCaseFoldsBeforeNegation) {
  FrontEndLimits limits;
  auto parsed = parse_ecma_regex("[^a]b", limits, true);
  ASSERT_TRUE(parsed.ok());
  auto node = resolve_anchors(*parsed, Anchoring::kFullMatch);
  ASSERT_TRUE(node.ok());
  auto cps = [](const std::string& s) { return std::vector<uint32_t>(s.begin(), s.end()); };
  EXPECT_TRUE(regex_full_match(*node, cps("xB")));
  EXPECT_FALSE(regex_full_match(*node, cps("Ab")));
  EXPECT_FALSE(regex_full_match(*node, cps("ab")));
}

TEST(ChoiceGrammar, ExactlyOneChoice) {
  auto g = choice_grammar({"yes", "no", "n/a"});
  ASSERT_TRUE(g.ok());
  IrRecognizer rec(*g);
  EXPECT_TRUE(rec.accepts("yes"));
  EXPECT_TRUE(rec.accepts("n/a"));
  EXPECT_FALSE(rec.accepts("ye"));
  EXPECT_FALSE(rec.accepts("yesno"));
  EXPECT_FALSE(choice_grammar({}).ok());
  EXPECT_FALSE(choice_grammar({"a", ""}).ok());
}

}  // namespace
}  // namespace gemma3::grammar
