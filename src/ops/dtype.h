// Element types of checkpoint tensors and exact/rounded conversions between them.
// Conversions to f32 are exact for every dtype; conversions from f32 round to nearest even.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace gemma3 {

// kQ8_0 / kQ4_0 are block-quantized with GGML's exact block layout (so GGUF tensors are read in
// place): each row is cut into blocks of 32 consecutive elements, each block stores an f16 scale d.
//   Q8_0 (34 bytes): d, then int8 q[32];            element i = d · q[i]
//   Q4_0 (18 bytes): d, then 16 bytes of nibbles;   element i < 16 = d · (low nibble of byte i − 8),
//                                                   element i + 16 = d · (high nibble of byte i − 8)
//
// The other GGML block types are read in place from GGUF files (llama-quantize's mixes) and widened
// exactly as GGML's dequantize_row_* computes them in f32 (ops/kquant.h has the layouts):
//   Q4_1 / Q5_0 / Q5_1: 32-element blocks;  Q2_K … Q6_K: 256-element super-blocks.
enum class DType { kBF16, kF16, kF32, kQ8_0, kQ4_0, kQ4_1, kQ5_0, kQ5_1, kQ2_K, kQ3_K, kQ4_K, kQ5_K, kQ6_K };

constexpr size_t kQuantBlock = 32;  // elements per Q8_0 / Q4_0 / Q4_1 / Q5_0 / Q5_1 block
constexpr size_t kSuperBlock = 256;  // elements per K-quant block
struct BlockQ8_0 {
  uint16_t d;  // f16 scale
  int8_t qs[kQuantBlock];
};
struct BlockQ4_0 {
  uint16_t d;  // f16 scale
  uint8_t qs[kQuantBlock / 2];
};
static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ4_0) == 18, "GGML block layouts");

bool dtype_is_quantized(DType dtype);     // every block type
size_t dtype_block_elems(DType dtype);    // 1, 32, or 256 for the K-quants
size_t dtype_block_bytes(DType dtype);    // bytes per block (per element for the plain types)
// Bytes of a row of `cols` elements; cols must be a multiple of dtype_block_elems (checked by the
// loaders, which reject other shapes with an error).
size_t dtype_row_bytes(DType dtype, size_t cols);
size_t dtype_size(DType dtype);       // bytes per element of the plain types (0 for quantized)
const char* dtype_name(DType dtype);  // "bf16", "f16", "f32", "q8_0", "q4_0", "q4_1", …, "q6_k"

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
// The little-endian f16 stored at p (e.g. a block's scale), widened.
inline float f16_at(const void* p) {
  uint16_t h;
  std::memcpy(&h, p, sizeof h);
  return f16_to_f32(h);
}

// A weight matrix as stored in the checkpoint: row-major (rows, cols), rows = output features.
// Non-owning: `data` points into the memory map (or a test buffer) and must outlive the view.
struct WeightView {
  DType dtype;
  const void* data;
  size_t rows;
  size_t cols;
  // The same weights in the layout the active int8 kernel reads (ops/int8_prepack.h), prepared
  // once at load under --matmul-int8; null otherwise. Only a faster way to the same results.
  const void* int8_packed = nullptr;
};

// out (cols,) = w[row] widened to f32 (exact; dequantized for Q8_0 / Q4_0). Used for the embedding
// lookup and by the scalar oracles.
void row_to_f32(const WeightView& w, size_t row, float* out);

// out (dtype_row_bytes(dtype, n) bytes) = x (n,) f32 encoded as `dtype`: bf16/f16 round to nearest
// even, f32 is copied, the block types use GGML's reference quantizers (this file and
// ops/kquant.h; n a multiple of the block).
void encode_row_from_f32(const float* x, size_t n, DType dtype, void* out);

// GGML's reference quantizers (quantize_row_q8_0_ref / quantize_row_q4_0_ref), bit for bit, so a
// checkpoint quantized here equals the same weights quantized by llama.cpp.
// x (n,) f32, n a multiple of 32 -> n / 32 blocks.
void quantize_row_q8_0(const float* x, size_t n, BlockQ8_0* out);
void quantize_row_q4_0(const float* x, size_t n, BlockQ4_0* out);

}  // namespace gemma3
