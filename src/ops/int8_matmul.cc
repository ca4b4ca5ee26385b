// The int8-activation mode's shared parts: activation quantization, the per-type unpacking of a
// weight block to unsigned bytes, and the scalar kernel (portable fallback and test oracle).
#include "ops/int8_matmul.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace gemma3::kernels {

bool int8_supports(DType dtype) { return dtype == DType::kQ8_0 || dtype == DType::kQ4_0; }

int int8_weight_offset(DType dtype) { return dtype == DType::kQ8_0 ? 128 : 8; }

float int8_unpack_block(DType dtype, const uint8_t* row, size_t b, uint8_t u[32]) {
  uint16_t d;
  if (dtype == DType::kQ8_0) {
    const uint8_t* block = row + b * sizeof(BlockQ8_0);
    std::memcpy(&d, block, sizeof d);
    for (size_t i = 0; i < kQuantBlock; ++i) u[i] = static_cast<uint8_t>(block[2 + i] ^ 0x80u);  // q + 128
  } else {
    const uint8_t* block = row + b * sizeof(BlockQ4_0);
    std::memcpy(&d, block, sizeof d);
    for (size_t i = 0; i < kQuantBlock / 2; ++i) {
      u[i] = block[2 + i] & 0x0f;
      u[i + kQuantBlock / 2] = block[2 + i] >> 4;
    }
  }
  return f16_to_f32(d);
}

Int8Rows quantize_rows_int8(const float* x, size_t n_rows, size_t k, Int8Buffer& buf) {
  const size_t blocks = k / kQuantBlock;
  buf.q.resize(n_rows * k);
  buf.d.resize(n_rows * blocks);
  buf.sum.resize(n_rows * blocks);
  for (size_t i = 0; i < n_rows * blocks; ++i) {
    const float* xb = x + i * kQuantBlock;
    float amax = 0.0f;
    bool nan = false;
    for (size_t j = 0; j < kQuantBlock; ++j) {
      amax = std::max(amax, std::fabs(xb[j]));
      nan |= xb[j] != xb[j];
    }
    // GGML's Q8_0 scale, kept in f32 (GGML rounds it to f16: 3 fewer significant bits). A NaN
    // input makes the scale NaN, so it reaches the output as it would on the exact path.
    const float d = nan ? std::numeric_limits<float>::quiet_NaN() : amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    int32_t s = 0;
    for (size_t j = 0; j < kQuantBlock; ++j) {
      // |x·id| ≤ 127 up to rounding, so the nearest integer fits int8 (a NaN becomes 0; the
      // scale carries it).
      const float v = std::nearbyint(xb[j] * id);
      const int8_t q = v == v ? static_cast<int8_t>(std::clamp(v, -127.0f, 127.0f)) : int8_t{0};
      buf.q[i * kQuantBlock + j] = q;
      s += q;
    }
    buf.d[i] = d;
    buf.sum[i] = s;
  }
  return buf.view(n_rows, blocks);
}

namespace scalar {

void int8_matmul_block(const Int8Rows& x, const WeightView& w, size_t o_begin, size_t o_end, float* y) {
  const size_t row_bytes = dtype_row_bytes(w.dtype, w.cols);
  const int32_t offset = int8_weight_offset(w.dtype);
  const uint8_t* data = static_cast<const uint8_t*>(w.data);
  for (size_t o = o_begin; o < o_end; ++o) {
    for (size_t r = 0; r < x.n_rows; ++r) {
      float acc = 0.0f;
      for (size_t b = 0; b < x.blocks; ++b) {
        uint8_t u[kQuantBlock];
        const float dw = int8_unpack_block(w.dtype, data + o * row_bytes, b, u);
        const int8_t* xq = x.q + (r * x.blocks + b) * kQuantBlock;
        int32_t isum = -offset * x.sum[r * x.blocks + b];
        for (size_t i = 0; i < kQuantBlock; ++i) isum += static_cast<int32_t>(u[i]) * xq[i];
        acc = std::fma(dw * x.d[r * x.blocks + b], static_cast<float>(isum), acc);
      }
      y[r * w.rows + o] = acc;
    }
  }
}

}  // namespace scalar

}  // namespace gemma3::kernels
