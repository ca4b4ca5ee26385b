// Widening of the legacy and K-quant GGML block formats (layouts: ops/kquant.h; the reference
// quantizers are in kquant_quantize.cc). Every widening expression is GGML's: an integer converted to f32, multiplied by
// f32 scales and offset in the same order, each operation rounded on its own (the build disables
// FMA contraction), so the values equal GGML's dequantize_row_* bit for bit.
#include "ops/kquant.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "util/check.h"

namespace gemma3 {

namespace {

void q4_1_block(const uint8_t* b, float* y) {
  const float d = f16_at(b), m = f16_at(b + 2);
  const uint8_t* qs = b + 4;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>(qs[j] & 15) * d + m;
    y[j + 16] = static_cast<float>(qs[j] >> 4) * d + m;
  }
}

// Q5_0 / Q5_1: the fifth bit of element j is bit j of qh (j < 32). The levels are gathered first
// (a bit mask per element) and converted in a separate loop the compiler vectorises; the float
// operations per element are the same.
template <bool kMin>
void q5_block(const uint8_t* b, float* y) {
  const float d = f16_at(b), m = kMin ? f16_at(b + 2) : 0.0f;
  const uint8_t* qh = b + (kMin ? 4 : 2);
  const uint8_t* qs = qh + 4;
  int32_t q[32];
  for (int j = 0; j < 16; ++j) {
    q[j] = qs[j] & 15;
    q[j + 16] = qs[j] >> 4;
  }
  uint32_t h;
  std::memcpy(&h, qh, sizeof h);
  static constexpr auto kBit = [] {
    std::array<uint32_t, 32> bits{};
    for (int j = 0; j < 32; ++j) bits[j] = 1u << j;
    return bits;
  }();
  for (int j = 0; j < 32; ++j) q[j] |= (h & kBit[j]) != 0 ? 16 : 0;  // (a mask per lane: vectorises)
  for (int j = 0; j < 32; ++j) {
    if constexpr (kMin) {
      y[j] = static_cast<float>(q[j]) * d + m;
    } else {
      y[j] = static_cast<float>(q[j] - 16) * d;
    }
  }
}

// Q2_K: qs[64] holds 4 crumbs per byte; element 128·h + 32·s + l (l < 32) is crumb s of byte
// 32·h + l; its sub-block (16 elements) has scale byte sc: low nibble scale, high nibble min.
void q2_k_block(const uint8_t* b, float* y) {
  const uint8_t* scales = b;
  const uint8_t* qs = b + 16;
  const float d = f16_at(b + 80), dmin = f16_at(b + 82);
  for (int e = 0; e < 256; ++e) {
    const int h = e / 128, s = (e % 128) / 32, l = e % 32;
    const uint8_t sc = scales[e / 16];
    const float dl = d * static_cast<float>(sc & 15), ml = dmin * static_cast<float>(sc >> 4);
    const int q = (qs[32 * h + l] >> (2 * s)) & 3;
    y[e] = dl * static_cast<float>(q) - ml;
  }
}

// Q3_K: element 128·h + 32·s + l has 2 low bits = crumb s of qs[32·h + l] and its high bit in bit
// (4·h + s) of hmask[l]; value q − 4 when that bit is clear.
void q3_k_block(const uint8_t* b, float* y) {
  const uint8_t* hmask = b;
  const uint8_t* qs = b + 32;
  const float d = f16_at(b + 108);
  for (int e = 0; e < 256; ++e) {
    const int h = e / 128, s = (e % 128) / 32, l = e % 32;
    const float dl = d * static_cast<float>(kquant_scale_q3_k(static_cast<size_t>(e / 16), b + 96));
    const int q = ((qs[32 * h + l] >> (2 * s)) & 3) - ((hmask[l] >> (4 * h + s)) & 1 ? 0 : 4);
    y[e] = dl * static_cast<float>(q);
  }
}

// Q4_K / Q5_K: sub-block j (32 elements) is the low (j even) or high (j odd) nibbles of
// qs[32·(j/2) ..]; Q5_K adds bit j of qh[l] as 16.
template <bool kFifthBit>
void q45_k_block(const uint8_t* b, float* y) {
  const float d = f16_at(b), dmin = f16_at(b + 2);
  const uint8_t* scales = b + 4;
  const uint8_t* qh = b + 16;
  const uint8_t* qs = b + (kFifthBit ? 48 : 16);
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    kquant_scale_min_k4(static_cast<size_t>(j), scales, sc, m);
    const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(m);
    const uint8_t* q = qs + 32 * (j / 2);
    for (int l = 0; l < 32; ++l) {
      int v = j % 2 == 0 ? q[l] & 15 : q[l] >> 4;
      if constexpr (kFifthBit) v += (qh[l] >> j) & 1 ? 16 : 0;
      y[32 * j + l] = d1 * static_cast<float>(v) - m1;
    }
  }
}

// Q6_K: element 128·h + 32·s + l: low 4 bits from ql[64·h + 32·(s % 2) + l] (low nibble for
// s < 2, high for s ≥ 2), high 2 bits = crumb s of qh[32·h + l]; sub-block scale scales[e / 16].
// Loops in that order (l innermost, contiguous) so the compiler vectorises them; each element is
// still (d·sc)·q, as GGML computes it.
void q6_k_block(const uint8_t* b, float* y) {
  const uint8_t* ql = b;
  const uint8_t* qh = b + 128;
  const auto* scales = reinterpret_cast<const int8_t*>(b + 192);
  const float d = f16_at(b + 208);
  for (int h = 0; h < 2; ++h) {
#pragma GCC unroll 4
    for (int s = 0; s < 4; ++s) {
      const uint8_t* lq = ql + 64 * h + 32 * (s % 2);
      const uint8_t* hq = qh + 32 * h;
      float* out = y + 128 * h + 32 * s;
      for (int half = 0; half < 2; ++half) {
        const float ds = d * static_cast<float>(scales[8 * h + 2 * s + half]);
        for (int l = 16 * half; l < 16 * half + 16; ++l) {
          const int low = s < 2 ? lq[l] & 15 : lq[l] >> 4;
          const int q = (low | (((hq[l] >> (2 * s)) & 3) << 4)) - 32;
          out[l] = ds * static_cast<float>(q);
        }
      }
    }
  }
}

}  // namespace

size_t kquant_block_bytes(DType dtype) {
  switch (dtype) {
    case DType::kQ4_1: return 20;
    case DType::kQ5_0: return 22;
    case DType::kQ5_1: return 24;
    case DType::kQ2_K: return 84;
    case DType::kQ3_K: return 110;
    case DType::kQ4_K: return 144;
    case DType::kQ5_K: return 176;
    case DType::kQ6_K: return 210;
    default: return 0;
  }
}

size_t kquant_block_elems(DType dtype) {
  switch (dtype) {
    case DType::kQ4_1:
    case DType::kQ5_0:
    case DType::kQ5_1:
      return kQuantBlock;
    default:
      return kSuperBlock;
  }
}

const char* kquant_name(DType dtype) {
  switch (dtype) {
    case DType::kQ4_1: return "q4_1";
    case DType::kQ5_0: return "q5_0";
    case DType::kQ5_1: return "q5_1";
    case DType::kQ2_K: return "q2_k";
    case DType::kQ3_K: return "q3_k";
    case DType::kQ4_K: return "q4_k";
    case DType::kQ5_K: return "q5_k";
    case DType::kQ6_K: return "q6_k";
    default: return "?";
  }
}

void kquant_row_to_f32(DType dtype, const uint8_t* row, size_t n, float* out) {
  const size_t be = kquant_block_elems(dtype), bb = kquant_block_bytes(dtype);
  G3_CHECK(bb != 0);
  for (size_t b = 0; b < n / be; ++b) {
    const uint8_t* block = row + b * bb;
    float* y = out + b * be;
    switch (dtype) {
      case DType::kQ4_1: q4_1_block(block, y); break;
      case DType::kQ5_0: q5_block<false>(block, y); break;
      case DType::kQ5_1: q5_block<true>(block, y); break;
      case DType::kQ2_K: q2_k_block(block, y); break;
      case DType::kQ3_K: q3_k_block(block, y); break;
      case DType::kQ4_K: q45_k_block<false>(block, y); break;
      case DType::kQ5_K: q45_k_block<true>(block, y); break;
      case DType::kQ6_K: q6_k_block(block, y); break;
      default: break;
    }
  }
}

}  // namespace gemma3
