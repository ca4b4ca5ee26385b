// Matcher::State, shared by the matcher's source files (matcher.cc; the tests reach it only through
// Matcher).
#pragma once

#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "grammar/compiled_grammar.h"
#include "grammar/earley.h"
#include "grammar/lexer.h"
#include "grammar/matcher.h"

namespace gemma3::grammar {

struct Thread {
  uint32_t set;   // Earley set before the lexeme being read
  uint32_t dfa;   // lexer state after its bytes so far
  bool fresh;     // no byte of the lexeme read yet (special tokens can come here)
};

struct Snapshot {
  std::vector<Thread> threads;
  uint32_t chart_size;
  bool ended, complete, must_end;
};

struct Matcher::State {
  static constexpr size_t kMaxThreads = 64;

  State(std::shared_ptr<const CompiledGrammar> grammar, std::vector<int32_t> ends);

  uint32_t commit(uint32_t set, uint32_t accept_id);
  bool step(const Thread* in, size_t n, uint8_t byte, std::vector<Thread>& out);
  template <typename F>
  void for_each_boundary(const Thread& th, F&& f);
  void refresh();
  void truncate(uint32_t n_sets);
  void flush_if_needed();
  // Sets the bits of the trie's tokens some thread survives; subtrees whose tokens all have at
  // most `skip_chars` characters are skipped (their bits are set already).
  void walk(const TokenTrie& trie, std::span<uint32_t> mask, uint32_t skip_chars = 0);

  std::shared_ptr<const CompiledGrammar> g;
  std::vector<int32_t> end_ids;
  LazyDfa dfa;
  Chart chart;
  std::vector<Thread> threads;
  std::vector<Snapshot> history;
  std::unordered_map<uint64_t, uint32_t> commits;   // (set, accept id) -> set after the commit
  std::vector<std::vector<Thread>> levels;          // walk scratch, one per trie depth
  uint32_t committed = 0;                           // chart sets owned by accepted tokens
  bool ended = false, complete = false, must_end = false;
  size_t dropped_threads = 0;
};

}  // namespace gemma3::grammar
