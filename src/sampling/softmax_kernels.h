// Vectorised passes over one logit row for the sampler and logprobs. Each is compiled for
// AVX-512, AVX2 and baseline x86-64 (GCC target_clones) and picked at load time.
//
// Determinism: every kernel fixes its own summation order (16 float lanes per 256-element block,
// blocks added in double) and softmax_kernels.cc is compiled with -ffp-contract=off (GCC would
// otherwise fuse a*b+c into FMAs in the AVX-512 version only), so all versions return
// bit-identical results, and equal to exp_nonpositive() below.
//
// NaN entries are treated as -inf everywhere (never the max, weight 0).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

// Nested namespace: the ops module has its own max_value and friends for other purposes.
namespace gemma3::sampling {

constexpr size_t kExpBlock = 256;  // elements per block sum (exp_weights' block_sums)

// exp(x) for x <= 0 with a relative error below 1e-7; 0 below -87 (where float exp would be
// denormal) and for NaN. The scalar twin of the kernels' exp, for small candidate sets.
float exp_nonpositive(float x);

// Largest value, ignoring NaN; -inf when n == 0 or all are NaN / -inf.
float max_value(const float* x, size_t n);

// x[i] /= t for every i (division, as Hugging Face's temperature), then the largest value as
// max_value does: one pass instead of two.
float divide_and_max(float* x, size_t n, float t);

// Lowest index holding the largest value (NaN ignored); 0 when there is no finite maximum but the
// row is non-empty and all -inf/NaN.
int32_t argmax_first(const float* x, size_t n);

// w[i] = z[i] >= cut ? exp(z[i] - z_max) : 0, for z_max = max_value(z). block_sums (may be null)
// gets the sum of each kExpBlock-element block (n / kExpBlock rounded up entries). Returns their
// total.
double exp_weights(const float* z, size_t n, float z_max, float cut, float* w, double* block_sums);

// sum of exp(z[i] - z_max) without storing the weights.
double exp_sum(const float* z, size_t n, float z_max);

// Lowest i with z[i] >= t, or n when there is none.
size_t first_at_least(const float* z, size_t n, float t);

// Appends every i with z[i] >= t to `out`, in increasing order. Cheap when few pass.
void indices_at_least(const float* z, size_t n, float t, std::vector<int32_t>* out);

// Number of i with z[i] >= t.
size_t count_at_least(const float* z, size_t n, float t);

// Number of i with z[i] >= t, and the sum of their weights w[i].
size_t mass_at_least(const float* z, const float* w, size_t n, float t, double* mass);

}  // namespace gemma3::sampling
