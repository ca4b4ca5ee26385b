// Rotary position embedding in Hugging Face's rotate_half layout: the first and second halves of
// a head are the two coordinates of each rotated pair (not interleaved pairs).
#pragma once

#include <cstdint>
#include <vector>

namespace gemma3 {

class Rope {
 public:
  // base: rope_theta or rope_local_base_freq; scaling_factor: "linear" rope_scaling (1 = none).
  Rope(int32_t head_dim, double base, double scaling_factor);

  // Rotates n_heads heads of x (n_heads, head_dim) in place for position `pos`.
  void apply(float* x, int32_t n_heads, int32_t pos) const;

 private:
  int32_t head_dim_;
  std::vector<float> inv_freq_;  // (head_dim/2,), f32 as HF computes it
};

}  // namespace gemma3
