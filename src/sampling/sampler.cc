// Same rounding on every build and instruction set (see softmax_kernels.h): no a*b+c fusion.
// Before the includes: GCC takes a function's options from its first declaration.
#pragma GCC optimize("fp-contract=off")

#include "sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sampling/softmax_kernels.h"
#include "util/check.h"

namespace gemma3 {

using sampling::argmax_first;
using sampling::count_at_least;
using sampling::divide_and_max;
using sampling::exp_nonpositive;
using sampling::exp_weights;
using sampling::indices_at_least;
using sampling::kExpBlock;
using sampling::mass_at_least;
using sampling::max_value;

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr float kGreedyTemperature = 1e-5f;  // below this, z = logit / T would overflow: take the argmax
constexpr int kMaxProbes = 14;                // threshold-search passes over the row, at most

// Finds a threshold t = z_max - d such that probe(t) is satisfied, preferring one that lets few
// tokens through (at most `want_at_most`), with a doubling then bisection search on d. probe(t)
// returns the number of tokens with z >= t and sets *satisfied. Returns -inf (all tokens) when no
// finite threshold satisfies the probe. Cost: at most kMaxProbes passes over the row.
template <typename Probe>
float search_threshold(float z_max, size_t n, size_t want_at_most, Probe probe) {
  float lo = 0.0f;  // largest d known not to satisfy (0: only the max itself, not yet probed)
  float d = 1.0f;
  bool satisfied = false;
  size_t count = 0;
  int probes = 0;
  for (; probes < kMaxProbes; ++probes) {
    count = probe(z_max - d, &satisfied);
    if (satisfied || count == n) break;
    lo = d;
    d *= 4.0f;
    if (!std::isfinite(z_max - d)) return kNegInf;
  }
  if (!(satisfied || count == n)) return kNegInf;
  // d satisfies; narrow towards lo while too many tokens pass.
  for (++probes; count > want_at_most && probes < kMaxProbes; ++probes) {
    const float mid = lo + (d - lo) * 0.5f;
    if (mid <= lo || mid >= d) break;
    bool mid_satisfied = false;
    const size_t mid_count = probe(z_max - mid, &mid_satisfied);
    if (mid_satisfied) {
      d = mid;
      count = mid_count;
    } else {
      lo = mid;
    }
  }
  return z_max - d;
}

}  // namespace

Sampler::Sampler(SamplingParams params, uint64_t default_seed)
    : params_(std::move(params)), rng_(params_.seed.value_or(default_seed)) {}

bool Sampler::is_greedy() const { return params_.temperature < kGreedyTemperature; }

void Sampler::apply_penalties(std::span<float> logits, std::span<const int32_t> prompt_ids,
                              std::span<const int32_t> generated_ids) {
  const size_t n = logits.size();
  auto in_row = [n](int32_t id) { return id >= 0 && static_cast<size_t>(id) < n; };

  for (const auto& [id, bias] : params_.logit_bias) {
    if (in_row(id)) logits[id] += bias;
  }

  if (params_.repetition_penalty != 1.0f) {
    // Each distinct id is penalised once (the transform is not idempotent); a bitset marks the
    // ids done and is cleared again through the same ids, so the cost is O(ids), not O(vocab).
    const float p = params_.repetition_penalty;
    seen_bits_.resize((n + 63) / 64);
    auto penalise = [&](int32_t id) {
      if (!in_row(id)) return;
      uint64_t& word = seen_bits_[static_cast<size_t>(id) >> 6];
      const uint64_t bit = uint64_t{1} << (id & 63);
      if (word & bit) return;
      word |= bit;
      float& l = logits[id];
      l = l > 0.0f ? l / p : l * p;
    };
    for (int32_t id : prompt_ids) penalise(id);
    for (int32_t id : generated_ids) penalise(id);
    for (int32_t id : prompt_ids) {
      if (in_row(id)) seen_bits_[static_cast<size_t>(id) >> 6] = 0;
    }
    for (int32_t id : generated_ids) {
      if (in_row(id)) seen_bits_[static_cast<size_t>(id) >> 6] = 0;
    }
  }

  if (params_.frequency_penalty != 0.0f || params_.presence_penalty != 0.0f) {
    counts_.resize(n);
    for (int32_t id : generated_ids) {
      if (in_row(id)) ++counts_[id];
    }
    for (int32_t id : generated_ids) {
      if (!in_row(id) || counts_[id] == 0) continue;  // 0: already applied for this id
      // As vLLM: logits -= frequency * count, then logits -= presence * (count > 0).
      logits[id] -= params_.frequency_penalty * static_cast<float>(counts_[id]);
      logits[id] -= params_.presence_penalty;
      counts_[id] = 0;
    }
  }
}

int32_t Sampler::sample(std::span<float> logits, std::span<const int32_t> prompt_ids,
                        std::span<const int32_t> generated_ids) {
  const size_t n = logits.size();
  G3_CHECK(n > 0 && n <= static_cast<size_t>(std::numeric_limits<int32_t>::max()));
  apply_penalties(logits, prompt_ids, generated_ids);
  if (is_greedy()) return argmax_first(logits.data(), n);

  // Division, as Hugging Face (x * (1/t) would round differently).
  const float z_max = params_.temperature != 1.0f ? divide_and_max(logits.data(), n, params_.temperature)
                                                  : max_value(logits.data(), n);
  // No finite maximum (all -inf/NaN, or +inf present): nothing to normalise; the argmax is the
  // only sensible answer.
  if (!std::isfinite(z_max)) return argmax_first(logits.data(), n);

  // min-p keeps p >= min_p * p_max, i.e. z >= z_max + log(min_p); the max itself always passes.
  const float cut = params_.min_p > 0.0f ? z_max + std::log(params_.min_p) : kNegInf;
  const bool top_k_on = params_.top_k > 0 && static_cast<size_t>(params_.top_k) < n;
  const bool top_p_on = params_.top_p < 1.0f;
  if (!top_k_on && !top_p_on) return sample_full(logits, z_max, cut);
  return sample_truncated(logits, z_max, cut);
}

int32_t Sampler::sample_full(std::span<const float> z, float z_max, float cut) {
  const size_t n = z.size();
  const size_t n_blocks = (n + kExpBlock - 1) / kExpBlock;
  weights_.resize(n);
  block_sums_.resize(n_blocks);
  // total >= 1: the max has weight exp(0) and always passes the cut.
  const double total = exp_weights(z.data(), n, z_max, cut, weights_.data(), block_sums_.data());
  double target = rng_.uniform() * total;
  size_t b = 0;
  for (; b + 1 < n_blocks && target >= block_sums_[b]; ++b) target -= block_sums_[b];
  const size_t begin = b * kExpBlock, end = std::min(n, begin + kExpBlock);
  double acc = 0.0;
  for (size_t i = begin; i < end; ++i) {
    acc += weights_[i];
    if (target < acc && weights_[i] > 0.0f) return static_cast<int32_t>(i);
  }
  // Rounding (block sums are added in a different order than the walk) left target just past
  // the block's last token: take the last token with weight at or before the block's end.
  for (size_t i = end; i-- > 0;) {
    if (weights_[i] > 0.0f) return static_cast<int32_t>(i);
  }
  return argmax_first(z.data(), n);  // unreachable: the max has weight 1
}

int32_t Sampler::sample_truncated(std::span<const float> z, float z_max, float cut) {
  const size_t n = z.size();
  const float* zp = z.data();
  const bool top_k_on = params_.top_k > 0 && static_cast<size_t>(params_.top_k) < n;
  const size_t k = top_k_on ? static_cast<size_t>(params_.top_k) : n;
  // Gathering costs a scalar look at every 16-token group holding a survivor, a probe one
  // vectorised pass: a few more probes for a tighter threshold pay off.
  const size_t want_at_most = std::max<size_t>(4 * k, 256);

  // Normaliser of the distribution top-p works on: the top-k survivors, or the whole row.
  double z_norm = 0.0;
  float threshold;
  if (top_k_on) {
    threshold = search_threshold(z_max, n, want_at_most, [&](float t, bool* ok) {
      const size_t c = count_at_least(zp, n, t);
      *ok = c >= k;
      return c;
    });
  } else {
    weights_.resize(n);
    z_norm = exp_weights(zp, n, z_max, kNegInf, weights_.data(), nullptr);
    // A little above top_p * z_norm so that the sequential walk below, which adds in another
    // order, still reaches its limit inside the gathered tokens.
    const double need = static_cast<double>(params_.top_p) * z_norm * (1.0 + 1e-6);
    threshold = search_threshold(z_max, n, 1024, [&](float t, bool* ok) {
      double mass = 0.0;
      const size_t c = mass_at_least(zp, weights_.data(), n, t, &mass);
      *ok = mass >= need;
      return c;
    });
  }

  candidates_.clear();
  ids_.clear();
  indices_at_least(zp, n, threshold, &ids_);  // with threshold -inf: all but NaN
  for (int32_t id : ids_) candidates_.push_back({zp[id], id});
  auto before = [](const Candidate& a, const Candidate& b) { return a.z > b.z || (a.z == b.z && a.id < b.id); };
  if (candidates_.size() > k) {
    std::nth_element(candidates_.begin(), candidates_.begin() + static_cast<ptrdiff_t>(k), candidates_.end(), before);
    candidates_.resize(k);
  }
  std::sort(candidates_.begin(), candidates_.end(), before);
  G3_CHECK(!candidates_.empty() && candidates_[0].z == z_max);

  size_t keep = candidates_.size();
  if (top_k_on) {
    for (const Candidate& c : candidates_) z_norm += exp_nonpositive(c.z - z_max);
  }
  if (params_.top_p < 1.0f) {
    // Keep token i while the probability mass strictly before it is below top_p (HF: drop when
    // the ascending cumulative sum is <= 1 - top_p); the first token is always kept.
    const double limit = static_cast<double>(params_.top_p) * z_norm;
    double mass_before = 0.0;
    size_t i = 0;
    for (; i < keep; ++i) {
      if (i > 0 && mass_before >= limit) break;
      mass_before += exp_nonpositive(candidates_[i].z - z_max);
    }
    keep = i;
  }
  if (cut > kNegInf) {
    size_t i = 1;
    while (i < keep && candidates_[i].z >= cut) ++i;
    keep = i;
  }
  return draw_from_candidates(keep, z_max);
}

int32_t Sampler::draw_from_candidates(size_t n_keep, float z_max) {
  double total = 0.0;
  for (size_t i = 0; i < n_keep; ++i) total += exp_nonpositive(candidates_[i].z - z_max);
  const double target = rng_.uniform() * total;
  double acc = 0.0;
  for (size_t i = 0; i < n_keep; ++i) {
    acc += exp_nonpositive(candidates_[i].z - z_max);
    if (target < acc) return candidates_[i].id;
  }
  // Rounding: the last token with weight.
  for (size_t i = n_keep; i-- > 0;) {
    if (exp_nonpositive(candidates_[i].z - z_max) > 0.0f) return candidates_[i].id;
  }
  return candidates_[0].id;
}

}  // namespace gemma3
