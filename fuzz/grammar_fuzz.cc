// Fuzz target: constrained decoding from an untrusted constraint. The first byte picks the front
// end (JSON Schema, ECMAScript regex, GBNF, a choice list, json_object); the text up to the line
// kWalkMarker is its input, the bytes after it steer a walk (without the marker, the text itself
// does). The grammar is compiled against a 4,096-token cut of the Gemma 3 vocabulary
// (fuzz/data/grammar_vocab: specials, the 256 byte tokens, the most frequent pieces) under small
// limits, then walked for up to kSteps tokens. Checked at every step:
//   - accept(t) succeeds exactly for the tokens the mask allows (an allowed pick, and a random id);
//   - the end ids are in the mask exactly when is_complete(), and must_end() implies complete;
//   - forced tokens are allowed and accepted in turn, and rollback restores the mask and count.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_support.h"
#include "grammar/front_ends.h"
#include "grammar/matcher.h"
#include "tokenizer/tokenizer.h"

using namespace gemma3;
using namespace gemma3::grammar;

namespace {

constexpr std::string_view kWalkMarker = "\n#walk#\n";
constexpr int kSteps = 24;

struct GrammarVocab {
  std::unique_ptr<Tokenizer> tokenizer;
  std::shared_ptr<const TokenTable> table;
  std::vector<int32_t> end_ids;
};

const GrammarVocab& vocab() {
  static const GrammarVocab v = [] {
    GrammarVocab v;
    const char* dir = std::getenv("GEMMA3_FUZZ_GRAMMAR_VOCAB");
    auto t = Tokenizer::load(dir && *dir ? dir : GEMMA3_FUZZ_GRAMMAR_VOCAB);
    if (!t.ok()) {
      std::fprintf(stderr, "grammar_fuzz: %s\n", t.error().c_str());
      std::abort();
    }
    v.tokenizer = std::move(t).value();
    v.table = build_token_table(*v.tokenizer);
    for (const char* piece : {"<eos>", "<end_of_turn>"}) {
      if (auto id = v.tokenizer->find_token(piece)) v.end_ids.push_back(*id);
    }
    return v;
  }();
  return v;
}

Result<Grammar> front_end(uint8_t kind, std::string_view text) {
  FrontEndLimits limits;
  limits.max_depth = 16;
  limits.max_rules = 2000;
  limits.max_regex_nodes = 20000;
  limits.max_repeat = 64;
  switch (kind % 5) {
    case 0: {
      const auto schema = nlohmann::ordered_json::parse(text, nullptr, false);
      if (schema.is_discarded()) return make_error("not JSON");
      SchemaOptions options;
      options.limits = limits;
      options.max_whitespace_run = 4;
      return json_schema_grammar(schema, options);
    }
    case 1: return regex_grammar(text, limits);
    case 2: return gbnf_grammar(text, limits);
    case 3: {
      std::vector<std::string> choices;
      size_t begin = 0;
      while (begin <= text.size() && choices.size() < 64) {
        const size_t end = std::min(text.find('\n', begin), text.size());
        choices.emplace_back(text.substr(begin, end - begin));
        begin = end + 1;
      }
      return choice_grammar(choices);
    }
    default: return json_object_grammar();
  }
}

bool allowed(const std::vector<uint32_t>& mask, int32_t id) { return (mask[id / 32] >> (id % 32)) & 1u; }

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)vocab();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t marker = input.find(kWalkMarker);
  const std::string_view text = input.substr(0, marker);
  const std::string_view walk = marker == std::string_view::npos ? input : input.substr(marker + kWalkMarker.size());

  auto grammar = front_end(data[0], text);
  if (!grammar.ok()) return 0;
  const GrammarVocab& v = vocab();
  CompileLimits limits;
  limits.max_lexer_states = 20000;
  limits.max_compile_ms = 1000;
  limits.max_memory_bytes = 64u << 20;
  auto compiled = compile(std::move(grammar).value(), v.table, limits);
  if (!compiled.ok()) return 0;

  Matcher m(*compiled, v.end_ids);
  const int32_t n_vocab = v.tokenizer->vocab_size();
  std::vector<uint32_t> mask(mask_words(*v.table));
  std::vector<std::vector<uint32_t>> history;   // mask before each accepted token
  auto check_state = [&] {
    m.fill_mask(mask);
    const bool complete = m.is_complete();
    for (int32_t e : v.end_ids) G3_FUZZ_CHECK(allowed(mask, e) == complete, "end id %d vs is_complete %d", e, complete);
    if (m.must_end()) G3_FUZZ_CHECK(complete, "must_end but not complete");
  };

  size_t pos = 0;
  for (int step = 0; step < kSteps && pos < walk.size(); ++step) {
    check_state();
    const uint8_t b = static_cast<uint8_t>(walk[pos++]);
    int32_t id;
    if (b < 208) {
      std::vector<int32_t> ok;
      for (int32_t t = 0; t < n_vocab; ++t) {
        if (allowed(mask, t) && std::find(v.end_ids.begin(), v.end_ids.end(), t) == v.end_ids.end()) ok.push_back(t);
      }
      if (ok.empty()) break;
      id = ok[(b * 131u + static_cast<unsigned>(step)) % ok.size()];
    } else if (b < 240 && pos + 1 < walk.size()) {
      id = static_cast<int32_t>((static_cast<uint8_t>(walk[pos]) << 8 | static_cast<uint8_t>(walk[pos + 1])) % n_vocab);
      pos += 2;
    } else {
      // Forced tokens: each allowed in turn; then roll them back and find the same mask.
      const auto forced = m.forced_tokens(4);
      const std::vector<uint32_t> before = mask;
      for (int32_t f : forced) {
        m.fill_mask(mask);
        G3_FUZZ_CHECK(f >= 0 && f < n_vocab && allowed(mask, f), "forced token %d not allowed", f);
        G3_FUZZ_CHECK(m.accept(f), "forced token %d refused", f);
      }
      m.rollback(forced.size());
      m.fill_mask(mask);
      G3_FUZZ_CHECK(mask == before, "rollback of %zu forced tokens changed the mask", forced.size());
      continue;
    }
    const bool expect = allowed(mask, id);
    const std::vector<uint32_t> before = mask;
    G3_FUZZ_CHECK(m.accept(id) == expect, "accept(%d) disagrees with the mask (%d)", id, expect);
    if (expect) history.push_back(before);
  }
  check_state();
  // Roll back part of the walk: the mask must be what it was then.
  if (!history.empty()) {
    const size_t n = 1 + size % history.size();
    m.rollback(n);
    m.fill_mask(mask);
    G3_FUZZ_CHECK(mask == history[history.size() - n], "rollback(%zu) did not restore the mask", n);
    G3_FUZZ_CHECK(m.accepted_count() == history.size() - n, "accepted_count after rollback");
  }
  return 0;
}
