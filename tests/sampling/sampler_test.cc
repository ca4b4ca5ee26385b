// Sampler: each transform against hand-computed examples, the drawn distribution against its
// expected probabilities (chi-square, fixed seeds), reproducibility, logprobs, and the kernels
// against scalar references.
#include "sampling/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <set>

#include "sampling/softmax_kernels.h"

namespace gemma3 {
namespace {

using namespace gemma3::sampling;

constexpr float kInf = std::numeric_limits<float>::infinity();

SamplingParams greedy() {
  SamplingParams p;
  p.temperature = 0.0f;
  return p;
}

std::vector<float> log_probs(std::initializer_list<double> probs) {
  std::vector<float> out;
  for (double p : probs) out.push_back(static_cast<float>(std::log(p)));
  return out;
}

// Draws n tokens from fresh copies of `logits` and returns the count of each id.
std::map<int32_t, int> histogram(Sampler& sampler, const std::vector<float>& logits, int n) {
  std::map<int32_t, int> counts;
  std::vector<float> row;
  for (int i = 0; i < n; ++i) {
    row = logits;
    ++counts[sampler.sample(row, {}, {})];
  }
  return counts;
}

// Pearson chi-square of observed counts against expected probabilities (ids absent from
// `expected` must never be drawn).
double chi_square(const std::map<int32_t, int>& counts, const std::map<int32_t, double>& expected, int n) {
  double chi2 = 0.0;
  for (const auto& [id, c] : counts) {
    EXPECT_TRUE(expected.count(id)) << "drew id " << id << " which should have probability 0";
  }
  for (const auto& [id, p] : expected) {
    const double e = p * n;
    auto it = counts.find(id);
    const double o = it == counts.end() ? 0.0 : it->second;
    chi2 += (o - e) * (o - e) / e;
  }
  return chi2;
}

// Chi-square critical values at p = 0.001 by degrees of freedom (so a correct sampler fails 1 in
// 1000 seeds; the seeds here are fixed).
double critical(int dof) {
  static const double table[] = {0, 10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32, 26.12, 27.88, 29.59};
  return table[dof];
}

TEST(ValidateSamplingParams, NamesTheField) {
  auto error_of = [](auto mutate) {
    SamplingParams p;
    mutate(p);
    Status s = validate_sampling_params(p, 1000);
    return s.ok() ? std::string("ok") : s.error();
  };
  EXPECT_EQ(error_of([](SamplingParams&) {}), "ok");
  EXPECT_EQ(error_of([](SamplingParams& p) { p.temperature = 2.5f; }), "temperature must be between 0 and 2 (got 2.5)");
  EXPECT_EQ(error_of([](SamplingParams& p) { p.temperature = -0.1f; }).rfind("temperature must be between 0 and 2", 0), 0u);
  EXPECT_EQ(error_of([](SamplingParams& p) { p.temperature = NAN; }).rfind("temperature must be", 0), 0u);
  EXPECT_EQ(error_of([](SamplingParams& p) { p.top_p = 1.5f; }).rfind("top_p must be between 0 and 1", 0), 0u);
  EXPECT_EQ(error_of([](SamplingParams& p) { p.top_k = -2; }).rfind("top_k must be", 0), 0u);
  EXPECT_EQ(error_of([](SamplingParams& p) { p.top_k = -1; }), "ok");
  EXPECT_EQ(error_of([](SamplingParams& p) { p.min_p = 2.0f; }).rfind("min_p must be between 0 and 1", 0), 0u);
  EXPECT_EQ(error_of([](SamplingParams& p) { p.repetition_penalty = 0.0f; }).rfind("repetition_penalty must be", 0), 0u);
  EXPECT_EQ(error_of([](SamplingParams& p) { p.presence_penalty = 3.0f; }).rfind("presence_penalty must be between -2 and 2", 0), 0u);
  EXPECT_EQ(error_of([](SamplingParams& p) { p.frequency_penalty = -2.5f; }).rfind("frequency_penalty must be between -2 and 2", 0), 0u);
  EXPECT_EQ(error_of([](SamplingParams& p) { p.logit_bias = {{999999, 1.0f}}; }),
            "logit_bias key 999999 is not a token id (vocabulary size 1000)");
  EXPECT_EQ(error_of([](SamplingParams& p) { p.logit_bias = {{-1, 1.0f}}; }).rfind("logit_bias key -1", 0), 0u);
  EXPECT_EQ(error_of([](SamplingParams& p) { p.logit_bias = {{5, 101.0f}}; }).rfind("logit_bias value for token 5 must be between -100 and 100", 0), 0u);
}

TEST(Sampler, GreedyTakesArgmaxLowestIdOnTies) {
  Sampler s(greedy(), 1);
  std::vector<float> row = {0.5f, 2.0f, -1.0f, 2.0f};
  EXPECT_EQ(s.sample(row, {}, {}), 1);
  row = {-kInf, NAN, -3.0f, NAN};
  EXPECT_EQ(s.sample(row, {}, {}), 2);
  std::vector<float> big(262144, -5.0f);
  big[200000] = 7.0f;
  big[262143] = 7.0f;
  EXPECT_EQ(s.sample(big, {}, {}), 200000);
}

TEST(Sampler, TopKOneIsGreedy) {
  SamplingParams p;
  p.top_k = 1;
  Sampler s(p, 7);
  for (int i = 0; i < 50; ++i) {
    std::vector<float> row = {1.0f, 3.0f, 3.0f, 2.0f};
    EXPECT_EQ(s.sample(row, {}, {}), 1);
  }
}

TEST(Sampler, LogitBiasIsAdded) {
  SamplingParams p = greedy();
  p.logit_bias = {{0, 5.0f}, {2, -1.0f}, {99, 100.0f} /* outside the row: ignored */};
  Sampler s(p, 1);
  std::vector<float> row = {1.0f, 4.0f, 3.0f};
  EXPECT_EQ(s.sample(row, {}, {}), 0);
  EXPECT_EQ(row, (std::vector<float>{6.0f, 4.0f, 2.0f}));
}

TEST(Sampler, RepetitionPenaltyHuggingFaceSemantics) {
  SamplingParams p = greedy();
  p.repetition_penalty = 2.0f;
  Sampler s(p, 1);
  std::vector<float> row = {2.0f, -2.0f, 1.0f, 0.5f, 0.0f};
  const std::vector<int32_t> prompt = {0, 1, 1, 4, -7 /* ignored */};
  const std::vector<int32_t> generated = {0, 0, 1000000 /* ignored */};
  s.sample(row, prompt, generated);
  // Each distinct id once: positive divided, negative (and zero) multiplied.
  EXPECT_EQ(row, (std::vector<float>{1.0f, -4.0f, 1.0f, 0.5f, 0.0f}));
  // The scratch bitset is clean again: a second call penalises once more, not zero times.
  s.sample(row, prompt, generated);
  EXPECT_EQ(row, (std::vector<float>{0.5f, -8.0f, 1.0f, 0.5f, 0.0f}));
}

TEST(Sampler, PresenceAndFrequencyOpenAISemantics) {
  SamplingParams p = greedy();
  p.frequency_penalty = 0.5f;
  p.presence_penalty = 0.25f;
  Sampler s(p, 1);
  std::vector<float> row = {1.0f, 1.0f, 1.0f, 1.0f};
  const std::vector<int32_t> prompt = {0, 0, 0};  // the prompt does not count
  const std::vector<int32_t> generated = {2, 3, 2};
  s.sample(row, prompt, generated);
  // logit - count * frequency - presence
  EXPECT_EQ(row, (std::vector<float>{1.0f, 1.0f, 1.0f - 1.0f - 0.25f, 1.0f - 0.5f - 0.25f}));
  s.sample(row, prompt, generated);  // counts were reset: the same again
  EXPECT_EQ(row, (std::vector<float>{1.0f, 1.0f, -1.5f, -0.5f}));
}

TEST(Sampler, BiasThenPenaltyOrder) {
  // Bias first: 1 + 1 = 2 > 0, so the repetition penalty divides (it would multiply -1 + ... if
  // applied to the raw logit first).
  SamplingParams p = greedy();
  p.logit_bias = {{0, 2.0f}};
  p.repetition_penalty = 2.0f;
  Sampler s(p, 1);
  std::vector<float> row = {-1.0f, 0.0f};
  const std::vector<int32_t> prompt = {0};
  s.sample(row, prompt, {});
  EXPECT_EQ(row[0], 0.5f);
}

TEST(Sampler, TemperatureDividesLogits) {
  SamplingParams p;
  p.temperature = 0.5f;
  Sampler s(p, 3);
  std::vector<float> row = {1.0f, -3.0f, 0.25f};
  s.sample(row, {}, {});
  EXPECT_EQ(row, (std::vector<float>{2.0f, -6.0f, 0.5f}));
}

TEST(Sampler, FullDistributionChiSquare) {
  const std::vector<double> probs = {0.3, 0.2, 0.15, 0.1, 0.08, 0.07, 0.05, 0.03, 0.015, 0.005};
  std::vector<float> logits;
  for (double q : probs) logits.push_back(static_cast<float>(std::log(q)) + 3.0f);  // shift-invariant
  Sampler s(SamplingParams{}, 12345);
  const int n = 100000;
  std::map<int32_t, double> expected;
  for (size_t i = 0; i < probs.size(); ++i) expected[static_cast<int32_t>(i)] = probs[i];
  EXPECT_LT(chi_square(histogram(s, logits, n), expected, n), critical(9));
}

TEST(Sampler, TemperatureChiSquare) {
  // T = 2 flattens p to p^(1/2) / Z.
  const std::vector<double> probs = {0.64, 0.16, 0.16, 0.04};
  SamplingParams p;
  p.temperature = 2.0f;
  Sampler s(p, 99);
  const int n = 50000;
  std::map<int32_t, double> expected = {{0, 0.8 / 1.8}, {1, 0.4 / 1.8}, {2, 0.4 / 1.8}, {3, 0.2 / 1.8}};
  std::vector<float> logits;
  for (double q : probs) logits.push_back(static_cast<float>(std::log(q)));
  EXPECT_LT(chi_square(histogram(s, logits, n), expected, n), critical(3));
}

TEST(Sampler, LargeVocabFullPathChiSquare) {
  // Mass spread over several 256-token blocks, including the last (partial) one, plus a sea of
  // unlikely tokens: checks the block-sum walk.
  std::vector<float> logits(262144 + 100, -30.0f);
  const std::map<int32_t, double> weights = {{5, 1.0}, {700, 2.0}, {131072, 3.0}, {262143, 1.5}, {262200, 2.5}};
  double total = 0;
  for (const auto& [id, w] : weights) {
    logits[id] = static_cast<float>(std::log(w));
    total += w;
  }
  Sampler s(SamplingParams{}, 2024);
  const int n = 4000;  // each draw walks 262k logits
  std::map<int32_t, double> expected;
  for (const auto& [id, w] : weights) expected[id] = w / total;  // the sea: e^-30 * 262k ~ 2e-8
  EXPECT_LT(chi_square(histogram(s, logits, n), expected, n), critical(4));
}

TEST(Sampler, TopKKeepsKHighestTiesByLowerId) {
  SamplingParams p;
  p.top_k = 2;
  Sampler s(p, 5);
  // ids 1 and 2 tie at 3.0 with id 3: k = 2 keeps 1 and 2 (lower ids).
  std::vector<float> logits = {0.0f, 3.0f, 3.0f, 3.0f, 2.9f};
  const int n = 20000;
  EXPECT_LT(chi_square(histogram(s, logits, n), {{1, 0.5}, {2, 0.5}}, n), critical(1));
}

TEST(Sampler, TopKLargeVocabChiSquare) {
  std::mt19937 gen(1);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  std::vector<float> logits(262144);
  for (float& x : logits) x = normal(gen) - 10.0f;
  const std::vector<int32_t> top = {77, 5000, 99999, 150000, 262143};
  const std::vector<double> w = {0.4, 0.25, 0.15, 0.12, 0.08};
  for (size_t i = 0; i < top.size(); ++i) logits[top[i]] = static_cast<float>(std::log(w[i]) + 5.0);
  SamplingParams p;
  p.top_k = 5;
  Sampler s(p, 77);
  const int n = 4000;  // each draw walks 262k logits
  std::map<int32_t, double> expected;
  for (size_t i = 0; i < top.size(); ++i) expected[top[i]] = w[i];
  EXPECT_LT(chi_square(histogram(s, logits, n), expected, n), critical(4));
}

TEST(Sampler, TiesEverywhere) {
  // All equal: top-k keeps the k lowest ids, top-p the shortest prefix in id order.
  SamplingParams p;
  p.top_k = 3;
  Sampler s(p, 31);
  std::vector<float> flat(262144, 0.5f);
  const int n = 600;
  EXPECT_LT(chi_square(histogram(s, flat, n), {{0, 1.0 / 3}, {1, 1.0 / 3}, {2, 1.0 / 3}}, n), critical(2));
  SamplingParams q;
  q.top_p = 0.5f;  // 4 of 8 equal tokens reach exactly half
  Sampler s2(q, 32);
  const std::vector<float> eight(8, -1.0f);
  EXPECT_LT(chi_square(histogram(s2, eight, 4000), {{0, 0.25}, {1, 0.25}, {2, 0.25}, {3, 0.25}}, 4000), critical(3));
}

TEST(Sampler, NeverDrawsNaNOrMinusInfinity) {
  std::vector<float> row = {NAN, -kInf, 0.0f, NAN, 1.0f, -kInf};
  for (int mode = 0; mode < 4; ++mode) {
    SamplingParams p;
    if (mode == 1) p.top_k = 4;
    if (mode == 2) p.top_p = 0.999f;
    if (mode == 3) p.min_p = 0.01f;
    Sampler s(p, 40 + mode);
    for (const auto& [id, c] : histogram(s, row, 500)) EXPECT_TRUE(id == 2 || id == 4) << mode << " drew " << id;
  }
  // Nothing finite: the first position, without crashing.
  Sampler s(SamplingParams{}, 1);
  std::vector<float> dead = {-kInf, NAN};
  EXPECT_EQ(s.sample(dead, {}, {}), 0);
}

TEST(Sampler, TopPKeepsShortestPrefixReachingP) {
  const std::vector<float> logits = log_probs({0.05, 0.5, 0.15, 0.3});
  const int n = 20000;
  SamplingParams p;
  p.top_p = 0.75f;  // 0.5 (< 0.75, so keep the next) + 0.3 = 0.8: {1, 3}
  Sampler s(p, 11);
  EXPECT_LT(chi_square(histogram(s, logits, n), {{1, 0.5 / 0.8}, {3, 0.3 / 0.8}}, n), critical(1));
  p.top_p = 0.85f;  // + 0.15: {1, 3, 2}
  Sampler s2(p, 12);
  EXPECT_LT(chi_square(histogram(s2, logits, n), {{1, 0.5 / 0.95}, {3, 0.3 / 0.95}, {2, 0.15 / 0.95}}, n), critical(2));
  p.top_p = 0.0f;  // the first token is always kept
  Sampler s3(p, 13);
  EXPECT_EQ(histogram(s3, logits, 100), (std::map<int32_t, int>{{1, 100}}));
}

TEST(Sampler, TopPAppliesToTopKRenormalised) {
  // Over the whole row, 0.4 < 0.5 keeps two tokens; over the top-2 renormalised (4/7, 3/7), the
  // first already reaches 0.5.
  const std::vector<float> logits = log_probs({0.4, 0.3, 0.2, 0.1});
  SamplingParams p;
  p.top_p = 0.5f;
  Sampler only_p(p, 1);
  EXPECT_EQ(histogram(only_p, logits, 2000).size(), 2u);
  p.top_k = 2;
  Sampler k_then_p(p, 1);
  EXPECT_EQ(histogram(k_then_p, logits, 2000), (std::map<int32_t, int>{{0, 2000}}));
}

TEST(Sampler, TopPLargeVocabChiSquare) {
  std::mt19937 gen(2);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> logits(262144);
  for (float& x : logits) x = normal(gen) - 20.0f;  // the sea: ~262144 * e^-19.5 = 9e-4 of the mass
  const std::vector<int32_t> ids = {10, 20000, 262000};
  const std::vector<double> w = {0.5, 0.3, 0.2};
  for (size_t i = 0; i < ids.size(); ++i) logits[ids[i]] = static_cast<float>(std::log(w[i]));
  SamplingParams p;
  p.top_p = 0.9f;
  Sampler s(p, 8);
  const int n = 4000;  // each draw walks 262k logits
  std::map<int32_t, double> expected;
  for (size_t i = 0; i < ids.size(); ++i) expected[ids[i]] = w[i];
  EXPECT_LT(chi_square(histogram(s, logits, n), expected, n), critical(2));
}

TEST(Sampler, MinPDropsBelowFractionOfMax) {
  const std::vector<float> logits = log_probs({0.15, 0.5, 0.05, 0.3});
  SamplingParams p;
  p.min_p = 0.2f;  // keep p >= 0.1: {1, 3, 0}
  Sampler s(p, 21);
  const int n = 20000;
  EXPECT_LT(chi_square(histogram(s, logits, n), {{1, 0.5 / 0.95}, {3, 0.3 / 0.95}, {0, 0.15 / 0.95}}, n), critical(2));
  // With top-k on (the truncated path), the same cut.
  p.top_k = 3;
  p.min_p = 0.5f;  // keep p >= 0.25: {1, 3}
  Sampler s2(p, 22);
  EXPECT_LT(chi_square(histogram(s2, logits, n), {{1, 0.5 / 0.8}, {3, 0.3 / 0.8}}, n), critical(1));
}

TEST(Sampler, ReproducibleForASeed) {
  std::mt19937 gen(3);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::vector<float> logits(50000);
  for (float& x : logits) x = normal(gen);
  for (int mode = 0; mode < 3; ++mode) {
    SamplingParams p;
    p.seed = 42;
    if (mode == 1) p.top_k = 40;
    if (mode == 2) p.top_p = 0.9f;
    Sampler a(p, 1), b(p, 2);  // the explicit seed wins over the default
    SamplingParams q = p;
    q.seed.reset();
    Sampler c(q, 43);
    std::vector<int32_t> ta, tb, tc;
    for (int i = 0; i < 50; ++i) {
      std::vector<float> r1 = logits, r2 = logits, r3 = logits;
      ta.push_back(a.sample(r1, {}, {}));
      tb.push_back(b.sample(r2, {}, {}));
      tc.push_back(c.sample(r3, {}, {}));
    }
    EXPECT_EQ(ta, tb) << mode;
    EXPECT_NE(ta, tc) << mode;
  }
}

TEST(Rng, FixedStream) {
  // Reference values from a Python transcription of splitmix64 + xoshiro256**.
  Xoshiro256 rng(42);
  EXPECT_EQ(rng.next(), 0x15780b2e0c2ec716ull);
  EXPECT_EQ(rng.next(), 0x6104d9866d113a7eull);
  EXPECT_EQ(rng.next(), 0xae17533239e499a1ull);
  Xoshiro256 again(42);
  EXPECT_EQ(again.uniform(), 0.08386297105988216);
}

TEST(Logprobs, HandComputed) {
  const std::vector<float> logits = log_probs({0.1, 0.2, 0.3, 0.4});
  float chosen = 0;
  std::vector<TokenLogprob> top;
  compute_logprobs(logits, 1, 3, &chosen, &top);
  EXPECT_NEAR(chosen, std::log(0.2), 1e-6);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].id, 3);
  EXPECT_EQ(top[1].id, 2);
  EXPECT_EQ(top[2].id, 1);
  EXPECT_NEAR(top[0].logprob, std::log(0.4), 1e-6);
  compute_logprobs(logits, 0, 0, &chosen, &top);
  EXPECT_TRUE(top.empty());
  EXPECT_NEAR(chosen, std::log(0.1), 1e-6);
}

TEST(Logprobs, TiesByLowerIdAndClamps) {
  const std::vector<float> logits = {1.0f, 2.0f, 2.0f, -kInf, 2.0f};
  std::vector<TokenLogprob> top;
  compute_logprobs(logits, 3, 25, nullptr, &top);  // n_top clamps to 20, then to the row
  ASSERT_EQ(top.size(), 5u);
  EXPECT_EQ(top[0].id, 1);
  EXPECT_EQ(top[1].id, 2);
  EXPECT_EQ(top[2].id, 4);
  EXPECT_EQ(top[3].id, 0);
  EXPECT_EQ(top[4].id, 3);
  EXPECT_EQ(top[4].logprob, -kInf);
}

TEST(Logprobs, LargeVocabMatchesDoubleReference) {
  std::mt19937 gen(4);
  std::normal_distribution<float> normal(0.0f, 4.0f);
  std::vector<float> logits(262144);
  for (float& x : logits) x = normal(gen);
  double m = -1e300, sum = 0;
  for (float x : logits) m = std::max<double>(m, x);
  for (float x : logits) sum += std::exp(x - m);
  const double lse = m + std::log(sum);
  std::vector<TokenLogprob> top;
  float chosen;
  compute_logprobs(logits, 12345, 20, &chosen, &top);
  EXPECT_NEAR(chosen, logits[12345] - lse, 1e-5);
  ASSERT_EQ(top.size(), 20u);
  std::vector<int32_t> order(logits.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int32_t>(i);
  std::partial_sort(order.begin(), order.begin() + 20, order.end(),
                    [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(top[i].id, order[i]);
    EXPECT_NEAR(top[i].logprob, logits[order[i]] - lse, 1e-5);
  }
}

TEST(SoftmaxKernels, ExpAccuracy) {
  double worst = 0;
  for (float x = -87.0f; x <= 0.0f; x += 0.00173f) {
    worst = std::max(worst, std::fabs(exp_nonpositive(x) / std::exp(static_cast<double>(x)) - 1.0));
  }
  EXPECT_LT(worst, 2e-7);
  EXPECT_EQ(exp_nonpositive(0.0f), 1.0f);
  EXPECT_EQ(exp_nonpositive(-kInf), 0.0f);
  EXPECT_EQ(exp_nonpositive(NAN), 0.0f);
  EXPECT_EQ(exp_nonpositive(-100.0f), 0.0f);
}

TEST(SoftmaxKernels, MatchScalarReferences) {
  std::mt19937 gen(5);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  for (size_t n : {1u, 15u, 16u, 255u, 256u, 257u, 1000u, 262144u}) {
    std::vector<float> z(n);
    for (float& x : z) x = normal(gen);
    if (n > 20) {
      z[3] = NAN;
      z[7] = -kInf;
    }
    float m = -kInf;
    size_t arg = 0;
    for (size_t i = 0; i < n; ++i) {
      if (z[i] > m) {
        m = z[i];
        arg = i;
      }
    }
    EXPECT_EQ(max_value(z.data(), n), m);
    EXPECT_EQ(argmax_first(z.data(), n), static_cast<int32_t>(arg));
    const float cut = m - 4.0f;
    std::vector<float> w(n);
    std::vector<double> blocks((n + kExpBlock - 1) / kExpBlock);
    const double total = exp_weights(z.data(), n, m, cut, w.data(), blocks.data());
    double ref = 0, block_total = 0;
    size_t ref_count = 0;
    for (size_t i = 0; i < n; ++i) {
      const float e = z[i] >= cut ? exp_nonpositive(z[i] - m) : 0.0f;
      EXPECT_EQ(w[i], e);
      ref += e;
      ref_count += z[i] >= cut;
    }
    for (double b : blocks) block_total += b;
    EXPECT_NEAR(total, ref, 1e-6 * ref);
    EXPECT_EQ(total, block_total);
    EXPECT_EQ(count_at_least(z.data(), n, cut), ref_count);
    double mass = 0;
    EXPECT_EQ(mass_at_least(z.data(), w.data(), n, cut, &mass), ref_count);
    EXPECT_NEAR(mass, ref, 1e-6 * ref);
    std::vector<int32_t> ids, ref_ids;
    indices_at_least(z.data(), n, cut, &ids);
    for (size_t i = 0; i < n; ++i) {
      if (z[i] >= cut) ref_ids.push_back(static_cast<int32_t>(i));
    }
    EXPECT_EQ(ids, ref_ids);
    EXPECT_EQ(first_at_least(z.data(), n, cut), ref_ids.empty() ? n : static_cast<size_t>(ref_ids[0]));
    std::vector<float> divided = z;
    const float dm = divide_and_max(divided.data(), n, 0.7f);
    float ref_dm = -kInf;
    for (size_t i = 0; i < n; ++i) {
      const float v = z[i] / 0.7f;
      if (!std::isnan(v)) {
        EXPECT_EQ(divided[i], v);
      }
      ref_dm = v > ref_dm ? v : ref_dm;
    }
    EXPECT_EQ(dm, ref_dm);
    double all = 0;
    for (size_t i = 0; i < n; ++i) all += exp_nonpositive(z[i] - m);
    EXPECT_NEAR(exp_sum(z.data(), n, m), all, 1e-6 * all);
  }
}

// ---- speculative verification (sample_verify) ----

// The distribution sample() draws from, computed independently in double from the documented
// semantics (temperature, top-k with ties by lower id, top-p on the top-k survivors, min-p).
std::map<int32_t, double> reference_distribution(const std::vector<float>& logits, const SamplingParams& p) {
  std::vector<std::pair<double, int32_t>> z;
  for (size_t i = 0; i < logits.size(); ++i) z.push_back({static_cast<double>(logits[i]) / p.temperature, static_cast<int32_t>(i)});
  std::sort(z.begin(), z.end(), [](auto& a, auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  if (p.top_k > 0 && static_cast<size_t>(p.top_k) < z.size()) z.resize(static_cast<size_t>(p.top_k));
  double norm = 0.0;
  for (auto& [v, id] : z) norm += std::exp(v - z[0].first);
  size_t keep = z.size();
  if (p.top_p < 1.0f) {
    double before = 0.0;
    size_t i = 0;
    for (; i < z.size(); ++i) {
      if (i > 0 && before >= p.top_p * norm) break;
      before += std::exp(z[i].first - z[0].first);
    }
    keep = i;
  }
  if (p.min_p > 0.0f) {
    size_t i = 1;
    while (i < keep && z[i].first >= z[0].first + std::log(p.min_p)) ++i;
    keep = i;
  }
  std::map<int32_t, double> out;
  double total = 0.0;
  for (size_t i = 0; i < keep; ++i) total += std::exp(z[i].first - z[0].first);
  for (size_t i = 0; i < keep; ++i) out[z[i].second] = std::exp(z[i].first - z[0].first) / total;
  return out;
}

// The speculative rule for a deterministic draft d (sampler.h): draw x ~ p with sample() and
// accept d iff x == d. The acceptance rate must be p(d) (a binomial check at 4 standard
// deviations) and the rejected draws must follow p with d removed and renormalised, (p - q)+
// (chi-square), for every sampler path and for drafts likely, unlikely and truncated away (p = 0).
TEST(SpeculativeRule, AcceptsWithPOfDraftAndRejectsToTheResidual) {
  const std::vector<float> logits = log_probs({0.35, 0.2, 0.15, 0.1, 0.08, 0.05, 0.04, 0.02, 0.007, 0.003});
  std::vector<SamplingParams> configs(5);
  configs[1].temperature = 0.7f;
  configs[2].top_k = 4;
  configs[3].top_p = 0.75f;
  configs[4].min_p = 0.1f;
  configs[4].temperature = 1.3f;
  for (size_t c = 0; c < configs.size(); ++c) {
    const std::map<int32_t, double> p = reference_distribution(logits, configs[c]);
    for (int32_t draft : {0, 3, 8}) {
      Sampler s(configs[c], 1000 + static_cast<uint64_t>(draft) * 7 + c);
      const int n = 40000;
      int accepted = 0;
      std::map<int32_t, int> rejected_to;
      std::vector<float> row;
      for (int i = 0; i < n; ++i) {
        row = logits;
        const int32_t x = s.sample(row, {}, {});
        if (x == draft) {
          ++accepted;
        } else {
          ++rejected_to[x];
        }
      }
      const double pd = p.count(draft) ? p.at(draft) : 0.0;
      EXPECT_NEAR(accepted, pd * n, 4.0 * std::sqrt(n * pd * (1 - pd)) + 1e-9) << "config " << c << ", draft " << draft;
      std::map<int32_t, double> residual;
      for (const auto& [id, q] : p) {
        if (id != draft) residual[id] = q / (1.0 - pd);
      }
      EXPECT_LT(chi_square(rejected_to, residual, n - accepted), critical(static_cast<int>(residual.size()) - 1))
          << "config " << c << ", draft " << draft;
    }
  }
}

}  // namespace
}  // namespace gemma3
