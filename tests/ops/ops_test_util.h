// Shared helpers for the ops tests: deterministic random data and the ISAs this machine can run.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "ops/cpu_features.h"
#include "ops/dtype.h"
#include "ops/matmul.h"
#include "ops/parallel.h"

namespace gemma3::test {

inline std::vector<Isa> supported_isas() {
  std::vector<Isa> out;
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
    if (static_cast<int>(isa) <= static_cast<int>(best_supported_isa())) out.push_back(isa);
  }
  return out;
}

// Restores the active ISA when a test ends, so tests do not leak their choice.
class IsaScope {
 public:
  explicit IsaScope(Isa isa) : saved_(active_isa()) { set_active_isa(isa); }
  ~IsaScope() { set_active_isa(saved_); }
  IsaScope(const IsaScope&) = delete;
  IsaScope& operator=(const IsaScope&) = delete;

 private:
  Isa saved_;
};

// Restore the thread count / matmul precision when a test ends.
struct ThreadsScope {
  explicit ThreadsScope(int n) : saved(num_threads()) { set_num_threads(n); }
  ~ThreadsScope() { set_num_threads(saved); }
  int saved;
};
struct PrecisionScope {
  explicit PrecisionScope(MatmulPrecision p) : saved(matmul_precision()) { set_matmul_precision(p); }
  ~PrecisionScope() { set_matmul_precision(saved); }
  MatmulPrecision saved;
};

inline std::vector<float> random_floats(size_t n, uint32_t seed, float lo = -1.0f,
                                        float hi = 1.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& f : v) f = dist(gen);
  return v;
}

// A weight matrix in `dtype` filled with random values, plus the same values widened to f32.
struct TestWeights {
  DType dtype;
  size_t rows, cols;
  std::vector<uint16_t> half;    // bf16 / f16 storage
  std::vector<float> full;       // f32 storage (for kF32) and the exact f32 values (always)
  std::vector<uint8_t> blocks;   // Q8_0 / Q4_0 storage
  WeightView view() const {
    const void* data = dtype == DType::kF32 ? static_cast<const void*>(full.data())
                       : dtype_is_quantized(dtype) ? static_cast<const void*>(blocks.data())
                                                   : half.data();
    return {dtype, data, rows, cols};
  }
};

// Block-quantized rows must be whole 32-element blocks: a test's odd column count is rounded up.
inline size_t cols_for(DType dtype, size_t cols) {
  const size_t b = dtype_block_elems(dtype);
  return (cols + b - 1) / b * b;
}

inline TestWeights random_weights(DType dtype, size_t rows, size_t cols, uint32_t seed) {
  TestWeights w{dtype, rows, cols, {}, random_floats(rows * cols, seed, -0.5f, 0.5f), {}};
  if (dtype_is_quantized(dtype)) {
    const size_t rb = dtype_row_bytes(dtype, cols);
    w.blocks.resize(rows * rb);
    // (data() + offset, not &v[i]: the vectors are empty for the empty shapes)
    // (GGML's reference quantizers; every block type but Q2_K has one)
    for (size_t r = 0; r < rows; ++r) encode_row_from_f32(w.full.data() + r * cols, cols, dtype, w.blocks.data() + r * rb);
    for (size_t r = 0; r < rows; ++r) row_to_f32(w.view(), r, w.full.data() + r * cols);
  } else if (dtype != DType::kF32) {
    w.half.resize(rows * cols);
    for (size_t i = 0; i < w.full.size(); ++i) {
      w.half[i] = dtype == DType::kBF16 ? f32_to_bf16(w.full[i]) : f32_to_f16(w.full[i]);
      w.full[i] = dtype == DType::kBF16 ? bf16_to_f32(w.half[i]) : f16_to_f32(w.half[i]);
    }
  }
  return w;
}

}  // namespace gemma3::test
