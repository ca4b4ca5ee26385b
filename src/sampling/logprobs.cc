// compute_logprobs (declared in sampler.h): log-softmax of the raw logits for the OpenAI
// `logprobs` / `top_logprobs` fields.
#include <algorithm>
#include <cmath>
#include <limits>

#include "sampling/sampler.h"
#include "sampling/softmax_kernels.h"

namespace gemma3 {

using sampling::exp_sum;
using sampling::first_at_least;
using sampling::max_value;

void compute_logprobs(std::span<const float> raw_logits, int32_t chosen, int n_top, float* chosen_logprob,
                      std::vector<TokenLogprob>* top) {
  const size_t n = raw_logits.size();
  const float* x = raw_logits.data();
  const float m = max_value(x, n);
  // log-softmax: x - (m + log sum exp(x - m)); the sum is at least 1 (the max's own term).
  const double log_z = static_cast<double>(m) + std::log(exp_sum(x, n, m));
  auto logprob = [&](size_t i) {
    const float v = x[i];
    if (!(v >= -std::numeric_limits<float>::max())) return -std::numeric_limits<float>::infinity();  // -inf, NaN
    return static_cast<float>(static_cast<double>(v) - log_z);
  };
  if (chosen_logprob) {
    *chosen_logprob = (chosen >= 0 && static_cast<size_t>(chosen) < n) ? logprob(chosen)
                                                                       : -std::numeric_limits<float>::infinity();
  }
  if (top == nullptr) return;
  top->clear();
  const size_t k = std::min<size_t>(static_cast<size_t>(std::clamp(n_top, 0, 20)), n);
  if (k == 0) return;

  // The k best (value desc, id asc) in a small sorted array. Ids are scanned in increasing order,
  // so once the array is full only a strictly larger value can enter: the vectorised search jumps
  // straight to the next such value, and after the first few hundred tokens those are rare.
  struct Entry {
    float v;
    int32_t id;
  };
  Entry best[20];
  size_t size = 0;
  auto insert = [&](size_t i) {
    const Entry e{x[i] == x[i] ? x[i] : -std::numeric_limits<float>::infinity(), static_cast<int32_t>(i)};  // NaN ranks last
    auto better = [](const Entry& a, const Entry& b) { return a.v > b.v || (a.v == b.v && a.id < b.id); };
    if (size == k && !better(e, best[k - 1])) return;
    size_t pos = size < k ? size++ : k - 1;
    while (pos > 0 && better(e, best[pos - 1])) {
      best[pos] = best[pos - 1];
      --pos;
    }
    best[pos] = e;
  };
  size_t i = 0;
  for (; i < n && size < k; ++i) insert(i);
  while (i < n) {
    const float kth = best[k - 1].v;
    if (kth == std::numeric_limits<float>::infinity()) break;  // nothing can beat it
    const size_t skip = first_at_least(x + i, n - i, std::nextafter(kth, std::numeric_limits<float>::infinity()));
    if (skip == n - i) break;
    i += skip;
    insert(i);
    ++i;
  }
  for (size_t j = 0; j < size; ++j) top->push_back({best[j].id, logprob(static_cast<size_t>(best[j].id))});
}

}  // namespace gemma3
