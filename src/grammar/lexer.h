// The lexer: every lexeme of a grammar compiled into one Thompson NFA over byte classes, and the
// lazily built DFA whose states are sets of NFA states (subset construction with state caching).
//
// A DFA state covers all the lexemes the parser allows at a point at once, so one table lookup per
// byte advances every candidate lexeme; the set of lexemes that can end at a state is its accept
// set. Lexemes are matched non-empty: a lexeme that also matches "" is handled by the parser as
// optional (lexeme_nullable), so a lexeme always consumes at least one byte.
//
// Nfa is immutable and shared (part of CompiledGrammar); LazyDfa is per sequence (the states a
// sequence visits are built as it needs them), so no locking is needed anywhere.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "grammar/grammar_ir.h"
#include "util/result.h"

namespace gemma3::grammar {

struct Nfa {
  // State s: on a byte in bytes[s] (when has_bytes[s]), go to next[s]; eps[s] lists its epsilon
  // successors. accepts[s] is the lexeme whose end s is, or -1.
  std::vector<std::bitset<256>> bytes;
  std::vector<uint8_t> has_bytes;
  std::vector<uint32_t> next;
  std::vector<std::vector<uint32_t>> eps;
  std::vector<int32_t> accepts;
  std::vector<uint8_t> live;                // the state can reach some accept state
  std::vector<uint32_t> lexeme_start;       // [lexeme]
  std::vector<uint8_t> lexeme_nullable;     // [lexeme] matches ""
  std::vector<uint8_t> lexeme_nonempty;     // [lexeme] matches some non-empty string
  std::array<uint16_t, 256> byte_class{};
  std::vector<uint8_t> class_rep;           // a byte of each class
  size_t n_classes = 0;

  // Builds the NFA of all `lexemes`; fails when it would exceed `max_states`.
  static Result<Nfa> build(const std::vector<RegexPtr>& lexemes, size_t max_states);
};

class LazyDfa {
 public:
  static constexpr uint32_t kDead = 0;

  explicit LazyDfa(const Nfa* nfa);

  // The state before any byte of a lexeme in `lexemes` (sorted). Accepts nothing.
  uint32_t start(const std::vector<uint32_t>& lexemes);
  uint32_t step(uint32_t state, uint8_t byte) {
    const size_t i = state * n_classes_ + nfa_->byte_class[byte];
    // Not a reference into trans_ held across compute(): a new state grows trans_ (use after free).
    if (trans_[i] < 0) {
      const auto next = static_cast<int32_t>(compute(state, nfa_->byte_class[byte]));
      trans_[i] = next;
    }
    return static_cast<uint32_t>(trans_[i]);
  }
  // Id of the set of lexemes ending at `state` (0: none); accept_set(id) lists them.
  uint32_t accept_id(uint32_t state) const { return accept_id_[state]; }
  const std::vector<uint32_t>& accept_set(uint32_t id) const { return accept_sets_[id]; }
  // Some byte leads to a live state.
  bool can_continue(uint32_t state);
  // The largest r <= limit such that every run of at most r whole UTF-8 characters without '"',
  // '\\' or bytes < 0x20 keeps the state alive: TokenTable's string-slice tokens of at most r
  // characters are then all allowed at once (r = limit: the whole slice, e.g. inside an unbounded
  // string; smaller r inside a string near its maxLength). Cached per state.
  uint32_t slice_chars(uint32_t state, uint32_t limit);
  bool slice_ok(uint32_t state, uint32_t limit) { return slice_chars(state, limit) >= limit; }
  // The bytes that lead to a live state.
  std::vector<uint8_t> live_bytes(uint32_t state);
  size_t n_states() const { return keys_.size(); }
  // Forgets every state but those in `keep`, which are renumbered in place (bounded memory).
  void flush(std::vector<uint32_t*> keep);

 private:
  struct KeyHash {
    size_t operator()(const std::vector<uint32_t>& k) const;
  };
  uint32_t intern(std::vector<uint32_t> key, bool initial);
  uint32_t compute(uint32_t state, uint16_t cls);
  void closure(std::vector<uint32_t>& frontier, std::vector<uint32_t>& out);

  const Nfa* nfa_;
  size_t n_classes_;
  std::vector<std::vector<uint32_t>> keys_;   // sorted NFA states; an initial state ends with kInitialMark
  std::unordered_map<std::vector<uint32_t>, uint32_t, KeyHash> ids_;
  std::vector<int32_t> trans_;                // [state * n_classes + class], -1 unknown
  std::vector<uint32_t> accept_id_;
  std::vector<int32_t> slice_chars_;             // -1 unknown
  std::vector<uint8_t> slice_reps_;              // slice_chars: a byte of each indistinguishable group
  std::vector<int8_t> can_continue_;             // -1 unknown
  std::vector<std::vector<uint32_t>> accept_sets_;
  std::unordered_map<std::vector<uint32_t>, uint32_t, KeyHash> accept_ids_;
  std::unordered_map<std::vector<uint32_t>, uint32_t, KeyHash> starts_;
  std::vector<uint32_t> mark_;                // closure visit marks
  uint32_t generation_ = 0;
};

}  // namespace gemma3::grammar
