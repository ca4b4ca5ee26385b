// Mask time with Gemma 3's real vocabulary (262,145 ids), one thread: the trie walk (fill_mask)
// against the naive loop that tries every token (accept + rollback per id), at typical JSON
// positions of a hand-built JSON grammar (tests/grammar/json_test_grammar.h). Run with
// GEMMA3_TOKENIZER_DIR set to the folder tools/fetch_tokenizer.sh prints.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>

#include "../../tests/grammar/json_test_grammar.h"
#include "grammar/matcher.h"
#include "grammar/token_table.h"
#include "tokenizer/tokenizer.h"

namespace gemma3::grammar {
namespace {

struct Setup {
  std::unique_ptr<Tokenizer> tokenizer;
  std::shared_ptr<const TokenTable> table;
  std::shared_ptr<const CompiledGrammar> grammar;
};

const Setup& setup() {
  static const Setup s = [] {
    Setup s;
    const char* dir = std::getenv("GEMMA3_TOKENIZER_DIR");
    auto tok = Tokenizer::load(dir != nullptr ? dir : "");
    if (!tok) {
      std::fprintf(stderr, "set GEMMA3_TOKENIZER_DIR (tools/fetch_tokenizer.sh): %s\n", tok.error().c_str());
      std::exit(1);
    }
    s.tokenizer = std::move(tok).value();
    s.table = build_token_table(*s.tokenizer);
    s.grammar = compile(testing::json_test_grammar(), s.table).value();
    return s;
  }();
  return s;
}

// Positions: the prefix written so far.
const char* const kPrefixes[] = {
    "",                          // start: a value
    "{\"name\": \"Ada Lov",      // inside a string
    "{\"age\": 3",               // inside a number
    "{\"a\": 1, ",               // before a key
    "[true, false",              // after a literal
};

Matcher at(int position) {
  const Setup& s = setup();
  Matcher m(s.grammar, {s.tokenizer->eos_id()});
  for (int32_t id : s.tokenizer->encode(kPrefixes[position], false)) {
    if (!m.accept(id)) std::abort();
  }
  return m;
}

void BM_TrieMask(benchmark::State& state) {
  Matcher m = at(static_cast<int>(state.range(0)));
  std::vector<uint32_t> mask(mask_words(*setup().table));
  for (auto _ : state) {
    m.fill_mask(mask);
    benchmark::DoNotOptimize(mask.data());
  }
}

void BM_NaiveEveryToken(benchmark::State& state) {
  Matcher m = at(static_cast<int>(state.range(0)));
  const int32_t n = setup().table->vocab_size();
  std::vector<uint32_t> mask(mask_words(*setup().table));
  for (auto _ : state) {
    std::fill(mask.begin(), mask.end(), 0u);
    for (int32_t id = 0; id < n; ++id) {
      if (m.accept(id)) {
        mask[static_cast<size_t>(id) / 32] |= 1u << (id % 32);
        m.rollback(1);
      }
    }
    benchmark::DoNotOptimize(mask.data());
  }
}

BENCHMARK(BM_TrieMask)->DenseRange(0, 4)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_NaiveEveryToken)->DenseRange(0, 4)->Unit(benchmark::kMicrosecond)->Iterations(3);

}  // namespace
}  // namespace gemma3::grammar
