// Matrix multiply against a checkpoint weight matrix: the hot loop of the forward pass.
#pragma once

#include <cstddef>

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

}  // namespace gemma3
