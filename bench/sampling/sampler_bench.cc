// Sampler cost per token on Gemma 3's 262,144-token vocabulary, with logits shaped like a real
// model's (a normal body plus a few strong candidates). Each iteration copies the row first (the
// sampler transforms it in place); BM_CopyRow measures that copy alone.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "sampling/sampler.h"
#include "sampling/softmax_kernels.h"

namespace gemma3 {
namespace {

using namespace gemma3::sampling;

constexpr size_t kVocab = 262144;

const std::vector<float>& model_like_logits() {
  static const std::vector<float> logits = [] {
    std::mt19937 gen(7);
    std::normal_distribution<float> body(-2.0f, 3.0f);
    std::vector<float> row(kVocab);
    for (float& x : row) x = body(gen);
    std::uniform_int_distribution<int32_t> pick(0, kVocab - 1);
    for (float bump : {18.0f, 17.5f, 16.0f, 15.0f, 14.5f, 14.0f, 13.0f, 12.0f}) row[pick(gen)] = bump;
    return row;
  }();
  return logits;
}

void run(benchmark::State& state, SamplingParams params) {
  const std::vector<float>& logits = model_like_logits();
  std::vector<float> row(kVocab);
  std::vector<int32_t> prompt(512), generated(256);
  for (size_t i = 0; i < prompt.size(); ++i) prompt[i] = static_cast<int32_t>((i * 7919) % kVocab);
  for (size_t i = 0; i < generated.size(); ++i) generated[i] = static_cast<int32_t>((i * 104729) % kVocab);
  Sampler sampler(params, 1);
  for (auto _ : state) {
    std::copy(logits.begin(), logits.end(), row.begin());
    benchmark::DoNotOptimize(sampler.sample(row, prompt, generated));
  }
}

void BM_CopyRow(benchmark::State& state) {
  const std::vector<float>& logits = model_like_logits();
  std::vector<float> row(kVocab);
  for (auto _ : state) {
    std::copy(logits.begin(), logits.end(), row.begin());
    benchmark::DoNotOptimize(row.data());
  }
}
BENCHMARK(BM_CopyRow);

void BM_Greedy(benchmark::State& state) {
  SamplingParams p;
  p.temperature = 0.0f;
  run(state, p);
}
BENCHMARK(BM_Greedy);

void BM_Temperature(benchmark::State& state) {
  SamplingParams p;
  p.temperature = 0.8f;
  run(state, p);
}
BENCHMARK(BM_Temperature);

void BM_TopK40(benchmark::State& state) {
  SamplingParams p;
  p.temperature = 0.8f;
  p.top_k = 40;
  run(state, p);
}
BENCHMARK(BM_TopK40);

void BM_TopP095(benchmark::State& state) {
  SamplingParams p;
  p.temperature = 0.8f;
  p.top_p = 0.95f;
  run(state, p);
}
BENCHMARK(BM_TopP095);

void BM_TopK64TopP095MinP(benchmark::State& state) {  // Gemma's recommended settings
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 64;
  p.top_p = 0.95f;
  p.min_p = 0.01f;
  run(state, p);
}
BENCHMARK(BM_TopK64TopP095MinP);

void BM_PenaltiesGreedy(benchmark::State& state) {
  SamplingParams p;
  p.temperature = 0.0f;
  p.repetition_penalty = 1.1f;
  p.frequency_penalty = 0.5f;
  p.presence_penalty = 0.5f;
  run(state, p);
}
BENCHMARK(BM_PenaltiesGreedy);

void BM_Logprobs20(benchmark::State& state) {
  const std::vector<float>& logits = model_like_logits();
  std::vector<TokenLogprob> top;
  float chosen;
  for (auto _ : state) {
    compute_logprobs(logits, 5, 20, &chosen, &top);
    benchmark::DoNotOptimize(chosen);
  }
}
BENCHMARK(BM_Logprobs20);

void BM_ExpWeights(benchmark::State& state) {
  const std::vector<float>& logits = model_like_logits();
  std::vector<float> w(kVocab);
  const float m = max_value(logits.data(), kVocab);
  for (auto _ : state) benchmark::DoNotOptimize(exp_weights(logits.data(), kVocab, m, -1e30f, w.data(), nullptr));
}
BENCHMARK(BM_ExpWeights);

void BM_CountAtLeast(benchmark::State& state) {
  const std::vector<float>& logits = model_like_logits();
  for (auto _ : state) benchmark::DoNotOptimize(count_at_least(logits.data(), kVocab, 10.0f));
}
BENCHMARK(BM_CountAtLeast);

}  // namespace
}  // namespace gemma3
