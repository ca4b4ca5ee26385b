// Internal: the per-ISA kernel sets behind the dispatching functions of matmul.h / vector_ops.h.
// The three namespaces hold the same signatures (scalar_kernels.cc, avx2_*.cc, avx512_*.cc); the
// public functions pick one per call with active_isa(). Call an avx2/avx512 function only when
// best_supported_isa() allows it. The scalar set is the test oracle and the portable fallback.
#pragma once

#include <cstddef>

#include "ops/dtype.h"

namespace gemma3::kernels {

namespace scalar {
// y[r][o] for r in [0, n_rows), o in [o_begin, o_end); y has row stride w.rows.
// Single-threaded; matmul() splits the output features across threads.
void matmul_block(const float* x, size_t n_rows, const WeightView& w, size_t o_begin, size_t o_end,
                  float* y);
void rms_norm(const float* x, const float* scale, size_t n, float eps, float* y);
float dot(const float* a, const float* b, size_t n);
void axpy(float a, const float* x, float* y, size_t n);
void scale(float* x, float a, size_t n);
void add(const float* a, float* y, size_t n);
void gelu_tanh_mul(const float* gate, const float* up, float* out, size_t n);
void softmax(float* x, size_t n);
float max_value(const float* x, size_t n);
}  // namespace scalar

namespace avx2 {
// y[r][o] for r in [0, n_rows), o in [o_begin, o_end); y has row stride w.rows.
// Single-threaded; matmul() splits the output features across threads.
void matmul_block(const float* x, size_t n_rows, const WeightView& w, size_t o_begin, size_t o_end,
                  float* y);
void rms_norm(const float* x, const float* scale, size_t n, float eps, float* y);
float dot(const float* a, const float* b, size_t n);
void axpy(float a, const float* x, float* y, size_t n);
void scale(float* x, float a, size_t n);
void add(const float* a, float* y, size_t n);
void gelu_tanh_mul(const float* gate, const float* up, float* out, size_t n);
void softmax(float* x, size_t n);
float max_value(const float* x, size_t n);
}  // namespace avx2

namespace avx512 {
// y[r][o] for r in [0, n_rows), o in [o_begin, o_end); y has row stride w.rows.
// Single-threaded; matmul() splits the output features across threads.
void matmul_block(const float* x, size_t n_rows, const WeightView& w, size_t o_begin, size_t o_end,
                  float* y);
void rms_norm(const float* x, const float* scale, size_t n, float eps, float* y);
float dot(const float* a, const float* b, size_t n);
void axpy(float a, const float* x, float* y, size_t n);
void scale(float* x, float a, size_t n);
void add(const float* a, float* y, size_t n);
void gelu_tanh_mul(const float* gate, const float* up, float* out, size_t n);
void softmax(float* x, size_t n);
float max_value(const float* x, size_t n);
}  // namespace avx512

// The opt-in bf16-activation matmul (MatmulPrecision::kBf16Activations) on CPUs with AVX512_BF16
// (cpu_has_avx512_bf16()). Activations are passed pre-rounded: rows of padded_cols(k) bf16
// values, zero beyond k. Weights must be bf16.
namespace avx512_bf16 {
inline size_t padded_cols(size_t k) { return (k + 31) / 32 * 32; }
void round_rows_to_bf16(const float* x, size_t n_rows, size_t k, uint16_t* xb);
void matmul_block(const uint16_t* xb, size_t n_rows, const WeightView& w, size_t o_begin, size_t o_end,
                  float* y);
}  // namespace avx512_bf16

}  // namespace gemma3::kernels
