// Element types of checkpoint tensors and exact/rounded conversions between them.
// Conversions to f32 are exact for every dtype; conversions from f32 round to nearest even.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gemma3 {

enum class DType { kBF16, kF16, kF32 };

size_t dtype_size(DType dtype);       // bytes per element
const char* dtype_name(DType dtype);  // "bf16", "f16", "f32"

// bf16 is the top half of an f32: widening is a 16-bit shift (exact).
inline float bf16_to_f32(uint16_t bits) {
  uint32_t u = static_cast<uint32_t>(bits) << 16;
  float f;
  __builtin_memcpy(&f, &u, sizeof f);
  return f;
}
// Round-to-nearest-even; NaN stays NaN (quiet), +-inf stays inf, overflow rounds to inf.
uint16_t f32_to_bf16(float value);

// IEEE binary16. Widening is exact (subnormals included); narrowing rounds to nearest even,
// overflows to inf and keeps NaN a NaN.
float f16_to_f32(uint16_t bits);
uint16_t f32_to_f16(float value);

// A weight matrix as stored in the checkpoint: row-major (rows, cols), rows = output features.
// Non-owning: `data` points into the memory map (or a test buffer) and must outlive the view.
struct WeightView {
  DType dtype;
  const void* data;
  size_t rows;
  size_t cols;
};

// out (cols,) = w[row] widened to f32 (exact). Used for the embedding lookup.
void row_to_f32(const WeightView& w, size_t row, float* out);

}  // namespace gemma3
