// Matrix multiply against a checkpoint weight matrix: the hot loop of the forward pass.
#pragma once

#include <cstddef>
#include <span>

#include "ops/dtype.h"

namespace gemma3 {

// y (n_rows, w.rows) = x (n_rows, w.cols) · wᵀ.  x, y f32 row-major; w any DType, widened to f32
// exactly and accumulated with f32 FMAs (activations are never rounded to bf16).
// Multi-threaded over output features (num_threads()).
// DETERMINISM CONTRACT: the value of y[r][o] depends only on x row r and w row o — the same bits
// whatever n_rows, whatever the other rows of x, whatever the thread count. The reduction order
// over k is fixed per ISA (it may differ between ISAs).
// y must not overlap x or w. Cost: 2·n_rows·rows·cols flops; n_rows = 1 streams w once
// (memory-bandwidth bound), larger n_rows reuse each widened weight panel across x tiles.
void matmul(const float* x, size_t n_rows, const WeightView& w, float* y);

// Arithmetic of every matmul in the process (default kExact, the contract above).
// kBf16Activations rounds each x element to bf16 (nearest even) first, as llama.cpp's BF16 path
// and Hugging Face's bf16 inference do; with AVX512_BF16 and bf16 weights it then runs vdpbf16ps,
// twice the f32 FMA rate (prompt processing is compute-bound). The determinism contract holds
// within the mode. It moves the synthetic 270m logits by ~1% of their range (the reference
// tolerance is 0.1%), so it is opt-in (`--matmul-bf16`).
// kInt8Activations (`--matmul-int8`) applies to Q8_0 / Q4_0 weights (other weights take the
// exact kernels): x is quantized per 32-element block to int8 with one f32 scale (GGML's Q8_0
// rule), each block's dot product with a weight block is an exact integer (vpdpbusd on AVX-512
// VNNI, vpmaddubsw on AVX2), and the blocks are summed in f32 in order. Every ISA gives the same
// bits (ops/int8_matmul.h), and the determinism contract holds within the mode.
enum class MatmulPrecision { kExact, kBf16Activations, kInt8Activations };
void set_matmul_precision(MatmulPrecision precision);
MatmulPrecision matmul_precision();

// Several matrices with the same input width applied to the same x in ONE parallel region
// (q/k/v, gate/up): one fork/join instead of several, and the threads stream the matrices as one
// long run. Each target's y is exactly what matmul(x, n_rows, target.w, target.y) writes.
// At most 8 targets.
struct MatmulTarget {
  WeightView w;
  float* y;  // (n_rows, w.rows)
};
void matmul_many(const float* x, size_t n_rows, std::span<const MatmulTarget> targets);

}  // namespace gemma3
