// Vector kernels on activations (single-threaded, vectorised for the active ISA). Each has a scalar
// twin (GEMMA3_ISA=scalar) that the tests compare against.
#pragma once

#include <cstddef>

namespace gemma3 {

// y (n,) = x * rsqrt(mean(x²) + eps) * scale, all in f32. scale is (1 + w), precomputed by the
// caller. y may alias x.
void rms_norm(const float* x, const float* scale, size_t n, float eps, float* y);

float dot(const float* a, const float* b, size_t n);     // Σ a[i]·b[i]
void axpy(float a, const float* x, float* y, size_t n);  // y += a·x
void scale(float* x, float a, size_t n);                 // x *= a
void add(const float* a, float* y, size_t n);            // y += a

// out (n,) = gelu_tanh(gate) * up, gelu_tanh(x) = 0.5x(1 + tanh(sqrt(2/π)(x + 0.044715x³))).
// Computed as x·sigmoid(2u) (the same function, without the cancellation of 1 + tanh for x < 0);
// ~1e-6 relative accuracy. out may alias gate or up.
void gelu_tanh_mul(const float* gate, const float* up, float* out, size_t n);

// In place: x = exp(x - max) / Σ exp(x - max). -inf entries become exactly 0 (masked positions);
// at least one entry must be finite (an all -inf row gives NaN). n must be > 0.
void softmax(float* x, size_t n);

float max_value(const float* x, size_t n);  // n must be > 0; -inf for an all -inf input

}  // namespace gemma3
