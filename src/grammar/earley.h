// The parser: an Earley recogniser over the grammar's terminals (lexemes and special tokens).
//
// ParserTables (immutable, part of CompiledGrammar) flatten the rules into "dotted positions": one
// index per (production, dot), with the symbol after the dot. A Chart (per sequence) holds Earley
// sets; an item is (dotted position, origin set). Nullable rules and nullable lexemes are skipped at
// prediction (Aycock & Horspool), so completion never needs to revisit the current set.
//
// Sets are immutable once built and referenced by index, so a parse state is just a set index: the
// mask walk branches by building sets on top of the chart and truncates them afterwards, and
// rollback truncates too.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "grammar/grammar_ir.h"
#include "grammar/lexer.h"
#include "util/result.h"

namespace gemma3::grammar {

struct ParserTables {
  // A symbol after a dot: kind in the top two bits, index below.
  enum : uint32_t { kEnd = 0u << 30, kLexeme = 1u << 30, kToken = 2u << 30, kRule = 3u << 30, kKindMask = 3u << 30 };
  std::vector<uint32_t> dp_symbol;           // [dotted position]
  std::vector<uint32_t> dp_lhs;              // [dotted position] the production's rule
  std::vector<std::vector<uint32_t>> rule_productions;   // [rule] first dotted position of each
  std::vector<uint8_t> rule_nullable;        // [rule]
  std::vector<uint8_t> lexeme_nullable;      // [lexeme]
  std::vector<uint8_t> lexeme_scannable;     // [lexeme] matches some non-empty string
  uint32_t start_dp = 0;                     // S' -> . start
  uint32_t accept_dp = 0;                    // S' -> start .

  // Drops alternatives that derive no string; fails when the start rule derives none.
  static Result<ParserTables> build(const Grammar& g, const Nfa& nfa);
};

class Chart {
 public:
  struct Item {
    uint32_t dp, origin;
  };
  struct SetInfo {
    uint32_t dfa_start;               // lexer state before the next lexeme
    uint32_t tokens_begin, tokens_end;   // special tokens allowed next, in tokens()
    bool complete;                    // the input so far is a sentence
  };
  static constexpr uint32_t kNoSet = UINT32_MAX;

  Chart(const ParserTables* tables, LazyDfa* dfa);

  uint32_t initial();   // builds set 0 (call once, on an empty chart)
  // The set after a lexeme of `lexemes` (sorted) ended at the end of set `from`; kNoSet if none of
  // its items expected one.
  uint32_t scan_lexemes(uint32_t from, const std::vector<uint32_t>& lexemes);
  uint32_t scan_token(uint32_t from, int32_t token);

  const SetInfo& info(uint32_t set) const { return info_[set]; }
  std::span<const int32_t> tokens(uint32_t set) const {
    return {tokens_.data() + info_[set].tokens_begin, info_[set].tokens_end - info_[set].tokens_begin};
  }
  uint32_t size() const { return static_cast<uint32_t>(info_.size()); }
  void truncate(uint32_t n_sets);
  // Lexer states held by the chart, for LazyDfa::flush.
  void dfa_refs(std::vector<uint32_t*>& out);

 private:
  void add(uint32_t dp, uint32_t origin);
  uint32_t close();   // closes the set being built (kernel in items_ from set_begin_.back())

  const ParserTables* t_;
  LazyDfa* dfa_;
  std::vector<Item> items_;
  std::vector<uint32_t> set_begin_;   // [sets + 1 while building]
  std::vector<SetInfo> info_;
  std::vector<int32_t> tokens_;
  // Dedupe of the set being built: open addressing over (dp, origin), cleared by the slots used.
  std::vector<uint64_t> seen_;
  std::vector<uint32_t> seen_used_;
  std::vector<uint32_t> scratch_lexemes_;
  std::vector<uint8_t> lexeme_mark_;
};

}  // namespace gemma3::grammar
