// GBNF (llama.cpp's grammar format) front end, checked with the reference recognizer.
#include <gtest/gtest.h>

#include "grammar/front_ends.h"
#include "ir_recognizer.h"

namespace gemma3::grammar {
namespace {

using testing::IrRecognizer;

void expect_gbnf(const std::string& text, const std::vector<std::string>& yes, const std::vector<std::string>& no) {
  auto g = gbnf_grammar(text);
  ASSERT_TRUE(g.ok()) << g.error();
  ASSERT_TRUE(g->validate().ok());
  IrRecognizer rec(*g);
  for (const auto& s : yes) EXPECT_TRUE(rec.accepts(s)) << "should accept: " << s;
  for (const auto& s : no) EXPECT_FALSE(rec.accepts(s)) << "should reject: " << s;
}

std::string gbnf_error(const std::string& text) {
  auto g = gbnf_grammar(text);
  EXPECT_FALSE(g.ok()) << text;
  return g.ok() ? "" : g.error();
}

// A JSON grammar written the way llama.cpp's examples write theirs: recursive value/object/array,
// regular string/number/ws rules (each lowered to one regex).
const char* kJson = R"(
root   ::= object
value  ::= object | array | string | number | ("true" | "false" | "null") ws

object ::=
  "{" ws (
            string ":" ws value
    ("," ws string ":" ws value)*
  )? "}" ws

array  ::=
  "[" ws (
            value
    ("," ws value)*
  )? "]" ws

string ::=
  "\"" (
    [^"\\\x7F\x00-\x1F] |
    "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4}) # escapes
  )* "\"" ws

number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9] [1-9]{0,15})? ws

# Optional space: by convention, applied in this grammar after literal chars when allowed
ws ::= | " " | "\n" [ \t]{0,20}
)";

TEST(Gbnf, JsonGrammar) {
  expect_gbnf(kJson, {"{}", R"({"a": [1, 2.5, "x\n", {"b": null}], "c": true})", "{\n  \"k\": \"\xc3\xa9\"}"},
              {"[]", R"({"a":})", R"({"a" 1})", "{\"a\":\"\x01\"}"});
}

TEST(Gbnf, RepetitionsClassesAndContinuationLines) {
  expect_gbnf(R"(root ::= item{2,3} "!"
item ::= [a-c] | "x" [^a-z]
       | "\u00e9")",
              {"ab!", "x1a!", "\xc3\xa9\xc3\xa9!", "abc!"}, {"a!", "abca!", "xa!"});
  expect_gbnf("root ::= (\"a\" root \"b\")?\n", {"", "ab", "aaabbb"}, {"aab", "ba"});   // recursive, nullable
  expect_gbnf("root ::= list\nlist ::= \"[\" (num (\",\" num)*)? \"]\"\nnum ::= [0-9]+\n", {"[]", "[1,22,333]"}, {"[1,]", "[,]"});
  expect_gbnf("root ::= .+ \"\\n\"   # any characters then a newline\n", {"abc\n", "\xe4\xb8\xad\n"}, {"\n", "abc"});
  expect_gbnf("root ::= r r\nr ::= \"a\"\nr ::= \"b\"\n", {"ab", "ba", "aa"}, {"a"});   // a rule defined twice adds alternatives
}

TEST(Gbnf, Errors) {
  EXPECT_NE(gbnf_error("item ::= \"a\"\n").find("root"), std::string::npos);
  EXPECT_NE(gbnf_error("root ::= missing\n").find("undefined rule 'missing'"), std::string::npos);
  EXPECT_NE(gbnf_error("root ::= \"a\n").find("line"), std::string::npos);
  EXPECT_NE(gbnf_error("root ::= [a\n").find("unterminated"), std::string::npos);
  EXPECT_NE(gbnf_error("root = \"a\"\n").find("::="), std::string::npos);
  EXPECT_NE(gbnf_error("root ::= \"a\"{5,2}\n").find("out of order"), std::string::npos);
  EXPECT_NE(gbnf_error("root ::= \"a\"{99999}\n").find("max_repeat"), std::string::npos);
  EXPECT_NE(gbnf_error("root ::= * \"a\"\n").find("nothing to repeat"), std::string::npos);
  EXPECT_NE(gbnf_error("root ::= \"\\q\"\n").find("escape"), std::string::npos);
  EXPECT_NE(gbnf_error(std::string(5000, '(')).find("rule name"), std::string::npos);
  EXPECT_NE(gbnf_error("root ::= " + std::string(5000, '(')).find("deeper"), std::string::npos);
}

}  // namespace
}  // namespace gemma3::grammar
