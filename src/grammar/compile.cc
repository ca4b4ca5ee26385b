// compile(): Grammar -> CompiledGrammar (the lexer NFA and the parser tables), within the limits.
#include <chrono>

#include "grammar/compiled_grammar.h"

namespace gemma3::grammar {

Result<std::shared_ptr<const CompiledGrammar>> compile(Grammar grammar, std::shared_ptr<const TokenTable> tokens,
                                                      const CompileLimits& limits) {
  const auto t0 = std::chrono::steady_clock::now();
  if (!tokens) return make_error("compile: no token table");
  G3_TRY(grammar.validate());
  for (const Rule& rule : grammar.rules) {
    for (const auto& seq : rule.alternatives) {
      for (const Symbol& s : seq) {
        if (s.kind == Symbol::Kind::kToken && static_cast<int64_t>(s.index) >= tokens->vocab_size()) {
          return make_error("rule '" + rule.name + "' names token id " + std::to_string(static_cast<int32_t>(s.index)) +
                            ", which is not in the vocabulary");
        }
      }
    }
  }
  auto g = std::make_shared<CompiledGrammar>();
  g->tokens = std::move(tokens);
  g->limits = limits;
  // An NFA state costs about 100 bytes (its byte set, epsilon list and flags).
  constexpr size_t kNfaStateBytes = 100;
  auto nfa = Nfa::build(grammar.lexemes, limits.max_memory_bytes / kNfaStateBytes);
  if (!nfa) return std::move(nfa).take_error();
  g->nfa = std::move(nfa).value();
  auto tables = ParserTables::build(grammar, g->nfa);
  if (!tables) return std::move(tables).take_error();
  g->tables = std::move(tables).value();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  if (ms > limits.max_compile_ms) {
    return make_error("compiling the grammar took " + std::to_string(ms) + " ms, over the limit of " +
                      std::to_string(limits.max_compile_ms) + " ms (max_compile_ms)");
  }
  return std::shared_ptr<const CompiledGrammar>(std::move(g));
}

}  // namespace gemma3::grammar
