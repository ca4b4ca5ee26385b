// Output constraints in the engine (grammar masks), with the real Gemma 3 tokenizer and the
// auditing FakeRunner, whose logits know nothing of JSON: whatever the sampler, the
// output is a complete document of the grammar, token for token (a fresh Matcher accepts the exact
// ids), the request finishes with "stop" once nothing but an end id can follow, tokens the grammar
// forces are appended without sampling and counted, and drafting stays off for constrained
// sequences while unconstrained batch mates keep their output.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "fake_runner.h"
#include "grammar/front_ends.h"
#include "grammar/matcher.h"
#include "test_tokenizer.h"
#include "tokenizer/tokenizer.h"

namespace gemma3 {
namespace {

using namespace std::chrono_literals;
using testing::FakeRunner;

constexpr int32_t kVocab = 262144;

const Tokenizer& tokenizer() { return testing::test_tokenizer(); }

const std::shared_ptr<const grammar::TokenTable>& table() {
  static std::shared_ptr<const grammar::TokenTable> t = grammar::build_token_table(tokenizer());
  return t;
}

std::shared_ptr<const grammar::CompiledGrammar> compile_schema(const char* schema_text) {
  auto g = grammar::json_schema_grammar(nlohmann::ordered_json::parse(schema_text));
  EXPECT_TRUE(g.ok()) << g.error();
  auto c = grammar::compile(std::move(g).value(), table());
  EXPECT_TRUE(c.ok()) << c.error();
  return std::move(c).value();
}

struct Outcome {
  std::vector<int32_t> ids;   // with logprobs on
  std::string text;
  std::optional<FinishReason> finish;
  int32_t completion_tokens = 0;
};

struct EngineRun {
  std::vector<Outcome> outcomes;
  EngineStats stats;
  std::vector<std::string> errors;
};

EngineRun run(const std::vector<GenerationRequest>& reqs) {
  KvGeometry g;
  g.block_size = 4;
  g.n_full_blocks = 512;
  g.n_sliding_blocks = 512;
  g.sliding_window = 12;
  g.max_context = 2048;
  // Logits spread over the whole vocabulary (no favoured words): the grammar, not the model, decides
  // where the document ends.
  auto runner = std::make_unique<FakeRunner>(g, kVocab);
  FakeRunner* fake = runner.get();
  EngineOptions o;
  o.eos_ids = {tokenizer().eos_id()};
  o.log_requests = false;
  Engine engine(std::move(runner), tokenizer(), o);
  engine.start();
  std::vector<std::shared_ptr<RequestHandle>> hs;
  for (const auto& r : reqs) {
    auto v = engine.submit(r);
    EXPECT_TRUE(std::holds_alternative<std::shared_ptr<RequestHandle>>(v));
    hs.push_back(std::get<std::shared_ptr<RequestHandle>>(v));
  }
  EngineRun out;
  for (auto& h : hs) {
    Outcome oc;
    OutputDelta d;
    bool timed_out = false;
    while (h->next(&d, 30s, &timed_out)) {
      oc.text += d.text;
      for (const auto& lp : d.logprobs) oc.ids.push_back(lp.id);
      if (d.finish) oc.finish = d.finish;
      oc.completion_tokens = d.completion_tokens;
    }
    EXPECT_FALSE(timed_out);
    out.outcomes.push_back(std::move(oc));
  }
  out.stats = engine.stats();
  out.errors = fake->errors();
  return out;
}

GenerationRequest request(int i, std::shared_ptr<const grammar::CompiledGrammar> g, float temperature, bool logprobs) {
  GenerationRequest r;
  r.request_id = "c-" + std::to_string(i);
  r.prompt = {2};
  auto e = tokenizer().encode("Write the record number " + std::to_string(i) + " as JSON:");
  r.prompt.insert(r.prompt.end(), e.begin(), e.end());
  r.max_tokens = 400;
  r.sampling.temperature = temperature;
  r.sampling.top_p = temperature > 0 ? 0.9f : 1.0f;
  r.sampling.repetition_penalty = i % 2 ? 1.3f : 1.0f;
  r.sampling.seed = 77 + i;
  r.logprobs = logprobs;
  r.constraint.grammar = std::move(g);
  return r;
}

const char* kSchema = R"({"type": "object", "properties": {
    "name": {"type": "string", "maxLength": 12},
    "age": {"type": "integer", "minimum": 0, "maximum": 150},
    "pet": {"enum": ["cat", "dog", "none"]}},
  "required": ["name", "age", "pet"], "additionalProperties": false})";

// A fresh Matcher walks the exact ids: every one allowed, the document complete at the end.
void expect_accepted(const std::shared_ptr<const grammar::CompiledGrammar>& g, const std::vector<int32_t>& ids) {
  grammar::Matcher m(g, {tokenizer().eos_id()});
  for (size_t i = 0; i < ids.size(); ++i) ASSERT_TRUE(m.accept(ids[i])) << "token " << i << " (" << ids[i] << ") refused";
  EXPECT_TRUE(m.is_complete());
}

TEST(Constrained, EverySamplerWritesADocumentTheGrammarAccepts) {
  const auto g = compile_schema(kSchema);
  std::vector<GenerationRequest> reqs;
  for (int i = 0; i < 6; ++i) reqs.push_back(request(i, g, i < 2 ? 0.0f : 0.5f + 0.25f * i, /*logprobs=*/true));
  const EngineRun r = run(reqs);
  for (size_t i = 0; i < reqs.size(); ++i) {
    const Outcome& o = r.outcomes[i];
    EXPECT_EQ(o.finish, FinishReason::kStop) << i;   // must_end, long before max_tokens
    EXPECT_LT(o.completion_tokens, 400) << i;
    expect_accepted(g, o.ids);
    const auto doc = nlohmann::json::parse(o.text, nullptr, false);
    ASSERT_FALSE(doc.is_discarded()) << o.text;
    EXPECT_TRUE(doc.at("name").is_string() && doc.at("age").is_number_integer() && doc.at("pet").is_string()) << o.text;
  }
  EXPECT_EQ(r.stats.forced_tokens_total, 0);  // logprobs asked: every token sampled with its logits
  EXPECT_EQ(r.errors, std::vector<std::string>{});
}

TEST(Constrained, ForcedTokensAreAppendedCountedAndComputedAsAChunk) {
  const auto g = compile_schema(kSchema);
  std::vector<GenerationRequest> reqs;
  for (int i = 0; i < 4; ++i) reqs.push_back(request(i, g, i == 0 ? 0.0f : 0.9f, /*logprobs=*/false));
  // An unconstrained batch mate keeps drafting and its own output.
  GenerationRequest free = request(9, nullptr, 0.0f, false);
  free.max_tokens = 40;
  reqs.push_back(free);
  const EngineRun r = run(reqs);
  for (size_t i = 0; i < 4; ++i) {
    const Outcome& o = r.outcomes[i];
    EXPECT_EQ(o.finish, FinishReason::kStop) << i;
    // Without logprobs the ids are not reported: tokenize the text (the same document) instead.
    expect_accepted(g, tokenizer().encode(o.text));
    const auto doc = nlohmann::json::parse(o.text, nullptr, false);
    ASSERT_FALSE(doc.is_discarded()) << o.text;
    EXPECT_EQ(doc.size(), 3u) << o.text;
  }
  // The property names and the punctuation around them are forced: `{"name": "` alone is several.
  EXPECT_GT(r.stats.forced_tokens_total, 4 * 6);
  EXPECT_EQ(r.outcomes[4].completion_tokens, 40);
  EXPECT_EQ(r.errors, std::vector<std::string>{});
}

TEST(Constrained, LazyConstraintStartsAtItsTrigger) {
  // Tool calling "auto": free text until the trigger token, then the grammar (which starts with it).
  const int32_t trigger = tokenizer().encode("{").front();
  auto gr = grammar::choice_grammar({"{\"ok\": true}", "{\"ok\": false}"});
  ASSERT_TRUE(gr.ok()) << gr.error();
  auto compiled = grammar::compile(std::move(gr).value(), table());
  ASSERT_TRUE(compiled.ok()) << compiled.error();
  GenerationRequest r = request(1, compiled.value(), 0.0f, true);
  r.constraint.lazy = true;
  r.constraint.trigger_tokens = {trigger};
  // "{" is not the fake model's first choice: without a trigger the constraint never activates.
  const EngineRun untriggered = run({r});
  EXPECT_EQ(untriggered.outcomes[0].finish, FinishReason::kLength);
  EXPECT_EQ(untriggered.outcomes[0].text.find('{'), std::string::npos);
  // A logit_bias that makes "{" the first choice triggers it; from there the output is an object.
  r.sampling.logit_bias = {{trigger, 30.0f}};
  const EngineRun triggered = run({r});
  const Outcome& o = triggered.outcomes[0];
  ASSERT_FALSE(o.ids.empty());
  EXPECT_EQ(o.ids[0], trigger);
  expect_accepted(compiled.value(), o.ids);
  EXPECT_EQ(o.finish, FinishReason::kStop);
  EXPECT_TRUE(nlohmann::json::parse(o.text, nullptr, false).is_object()) << o.text;
}

TEST(Constrained, BadConstraintsAreRejected) {
  const auto g = compile_schema(kSchema);
  KvGeometry geo;
  geo.block_size = 4;
  geo.n_full_blocks = 64;
  geo.n_sliding_blocks = 64;
  geo.sliding_window = 12;
  geo.max_context = 256;
  Engine engine(std::make_unique<FakeRunner>(geo, kVocab), tokenizer(), EngineOptions{});
  GenerationRequest r = request(0, g, 0.0f, false);
  r.max_tokens = 8;
  r.constraint.lazy = true;  // no trigger tokens
  EXPECT_TRUE(std::holds_alternative<SubmitError>(engine.submit(r)));
  r.constraint.trigger_tokens = {kVocab + 5};
  auto v = engine.submit(r);
  ASSERT_TRUE(std::holds_alternative<SubmitError>(v));
  EXPECT_NE(std::get<SubmitError>(v).message.find("constraint"), std::string::npos);
}

}  // namespace
}  // namespace gemma3
