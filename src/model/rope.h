// Rotary position embedding in Hugging Face's rotate_half layout: the first and second halves of
// a head are the two coordinates of each rotated pair (not interleaved pairs).
//
// cos/sin depend only on the position, so the forward pass fills them once per step for the step's
// positions (fill) and every layer reuses them (apply with tables): nothing evaluates sin/cos per
// layer.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace gemma3 {

class Rope {
 public:
  // base: rope_theta or rope_local_base_freq; scaling_factor: "linear" rope_scaling (1 = none).
  Rope(int32_t head_dim, double base, double scaling_factor);

  int32_t half() const { return head_dim_ / 2; }

  // cos/sin (positions.size(), head_dim/2): row i for positions[i].
  void fill(std::span<const int32_t> positions, float* cos, float* sin) const;

  // Rotates n_heads heads of x (n_heads, head_dim) in place with one position's cos/sin row.
  void apply(float* x, int32_t n_heads, const float* cos, const float* sin) const;

  // Same, evaluating the position's cos/sin first (one-off use; the forward pass uses tables).
  void apply(float* x, int32_t n_heads, int32_t pos) const;

 private:
  int32_t head_dim_;
  std::vector<float> inv_freq_;  // (head_dim/2,), f32 as HF computes it
};

}  // namespace gemma3
