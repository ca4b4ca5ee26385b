// The int8-activation mode's shared parts: activation quantization, the per-type unpacking of a
// weight block to unsigned bytes, and the scalar kernel (portable fallback and test oracle).
#include "ops/int8_matmul.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "ops/cpu_features.h"
#include "ops/kquant.h"
#include "ops/thread_pool.h"

namespace gemma3::kernels {

bool int8_supports(DType dtype) {
  switch (dtype) {
    case DType::kQ8_0:
    case DType::kQ4_0:
    case DType::kQ4_1:
    case DType::kQ5_0:
    case DType::kQ5_1:
    case DType::kQ4_K:
    case DType::kQ5_K:
    case DType::kQ6_K:
      return true;
    default:
      return false;
  }
}

int int8_weight_offset(DType dtype) {
  switch (dtype) {
    case DType::kQ8_0: return 128;
    case DType::kQ4_0: return 8;
    case DType::kQ5_0: return 16;
    case DType::kQ6_K: return 32;
    default: return 0;
  }
}

bool int8_has_min(DType dtype) {
  return dtype == DType::kQ4_1 || dtype == DType::kQ5_1 || dtype == DType::kQ4_K || dtype == DType::kQ5_K;
}

bool int8_has_subscales(DType dtype) { return dtype == DType::kQ6_K; }

namespace {

// Legacy 32-element blocks: 16 bytes of nibbles at qs (element i < 16 low, i + 16 high), the fifth
// bit of element i in bit i of the u32 at qh when there is one.
void legacy_levels(const uint8_t* qs, const uint8_t* qh, uint8_t u[32]) {
  uint32_t high = 0;
  if (qh != nullptr) std::memcpy(&high, qh, sizeof high);
  for (size_t i = 0; i < 16; ++i) {
    u[i] = static_cast<uint8_t>((qs[i] & 15) | (((high >> i) & 1) << 4));
    u[i + 16] = static_cast<uint8_t>((qs[i] >> 4) | (((high >> (i + 16)) & 1) << 4));
  }
}

}  // namespace

// Layouts: ops/dtype.h (Q8_0, Q4_0) and ops/kquant.h (the others); the K-quant levels are read as
// the exact widening in kquant.cc reads them.
void int8_unpack_block(DType dtype, const uint8_t* row, size_t b, Int8WeightBlock& out) {
  out.m = 0.0f;
  out.sc_lo = out.sc_hi = 1;
  switch (dtype) {
    case DType::kQ8_0: {
      const uint8_t* block = row + b * sizeof(BlockQ8_0);
      out.d = f16_at(block);
      for (size_t i = 0; i < kQuantBlock; ++i) out.u[i] = static_cast<uint8_t>(block[2 + i] ^ 0x80u);  // q + 128
      return;
    }
    case DType::kQ4_0: {
      const uint8_t* block = row + b * sizeof(BlockQ4_0);
      out.d = f16_at(block);
      legacy_levels(block + 2, nullptr, out.u);
      return;
    }
    case DType::kQ4_1: {
      const uint8_t* block = row + b * 20;
      out.d = f16_at(block);
      out.m = f16_at(block + 2);
      legacy_levels(block + 4, nullptr, out.u);
      return;
    }
    case DType::kQ5_0: {
      const uint8_t* block = row + b * 22;
      out.d = f16_at(block);
      legacy_levels(block + 6, block + 2, out.u);
      return;
    }
    case DType::kQ5_1: {
      const uint8_t* block = row + b * 24;
      out.d = f16_at(block);
      out.m = f16_at(block + 2);
      legacy_levels(block + 8, block + 4, out.u);
      return;
    }
    case DType::kQ4_K:
    case DType::kQ5_K: {
      const bool five = dtype == DType::kQ5_K;
      const uint8_t* block = row + (b / 8) * (five ? 176 : 144);
      const size_t j = b % 8;  // sub-block: low (j even) or high nibbles of qs[32·(j/2) ..]
      uint8_t sc, m;
      kquant_scale_min_k4(j, block + 4, sc, m);
      out.d = f16_at(block) * static_cast<float>(sc);
      out.m = -(f16_at(block + 2) * static_cast<float>(m));
      const uint8_t* qs = block + (five ? 48 : 16) + 32 * (j / 2);
      for (size_t l = 0; l < 32; ++l) {
        int v = j % 2 == 0 ? qs[l] & 15 : qs[l] >> 4;
        if (five) v |= ((block[16 + l] >> j) & 1) << 4;
        out.u[l] = static_cast<uint8_t>(v);
      }
      return;
    }
    case DType::kQ6_K: {
      const uint8_t* block = row + (b / 8) * 210;
      const size_t e0 = 32 * (b % 8), h = e0 / 128, s = (e0 % 128) / 32;
      const uint8_t* ql = block + 64 * h + 32 * (s % 2);
      const uint8_t* qh = block + 128 + 32 * h;
      for (size_t l = 0; l < 32; ++l) {
        const int low = s < 2 ? ql[l] & 15 : ql[l] >> 4;
        out.u[l] = static_cast<uint8_t>(low | (((qh[l] >> (2 * s)) & 3) << 4));
      }
      const auto* scales = reinterpret_cast<const int8_t*>(block + 192);
      out.sc_lo = scales[e0 / 16];
      out.sc_hi = scales[e0 / 16 + 1];
      out.d = f16_at(block + 208);
      return;
    }
    default:
      break;
  }
}

namespace {

// Q4_K / Q5_K super-block (8 blocks): the two f16 scales and the 6-bit scales read once; group g
// is the low (even g) or high (odd g) nibbles of qs[32·(g/2) ..], plus bit g of qh[l] for Q5_K.
template <bool kFive>
void unpack_q45_k(const uint8_t* block, Int8WeightBlock* out) {
  const float d = f16_at(block), dmin = f16_at(block + 2);
  const uint8_t* qs = block + (kFive ? 48 : 16);
  const uint8_t* qh = block + 16;
  for (size_t g = 0; g < 8; ++g) {
    uint8_t sc, m;
    kquant_scale_min_k4(g, block + 4, sc, m);
    out[g].d = d * static_cast<float>(sc);
    out[g].m = -(dmin * static_cast<float>(m));
    out[g].sc_lo = out[g].sc_hi = 1;
  }
#pragma GCC unroll 4
  for (size_t k = 0; k < 4; ++k) {
    uint8_t* lo = out[2 * k].u;
    uint8_t* hi = out[2 * k + 1].u;
    for (size_t l = 0; l < 32; ++l) {
      lo[l] = qs[32 * k + l] & 15;
      hi[l] = qs[32 * k + l] >> 4;
      if constexpr (kFive) {
        lo[l] |= static_cast<uint8_t>(((qh[l] >> (2 * k)) & 1) << 4);
        hi[l] |= static_cast<uint8_t>(((qh[l] >> (2 * k + 1)) & 1) << 4);
      }
    }
  }
}

// Q6_K super-block: block 4·h + s (h < 2, s < 4) is element 128·h + 32·s + l: low nibble of
// ql[64·h + 32·(s % 2) + l] (high nibble for s ≥ 2), high bits crumb s of qh[32·h + l].
void unpack_q6_k(const uint8_t* block, Int8WeightBlock* out) {
  const float d = f16_at(block + 208);
  const auto* scales = reinterpret_cast<const int8_t*>(block + 192);
#pragma GCC unroll 2
  for (size_t h = 0; h < 2; ++h) {
    const uint8_t* ql = block + 64 * h;
    const uint8_t* qh = block + 128 + 32 * h;
#pragma GCC unroll 4
    for (size_t s = 0; s < 4; ++s) {
      Int8WeightBlock& o = out[4 * h + s];
      for (size_t l = 0; l < 32; ++l) {
        const uint8_t q = ql[32 * (s % 2) + l];
        o.u[l] = static_cast<uint8_t>((s < 2 ? q & 15 : q >> 4) | (((qh[l] >> (2 * s)) & 3) << 4));
      }
      o.d = d;
      o.m = 0.0f;
      o.sc_lo = scales[2 * (4 * h + s)];
      o.sc_hi = scales[2 * (4 * h + s) + 1];
    }
  }
}

}  // namespace

void int8_unpack_row(DType dtype, const uint8_t* row, size_t blocks, Int8WeightBlock* out) {
  switch (dtype) {
    case DType::kQ4_K:
      for (size_t b = 0; b < blocks; b += 8) unpack_q45_k<false>(row + (b / 8) * 144, out + b);
      return;
    case DType::kQ5_K:
      for (size_t b = 0; b < blocks; b += 8) unpack_q45_k<true>(row + (b / 8) * 176, out + b);
      return;
    case DType::kQ6_K:
      for (size_t b = 0; b < blocks; b += 8) unpack_q6_k(row + (b / 8) * 210, out + b);
      return;
    default:
      for (size_t b = 0; b < blocks; ++b) int8_unpack_block(dtype, row, b, out[b]);
  }
}

namespace {

// Blocks [begin, end) of x, one at a time (the oracle, and the path for blocks holding a NaN).
void quantize_blocks_scalar(const float* x, size_t begin, size_t end, int8_t* q, float* d_out, int32_t* sum,
                            int32_t* sum_lo) {
  for (size_t i = begin; i < end; ++i) {
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
    int32_t s = 0, s_lo = 0;
    for (size_t j = 0; j < kQuantBlock; ++j) {
      if (j == kQuantBlock / 2) s_lo = s;
      // |x·id| ≤ 127 up to rounding, so the nearest integer fits int8 (a NaN becomes 0; the
      // scale carries it).
      const float v = std::nearbyint(xb[j] * id);
      const int8_t qj = v == v ? static_cast<int8_t>(std::clamp(v, -127.0f, 127.0f)) : int8_t{0};
      q[i * kQuantBlock + j] = qj;
      s += qj;
    }
    d_out[i] = d;
    sum[i] = s;
    sum_lo[i] = s_lo;
  }
}

}  // namespace

Int8Rows quantize_rows_int8(const float* x, size_t n_rows, size_t k, Int8Buffer& buf) {
  const size_t blocks = k / kQuantBlock;
  buf.q.resize(n_rows * k);
  buf.d.resize(n_rows * blocks);
  buf.sum.resize(n_rows * blocks);
  buf.sum_lo.resize(n_rows * blocks);
  // The same IEEE operations in every path (amax, one division, x·(1/d), round half to even), so
  // the bytes do not depend on the ISA; a prompt's activations (512 × 2,048) are worth the threads.
  const bool avx512 = active_isa() == Isa::kAvx512;
  int8_t* q = buf.q.data();
  float* d = buf.d.data();
  int32_t* sum = buf.sum.data();
  int32_t* sum_lo = buf.sum_lo.data();
  parallel_for(n_rows * blocks, 512, [&](size_t begin, size_t end) {
    if (avx512) {
      avx512::quantize_blocks_int8(x, begin, end, q, d, sum, sum_lo, &quantize_blocks_scalar);
    } else {
      quantize_blocks_scalar(x, begin, end, q, d, sum, sum_lo);
    }
  });
  return buf.view(n_rows, blocks);
}

namespace scalar {

void int8_matmul_block(const Int8Rows& x, const WeightView& w, size_t o_begin, size_t o_end, float* y) {
  const size_t row_bytes = dtype_row_bytes(w.dtype, w.cols);
  const int32_t offset = int8_weight_offset(w.dtype);
  const bool has_min = int8_has_min(w.dtype);
  const uint8_t* data = static_cast<const uint8_t*>(w.data);
  std::vector<Int8WeightBlock> wb(x.blocks);  // the row's blocks, unpacked once
  for (size_t o = o_begin; o < o_end; ++o) {
    // (block by block: the scalar set stays the plain oracle of the kernels' int8_unpack_row)
    for (size_t b = 0; b < x.blocks; ++b) int8_unpack_block(w.dtype, data + o * row_bytes, b, wb[b]);
    for (size_t r = 0; r < x.n_rows; ++r) {
      float acc = 0.0f;
      for (size_t b = 0; b < x.blocks; ++b) {
        const size_t xb = r * x.blocks + b;
        const int8_t* xq = x.q + xb * kQuantBlock;
        int32_t lo = -offset * x.sum_lo[xb], hi = -offset * (x.sum[xb] - x.sum_lo[xb]);
        for (size_t i = 0; i < kQuantBlock / 2; ++i) lo += static_cast<int32_t>(wb[b].u[i]) * xq[i];
        for (size_t i = kQuantBlock / 2; i < kQuantBlock; ++i) hi += static_cast<int32_t>(wb[b].u[i]) * xq[i];
        const int32_t isum = wb[b].sc_lo * lo + wb[b].sc_hi * hi;
        acc = std::fma(wb[b].d * x.d[xb], static_cast<float>(isum), acc);
        if (has_min) acc = std::fma(wb[b].m * x.d[xb], static_cast<float>(x.sum[xb]), acc);
      }
      y[r * w.rows + o] = acc;
    }
  }
}

}  // namespace scalar

}  // namespace gemma3::kernels
