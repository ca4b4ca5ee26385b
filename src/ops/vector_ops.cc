// Dispatch of the vector kernels to the active ISA (see isa_kernels.h).
#include "ops/vector_ops.h"

#include "ops/cpu_features.h"
#include "ops/isa_kernels.h"

namespace gemma3 {

// One switch per call: the atomic load and branch cost ~1 ns against kernels on ≥ 256 elements.
#define GEMMA3_DISPATCH(call)       \
  switch (active_isa()) {           \
    case Isa::kAvx512:              \
      return kernels::avx512::call; \
    case Isa::kAvx2:                \
      return kernels::avx2::call;   \
    case Isa::kScalar:              \
      break;                        \
  }                                 \
  return kernels::scalar::call

void rms_norm(const float* x, const float* scale, size_t n, float eps, float* y) {
  GEMMA3_DISPATCH(rms_norm(x, scale, n, eps, y));
}
float dot(const float* a, const float* b, size_t n) { GEMMA3_DISPATCH(dot(a, b, n)); }
void axpy(float a, const float* x, float* y, size_t n) { GEMMA3_DISPATCH(axpy(a, x, y, n)); }
void scale(float* x, float a, size_t n) { GEMMA3_DISPATCH(scale(x, a, n)); }
void add(const float* a, float* y, size_t n) { GEMMA3_DISPATCH(add(a, y, n)); }
void gelu_tanh_mul(const float* gate, const float* up, float* out, size_t n) {
  GEMMA3_DISPATCH(gelu_tanh_mul(gate, up, out, n));
}
void softmax(float* x, size_t n) { GEMMA3_DISPATCH(softmax(x, n)); }
float max_value(const float* x, size_t n) { GEMMA3_DISPATCH(max_value(x, n)); }

#undef GEMMA3_DISPATCH

}  // namespace gemma3
