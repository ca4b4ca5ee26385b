// Engine end to end with the real Gemma 3 tokenizer and the auditing FakeRunner: streaming
// deltas, finish reasons (length, EOS, stop strings), logprobs, batch invariance, preemption under
// a tiny KV pool, cancellation freeing blocks, queue-full and invalid requests, metrics.
#include "engine/engine.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "engine/request_channel.h"
#include "fake_runner.h"
#include "test_tokenizer.h"
#include "tokenizer/tokenizer.h"

namespace gemma3 {
namespace {

using namespace std::chrono_literals;
using testing::FakeRunner;

constexpr int32_t kVocab = 262144;

KvGeometry geometry(int32_t n_full, int32_t n_sliding) {
  KvGeometry g;
  g.block_size = 4;
  g.n_full_blocks = n_full;
  g.n_sliding_blocks = n_sliding;
  g.sliding_window = 12;
  g.max_context = 1024;
  return g;
}

const Tokenizer& tokenizer() { return testing::test_tokenizer(); }

// Ids the fake model favours, so outputs are words (and a two-byte character).
std::vector<int32_t> favoured() {
  std::vector<int32_t> ids;
  for (const char* w : {" the", " cat", " sat", " on", " mat", ".", "\n", " dog", "!", " a", " é", " big", ","}) {
    auto e = tokenizer().encode(w);
    ids.push_back(e.front());
  }
  return ids;
}

std::vector<int32_t> prompt(int i, int n = 9) {
  std::vector<int32_t> p = {2};
  auto e = tokenizer().encode("Once upon a time number " + std::to_string(i) + " there was");
  p.insert(p.end(), e.begin(), e.end());
  while (static_cast<int>(p.size()) < n) p.push_back(p.back());
  return p;
}

struct Outcome {
  std::string text;
  std::vector<int32_t> ids;   // from logprobs
  std::vector<TokenLogprobInfo> logprobs;
  std::optional<FinishReason> finish;
  int32_t prompt_tokens = 0, completion_tokens = 0, cached = 0;
  int32_t n_deltas = 0;
};

Outcome collect(RequestHandle& h) {
  Outcome o;
  OutputDelta d;
  bool timed_out = false;
  while (h.next(&d, 20s, &timed_out)) {
    ++o.n_deltas;
    o.text += d.text;
    for (auto& lp : d.logprobs) {
      o.ids.push_back(lp.id);
      o.logprobs.push_back(lp);
    }
    if (d.finish) o.finish = d.finish;
    o.prompt_tokens = d.prompt_tokens;
    o.completion_tokens = d.completion_tokens;
    o.cached = d.cached_prompt_tokens;
  }
  EXPECT_FALSE(timed_out);
  return o;
}

std::shared_ptr<RequestHandle> submit_ok(Engine& e, GenerationRequest r) {
  auto v = e.submit(std::move(r));
  if (auto* err = std::get_if<SubmitError>(&v)) {
    ADD_FAILURE() << "submit failed: " << err->message;
    return nullptr;
  }
  return std::get<std::shared_ptr<RequestHandle>>(v);
}

GenerationRequest request(int i, int32_t max_tokens, float temperature = 0.0f) {
  GenerationRequest r;
  r.request_id = "req-" + std::to_string(i);
  r.prompt = prompt(i, 9 + i % 7);
  r.max_tokens = max_tokens;
  r.sampling.temperature = temperature;
  r.sampling.seed = 1000 + i;
  r.logprobs = true;
  return r;
}

EngineOptions options(int32_t max_batch_tokens, int32_t max_running = 64, int32_t max_waiting = 256) {
  EngineOptions o;
  o.max_batch_tokens = max_batch_tokens;
  o.max_running = max_running;
  o.max_waiting = max_waiting;
  return o;
}

struct Fixture {
  explicit Fixture(KvGeometry g = geometry(256, 256), EngineOptions o = {}) {
    auto r = std::make_unique<FakeRunner>(g, kVocab, favoured());
    runner = r.get();
    o.log_requests = false;
    engine = std::make_unique<Engine>(std::move(r), tokenizer(), o);
  }
  FakeRunner* runner;
  std::unique_ptr<Engine> engine;
};

// Greedy continuation straight from the fake model.
std::vector<int32_t> reference(const FakeRunner& runner, std::vector<int32_t> tokens, int32_t n) {
  std::vector<float> row(kVocab);
  std::vector<int32_t> out;
  for (int32_t i = 0; i < n; ++i) {
    runner.logits_for(FakeRunner::history_hash(tokens), row.data());
    out.push_back(static_cast<int32_t>(std::max_element(row.begin(), row.end()) - row.begin()));
    tokens.push_back(out.back());
  }
  return out;
}

TEST(Engine, GreedyGenerationStreamsDecodedText) {
  Fixture f;
  f.runner->set_delay(5ms);  // slower than the reader, so tokens arrive as separate deltas
  f.engine->start();
  auto h = submit_ok(*f.engine, request(0, 12));
  ASSERT_TRUE(h);
  Outcome o = collect(*h);
  EXPECT_EQ(o.finish, FinishReason::kLength);
  EXPECT_EQ(o.completion_tokens, 12);
  EXPECT_EQ(o.prompt_tokens, static_cast<int32_t>(request(0, 12).prompt.size()));
  EXPECT_EQ(o.ids, reference(*f.runner, request(0, 12).prompt, 12));
  EXPECT_EQ(o.text, tokenizer().decode(o.ids));
  EXPECT_GT(o.n_deltas, 1);
  EXPECT_EQ(f.runner->errors(), std::vector<std::string>{});
}

TEST(Engine, LogprobsAreSortedAndConsistent) {
  Fixture f;
  f.engine->start();
  auto r = request(1, 6);
  r.top_logprobs = 3;
  auto h = submit_ok(*f.engine, r);
  Outcome o = collect(*h);
  ASSERT_EQ(o.logprobs.size(), 6u);
  for (const auto& lp : o.logprobs) {
    ASSERT_EQ(lp.top.size(), 3u);
    EXPECT_GE(lp.top[0].logprob, lp.top[1].logprob);
    EXPECT_GE(lp.top[1].logprob, lp.top[2].logprob);
    EXPECT_FLOAT_EQ(lp.logprob, lp.top[0].logprob);  // greedy picks the most likely
    EXPECT_LE(lp.logprob, 0.0f);
    EXPECT_EQ(lp.bytes, tokenizer().token_bytes(lp.id));
  }
}

TEST(Engine, BatchedOutputsEqualAloneOutputs) {
  std::vector<Outcome> alone;
  {
    Fixture f;
    f.engine->start();
    for (int i = 0; i < 16; ++i) {
      auto h = submit_ok(*f.engine, request(i, 20, i % 2 ? 0.9f : 0.0f));
      alone.push_back(collect(*h));
    }
  }
  Fixture f(geometry(256, 256), options(24));
  f.engine->start();
  std::vector<std::shared_ptr<RequestHandle>> hs;
  for (int i = 0; i < 16; ++i) hs.push_back(submit_ok(*f.engine, request(i, 20, i % 2 ? 0.9f : 0.0f)));
  for (int i = 0; i < 16; ++i) {
    Outcome o = collect(*hs[static_cast<size_t>(i)]);
    EXPECT_EQ(o.ids, alone[static_cast<size_t>(i)].ids) << i;
    EXPECT_EQ(o.text, alone[static_cast<size_t>(i)].text) << i;
    EXPECT_EQ(o.finish, FinishReason::kLength);
  }
  // The batch really was shared: some step carried several sequences.
  size_t widest = 0;
  for (const auto& s : f.runner->steps()) widest = std::max(widest, s.size());
  EXPECT_GT(widest, 4u);
  EXPECT_EQ(f.runner->errors(), std::vector<std::string>{});
}

TEST(Engine, PreemptionUnderTinyPoolKeepsOutputsAndEveryRequestFinishes) {
  std::vector<Outcome> expected;
  {
    Fixture f;
    f.engine->start();
    for (int i = 0; i < 24; ++i) expected.push_back(collect(*submit_ok(*f.engine, request(i, 30, 0.7f))));
  }
  // 24 requests of up to ~45 tokens; the full pool holds 64 positions.
  Fixture f(geometry(16, 8), options(32, 24));
  f.engine->start();
  std::vector<std::shared_ptr<RequestHandle>> hs;
  for (int i = 0; i < 24; ++i) hs.push_back(submit_ok(*f.engine, request(i, 30, 0.7f)));
  for (int i = 0; i < 24; ++i) {
    Outcome o = collect(*hs[static_cast<size_t>(i)]);
    EXPECT_EQ(o.ids, expected[static_cast<size_t>(i)].ids) << i;
    EXPECT_EQ(o.finish, FinishReason::kLength) << i;
  }
  const EngineStats s = f.engine->stats();
  EXPECT_GT(s.preemptions_total, 0);
  EXPECT_EQ(s.requests_finished_total, 24);
  EXPECT_EQ(f.runner->errors(), std::vector<std::string>{});
}

TEST(Engine, StopStringEndsGenerationAndIsNeverEmitted) {
  Fixture f;
  f.engine->start();
  const Outcome free_run = collect(*submit_ok(*f.engine, request(3, 40)));
  ASSERT_GT(free_run.text.size(), 12u);
  // A stop string taken from the middle of the free run's text.
  const std::string stop = free_run.text.substr(free_run.text.size() / 2, 5);
  auto r = request(3, 40);
  r.stop = {"never appears zzz", stop};
  const Outcome o = collect(*submit_ok(*f.engine, r));
  EXPECT_EQ(o.finish, FinishReason::kStop);
  EXPECT_EQ(o.text, free_run.text.substr(0, free_run.text.find(stop)));
  EXPECT_LT(o.completion_tokens, 40);
}

TEST(Engine, EosFinishesWithStopAndIsNotInTheText) {
  Fixture probe;
  const auto ids = reference(*probe.runner, request(4, 10).prompt, 10);
  EngineOptions o;
  o.eos_ids = {1, ids[5]};
  // The first occurrence of ids[5] ends the generation.
  const size_t at = static_cast<size_t>(std::find(ids.begin(), ids.end(), ids[5]) - ids.begin());
  Fixture f(geometry(256, 256), o);
  f.engine->start();
  const Outcome out = collect(*submit_ok(*f.engine, request(4, 10)));
  EXPECT_EQ(out.finish, FinishReason::kStop);
  EXPECT_EQ(out.completion_tokens, static_cast<int32_t>(at + 1));
  EXPECT_EQ(out.text, tokenizer().decode(std::vector<int32_t>(ids.begin(), ids.begin() + static_cast<long>(at))));
}

TEST(Engine, CancellationFreesTheSequence) {
  Fixture f;
  f.runner->set_delay(2ms);
  f.engine->start();
  auto h = submit_ok(*f.engine, request(5, 500));
  OutputDelta d;
  bool timed_out = false;
  ASSERT_TRUE(h->next(&d, 10s, &timed_out));
  h.reset();  // the client went away
  for (int i = 0; i < 2000 && f.engine->stats().requests_cancelled_total == 0; ++i) std::this_thread::sleep_for(2ms);
  const EngineStats s = f.engine->stats();
  EXPECT_EQ(s.running, 0);
  EXPECT_EQ(s.requests_cancelled_total, 1);
  EXPECT_DOUBLE_EQ(s.kv_usage_ratio, 0.0);
  EXPECT_LT(s.generation_tokens_total, 500);
}

TEST(Engine, ExplicitCancelEndsTheStream) {
  Fixture f;
  f.runner->set_delay(1ms);
  f.engine->start();
  auto h = submit_ok(*f.engine, request(6, 500));
  h->cancel();
  h->cancel();  // idempotent
  Outcome o = collect(*h);
  EXPECT_FALSE(o.finish.has_value());
  EXPECT_LT(o.completion_tokens, 500);
}

TEST(Engine, QueueFullAndShutdownEndPendingRequests) {
  Fixture f(geometry(256, 256), options(512, 64, 2));
  auto a = submit_ok(*f.engine, request(0, 4));   // not started: both wait
  auto b = submit_ok(*f.engine, request(1, 4));
  auto c = f.engine->submit(request(2, 4));
  ASSERT_TRUE(std::holds_alternative<SubmitError>(c));
  EXPECT_EQ(std::get<SubmitError>(c).kind, SubmitErrorKind::kQueueFull);
  EXPECT_EQ(f.engine->stats().waiting, 2);
  f.engine.reset();  // shutdown: the streams end without a finish reason
  Outcome oa = collect(*a);
  EXPECT_FALSE(oa.finish.has_value());
}

TEST(RequestChannel, UncollectedDeltasMergeAndFinishEndsTheStream) {
  auto ch = std::make_shared<detail::RequestChannel>("r");
  RequestHandle h(ch);
  OutputDelta a;
  a.text = "Hel";
  a.logprobs.resize(1);
  a.completion_tokens = 1;
  ch->push(a);
  OutputDelta b;
  b.text = "lo";
  b.logprobs.resize(2);
  b.completion_tokens = 3;
  b.finish = FinishReason::kLength;
  ch->push(b);
  ch->push(a);  // after the finish: ignored
  OutputDelta got;
  bool timed_out = true;
  ASSERT_TRUE(h.next(&got, 1s, &timed_out));
  EXPECT_FALSE(timed_out);
  EXPECT_EQ(got.text, "Hello");
  EXPECT_EQ(got.logprobs.size(), 3u);
  EXPECT_EQ(got.completion_tokens, 3);
  EXPECT_EQ(got.finish, FinishReason::kLength);
  EXPECT_FALSE(h.next(&got, 1s, &timed_out));
  EXPECT_FALSE(timed_out);
  EXPECT_FALSE(ch->cancelled());
}

TEST(RequestChannel, NextTimesOutAndDestroyingTheHandleCancels) {
  auto ch = std::make_shared<detail::RequestChannel>("r");
  {
    RequestHandle h(ch);
    OutputDelta got;
    bool timed_out = false;
    EXPECT_FALSE(h.next(&got, 5ms, &timed_out));
    EXPECT_TRUE(timed_out);
  }
  EXPECT_TRUE(ch->cancelled());
}

TEST(Engine, InvalidRequestsAreRejected) {
  Fixture f(geometry(8, 8));  // 32 positions of KV
  auto kind = [&](GenerationRequest r) {
    auto v = f.engine->submit(std::move(r));
    return std::holds_alternative<SubmitError>(v) ? std::get<SubmitError>(v).kind : SubmitErrorKind::kShuttingDown;
  };
  auto r = request(0, 4);
  r.prompt.clear();
  EXPECT_EQ(kind(r), SubmitErrorKind::kInvalid);
  r = request(0, 30);  // 9 + 30 > 32 positions
  EXPECT_EQ(kind(r), SubmitErrorKind::kInvalid);
  r = request(0, 4);
  r.top_logprobs = 21;
  EXPECT_EQ(kind(r), SubmitErrorKind::kInvalid);
  r = request(0, 4);
  r.prompt.push_back(kVocab);
  EXPECT_EQ(kind(r), SubmitErrorKind::kInvalid);
  r = request(0, 4);
  r.sampling.temperature = -1.0f;
  EXPECT_EQ(kind(r), SubmitErrorKind::kInvalid);
}

TEST(Engine, PrefixCacheHitsAreReportedAndMetricsExported) {
  Fixture f;
  f.engine->start();
  auto r = request(7, 4);
  r.prompt = prompt(7, 30);
  const Outcome first = collect(*submit_ok(*f.engine, r));
  const Outcome second = collect(*submit_ok(*f.engine, r));
  EXPECT_EQ(first.cached, 0);
  EXPECT_EQ(second.cached, 28);  // 30 tokens, blocks of 4: 7 whole blocks, the last token computed
  EXPECT_EQ(second.ids, first.ids);
  const EngineStats s = f.engine->stats();
  EXPECT_EQ(s.prefix_cache_hits_total, 28);
  EXPECT_EQ(s.generation_tokens_total, 8);
  EXPECT_EQ(s.prompt_tokens_total, 60);
  const std::string m = f.engine->metrics_prometheus();
  for (const char* name : {"gemma3_requests_running 0", "gemma3_requests_waiting 0", "gemma3_prompt_tokens_total 60",
                           "gemma3_generation_tokens_total 8", "gemma3_kv_cache_usage_ratio 0",
                           "gemma3_prefix_cache_hits_total 28", "gemma3_time_to_first_token_seconds_count 2",
                           "gemma3_inter_token_latency_seconds_count 6", "gemma3_request_duration_seconds_count 2",
                           "gemma3_request_duration_seconds_bucket{le=\"+Inf\"} 2"}) {
    EXPECT_NE(m.find(name), std::string::npos) << name << "\n" << m;
  }
}

}  // namespace
}  // namespace gemma3
