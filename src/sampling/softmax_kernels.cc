// fp-contract=off: no a*b+c fusion, so every instruction-set version rounds exactly like the
// others (see header). no-trapping-math: lets GCC turn the selects below into blends (it will not
// otherwise, because a comparison with NaN may raise a floating-point exception, which nothing
// here observes); values are unchanged. Before the includes: GCC takes a function's options
// from its first declaration.
#pragma GCC optimize("fp-contract=off", "no-trapping-math")

#include "sampling/softmax_kernels.h"

#include <bit>
#include <limits>

namespace gemma3::sampling {

// One version per instruction set, chosen once by the dynamic loader (ifunc).
#define G3_SAMPLING_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

namespace {
constexpr size_t kLanes = 16;  // independent accumulators: one AVX-512 register of floats
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

inline float exp_poly(float x) {
  // exp(x) = 2^n * exp(r), n = round(x / ln 2), r = x - n ln 2 in [-ln2/2, ln2/2] (Cody-Waite split
  // of ln 2), exp(r) by its degree-6 minimax polynomial (Cephes expf coefficients).
  float xc = x >= -87.0f ? x : -87.0f;  // also maps NaN to -87
  xc = xc <= 0.0f ? xc : 0.0f;
  // Round to nearest with the 1.5 * 2^23 trick: vectorises on every ISA, unlike nearbyint.
  const float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float y = p * r * r + r + 1.0f;
  // Scale by 2^n through the exponent bits; n in [-126, 0] keeps the result normal.
  y = std::bit_cast<float>(std::bit_cast<int32_t>(y) + static_cast<int32_t>(n) * (1 << 23));
  return x >= -87.0f ? y : 0.0f;
}

}  // namespace

float exp_nonpositive(float x) { return exp_poly(x); }

G3_SAMPLING_CLONES
float max_value(const float* x, size_t n) {
  float acc[kLanes];
  for (float& a : acc) a = kNegInf;
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (size_t l = 0; l < kLanes; ++l) acc[l] = x[i + l] > acc[l] ? x[i + l] : acc[l];  // NaN: keeps acc
  }
  float m = kNegInf;
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  for (float a : acc) m = a > m ? a : m;
  return m;
}

G3_SAMPLING_CLONES
float divide_and_max(float* x, size_t n, float t) {
  // Block by block, so the max reads what the division just wrote from L1 (GCC does not vectorise
  // the two fused in one loop).
  float acc[kLanes];
  for (float& a : acc) a = kNegInf;
  size_t i = 0;
  for (; i + kExpBlock <= n; i += kExpBlock) {
    float* block = x + i;
    for (size_t j = 0; j < kExpBlock; ++j) block[j] /= t;
    for (size_t j = 0; j < kExpBlock; j += kLanes) {
      for (size_t l = 0; l < kLanes; ++l) acc[l] = block[j + l] > acc[l] ? block[j + l] : acc[l];
    }
  }
  float m = kNegInf;
  for (; i < n; ++i) {
    x[i] /= t;
    m = x[i] > m ? x[i] : m;
  }
  for (float a : acc) m = a > m ? a : m;
  return m;
}

int32_t argmax_first(const float* x, size_t n) {
  const float m = max_value(x, n);
  if (m == kNegInf) return 0;
  return static_cast<int32_t>(first_at_least(x, n, m));  // x[i] >= max only where x[i] == max
}

G3_SAMPLING_CLONES
size_t first_at_least(const float* z, size_t n, float t) {
  // Whole 64-element chunks are tested with a (vectorised) count, then the hit chunk is scanned.
  constexpr size_t kChunk = 64;
  size_t i = 0;
  for (; i + kChunk <= n; i += kChunk) {
    unsigned hits = 0;
    for (size_t l = 0; l < kChunk; ++l) hits += z[i + l] >= t ? 1u : 0u;
    if (hits) break;
  }
  for (; i < n; ++i) {
    if (z[i] >= t) return i;
  }
  return n;
}

// The kernels below compute a block's weights in one flat loop (which GCC vectorises) and add
// them in a second, lane-structured one (which fixes the summation order); fusing the two stops
// GCC from vectorising on AVX2 and SSE2.
namespace {

inline void block_weights(const float* z, size_t n, float z_max, float cut, float* w) {
  for (size_t i = 0; i < n; ++i) {
    const float e = exp_poly(z[i] - z_max);  // computed unconditionally: keeps the loop branch-free
    w[i] = z[i] >= cut ? e : 0.0f;
  }
}

// Sum of a kExpBlock-element block: 16 float lanes, then the lanes in order, in double.
inline double block_sum(const float* w) {
  float acc[kLanes] = {};
  for (size_t j = 0; j < kExpBlock; j += kLanes) {
    for (size_t l = 0; l < kLanes; ++l) acc[l] += w[j + l];
  }
  double sum = 0.0;
  for (float a : acc) sum += a;
  return sum;
}

}  // namespace

G3_SAMPLING_CLONES
double exp_weights(const float* z, size_t n, float z_max, float cut, float* w, double* block_sums) {
  double total = 0.0;
  size_t i = 0, b = 0;
  for (; i + kExpBlock <= n; i += kExpBlock, ++b) {
    block_weights(z + i, kExpBlock, z_max, cut, w + i);
    const double block = block_sum(w + i);
    if (block_sums) block_sums[b] = block;
    total += block;
  }
  if (i < n) {
    block_weights(z + i, n - i, z_max, cut, w + i);
    double block = 0.0;
    for (; i < n; ++i) block += w[i];
    if (block_sums) block_sums[b] = block;
    total += block;
  }
  return total;
}

G3_SAMPLING_CLONES
double exp_sum(const float* z, size_t n, float z_max) {
  float w[kExpBlock];
  double total = 0.0;
  size_t i = 0;
  for (; i + kExpBlock <= n; i += kExpBlock) {
    block_weights(z + i, kExpBlock, z_max, -std::numeric_limits<float>::infinity(), w);
    total += block_sum(w);
  }
  for (; i < n; ++i) total += exp_poly(z[i] - z_max);
  return total;
}

G3_SAMPLING_CLONES
void indices_at_least(const float* z, size_t n, float t, std::vector<int32_t>* out) {
  constexpr size_t kChunk = 64;  // chunks without a hit cost one vectorised count
  size_t i = 0;
  for (; i + kChunk <= n; i += kChunk) {
    unsigned hits = 0;
    for (size_t l = 0; l < kChunk; ++l) hits += z[i + l] >= t ? 1u : 0u;
    if (hits == 0) continue;
    for (size_t j = i; j < i + kChunk; j += kLanes) {  // then 16 at a time, scanning only hit lanes
      unsigned lane_hits = 0;
      for (size_t l = 0; l < kLanes; ++l) lane_hits += z[j + l] >= t ? 1u : 0u;
      if (lane_hits == 0) continue;
      for (size_t l = 0; l < kLanes; ++l) {
        if (z[j + l] >= t) out->push_back(static_cast<int32_t>(j + l));
      }
    }
  }
  for (; i < n; ++i) {
    if (z[i] >= t) out->push_back(static_cast<int32_t>(i));
  }
}

G3_SAMPLING_CLONES
size_t count_at_least(const float* z, size_t n, float t) {
  uint32_t acc[kLanes] = {};
  size_t count = 0, i = 0;
  // uint32 lanes cannot overflow within a 2^31-element chunk; rows are far smaller.
  for (; i + kLanes <= n; i += kLanes) {
    for (size_t l = 0; l < kLanes; ++l) acc[l] += z[i + l] >= t ? 1u : 0u;
  }
  for (; i < n; ++i) count += z[i] >= t ? 1 : 0;
  for (uint32_t a : acc) count += a;
  return count;
}

G3_SAMPLING_CLONES
size_t mass_at_least(const float* z, const float* w, size_t n, float t, double* mass) {
  float kept[kExpBlock];
  double total = 0.0;
  size_t i = 0;
  for (; i + kExpBlock <= n; i += kExpBlock) {
    for (size_t j = 0; j < kExpBlock; ++j) kept[j] = z[i + j] >= t ? w[i + j] : 0.0f;
    total += block_sum(kept);
  }
  for (; i < n; ++i) total += z[i] >= t ? w[i] : 0.0f;
  *mass = total;
  return count_at_least(z, n, t);
}

}  // namespace gemma3::sampling
