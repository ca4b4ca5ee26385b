// Speculative decoding in the engine, with the auditing FakeRunner made to copy its context (so its
// output loops, as a small model's greedy output does, and prompt-lookup drafts are mostly right):
// every request gives the same tokens, text, logprobs and finish with drafting on as with it off —
// greedy and sampled, with penalties, stop strings, EOS inside a draft, max_tokens, a tight token
// budget and preemption — while taking fewer forward passes. The runner's KV audit proves that the
// rolled-back positions of rejected drafts never leak into what later queries read.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "engine/engine.h"
#include "fake_runner.h"
#include "test_tokenizer.h"
#include "tokenizer/tokenizer.h"

namespace gemma3 {
namespace {

using namespace std::chrono_literals;
using testing::FakeRunner;

constexpr int32_t kVocab = 262144;

const Tokenizer& tokenizer() { return testing::test_tokenizer(); }

std::vector<int32_t> favoured() {
  std::vector<int32_t> ids;
  for (const char* w : {" the", " cat", " sat", " on", " mat", ".", "\n", " dog", "!", " a", " é", " big", ","}) {
    ids.push_back(tokenizer().encode(w).front());
  }
  return ids;
}

KvGeometry geometry(int32_t n_full, int32_t n_sliding) {
  KvGeometry g;
  g.block_size = 4;
  g.n_full_blocks = n_full;
  g.n_sliding_blocks = n_sliding;
  g.sliding_window = 12;
  g.max_context = 1024;
  return g;
}

struct Outcome {
  std::vector<int32_t> ids;
  std::vector<float> logprobs;
  std::string text;
  std::optional<FinishReason> finish;
  int32_t completion_tokens = 0;
};

struct EngineRun {
  std::vector<Outcome> outcomes;
  EngineStats stats;
  int64_t steps = 0;
  std::vector<std::string> errors;
};

// Submits all requests at once to a fresh engine and collects them.
EngineRun run(const std::vector<GenerationRequest>& requests, SpecMode spec, KvGeometry g = geometry(256, 256),
        int32_t max_batch_tokens = 512, int32_t max_running = 64, int32_t copy_lag = 7, std::vector<int32_t> eos = {},
        float copy_boost = 3.0f) {
  auto runner = std::make_unique<FakeRunner>(g, kVocab, favoured());
  if (copy_lag > 0) runner->set_copy(copy_lag, copy_boost);
  FakeRunner* fake = runner.get();
  EngineOptions o;
  o.spec = spec;
  o.max_batch_tokens = max_batch_tokens;
  o.max_running = max_running;
  o.eos_ids = std::move(eos);
  o.log_requests = false;
  Engine engine(std::move(runner), tokenizer(), o);
  engine.start();
  std::vector<std::shared_ptr<RequestHandle>> handles;
  for (const auto& r : requests) {
    auto v = engine.submit(r);
    EXPECT_TRUE(std::holds_alternative<std::shared_ptr<RequestHandle>>(v));
    handles.push_back(std::get<std::shared_ptr<RequestHandle>>(v));
  }
  EngineRun out;
  for (auto& h : handles) {
    Outcome o;
    OutputDelta d;
    bool timed_out = false;
    while (h->next(&d, 20s, &timed_out)) {
      o.text += d.text;
      for (const auto& lp : d.logprobs) {
        o.ids.push_back(lp.id);
        o.logprobs.push_back(lp.logprob);
      }
      if (d.finish) o.finish = d.finish;
      o.completion_tokens = d.completion_tokens;
    }
    EXPECT_FALSE(timed_out);
    out.outcomes.push_back(std::move(o));
  }
  out.stats = engine.stats();
  out.steps = static_cast<int64_t>(fake->steps().size());
  out.errors = fake->errors();
  return out;
}

GenerationRequest request(int i, int32_t max_tokens, SamplingParams sampling) {
  GenerationRequest r;
  r.request_id = "spec-" + std::to_string(i);
  r.prompt = {2};
  auto e = tokenizer().encode("The cat sat on the mat, story " + std::to_string(i) + ":");
  r.prompt.insert(r.prompt.end(), e.begin(), e.end());
  r.max_tokens = max_tokens;
  r.sampling = std::move(sampling);
  r.sampling.seed = 500 + i;
  r.logprobs = true;
  return r;
}

// Samplers of every kind: greedy, temperature, top-k, top-p, min-p, and the penalties that depend
// on the generated tokens (which must be applied per drafted position as if decoded one by one).
std::vector<SamplingParams> samplers() {
  std::vector<SamplingParams> v(8);
  v[0].temperature = 0.0f;
  v[1].temperature = 0.7f;
  v[2].temperature = 1.0f;
  v[2].top_k = 3;
  v[3].temperature = 0.9f;
  v[3].top_p = 0.8f;
  v[4].temperature = 0.8f;
  v[4].min_p = 0.2f;
  v[5].temperature = 0.0f;
  v[5].repetition_penalty = 1.3f;
  v[6].temperature = 0.6f;
  v[6].frequency_penalty = 0.4f;
  v[6].presence_penalty = 0.3f;
  v[7].temperature = 0.0f;
  v[7].logit_bias = {{favoured()[2], 1.5f}};
  return v;
}

void expect_same(const EngineRun& off, const EngineRun& on) {
  ASSERT_EQ(off.outcomes.size(), on.outcomes.size());
  for (size_t i = 0; i < off.outcomes.size(); ++i) {
    EXPECT_EQ(on.outcomes[i].ids, off.outcomes[i].ids) << "request " << i;
    EXPECT_EQ(on.outcomes[i].logprobs, off.outcomes[i].logprobs) << "request " << i;
    EXPECT_EQ(on.outcomes[i].text, off.outcomes[i].text) << "request " << i;
    EXPECT_EQ(on.outcomes[i].finish, off.outcomes[i].finish) << "request " << i;
    EXPECT_EQ(on.outcomes[i].completion_tokens, off.outcomes[i].completion_tokens) << "request " << i;
  }
  EXPECT_EQ(on.errors, std::vector<std::string>{});
  EXPECT_EQ(off.errors, std::vector<std::string>{});
}

TEST(Speculative, EverySamplerGivesTheSameTokensWithFewerPasses) {
  std::vector<GenerationRequest> reqs;
  const auto s = samplers();
  for (size_t i = 0; i < s.size(); ++i) reqs.push_back(request(static_cast<int>(i), 40, s[i]));
  // One at a time (each alone in the engine) so the pass count is the decode steps themselves.
  for (const auto& r : reqs) {
    const EngineRun off = run({r}, SpecMode::kOff), on = run({r}, SpecMode::kNgram);
    expect_same(off, on);
    EXPECT_EQ(off.stats.spec_draft_tokens_total, 0);
    EXPECT_GT(on.stats.spec_accepted_tokens_total, 0) << r.request_id;
    EXPECT_LT(on.steps, off.steps) << r.request_id;
  }
  // A model that always copies (the boost beats every other logit) loops exactly: the drafts are
  // predicted almost entirely, at least 2x fewer passes.
  const auto copying = [&](SpecMode spec) { return run({reqs[0]}, spec, geometry(256, 256), 512, 64, 7, {}, 4.5f); };
  const EngineRun off = copying(SpecMode::kOff), on = copying(SpecMode::kNgram);
  expect_same(off, on);
  EXPECT_LT(on.steps * 2, off.steps);
  EXPECT_GT(on.stats.spec_accepted_tokens_total * 10, on.stats.spec_draft_tokens_total * 7);
}

TEST(Speculative, BatchedWithATightBudgetAndPreemptionGivesTheSameTokens) {
  std::vector<GenerationRequest> reqs;
  const auto s = samplers();
  for (int i = 0; i < 12; ++i) reqs.push_back(request(i, 30, s[static_cast<size_t>(i) % s.size()]));
  const EngineRun off = run(reqs, SpecMode::kOff);
  // Budget 18 tokens for 12 sequences: drafts are trimmed to what the decodes leave.
  const EngineRun tight = run(reqs, SpecMode::kNgram, geometry(256, 256), 18);
  expect_same(off, tight);
  EXPECT_GT(tight.stats.spec_accepted_tokens_total, 0);
  // A pool of 64 positions for 12 requests of ~45: preemption drops drafts and recomputes.
  const EngineRun preempted = run(reqs, SpecMode::kNgram, geometry(16, 8), 32, 12);
  expect_same(off, preempted);
  EXPECT_GT(preempted.stats.preemptions_total, 0);
  EXPECT_GT(preempted.stats.spec_accepted_tokens_total, 0);
}

TEST(Speculative, StopStringsEosAndMaxTokensInsideADraft) {
  const SamplingParams greedy = samplers()[0];
  const EngineRun free_run = run({request(1, 80, greedy)}, SpecMode::kOff);
  const Outcome& base = free_run.outcomes[0];
  ASSERT_GT(base.text.size(), 40u);
  // A stop string from late in the looping text, where whole drafts are being accepted.
  auto stopped = request(1, 80, greedy);
  stopped.stop = {base.text.substr(base.text.size() * 3 / 4, 6)};
  const EngineRun s_off = run({stopped}, SpecMode::kOff), s_on = run({stopped}, SpecMode::kNgram);
  expect_same(s_off, s_on);
  EXPECT_EQ(s_on.outcomes[0].finish, FinishReason::kStop);
  // EOS: a token of the loop, first generated well after drafting started.
  const int32_t eos = base.ids[40];
  const EngineRun e_off = run({request(1, 80, greedy)}, SpecMode::kOff, geometry(256, 256), 512, 64, 7, {1, eos});
  const EngineRun e_on = run({request(1, 80, greedy)}, SpecMode::kNgram, geometry(256, 256), 512, 64, 7, {1, eos});
  expect_same(e_off, e_on);
  EXPECT_EQ(e_on.outcomes[0].finish, FinishReason::kStop);
  EXPECT_LT(e_on.outcomes[0].completion_tokens, 80);
  // max_tokens never exceeded, whatever the draft length.
  for (int32_t n : {1, 2, 9, 23}) {
    const EngineRun m_off = run({request(1, n, greedy)}, SpecMode::kOff), m_on = run({request(1, n, greedy)}, SpecMode::kNgram);
    expect_same(m_off, m_on);
    EXPECT_EQ(m_on.outcomes[0].completion_tokens, n);
  }
}

TEST(Speculative, TextThatDoesNotRepeatBacksOff) {
  // Without the copy bias the fake model's text rarely continues an earlier n-gram: drafts are
  // mostly rejected, so the back-off keeps the drafted tokens a small fraction of the output.
  std::vector<GenerationRequest> reqs;
  for (int i = 0; i < 3; ++i) reqs.push_back(request(i, 100, samplers()[1]));
  const EngineRun off = run(reqs, SpecMode::kOff, geometry(256, 256), 512, 64, /*copy_lag=*/0);
  const EngineRun on = run(reqs, SpecMode::kNgram, geometry(256, 256), 512, 64, /*copy_lag=*/0);
  expect_same(off, on);
  const int64_t generated = on.stats.generation_tokens_total;
  EXPECT_LT(on.stats.spec_draft_tokens_total - on.stats.spec_accepted_tokens_total, generated / 5)
      << "drafted " << on.stats.spec_draft_tokens_total << ", accepted " << on.stats.spec_accepted_tokens_total;
}

}  // namespace
}  // namespace gemma3
