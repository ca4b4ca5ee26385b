#include "model/rope.h"

#include <cmath>

namespace gemma3 {

Rope::Rope(int32_t head_dim, double base, double scaling_factor) : head_dim_(head_dim) {
  const int32_t half = head_dim / 2;
  inv_freq_.resize(half);
  for (int32_t i = 0; i < half; ++i) {
    // HF: 1 / base ** (arange(0, dim, 2) / dim) in f32; linear scaling divides the frequency.
    float exponent = static_cast<float>(2 * i) / static_cast<float>(head_dim);
    float inv = static_cast<float>(1.0 / std::pow(base, static_cast<double>(exponent)));
    inv_freq_[i] = static_cast<float>(inv / scaling_factor);
  }
}

void Rope::fill(std::span<const int32_t> positions, float* cos, float* sin) const {
  const size_t half = inv_freq_.size();
  for (size_t r = 0; r < positions.size(); ++r) {
    // angle = f32(pos * inv_freq) as HF forms it; cos/sin evaluated accurately from that f32 angle.
    const float pos = static_cast<float>(positions[r]);
    for (size_t i = 0; i < half; ++i) {
      const float angle = pos * inv_freq_[i];
      cos[r * half + i] = static_cast<float>(std::cos(static_cast<double>(angle)));
      sin[r * half + i] = static_cast<float>(std::sin(static_cast<double>(angle)));
    }
  }
}

void Rope::apply(float* x, int32_t n_heads, const float* cs, const float* sn) const {
  const int32_t half = head_dim_ / 2;
  for (int32_t h = 0; h < n_heads; ++h) {
    float* v = x + static_cast<size_t>(h) * head_dim_;
    for (int32_t i = 0; i < half; ++i) {
      float a = v[i], b = v[i + half];
      v[i] = a * cs[i] - b * sn[i];
      v[i + half] = b * cs[i] + a * sn[i];
    }
  }
}

void Rope::apply(float* x, int32_t n_heads, int32_t pos) const {
  thread_local std::vector<float> table;
  table.resize(inv_freq_.size() * 2);
  fill(std::span<const int32_t>(&pos, 1), table.data(), table.data() + inv_freq_.size());
  apply(x, n_heads, table.data(), table.data() + inv_freq_.size());
}

}  // namespace gemma3
