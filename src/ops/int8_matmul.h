// Internal: the int8-activation matmul (MatmulPrecision::kInt8Activations, ops/matmul.h).
//
// Activations are quantized per 32-element block to int8 with one f32 scale (GGML's Q8_0 rule:
// d = amax/127, q = round-half-even(x/d)); the weight block is read as unsigned bytes u with a
// per-type offset (Q8_0: u = q + 128, offset 128; Q4_0: u = nibble, offset 8), so one integer dot
// product per block is
//     isum = Σ u[i]·xq[i] − offset·Σ xq[i]        (exact in int32: |isum| ≤ 32·128·127)
// and an output is the f32 chain over the blocks in order
//     acc = fma(d_w · d_x, float(isum), acc)      (acc starts at 0; float(isum) is exact).
// Integer sums are exact whatever the order, so every kernel (scalar, AVX2 maddubs, AVX-512
// VNNI) computes the same isum and runs the same f32 chain: the results are bit-identical across
// ISAs, tile shapes, batch sizes and thread counts. The scalar set is the oracle.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ops/dtype.h"

namespace gemma3::kernels {

// x rows quantized: (n_rows, blocks) blocks of 32; q row-major (n_rows, blocks·32).
struct Int8Rows {
  size_t n_rows = 0, blocks = 0;
  const int8_t* q = nullptr;     // (n_rows, blocks·32)
  const float* d = nullptr;      // (n_rows, blocks) scale per block
  const int32_t* sum = nullptr;  // (n_rows, blocks) Σ q per block
};

// Owns the storage an Int8Rows points into (reused across calls).
struct Int8Buffer {
  std::vector<int8_t> q;
  std::vector<float> d;
  std::vector<int32_t> sum;
  Int8Rows view(size_t n_rows, size_t blocks) const { return {n_rows, blocks, q.data(), d.data(), sum.data()}; }
};

// The weight types the int8 mode runs (others take the exact kernels in that mode).
bool int8_supports(DType dtype);
// Offset of a type's unsigned byte representation (see above).
int int8_weight_offset(DType dtype);
// The 32 unsigned bytes u of weight block `b` of a row (row = start of the row's storage), and its
// scale d_w. Shared by the kernels that unpack blocks one at a time.
float int8_unpack_block(DType dtype, const uint8_t* row, size_t b, uint8_t u[32]);

// x (n_rows, k) f32, k a multiple of 32 -> buf. Same values on every ISA (vectorised with the
// same IEEE operations where available).
Int8Rows quantize_rows_int8(const float* x, size_t n_rows, size_t k, Int8Buffer& buf);

// y[r][o] for r < x.n_rows, o in [o_begin, o_end); y has row stride w.rows. w.cols == 32·x.blocks.
namespace scalar {
void int8_matmul_block(const Int8Rows& x, const WeightView& w, size_t o_begin, size_t o_end, float* y);
}
namespace avx2 {
void int8_matmul_block(const Int8Rows& x, const WeightView& w, size_t o_begin, size_t o_end, float* y);
}
// AVX-512 VNNI (vpdpbusd); only when cpu_has_avx512_vnni().
namespace avx512_vnni {
void int8_matmul_block(const Int8Rows& x, const WeightView& w, size_t o_begin, size_t o_end, float* y);
}

}  // namespace gemma3::kernels
