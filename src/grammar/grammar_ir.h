// The grammar intermediate representation: the contract between the front ends that build
// grammars (JSON Schema, regular expressions, choice lists, tool-call formats) and the back end that
// turns a grammar into token masks (lexer + parser + token trie).
//
// A grammar is a context-free grammar whose terminals are
//   - lexemes: regular expressions over BYTES (UTF-8 already expanded by the front end), matched by
//     the lexer; a lexeme is one terminal of the parser, however many bytes it spans;
//   - special tokens: one vocabulary id (e.g. FunctionGemma's <start_function_call>) that only the
//     token itself can produce; ordinary text never matches it, and it never matches text.
// Nonterminals are rules: alternatives of sequences of symbols. Rule 0 is not special; `start`
// names the start rule.
//
// Everything here is plain data; building a grammar has no side effects and checks nothing beyond
// what the comments say. Grammar::validate (in grammar_ir.cc) checks indices and limits.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "util/result.h"

namespace gemma3::grammar {

// A regular expression over bytes, as a tree. Nodes are shared (immutable after building).
struct Regex;
using RegexPtr = std::shared_ptr<const Regex>;

struct Regex {
  enum class Kind {
    kNothing,   // matches no string
    kEmpty,     // matches only ""
    kByteSet,   // one byte from `bytes`
    kConcat,    // children in order
    kAlt,       // any one child
    kRepeat,    // child repeated min..max times (max == kUnbounded: no upper bound)
  };
  static constexpr uint32_t kUnbounded = UINT32_MAX;

  Kind kind = Kind::kNothing;
  std::bitset<256> bytes;            // kByteSet
  std::vector<RegexPtr> children;    // kConcat, kAlt: any number; kRepeat: exactly one
  uint32_t min = 0, max = 0;         // kRepeat

  // Builders. They simplify trivially (concat of one child is the child, alt of none is Nothing,
  // Empty in a concat is dropped) but do no other normalisation.
  static RegexPtr nothing();
  static RegexPtr empty();
  static RegexPtr byte_set(const std::bitset<256>& bytes);
  static RegexPtr byte(uint8_t b);
  static RegexPtr literal(std::string_view bytes);   // the exact bytes, in order
  static RegexPtr concat(std::vector<RegexPtr> parts);
  static RegexPtr alt(std::vector<RegexPtr> options);
  static RegexPtr repeat(RegexPtr child, uint32_t min, uint32_t max);
  static RegexPtr star(RegexPtr child) { return repeat(std::move(child), 0, kUnbounded); }
  static RegexPtr plus(RegexPtr child) { return repeat(std::move(child), 1, kUnbounded); }
  static RegexPtr optional(RegexPtr child) { return repeat(std::move(child), 0, 1); }
};

struct Symbol {
  enum class Kind { kLexeme, kToken, kRule };
  Kind kind = Kind::kLexeme;
  uint32_t index = 0;   // into Grammar::lexemes, a token id, or into Grammar::rules

  static Symbol lexeme(uint32_t i) { return {Kind::kLexeme, i}; }
  static Symbol token(int32_t id) { return {Kind::kToken, static_cast<uint32_t>(id)}; }
  static Symbol rule(uint32_t i) { return {Kind::kRule, i}; }
};

struct Rule {
  std::string name;                                // for error messages and debugging
  std::vector<std::vector<Symbol>> alternatives;   // an empty sequence derives ""
};

struct Grammar {
  std::vector<RegexPtr> lexemes;
  std::vector<Rule> rules;
  uint32_t start = 0;

  uint32_t add_lexeme(RegexPtr regex) {
    lexemes.push_back(std::move(regex));
    return static_cast<uint32_t>(lexemes.size() - 1);
  }
  uint32_t add_rule(std::string name) {
    rules.push_back(Rule{std::move(name), {}});
    return static_cast<uint32_t>(rules.size() - 1);
  }

  // Indices in range, a start rule that exists. Error names the rule.
  Status validate() const;
};

}  // namespace gemma3::grammar
