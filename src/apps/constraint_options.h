// Constrained generation on the command line (generate, chat): --json-schema FILE, --json-object,
// --regex R, --choice JSON-ARRAY, --grammar FILE.gbnf. The same front ends and matcher as the
// server's response_format (server/structured_output.h), so `generate` shows what a request gets.
#pragma once

#include <memory>

#include "util/args.h"
#include "util/result.h"

namespace gemma3 {

class Tokenizer;
namespace grammar {
class CompiledGrammar;
}

void add_constraint_options(Args& args);
// Null when no constraint flag is given. Errors name the flag (and the schema keyword).
Result<std::shared_ptr<const grammar::CompiledGrammar>> read_constraint_options(const Args& args, const Tokenizer& tokenizer);

}  // namespace gemma3
