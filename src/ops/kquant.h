// GGML's other block formats, as llama-quantize writes them into GGUF files: the legacy 32-element
// blocks Q4_1 / Q5_0 / Q5_1 and the 256-element K-quant super-blocks Q2_K … Q6_K. Layouts (bytes,
// little-endian, f16 scales) from GGML's public format description:
//   Q4_1 (20):  d, m, qs[16]                 x = d·q + m,      q = nibble (low: 0..15, high: 16..31)
//   Q5_0 (22):  d, qh[4], qs[16]             x = d·(q − 16),   q = nibble | bit i of qh << 4
//   Q5_1 (24):  d, m, qh[4], qs[16]          x = d·q + m
//   Q2_K (84):  scales[16], qs[64], d, dmin  16 sub-blocks of 16: x = d·(sc&15)·q − dmin·(sc>>4), q 2-bit
//   Q3_K (110): hmask[32], qs[64], scales[12], d      x = d·(s − 32)·(q − 4·!hbit), s 6-bit, q 2-bit
//   Q4_K (144): d, dmin, scales[12], qs[128]           8 sub-blocks of 32: x = d·s·q − dmin·m (6-bit s, m)
//   Q5_K (176): d, dmin, scales[12], qh[32], qs[128]   as Q4_K with a fifth bit from qh
//   Q6_K (210): ql[128], qh[64], scales[16] (int8), d  16 sub-blocks of 16: x = d·s·(q − 32), q 6-bit
// Widening computes each element exactly as GGML's dequantize_row_* does in f32 (same products,
// same order, no fused multiply-add), so a row widened here equals GGML's bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ops/dtype.h"

namespace gemma3 {

// 0 for the types this file does not own (bf16, f16, f32, Q8_0, Q4_0).
size_t kquant_block_bytes(DType dtype);
size_t kquant_block_elems(DType dtype);  // 32 or 256
const char* kquant_name(DType dtype);    // "q4_1", "q5_0", "q5_1", "q2_k", …, "q6_k"

// out (n,) = the row at `row` (n / block_elems blocks) widened to f32.
void kquant_row_to_f32(DType dtype, const uint8_t* row, size_t n, float* out);

// The 6-bit scale and min of sub-block j (0..7) of a Q4_K / Q5_K block's 12 scale bytes (inline:
// the SIMD weight loaders unpack one per 32 weights).
inline void kquant_scale_min_k4(size_t j, const uint8_t* q, uint8_t& scale, uint8_t& min) {
  if (j < 4) {
    scale = q[j] & 63;
    min = q[j + 4] & 63;
  } else {
    scale = static_cast<uint8_t>((q[j + 4] & 15) | ((q[j - 4] >> 6) << 4));
    min = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

// The signed 6-bit scale (−32 … 31) of sub-block j (0..15) of a Q3_K block's 12 scale bytes: low
// nibble from byte j (j < 8) or the high nibble of byte j − 8, top two bits from byte 8 + j % 4
// (bits 2·(j / 4)).
inline int kquant_scale_q3_k(size_t j, const uint8_t* packed) {
  const int low = j < 8 ? packed[j] & 15 : packed[j - 8] >> 4;
  const int high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
  return (low | (high << 4)) - 32;
}

// GGML's reference quantizers (quantize_row_*_ref, what llama-quantize runs without an importance
// matrix), byte for byte, for the types that have one here (kquant_can_quantize): Q4_1, Q5_0,
// Q5_1, Q3_K, Q4_K, Q5_K, Q6_K (kquant_quantize.cc). x (n,) -> dtype_row_bytes(n) bytes.
bool kquant_can_quantize(DType dtype);
void kquant_quantize_row(DType dtype, const float* x, size_t n, uint8_t* out);

}  // namespace gemma3
