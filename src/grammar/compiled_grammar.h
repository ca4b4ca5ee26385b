// CompiledGrammar: what compile() makes of a Grammar for one TokenTable. Immutable and shared by
// every Matcher of the same constraint (the per-sequence lexer cache lives in the Matcher).
#pragma once

#include <memory>

#include "grammar/earley.h"
#include "grammar/lexer.h"
#include "grammar/matcher.h"
#include "grammar/token_table.h"

namespace gemma3::grammar {

class CompiledGrammar {
 public:
  std::shared_ptr<const TokenTable> tokens;
  Nfa nfa;
  ParserTables tables;
  CompileLimits limits;
};

}  // namespace gemma3::grammar
