// Internal: the int8-activation matmul (MatmulPrecision::kInt8Activations, ops/matmul.h).
//
// Activations are quantized per 32-element block to int8 with one f32 scale (GGML's Q8_0 rule:
// d = amax/127, q = round-half-even(x/d)). Each 32-element weight block is read as unsigned bytes
// u with a per-type offset and an f32 scale d_w (Q8_0: u = q + 128, offset 128; Q4_0: u = nibble,
// offset 8; Q5_0: offset 16; Q4_1 / Q5_1 / Q4_K / Q5_K: offset 0 and a min m_w; Q6_K: offset 32 and
// two int8 sub-scales, one per 16 elements), so one block's integer dot product is
//     lo = Σ_{i<16} u[i]·xq[i] − offset·Σ_{i<16} xq[i],   hi = the same over i ≥ 16
//     isum = sc_lo·lo + sc_hi·hi                            (sc = 1 except Q6_K; exact in int32)
// and an output is the f32 chain over the blocks in order
//     acc = fma(d_w · d_x, float(isum), acc)                (acc starts at 0)
//     acc = fma(m_w · d_x, float(Σ xq), acc)                (only the types with a min)
// (for K-quants d_w = d·sc and m_w = −dmin·m of the block's sub-block, exact products of an f16
// and a 6-bit integer). Integer sums are exact whatever the order, so every kernel (scalar, AVX2
// maddubs, AVX-512 VNNI) computes the same isum and runs the same f32 chain: the results are
// bit-identical across ISAs, tile shapes, batch sizes and thread counts. The scalar set is the
// oracle.
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
  const int32_t* sum_lo = nullptr;  // (n_rows, blocks) Σ q over each block's first 16
};

// Owns the storage an Int8Rows points into (reused across calls).
struct Int8Buffer {
  std::vector<int8_t> q;
  std::vector<float> d;
  std::vector<int32_t> sum, sum_lo;
  Int8Rows view(size_t n_rows, size_t blocks) const {
    return {n_rows, blocks, q.data(), d.data(), sum.data(), sum_lo.data()};
  }
};

// The weight types the int8 mode runs (others take the exact kernels in that mode): Q8_0, Q4_0,
// Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K.
bool int8_supports(DType dtype);
// Offset of a type's unsigned byte representation (see above).
int int8_weight_offset(DType dtype);
bool int8_has_min(DType dtype);        // Q4_1, Q5_1, Q4_K, Q5_K
bool int8_has_subscales(DType dtype);  // Q6_K

// One 32-element weight block as the kernels use it (see above).
struct Int8WeightBlock {
  uint8_t u[32];
  float d;                    // d_w
  float m = 0.0f;             // m_w (types with a min)
  int32_t sc_lo = 1, sc_hi = 1;  // Q6_K's sub-scales
};
// Weight block `b` (32 elements) of a row (row = start of the row's storage).
void int8_unpack_block(DType dtype, const uint8_t* row, size_t b, Int8WeightBlock& out);
// Blocks [0, blocks) of a row: the same values, with each K-quant super-block's scales read once
// and loops the compiler vectorises (what the kernels use; int8_unpack_block is its oracle).
void int8_unpack_row(DType dtype, const uint8_t* row, size_t blocks, Int8WeightBlock* out);

// x (n_rows, k) f32, k a multiple of 32 -> buf. Same values on every ISA (vectorised with the
// same IEEE operations where available).
Int8Rows quantize_rows_int8(const float* x, size_t n_rows, size_t k, Int8Buffer& buf);

// y[r][o] for r < x.n_rows, o in [o_begin, o_end); y has row stride w.rows. w.cols == 32·x.blocks.
namespace scalar {
void int8_matmul_block(const Int8Rows& x, const WeightView& w, size_t o_begin, size_t o_end, float* y);
}
namespace avx512 {
// quantize_rows_int8's blocks [begin, end) with AVX-512F; a block holding a NaN goes to `scalar`.
using QuantizeBlocksFn = void (*)(const float*, size_t, size_t, int8_t*, float*, int32_t*, int32_t*);
void quantize_blocks_int8(const float* x, size_t begin, size_t end, int8_t* q, float* d, int32_t* sum,
                          int32_t* sum_lo, QuantizeBlocksFn scalar);
}
namespace avx2 {
void int8_matmul_block(const Int8Rows& x, const WeightView& w, size_t o_begin, size_t o_end, float* y);
}
// AVX-512 VNNI (vpdpbusd); only when cpu_has_avx512_vnni().
namespace avx512_vnni {
void int8_matmul_block(const Int8Rows& x, const WeightView& w, size_t o_begin, size_t o_end, float* y);
}

}  // namespace gemma3::kernels
