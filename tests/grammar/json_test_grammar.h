// A hand-built JSON grammar in the IR (RFC 8259 values, whitespace runs of at most 24 bytes), for
// the back end's tests and benchmark, independent of the JSON Schema front end.
#pragma once

#include "grammar/grammar_ir.h"

namespace gemma3::grammar::testing {

inline RegexPtr byte_range(uint8_t lo, uint8_t hi) {
  std::bitset<256> s;
  for (int b = lo; b <= hi; ++b) s.set(static_cast<size_t>(b));
  return Regex::byte_set(s);
}

// One UTF-8 encoded character other than '"', '\\' and controls below 0x20.
inline RegexPtr json_string_char() {
  std::bitset<256> ascii;
  for (int b = 0x20; b < 0x80; ++b) ascii.set(static_cast<size_t>(b));
  ascii.reset('"');
  ascii.reset('\\');
  const RegexPtr cont = byte_range(0x80, 0xBF);
  std::bitset<256> e1;
  for (int b = 0xE1; b <= 0xEF; ++b) e1.set(static_cast<size_t>(b));
  e1.reset(0xED);
  std::bitset<256> hex;
  for (char c : std::string("0123456789abcdefABCDEF")) hex.set(static_cast<uint8_t>(c));
  return Regex::alt({
      Regex::byte_set(ascii),
      Regex::concat({byte_range(0xC2, 0xDF), cont}),
      Regex::concat({Regex::byte(0xE0), byte_range(0xA0, 0xBF), cont}),
      Regex::concat({Regex::byte_set(e1), cont, cont}),
      Regex::concat({Regex::byte(0xED), byte_range(0x80, 0x9F), cont}),
      Regex::concat({Regex::byte(0xF0), byte_range(0x90, 0xBF), cont, cont}),
      Regex::concat({byte_range(0xF1, 0xF3), cont, cont, cont}),
      Regex::concat({Regex::byte(0xF4), byte_range(0x80, 0x8F), cont, cont}),
      Regex::concat({Regex::byte('\\'), Regex::alt({Regex::byte_set([] {
                                                      std::bitset<256> e;
                                                      for (char c : std::string("\"\\/bfnrt")) e.set(static_cast<uint8_t>(c));
                                                      return e;
                                                    }()),
                                                    Regex::concat({Regex::byte('u'), Regex::repeat(Regex::byte_set(hex), 4, 4)})})}),
  });
}

inline Grammar json_test_grammar() {
  Grammar g;
  const auto lit = [&](const char* s) { return Symbol::lexeme(g.add_lexeme(Regex::literal(s))); };
  std::bitset<256> wsb;
  for (char c : std::string(" \t\n\r")) wsb.set(static_cast<uint8_t>(c));
  const Symbol ws = Symbol::lexeme(g.add_lexeme(Regex::repeat(Regex::byte_set(wsb), 0, 24)));
  const Symbol str = Symbol::lexeme(g.add_lexeme(
      Regex::concat({Regex::byte('"'), Regex::star(json_string_char()), Regex::byte('"')})));
  const RegexPtr digits = Regex::plus(byte_range('0', '9'));
  const Symbol num = Symbol::lexeme(g.add_lexeme(Regex::concat({
      Regex::optional(Regex::byte('-')),
      Regex::alt({Regex::byte('0'), Regex::concat({byte_range('1', '9'), Regex::star(byte_range('0', '9'))})}),
      Regex::optional(Regex::concat({Regex::byte('.'), digits})),
      Regex::optional(Regex::concat({Regex::byte_set([] {
                                       std::bitset<256> e;
                                       e.set('e');
                                       e.set('E');
                                       return e;
                                     }()),
                                     Regex::optional(Regex::byte_set([] {
                                       std::bitset<256> e;
                                       e.set('+');
                                       e.set('-');
                                       return e;
                                     }())),
                                     digits})),
  })));
  const Symbol lbrace = lit("{"), rbrace = lit("}"), lbrack = lit("["), rbrack = lit("]"), comma = lit(","),
               colon = lit(":");
  const Symbol t = lit("true"), f = lit("false"), n = lit("null");
  const uint32_t value = g.add_rule("value"), object = g.add_rule("object"), members = g.add_rule("members"),
                 array = g.add_rule("array"), elements = g.add_rule("elements"), root = g.add_rule("root");
  const Symbol V = Symbol::rule(value);
  g.rules[value].alternatives = {{Symbol::rule(object)}, {Symbol::rule(array)}, {str}, {num}, {t}, {f}, {n}};
  g.rules[object].alternatives = {{lbrace, ws, rbrace}, {lbrace, ws, Symbol::rule(members), ws, rbrace}};
  g.rules[members].alternatives = {{str, ws, colon, ws, V},
                                   {str, ws, colon, ws, V, ws, comma, ws, Symbol::rule(members)}};
  g.rules[array].alternatives = {{lbrack, ws, rbrack}, {lbrack, ws, Symbol::rule(elements), ws, rbrack}};
  g.rules[elements].alternatives = {{V}, {V, ws, comma, ws, Symbol::rule(elements)}};
  g.rules[root].alternatives = {{ws, V, ws}};
  g.start = root;
  return g;
}

}  // namespace gemma3::grammar::testing
