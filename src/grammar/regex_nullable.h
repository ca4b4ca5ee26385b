// Whether a byte regex matches the empty string, and the same regex without the empty string. The
// front ends never emit a lexeme that matches "" (a rule alternative without the lexeme stands for
// it instead), so the back end's lexer never has to end a lexeme that consumed nothing.
#pragma once

#include <vector>

#include "grammar/grammar_ir.h"

namespace gemma3::grammar {

bool regex_nullable(const RegexPtr& r);
// L(r) minus {""}.
RegexPtr regex_without_empty(const RegexPtr& r);

// Adds to `rule` the alternatives deriving `prefix` + L(r) + `suffix`, with r as one lexeme of `g`
// (r's empty string as an alternative without it). Nothing is added when L(r) is empty.
void add_regex_alternatives(Grammar& g, uint32_t rule, const RegexPtr& r, const std::vector<Symbol>& prefix = {},
                            const std::vector<Symbol>& suffix = {});

}  // namespace gemma3::grammar
