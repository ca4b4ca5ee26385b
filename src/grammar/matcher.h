// Token masks from a grammar: the back end of constrained decoding.
//
//   TokenTable   built once per tokenizer: the bytes each token id decodes to (byte-fallback tokens
//                their single byte, "▁" as a space), which ids are special (control) tokens, and
//                the trie the mask walk uses. Immutable, shared by every grammar and sequence.
//   CompiledGrammar  a Grammar (grammar_ir.h) prepared for matching against one TokenTable
//                (lexer automata, parser tables, precomputed masks). Immutable, shared by every
//                sequence that uses the same constraint; cache it by the request's constraint.
//   Matcher      one sequence's position in the grammar: mask, accept, rollback, forced tokens.
//                Not thread-safe; one per sequence, used by one thread at a time.
//
// Semantics: the language of a grammar is that of its context-free rules with every lexeme
// replaced by the regular language of its regex (no maximal munch: a lexeme may end wherever its
// regex can, whatever follows). A special token is matched only by a Symbol::token naming its id;
// ordinary text never matches a special token's text. A token is allowed at a step exactly when the
// output so far plus that token's bytes is a prefix of some string of the language (so no allowed
// token leads to a dead end). The end ids (EOS, end-of-turn) are allowed exactly when the output so
// far is a complete string of the language.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "grammar/grammar_ir.h"
#include "util/result.h"

namespace gemma3 {
class Tokenizer;
}

namespace gemma3::grammar {

class TokenTable;
class CompiledGrammar;

struct CompileLimits {
  size_t max_lexer_states = 200000;   // lazily built automaton states, over the grammar's life
  int64_t max_compile_ms = 2000;
  size_t max_memory_bytes = 256u << 20;
};

// Builds the table for `tokenizer` (ids 0 .. vocab_size-1).
std::shared_ptr<const TokenTable> build_token_table(const Tokenizer& tokenizer);

Result<std::shared_ptr<const CompiledGrammar>> compile(Grammar grammar, std::shared_ptr<const TokenTable> tokens,
                                                      const CompileLimits& limits = {});

// Words of a mask: bit (id % 32) of word (id / 32) is set when token id is allowed.
size_t mask_words(const TokenTable& tokens);

class Matcher {
 public:
  // `end_ids`: the tokens that may end the output once the grammar is complete (EOS, end-of-turn).
  Matcher(std::shared_ptr<const CompiledGrammar> grammar, std::vector<int32_t> end_ids);
  ~Matcher();
  Matcher(Matcher&&) noexcept;
  Matcher& operator=(Matcher&&) noexcept;

  // Writes the allowed set over the whole vocabulary into `mask` (mask_words() words).
  void fill_mask(std::span<uint32_t> mask);
  // Consumes one token. Returns false (state unchanged) when the token is not allowed.
  bool accept(int32_t token);
  // The output so far is a complete string of the language (the end ids are allowed).
  bool is_complete() const;
  // Nothing but an end id can follow (complete and no longer continuation possible).
  bool must_end() const;
  // Fast-forward: the tokens the grammar forces from here (every continuation of the language starts
  // with their bytes, and they are the tokenizer's canonical tokens for those bytes), at most `max`.
  // Does not consume them; the caller accepts each one it appends.
  std::vector<int32_t> forced_tokens(size_t max);
  // Undoes the last `n` accepted tokens (n <= number accepted since construction).
  void rollback(size_t n);
  size_t accepted_count() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace gemma3::grammar
